/*
 * fuzz_inline.c - libFuzzer target: uuencode, yEnc and BinHex blocks in
 * a text body (and whatever containers they decode to).  The first byte
 * picks the chunk size the text is fed in.
 */
#include <config.h>

#include "files_fuzz.h"

int     LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int     LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
	return 0;
    files_fuzz_part(NULL, 0, 1, NULL, 0, data + 1, size - 1,
		    (size_t) (data[0] & 0x3f) + 1);
    return 0;
}
