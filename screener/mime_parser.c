/*
 * mime_parser.c - the streaming MIME state machine.
 *
 * Input is cut into lines only where it matters: a line can be a
 * delimiter only if it starts with "--" inside a multipart, so content
 * runs up to the next "\n-" are passed on in one piece, and only such
 * candidate lines are collected (at most LB_MAX bytes) for comparison
 * with the open boundaries.  The line break before a delimiter belongs
 * to the delimiter (RFC 2046 5.1.1), so every line break is held back
 * until the next line is known not to be one.
 *
 * Delimiters (RFC 2046): "--" boundary, then optional "--" (close), then
 * only transport padding (space, tab); a line that merely starts with
 * the boundary string is content.  The innermost boundary is tried
 * first; an outer boundary also ends every inner part whose close
 * delimiter is missing.  LF-only line ends are accepted everywhere.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "charset.h"
#include "mime_header.h"
#include "mime_parser.h"
#include "mymalloc.h"

#define LB_MAX  1024              /* candidate delimiter line head */
#define DCHUNK  8192              /* decode in pieces of this size */

enum { F_HEADERS, F_BODY, F_PREAMBLE, F_EPILOGUE, F_MESSAGE };

typedef struct FRAME {
    MIME_PART part;
    int     state;
    char    boundary[MIME_BOUNDARY_MAX + 1];
    size_t  blen;                 /* > 0: an active multipart */
    size_t  bparam;               /* boundary parameter length seen */
    int     nchild;
    int     digest;               /* multipart/digest */
    size_t  nheaders;
    int     got_cte, got_disp;
} FRAME;

