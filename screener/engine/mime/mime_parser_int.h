/*
 * mime_parser_int.h - the MIME parser's private state, shared by
 * mime_parser.c (line machine, delimiters), mime_part.c (part life
 * cycle, content delivery) and mime_fields.c (header fields).
 */
#ifndef RS_MIME_PARSER_INT_H
#define RS_MIME_PARSER_INT_H

#include "charset.h"
#include "mime_parser.h"

#define LB_MAX  1024              /* candidate delimiter line head */
#define DCHUNK  8192              /* decode in pieces of this size */
#define MIME_SHADOWS 3            /* boundaries of other readings */

enum { F_HEADERS, F_BODY, F_PREAMBLE, F_EPILOGUE, F_MESSAGE };

typedef struct FRAME {
    MIME_PART part;
    int     state;
    char    boundary[MIME_BOUNDARY_MAX + 1];
    size_t  blen;                 /* > 0: an active multipart */
    size_t  bparam;               /* boundary parameter length seen */
    int     long_boundary;        /* longer than MIME_BOUNDARY_MAX */
    int     nchild;
    int     digest;               /* multipart/digest */
    size_t  nheaders;
    int     got_cte, got_disp;
    int     conflict;             /* two types, boundaries or encodings */
    /* The boundary as other readings have it (RFC 822 comments, RFC
     * 2047): a line that is a delimiter only for one of them makes two
     * MIME trees, which is a limit ("ambiguous"). */
    char    shadow[MIME_SHADOWS][MIME_BOUNDARY_MAX + 1];
    size_t  slen[MIME_SHADOWS];
    int     nshadow;
    /* A header line without a colon ended this part's header for us and
     * Python; Thunderbird reads on to the blank line, so the fields it
     * still finds there are read as well (mime_fields.c). */
    int     hdr_shadow;
    size_t  shadow_lines, shadow_bytes;
} FRAME;

struct MIME_PARSER {
    MIME_PARSER *sub;             /* parser of an encoded message part */
    int     depth_base;           /* depth of the part a sub parses */
    int     encoded;              /* this is such a sub-parser */
    int    *partsp;               /* part count shared with the parent */
    SCONF_LIMITS lim;
    const MIME_CALLBACKS *cb;
    void   *ctx;
    FRAME  *fr;
    int     nfr, nparts;
    int     dead;
    int     root_body;            /* top-level header done */
    int     first_line;
    uint64_t off;
    int     at_line_start;
    uint64_t line_len, line_start_off;
    int     candidate;
    char    lb[LB_MAX];
    size_t  lbn;
    int     pending_cr;
    uint64_t pending_cr_off;
    int     pending_eol;          /* 0, 1 "\n", 2 "\r\n" */
    uint64_t pending_eol_off;
    char   *hline;
    size_t  hlen, hcap;
    char   *field;
    size_t  flen, fcap;
    int     have_field;
    int     shadow_field;         /* field holds a hdr_shadow field */
    int     in_dual;              /* inside a part read both as text and
				   * as a message */
    DECODER dec;
    DECODER adec;                 /* Python's reading, for digests */
    int     alt_on, alt_forked;
    unsigned char *abuf;          /* DCHUNK + DECODE_SLACK, on first use */
    CHARSET_CONV conv;
    int     conv_open;
    unsigned char *dbuf;          /* DCHUNK + DECODE_SLACK */
};

void    mp_copy_str(char *dst, size_t size, const char *src);
void    mp_limit_hit(MIME_PARSER *mp, const char *what);
FRAME  *mp_top(MIME_PARSER *mp);
FRAME  *mp_push_frame(MIME_PARSER *mp, const char *path, uint64_t start);
void    mp_emit(MIME_PARSER *mp, const char *buf, size_t len);
void    mp_flush_pending_eol(MIME_PARSER *mp);
void    mp_add_name(MIME_PARSER *mp, FRAME *f, const char *v);
void    mp_process_field(MIME_PARSER *mp, FRAME *f, const char *name,
			 const char *value);
void    mp_flush_field(MIME_PARSER *mp, FRAME *f);
void    mp_field_append(MIME_PARSER *mp, const char *s, size_t n);
void    mp_headers_done(MIME_PARSER *mp, FRAME *f, int may_push);
/* A complete body line of a part in hdr_shadow mode; a line too long
 * to see whole; the end of the part. */
void    mp_shadow_line(MIME_PARSER *mp, FRAME *f, const char *l, size_t len);
void    mp_shadow_long(MIME_PARSER *mp, FRAME *f, const char *l, size_t len);
void    mp_shadow_end(MIME_PARSER *mp, FRAME *f);
int     mp_valid_field_name(const char *l, size_t len);
void    mp_close_top(MIME_PARSER *mp, uint64_t end);

#endif
