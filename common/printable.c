/*
 * printable.c - escape and cap untrusted text for logging.
 */
#include <config.h>

#include <string.h>

#include "printable.h"

char   *printable(char *dst, size_t dstsize, const char *src, size_t srclen,
		          size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    size_t  i, o = 0;
    int     cut = srclen > cap;

    if (dstsize == 0)
	return dst;
    if (cut)
	srclen = cap;
    for (i = 0; i < srclen; i++) {
	unsigned char c = (unsigned char) src[i];
	char    esc[4];
	size_t  n;

	if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
	    esc[0] = (char) c;
	    n = 1;
	} else if (c == '\\' || c == '"') {
	    esc[0] = '\\';
	    esc[1] = (char) c;
	    n = 2;
	} else {
	    esc[0] = '\\';
	    esc[1] = 'x';
	    esc[2] = hex[c >> 4];
	    esc[3] = hex[c & 15];
	    n = 4;
	}
	/* keep room for "..." and the NUL */
	if (o + n + 4 > dstsize) {
	    cut = 1;
	    break;
	}
	memcpy(dst + o, esc, n);
	o += n;
    }
    if (cut && o + 4 <= dstsize) {
	memcpy(dst + o, "...", 3);
	o += 3;
    }
    dst[o] = 0;
    return dst;
}