struct MIME_PARSER {
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

static void copy_str(char *dst, size_t size, const char *src)
{
    size_t  n = strlen(src);

    if (n >= size)
	n = size - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

static void limit_hit(MIME_PARSER *mp, const char *what)
{
    if (!mp->dead) {
	mp->dead = 1;
	mp->cb->limit(mp->ctx, what);
    }
}

static FRAME *top(MIME_PARSER *mp)
{
    return mp->nfr ? &mp->fr[mp->nfr - 1] : NULL;
}

static FRAME *push_frame(MIME_PARSER *mp, const char *path, uint64_t start)
{
    FRAME  *f;

    if (mp->nfr >= mp->lim.max_depth) {
	limit_hit(mp, "depth");
	return NULL;
    }
    if (mp->nparts >= mp->lim.max_parts) {
	limit_hit(mp, "parts");
	return NULL;
    }
    f = &mp->fr[mp->nfr++];
    memset(f, 0, sizeof(*f));
    copy_str(f->part.path, sizeof(f->part.path), path);
    f->part.depth = mp->nfr;
    f->part.index = mp->nparts++;
    f->part.start = start;
    strlist_init(&f->part.names);
    f->state = F_HEADERS;
    return f;
}

MIME_PARSER *mime_parser_new(const SCONF_LIMITS *lim,
			             const MIME_CALLBACKS *cb, void *ctx)
{
    MIME_PARSER *mp = mycalloc(1, sizeof(*mp));

    mp->lim = *lim;
    mp->cb = cb;
    mp->ctx = ctx;
    mp->fr = mycalloc((size_t) lim->max_depth, sizeof(FRAME));
    mp->at_line_start = 1;
    mp->first_line = 1;
    mp->conv.cd = (iconv_t) -1;
    push_frame(mp, "1", 0);
    return mp;
}

void    mime_parser_free(MIME_PARSER *mp)
{
    int     i;

    if (mp == NULL)
	return;
    for (i = 0; i < mp->nfr; i++)
	strlist_free(&mp->fr[i].part.names);
    if (mp->conv_open)
	charset_close(&mp->conv, NULL, NULL);
    myfree(mp->fr);
    myfree(mp->hline);
    myfree(mp->field);
    myfree(mp);
}

void    mime_stop(MIME_PARSER *mp)
{
    mp->dead = 1;
}

uint64_t mime_offset(const MIME_PARSER *mp)
{
    return mp->off;
}

/* Content delivery. */

static void text_out(void *ctx, const char *buf, size_t len)
{
    MIME_PARSER *mp = ctx;
    FRAME  *f = top(mp);

    f->part.text_len += len;
    mp->cb->text(mp->ctx, &f->part, buf, len);
}

static void deliver(MIME_PARSER *mp, FRAME *f, const unsigned char *d,
		            size_t n)
{
    if (n == 0)
	return;
    f->part.size += n;
    if (f->part.want_data)
	mp->cb->data(mp->ctx, &f->part, (const char *) d, n);
    if (f->part.want_text && mp->conv_open)
	charset_feed(&mp->conv, (const char *) d, n, text_out, mp);
}

static void emit(MIME_PARSER *mp, const char *buf, size_t len)
{
    FRAME  *f = top(mp);

    if (f == NULL || f->state != F_BODY || mp->dead)
	return;
    if (!f->part.want_decode && !f->part.want_text && !f->part.want_data)
	return;
    while (len > 0) {
	size_t  n = len < DCHUNK ? len : DCHUNK;

	deliver(mp, f, mp->dbuf, decoder_run(&mp->dec,
				(const unsigned char *) buf, n, mp->dbuf));
	buf += n;
	len -= n;
    }
}

static void flush_pending_eol(MIME_PARSER *mp)
{
    if (mp->pending_eol)
	emit(mp, mp->pending_eol == 2 ? "\r\n" : "\n",
	     (size_t) mp->pending_eol);
    mp->pending_eol = 0;
}

/* Header fields. */

typedef struct PCTX {
    MIME_PARSER *mp;
    FRAME  *f;
} PCTX;

static void add_name(FRAME *f, const char *v)
{
    if (*v && f->part.names.n < MIME_NAMES_MAX)
	strlist_add(&f->part.names, v);
}

static void ctype_param(void *ctx, const char *name, const char *value)
{
    FRAME  *f = ((PCTX *) ctx)->f;

    if (strcmp(name, "name") == 0) {
	add_name(f, value);
    } else if (strcmp(name, "charset") == 0 && !f->part.charset[0]) {
	copy_str(f->part.charset, sizeof(f->part.charset), value);
    } else if (strcmp(name, "boundary") == 0 && f->bparam == 0) {
	size_t  l = strlen(value);

	if (l > 0 && l <= MIME_BOUNDARY_MAX) {
	    memcpy(f->boundary, value, l + 1);
	    f->bparam = l;
	}
    }
}

static void disp_param(void *ctx, const char *name, const char *value)
{
    FRAME  *f = ((PCTX *) ctx)->f;

    if (strcmp(name, "filename") == 0)
	add_name(f, value);
}

static void no_param(void *ctx, const char *name, const char *value)
{
}

static void process_field(MIME_PARSER *mp, FRAME *f, const char *name,
			          const char *value)
{
    PCTX    pc;
    char    tok[128];

    if (++f->nheaders > mp->lim.max_headers) {
	limit_hit(mp, "headers");
	return;
    }
    mp->cb->header(mp->ctx, &f->part, name, value);
    pc.mp = mp;
    pc.f = f;
    if (strcasecmp(name, "Content-Type") == 0) {
	mime_parse_params(value, tok, sizeof(tok), ctype_param, &pc);
	if (!f->part.has_type) {
	    f->part.has_type = 1;
	    copy_str(f->part.type, sizeof(f->part.type), tok);
	}
    } else if (strcasecmp(name, "Content-Disposition") == 0) {
	mime_parse_params(value, tok, sizeof(tok), disp_param, &pc);
	if (!f->got_disp) {
	    f->got_disp = 1;
	    copy_str(f->part.disposition, sizeof(f->part.disposition), tok);
	}
    } else if (strcasecmp(name, "Content-Transfer-Encoding") == 0
	       && !f->got_cte) {
	mime_parse_params(value, tok, sizeof(tok), no_param, NULL);
	f->got_cte = 1;
	f->part.cte = cte_by_name(tok);
    }
}

static void flush_field(MIME_PARSER *mp, FRAME *f)
{
    char   *colon, *v, *e;

    if (!mp->have_field)
	return;
    mp->have_field = 0;
    mp->field[mp->flen] = 0;
    if ((colon = strchr(mp->field, ':')) == NULL)
	return;
    *colon = 0;
    for (e = colon; e > mp->field && (e[-1] == ' ' || e[-1] == '\t');)
	*--e = 0;
    for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
	 /* void */ ;
    hdr_unfold(v);
    for (e = v + strlen(v); e > v && (e[-1] == ' ' || e[-1] == '\t');)
	*--e = 0;
    process_field(mp, f, mp->field, v);
}

static void field_append(MIME_PARSER *mp, const char *s, size_t n)
{
    if (mp->flen + n > mp->lim.max_header_size) {
	limit_hit(mp, "header_size");
	return;
    }
    if (mp->flen + n + 1 > mp->fcap)
	mp->field = mygrow(mp->field, &mp->fcap, mp->flen + n + 1, 1);
    memcpy(mp->field + mp->flen, s, n);
    mp->flen += n;
}

static void headers_done(MIME_PARSER *mp, FRAME *f, int may_push)
{
    FRAME  *parent = f > mp->fr ? f - 1 : NULL;
    MIME_PART *p = &f->part;

    flush_field(mp, f);
    if (mp->dead)
	return;
    if (!p->has_type || strchr(p->type, '/') == NULL)
	copy_str(p->type, sizeof(p->type), parent && parent->digest ? "message/rfc822" : "text/plain");
    mp->pending_eol = 0;
    if (strncmp(p->type, "multipart/", 10) == 0 && f->bparam > 0) {
	p->is_multipart = 1;
	f->blen = f->bparam;
	f->digest = strcmp(p->type, "multipart/digest") == 0;
	f->state = F_PREAMBLE;
	mp->cb->part_begin(mp->ctx, p);
	return;
    }
    if ((strcmp(p->type, "message/rfc822") == 0
	 || strcmp(p->type, "message/global") == 0)
	&& p->cte == CTE_IDENTITY) {
	char    path[MIME_PATH_MAX + 4];
	FRAME  *child;

	p->is_message = 1;
	f->state = F_MESSAGE;
	mp->cb->part_begin(mp->ctx, p);
	if (may_push) {
	    snprintf(path, sizeof(path), "%s.1", p->path);
	    if ((child = push_frame(mp, path, mp->off)) != NULL)
		child->part.in_message = 1;
	}
	return;
    }
    p->is_leaf = 1;
    p->is_text = strncmp(p->type, "text/", 5) == 0
	|| strncmp(p->type, "multipart/", 10) == 0;
    f->state = F_BODY;
    mp->cb->part_begin(mp->ctx, p);
    decoder_init(&mp->dec, p->cte);
    if (p->want_text) {
	charset_open(&mp->conv, p->charset);
	mp->conv_open = 1;
    }
}

static void close_top(MIME_PARSER *mp, uint64_t end)
{
    FRAME  *f = top(mp);
    size_t  n;

    if (f->state == F_HEADERS)
	headers_done(mp, f, 0);
    if (f->state == F_BODY && !mp->dead) {
	if (f->part.want_decode || f->part.want_text || f->part.want_data) {
	    n = decoder_finish(&mp->dec, mp->dbuf);
	    deliver(mp, f, mp->dbuf, n);
	}
	if (mp->conv_open) {
	    charset_close(&mp->conv, text_out, mp);
	    mp->conv_open = 0;
	}
	if (f->part.cte == CTE_UUENCODE && mp->dec.uu_name[0])
	    add_name(f, mp->dec.uu_name);
    }
    f->part.end = end;
    if (!mp->dead)
	mp->cb->part_end(mp->ctx, &f->part);
    strlist_free(&f->part.names);
    mp->nfr--;
}

/* Delimiters. */

static int match_boundary(MIME_PARSER *mp, const char *l, size_t len,
			          int *close)
{
    int     k;

    if (len < 3 || l[0] != '-' || l[1] != '-')
	return -1;
    for (k = mp->nfr - 1; k >= 0; k--) {
	FRAME  *f = &mp->fr[k];
	const char *rest;
	size_t  rl, i;
	int     c = 0;

	if (f->blen == 0 || f->state == F_EPILOGUE || len - 2 < f->blen
	    || memcmp(l + 2, f->boundary, f->blen) != 0)
	    continue;
	rest = l + 2 + f->blen;
	rl = len - 2 - f->blen;
	if (rl >= 2 && rest[0] == '-' && rest[1] == '-') {
	    c = 1;
	    rest += 2;
	    rl -= 2;
	}
	for (i = 0; i < rl && (rest[i] == ' ' || rest[i] == '\t'); i++)
	     /* void */ ;
	if (i == rl) {
	    *close = c;
	    return k;
	}
    }
    return -1;
}

static int have_boundaries(const MIME_PARSER *mp)
{
    int     k;

    for (k = 0; k < mp->nfr; k++)
	if (mp->fr[k].blen && mp->fr[k].state != F_EPILOGUE)
	    return 1;
    return 0;
}

static void delimiter(MIME_PARSER *mp, int k, int close)
{
    uint64_t end = mp->pending_eol ? mp->pending_eol_off : mp->line_start_off;
    FRAME  *f, *child;
    char    path[MIME_PATH_MAX + 16];

    mp->pending_eol = 0;
    mp->at_line_start = 1;
    while (mp->nfr - 1 > k && !mp->dead)
	close_top(mp, end);
    if (mp->dead)
	return;
    f = &mp->fr[k];
    if (close) {
	f->state = F_EPILOGUE;
	return;
    }
    f->state = F_PREAMBLE;
    snprintf(path, sizeof(path), "%s.%d", f->part.path, ++f->nchild);
    child = push_frame(mp, path, mp->off);
    (void) child;
}

/* Header lines. */

static int valid_field_name(const char *l, size_t len)
{
    size_t  i;

    for (i = 0; i < len && l[i] != ':'; i++)
	if (l[i] <= ' ' || l[i] >= 127)
	    return 0;
    return i > 0 && i < len;
}

static void content_line(MIME_PARSER *mp, const char *l, size_t len,
			         int eol);

static void header_line(MIME_PARSER *mp, const char *l, size_t len, int eol)
{
    FRAME  *f = top(mp);
    int     k, close, first = mp->first_line;

    mp->first_line = 0;
    if (len == 0) {
	if (f == mp->fr && !mp->root_body) {
	    mp->root_body = 1;
	    mp->off = 0;
	}
	headers_done(mp, f, 1);
	return;
    }
    if ((k = match_boundary(mp, l, len, &close)) >= 0) {
	flush_field(mp, f);
	delimiter(mp, k, close);
	return;
    }
    if (l[0] == ' ' || l[0] == '\t') {
	if (mp->have_field)
	    field_append(mp, l, len);
	return;
    }
    /* An mbox "From " line may start any message, attached ones too. */
    if ((first || (f->part.in_message && f->nheaders == 0 && !mp->have_field))
	&& (f == mp->fr || f->part.in_message) && len >= 5
	&& memcmp(l, "From ", 5) == 0)
	return;
    flush_field(mp, f);
    if (mp->dead)
	return;
    if (!valid_field_name(l, len)) {
	/* Not a header field: the body starts here (no blank line). */
	if (f == mp->fr && !mp->root_body) {
	    mp->root_body = 1;
	    mp->off = len + (uint64_t) eol;
	}
	headers_done(mp, f, 1);
	if (mp->dead)
	    return;
	if (top(mp)->state == F_HEADERS)
	    header_line(mp, l, len, eol);
	else
	    content_line(mp, l, len, eol);
	return;
    }
    mp->flen = 0;
    mp->have_field = 1;
    field_append(mp, l, len);
}

/* A complete line known not to be a delimiter, its break held back. */
static void content_line(MIME_PARSER *mp, const char *l, size_t len, int eol)
{
    flush_pending_eol(mp);
    emit(mp, l, len);
    mp->pending_eol = eol;
    mp->pending_eol_off = mp->off - (uint64_t) eol;
    mp->at_line_start = 1;
}

static const char *feed_header(MIME_PARSER *mp, const char *p,
			               const char *end)
{
    const char *nl;
    size_t  n, len;
    int     eol;

    if (mp->at_line_start) {
	mp->at_line_start = 0;
	mp->line_start_off = mp->off;
	mp->hlen = 0;
    }
    nl = memchr(p, '\n', (size_t) (end - p));
    n = (size_t) ((nl ? nl : end) - p);
    if (mp->hlen + n > mp->lim.max_header_size + 2) {
	limit_hit(mp, "header_size");
	return end;
    }
    if (mp->hlen + n + 1 > mp->hcap)
	mp->hline = mygrow(mp->hline, &mp->hcap, mp->hlen + n + 1, 1);
    memcpy(mp->hline + mp->hlen, p, n);
    mp->hlen += n;
    mp->off += n;
    if (nl == NULL)
	return end;
    mp->off++;
    mp->at_line_start = 1;
    len = mp->hlen;
    eol = 1;
    if (len > 0 && mp->hline[len - 1] == '\r') {
	len--;
	eol = 2;
    }
    mp->pending_eol = eol;
    mp->pending_eol_off = mp->off - (uint64_t) eol;
    header_line(mp, mp->hline, len, eol);
    return nl + 1;
}

static const char *feed_candidate(MIME_PARSER *mp, const char *p,
				          const char *end)
{
    const char *p0 = p;
    int     k, close, eol;
    size_t  len;

    while (p < end && *p != '\n' && mp->lbn < LB_MAX)
	mp->lb[mp->lbn++] = *p++;
    mp->off += (uint64_t) (p - p0);
    if (p < end && *p == '\n') {
	p++;
	mp->off++;
	mp->candidate = 0;
	len = mp->lbn;
	eol = 1;
	if (len > 0 && mp->lb[len - 1] == '\r') {
	    len--;
	    eol = 2;
	}
	if ((k = match_boundary(mp, mp->lb, len, &close)) >= 0)
	    delimiter(mp, k, close);
	else
	    content_line(mp, mp->lb, len, eol);
	return p;
    }
    if (mp->lbn == LB_MAX) {
	/* Too long for a delimiter: plain content, the line goes on. */
	mp->candidate = 0;
	flush_pending_eol(mp);
	mp->line_len = mp->lbn;
	len = mp->lbn;
	if (mp->lb[len - 1] == '\r') {
	    len--;
	    mp->pending_cr = 1;
	    mp->pending_cr_off = mp->off - 1;
	}
	emit(mp, mp->lb, len);
    }
    return p;
}

static const char *feed_content(MIME_PARSER *mp, const char *p,
				        const char *end)
{
    const char *run = p, *nl, *e;
    int     bounds = have_boundaries(mp);

    for (;;) {
	nl = memchr(p, '\n', (size_t) (end - p));
	if (nl == NULL) {
	    mp->line_len += (uint64_t) (end - p);
	    if (mp->line_len > mp->lim.max_line_length) {
		limit_hit(mp, "line_length");
		return end;
	    }
	    e = end;
	    if (e[-1] == '\r') {
		e--;
		mp->pending_cr = 1;
		mp->pending_cr_off = mp->off + (uint64_t) (e - run);
	    }
	    emit(mp, run, (size_t) (e - run));
	    mp->off += (uint64_t) (end - run);
	    return end;
	}
	mp->line_len += (uint64_t) (nl - p);
	if (mp->line_len > mp->lim.max_line_length) {
	    limit_hit(mp, "line_length");
	    return end;
	}
	mp->line_len = 0;
	if (nl + 1 < end && (nl[1] != '-' || !bounds)) {
	    p = nl + 1;
	    continue;
	}
	e = nl;
	if (e > run && e[-1] == '\r')
	    e--;
	emit(mp, run, (size_t) (e - run));
	mp->pending_eol = (int) (nl - e) + 1;
	mp->pending_eol_off = mp->off + (uint64_t) (e - run);
	mp->off += (uint64_t) (nl + 1 - run);
	mp->at_line_start = 1;
	return nl + 1;
    }
}

void    mime_feed(MIME_PARSER *mp, const void *buf, size_t len)
{
    const char *p = buf, *end = p + len;

    while (p < end && !mp->dead) {
	FRAME  *f = top(mp);

	if (f == NULL)
	    return;
	if (f->state == F_HEADERS) {
	    p = feed_header(mp, p, end);
	    continue;
	}
	if (mp->candidate) {
	    p = feed_candidate(mp, p, end);
	    continue;
	}
	if (mp->pending_cr) {
	    mp->pending_cr = 0;
	    if (*p == '\n') {
		mp->pending_eol = 2;
		mp->pending_eol_off = mp->pending_cr_off;
		mp->off++;
		p++;
		mp->line_len = 0;
		mp->at_line_start = 1;
		continue;
	    }
	    emit(mp, "\r", 1);
	}
	if (mp->at_line_start) {
	    mp->at_line_start = 0;
	    mp->line_start_off = mp->off;
	    mp->line_len = 0;
	    if (*p == '-' && have_boundaries(mp)) {
		mp->candidate = 1;
		mp->lbn = 0;
		continue;
	    }
	    flush_pending_eol(mp);
	}
	p = feed_content(mp, p, end);
    }
}

void    mime_header_field(MIME_PARSER *mp, const char *name,
			          const char *value)
{
    char   *v;
    size_t  n = strlen(value), nl = strlen(name);

    if (mp->dead || mp->root_body)
	return;
    if (n + nl + 2 > mp->lim.max_header_size) {
	limit_hit(mp, "header_size");
	return;
    }
    v = mystrdup(value);
    hdr_unfold(v);
    process_field(mp, mp->fr, name, v);
    myfree(v);
}

void    mime_end_headers(MIME_PARSER *mp)
{
    if (mp->dead || mp->root_body)
	return;
    headers_done(mp, mp->fr, 1);
    mp->root_body = 1;
    mp->off = 0;
    mp->at_line_start = 1;
    mp->first_line = 0;
}

void    mime_finish(MIME_PARSER *mp)
{
    FRAME  *f;

    if (mp->dead)
	return;
    if ((f = top(mp)) != NULL && f->state == F_HEADERS && !mp->at_line_start
	&& mp->hlen > 0) {
	size_t  len = mp->hlen;

	if (mp->hline[len - 1] == '\r')
	    len--;
	mp->at_line_start = 1;
	mp->pending_eol = 0;
	header_line(mp, mp->hline, len, 0);
    } else if (mp->candidate) {
	int     k, close;

	size_t  len = mp->lbn;

	mp->candidate = 0;
	if (len > 0 && mp->lb[len - 1] == '\r')
	    len--;
	if ((k = match_boundary(mp, mp->lb, len, &close)) >= 0)
	    delimiter(mp, k, close);
	else
	    content_line(mp, mp->lb, mp->lbn, 0);
    }
    if (mp->pending_cr)
	emit(mp, "\r", 1);
    mp->pending_cr = 0;
    flush_pending_eol(mp);
    while (mp->nfr > 0 && !mp->dead)
	close_top(mp, mp->off);
}
