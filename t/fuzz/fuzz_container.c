/*
 * fuzz_container.c - libFuzzer target: one attachment through the files
 * layer (signature sniffing, libarchive containers, OLE2, TNEF, PDF,
 * nesting, every limit).  The input is the attachment's content.
 */
#include <config.h>

#include "files_fuzz.h"

int     LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int     LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    files_fuzz_part("fuzz.bin", 1, 0, NULL, 0, data, size, 65536);
    return 0;
}
