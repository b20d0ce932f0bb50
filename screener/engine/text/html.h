/*
 * html.h - streaming HTML to text, as a mail reader renders it.
 *
 * Tags are removed; block elements (p, div, br, li, tr, h1...) become
 * line breaks and table cells a space, inline ones (b, span, a...)
 * nothing, so "mer<b>ger</b>" reads "merger".  Comments, DOCTYPE,
 * processing instructions and the content of script, style, title (and
 * the other raw-text elements) are dropped.  Every HTML5 character
 * reference is decoded: named (entities_table.c, with the legacy forms
 * browsers accept without ';'), decimal and hex (0 and out-of-range as
 * U+FFFD, 0x80-0x9F as windows-1252); &nbsp; is a plain space.  The
 * values of href, src and alt attributes are given as their own lines,
 * so a rule can name a link's domain or an image's text.
 *
 * State is bounded whatever the input: one tag name, one attribute name,
 * one character reference and one attribute value of at most
 * HTML_VALUE_MAX bytes (the rest of a longer value is not matched).
 */
#ifndef RS_HTML_H
#define RS_HTML_H

#include <stddef.h>
#include "entities.h"

#define HTML_NAME_MAX 16          /* tag and attribute names kept */
#define HTML_VALUE_MAX 2048       /* href/src/alt value bytes kept */
#define HTML_OUT 4096             /* output buffered before emit() */

typedef void (*TEXT_EMIT) (void *ctx, const char *buf, size_t len);

typedef enum HTML_STATE {
    HS_TEXT, HS_TAG_OPEN, HS_END_OPEN, HS_TAG_NAME, HS_ATTRS,
    HS_ATTR_NAME, HS_AFTER_NAME, HS_BEFORE_VALUE, HS_VALUE,
    HS_DECL, HS_COMMENT, HS_BOGUS, HS_RAW, HS_PLAIN, HS_REF,
} HTML_STATE;

typedef struct HTML {
    TEXT_EMIT emit;
    void   *ctx;
    HTML_STATE st;
    HTML_STATE ref_ret;           /* HS_TEXT or HS_VALUE */
    char    tag[HTML_NAME_MAX + 1];
    size_t  tag_len;
    int     is_end;
    char    attr[HTML_NAME_MAX + 1];
    size_t  attr_len;
    int     keep_value;           /* href, src, alt */
    char    quote;                /* '"', '\'' or 0 (unquoted) */
    char    value[HTML_VALUE_MAX];
    size_t  value_len;
    char    ref[ENTITY_NAME_MAX + 4];   /* "&..." being read */
    size_t  ref_len;
    int     dashes;               /* comments: '-' just seen */
    int     decl_dash;            /* "<!-" seen */
    char    raw[HTML_NAME_MAX + 1];     /* raw-text element open */
    size_t  raw_len, raw_match;   /* "</name" matched so far */
    char    out[HTML_OUT];
    size_t  out_len;
} HTML;

void    html_begin(HTML *h, TEXT_EMIT emit, void *ctx);
void    html_feed(HTML *h, const char *buf, size_t len);
void    html_end(HTML *h);

/* Character references (html_refs.c).  ref[0..len) is what followed
 * '&' (letters and digits, or '#' and digits), stop the byte that ended
 * it (-1: none); in_attr: inside an attribute value.  Writes what
 * "&ref" (plus the ';' stop, *semi set, when the reference takes it)
 * reads as into out (4 * len + 16 bytes): the decoded characters and
 * any rest of ref as it was. */
size_t  html_ref_decode(const char *ref, size_t len, int stop, int in_attr,
			char *out, int *semi);

#endif
