/*
 * charset.h - streaming conversion of text to UTF-8 with iconv.
 *
 * Labels are those browsers and mail clients accept (the WHATWG table:
 * "unicodeFEFF" is UTF-16LE, "latin1" windows-1252), then any iconv
 * knows.  UTF-8, US-ASCII, an empty and an unknown charset are passed through
 * unchanged (the matcher then sees the raw bytes, which is what a
 * reader's mail client most likely shows for an unknown label).
 * Invalid input becomes U+FFFD; an incomplete sequence at a chunk end is
 * carried into the next chunk.
 */
#ifndef RS_CHARSET_H
#define RS_CHARSET_H

#include <stddef.h>
#include <iconv.h>

typedef void (*TEXT_SINK)(void *ctx, const char *buf, size_t len);

typedef struct CHARSET_CONV {
    iconv_t cd;                   /* (iconv_t) -1: pass through */
    char    carry[16];
    size_t  ncarry;
    int     sniff;                /* UTF-16: byte order mark not yet seen */
} CHARSET_CONV;

void    charset_open(CHARSET_CONV *cv, const char *charset);
void    charset_feed(CHARSET_CONV *cv, const char *in, size_t len,
		     TEXT_SINK out, void *ctx);
/* Emit what is left (U+FFFD for a dangling partial sequence) to out,
 * unless it is NULL (parsing was stopped); close. */
void    charset_close(CHARSET_CONV *cv, TEXT_SINK out, void *ctx);

/* One-shot: convert in[0..len) and append to out (size outsize, kept
 * NUL-terminated; output is cut at outsize - 1).  Returns bytes added. */
size_t  charset_to_utf8(const char *charset, const char *in, size_t len,
			char *out, size_t outsize);

/* Is this label one we pass through unchanged? */
int     charset_is_utf8(const char *charset);

/* The iconv name of a label of the WHATWG Encoding Standard's table (or
 * a UTF-7 label), NULL for any other (charset_labels.c). */
const char *charset_iconv_name(const char *label);

#endif
