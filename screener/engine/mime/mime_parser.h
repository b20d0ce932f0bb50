/*
 * mime_parser.h - streaming MIME parser.
 *
 * Fed raw bytes in chunks of any size; keeps one frame per open MIME
 * level (at most limits.max_depth), a line-head buffer for delimiter
 * recognition and one header field at a time (at most max_header_size),
 * so its memory does not depend on the message size.  It reports parts
 * and their decoded content through MIME_CALLBACKS; content is decoded
 * (CTE) and, for text parts, converted to UTF-8 only when the callbacks
 * ask for it in part_begin.
 *
 * Part paths: the top-level entity is "1"; the children of a multipart
 * at path P are P.1, P.2, ...; the message inside a message/rfc822 part
 * at P is P.1.
 */
#ifndef RS_MIME_PARSER_H
#define RS_MIME_PARSER_H

#include <stddef.h>
#include <stdint.h>
#include "mime_decode.h"
#include "sconf.h"
#include "strlist.h"

#define MIME_PATH_MAX   704           /* a whole path, never cut: at most
					 * 100 levels (max_depth) of at most
					 * ".100000" (max_parts) */
#define MIME_NAMES_MAX  16            /* names per part; more: limit */
#define MIME_BOUNDARY_MAX 200         /* longer: limit "boundary" */

typedef struct MIME_PART {
    char    path[MIME_PATH_MAX];
    int     depth;                /* 1: top level */
    int     index;                /* part number, 0-based, in order */
    char    type[128];            /* lower-case type/subtype */
    char    charset[64];
    char    disposition[32];      /* lower case, "" if none */
    CTE     cte;
    STRLIST names;                /* decoded names, every source */
    int     is_multipart, is_message, is_text, is_leaf;
    int     in_message;           /* root of an embedded message */
    int     encoded_message;      /* message/rfc822 in base64 or QP: a
				   * leaf whose decoded content is parsed
				   * by a nested parser */
    int     in_encoded;           /* inside such a message: offsets are
				   * not body offsets */
    int     has_type;             /* Content-Type was given */
    int     dual;                 /* message/<unknown>: a text part that
				   * is also parsed as a message (clients
				   * show the text, Python the message) */
    uint64_t start, end;          /* body offsets (start: headers) */
    uint64_t size;                /* decoded bytes (when decoded) */
    uint64_t text_len;            /* UTF-8 bytes given to text() */
    /* Set by part_begin: what the callbacks want of the content. */
    int     want_decode, want_text, want_data;
    void   *user;                 /* for the callbacks */
} MIME_PART;

typedef struct MIME_CALLBACKS {
    /* Every header field of every entity (name as given, value unfolded
     * and raw); p->path etc. are not yet final. */
    void    (*header) (void *ctx, MIME_PART *p, const char *name,
		               const char *value);
    void    (*part_begin) (void *ctx, MIME_PART *p);
    void    (*data) (void *ctx, MIME_PART *p, const char *buf, size_t len);
    void    (*text) (void *ctx, MIME_PART *p, const char *buf, size_t len);
    void    (*part_end) (void *ctx, MIME_PART *p);
    void    (*limit) (void *ctx, const char *what);
    /* Python's reading of the decoded data of a want_data part where it
     * differs from data(): first once with buf NULL ("it equals what
     * data() has had so far"), then its bytes from there on. */
    void    (*data_alt) (void *ctx, MIME_PART *p, const char *buf,
			         size_t len);
} MIME_CALLBACKS;

typedef struct MIME_PARSER MIME_PARSER;

MIME_PARSER *mime_parser_new(const SCONF_LIMITS *lim,
			             const MIME_CALLBACKS *cb, void *ctx);
void    mime_parser_free(MIME_PARSER *mp);

/* Raw message, header and body (scan_data). */
void    mime_feed(MIME_PARSER *mp, const void *buf, size_t len);
/* Top-level header fields given one by one (milter), then body bytes. */
void    mime_header_field(MIME_PARSER *mp, const char *name,
			          const char *value);
void    mime_end_headers(MIME_PARSER *mp);
/* End of input: close every open part. */
void    mime_finish(MIME_PARSER *mp);
/* Stop parsing (a limit was hit or the verdict is final). */
void    mime_stop(MIME_PARSER *mp);

#endif
