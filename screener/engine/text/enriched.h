/*
 * enriched.h - text/enriched (RFC 1896) and text/richtext (RFC 1341)
 * as their readers show them, streamed.
 *
 * Formatting commands (<bold>, </italic>, ...) are removed; "<<" in
 * text/enriched and <lt> in text/richtext are a '<'; <nl> and <np> a
 * line break; the content of <param> (enriched) and <comment> (both) is
 * not shown.  A command name is kept up to ENR_NAME_MAX bytes (RFC 1896
 * allows 60); the rest of a longer one is skipped to its '>'.
 */
#ifndef RS_ENRICHED_H
#define RS_ENRICHED_H

#include <stddef.h>
#include "html.h"                 /* TEXT_EMIT */

#define ENR_NAME_MAX 16
#define ENR_HIDE_MAX 1000         /* nested <param>/<comment> counted */

typedef struct ENRICHED {
    TEXT_EMIT emit;
    void   *ctx;
    int     richtext;             /* text/richtext, else text/enriched */
    int     in_cmd;               /* after '<' */
    int     lt_first;             /* the byte right after '<' */
    char    name[ENR_NAME_MAX + 1];
    size_t  name_len;
    unsigned hide;                /* open param/comment */
} ENRICHED;

void    enriched_begin(ENRICHED *e, int richtext, TEXT_EMIT emit, void *ctx);
void    enriched_feed(ENRICHED *e, const char *buf, size_t len);
void    enriched_end(ENRICHED *e);

#endif
