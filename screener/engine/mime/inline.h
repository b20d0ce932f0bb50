/*
 * inline.h - files encoded inside a text body: uuencode ("begin 644
 * name" ... "end"), yEnc ("=ybegin ... name=" ... "=yend") and BinHex 4.0
 * ("(This file must be converted with BinHex 4.0)" then ":...:").  Mail
 * clients (and people) turn these into files, so they are files: each
 * block is reported as a named file with its decoded content.
 *
 * Fed the decoded text of a part in chunks of any size; keeps one line of
 * at most INLINE_LINE_MAX bytes.  A longer line, or a line that is not
 * valid for the block's encoding, ends the block (reported incomplete).
 */
#ifndef RS_INLINE_H
#define RS_INLINE_H

#include <stddef.h>

typedef struct INLINE_OUT {
    void    (*begin) (void *ctx, const char *name);
    void    (*data) (void *ctx, const unsigned char *buf, size_t len);
    void    (*end) (void *ctx, int complete);
} INLINE_OUT;

typedef struct INLINE INLINE;

INLINE *inline_new(const INLINE_OUT *out, void *ctx);
void    inline_feed(INLINE *in, const char *buf, size_t len);
/* End of the text: an open block ends, incomplete. */
void    inline_finish(INLINE *in);
void    inline_free(INLINE *in);

#endif
