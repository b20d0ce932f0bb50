/*
 * rtf.h - Outlook's compressed RTF (MS-OXRTFCP: "LZFu", or "MELA" for
 * uncompressed) decoded as a stream, and the RTF turned into the plain
 * text a reader sees (control words and groups dropped, \'hh escapes
 * decoded), for body keyword rules.
 */
#ifndef RS_RTF_H
#define RS_RTF_H

#include <stddef.h>
#include <stdint.h>

typedef struct RTF RTF;

/* out receives plain text in pieces; max bounds the decompressed RTF. */
RTF    *rtf_new(void (*out) (void *ctx, const char *buf, size_t len),
		void *ctx, uint64_t max);
/* Feed compressed bytes (header included).  Returns 0, or -1 when the
 * stream is bad or max is exceeded (what came before was delivered). */
int     rtf_feed(RTF *r, const unsigned char *buf, size_t len);
/* Bytes of RTF produced so far. */
uint64_t rtf_produced(const RTF *r);
void    rtf_free(RTF *r);

#endif
