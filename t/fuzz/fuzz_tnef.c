/*
 * fuzz_tnef.c - libFuzzer target: the TNEF parser (attributes, MAPI
 * properties, compressed RTF, attachments one level down).  The input
 * follows the TNEF signature and key, which are added here, so every
 * input reaches the parser.
 */
#include <config.h>

#include "files_fuzz.h"

int     LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int     LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t sig[6] = {0x78, 0x9f, 0x3e, 0x22, 0x01, 0x00};

    files_fuzz_part("winmail.dat", 1, 0, sig, sizeof(sig), data, size,
		    65536);
    return 0;
}
