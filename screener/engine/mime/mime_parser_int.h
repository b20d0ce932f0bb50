/*
 * mime_parser_int.h - the MIME parser's private state, shared by
 * mime_parser.c (line machine, delimiters) and mime_part.c (part life
 * cycle, header fields, content delivery).
 */
#ifndef RS_MIME_PARSER_INT_H
#define RS_MIME_PARSER_INT_H

#include "charset.h"
#include "mime_parser.h"

#define LB_MAX  1024              /* candidate delimiter line head */
#define DCHUNK  8192              /* decode in pieces of this size */

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
    DECODER dec;
    CHARSET_CONV conv;
    int     conv_open;
    unsigned char dbuf[DCHUNK + DECODE_SLACK];
};

void    mp_copy_str(char *dst, size_t size, const char *src);
void    mp_limit_hit(MIME_PARSER *mp, const char *what);
FRAME  *mp_top(MIME_PARSER *mp);
FRAME  *mp_push_frame(MIME_PARSER *mp, const char *path, uint64_t start);
void    mp_emit(MIME_PARSER *mp, const char *buf, size_t len);
void    mp_flush_pending_eol(MIME_PARSER *mp);
void    mp_process_field(MIME_PARSER *mp, FRAME *f, const char *name,
			 const char *value);
void    mp_flush_field(MIME_PARSER *mp, FRAME *f);
void    mp_field_append(MIME_PARSER *mp, const char *s, size_t n);
void    mp_headers_done(MIME_PARSER *mp, FRAME *f, int may_push);
void    mp_close_top(MIME_PARSER *mp, uint64_t end);

#endif
