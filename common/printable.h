/*
 * printable.h - make untrusted text safe for one log line.
 *
 * Every byte outside printable ASCII, and the backslash and double quote,
 * is escaped (\\ \" \xHH); the result is capped at a length and marked
 * with "..." when cut.  No CR, LF or other control character survives.
 */
#ifndef RS_PRINTABLE_H
#define RS_PRINTABLE_H

#include <stddef.h>

/* Escape src[0..srclen) into dst (size dstsize, always NUL-terminated).
 * At most `cap' input bytes are considered.  Returns dst. */
char   *printable(char *dst, size_t dstsize, const char *src, size_t srclen,
		  size_t cap);

#endif
