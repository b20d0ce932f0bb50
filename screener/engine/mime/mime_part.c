/*
 * mime_part.c - the MIME parser's part life cycle: frames, the decision
 * what a part is once its header ends (header fields are read in
 * mime_fields.c), and the delivery of decoded content (CTE decoder, then
 * charset conversion for text) to the callbacks.
 *
 * Types as Thunderbird shows them: message/rfc822, message/global and
 * message/news are attached messages; any other message type is text to a
 * client and a message to Python's email package, so it is both (a text
 * part whose content also feeds a nested parser); application/pgp is
 * text.  Digests see Python's reading of the decoded data too (the
 * second decoder, data_alt).
 */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mime_header.h"
#include "mime_parser_int.h"
#include "mymalloc.h"

void    mp_copy_str(char *dst, size_t size, const char *src)
{
    size_t  n = strlen(src);

    if (n >= size)
	n = size - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

void    mp_limit_hit(MIME_PARSER *mp, const char *what)
{
    if (!mp->dead) {
	mp->dead = 1;
	mp->cb->limit(mp->ctx, what);
    }
}

FRAME  *mp_top(MIME_PARSER *mp)
{
    return mp->nfr ? &mp->fr[mp->nfr - 1] : NULL;
}

FRAME  *mp_push_frame(MIME_PARSER *mp, const char *path, uint64_t start)
{
    FRAME  *f;

    if (mp->nfr + mp->depth_base >= mp->lim.max_depth) {
	mp_limit_hit(mp, "depth");
	return NULL;
    }
    if (*mp->partsp >= mp->lim.max_parts) {
	mp_limit_hit(mp, "parts");
	return NULL;
    }
    f = &mp->fr[mp->nfr++];
    memset(f, 0, sizeof(*f));
    mp_copy_str(f->part.path, sizeof(f->part.path), path);
    f->part.depth = mp->nfr + mp->depth_base;
    f->part.index = (*mp->partsp)++;
    f->part.in_encoded = mp->encoded;
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
    /* Not zeroed: a frame is cleared when pushed.  Touching no more
     * memory than a message needs keeps the matcher's tables cached. */
    mp->fr = mymalloc((size_t) lim->max_depth * sizeof(FRAME));
    mp->dbuf = mymalloc(DCHUNK + DECODE_SLACK);
    mp->at_line_start = 1;
    mp->first_line = 1;
    mp->conv.cd = (iconv_t) -1;
    mp->partsp = &mp->nparts;
    mp_push_frame(mp, "1", 0);
    return mp;
}

/* A parser for the decoded content of an encoded message part p: same
 * callbacks and limits, depth and part count carried on. */
static MIME_PARSER *sub_parser(MIME_PARSER *mp, const MIME_PART *p)
{
    MIME_PARSER *sub = mycalloc(1, sizeof(*sub));
    char    path[MIME_PATH_MAX + 4];
    FRAME  *root;

    sub->lim = mp->lim;
    sub->cb = mp->cb;
    sub->ctx = mp->ctx;
    sub->fr = mymalloc((size_t) mp->lim.max_depth * sizeof(FRAME));
    sub->dbuf = mymalloc(DCHUNK + DECODE_SLACK);
    sub->at_line_start = 1;
    sub->first_line = 1;
    sub->conv.cd = (iconv_t) -1;
    sub->partsp = mp->partsp;
    sub->depth_base = p->depth;
    sub->encoded = 1;
    sub->in_dual = mp->in_dual || p->dual;
    snprintf(path, sizeof(path), "%s.1", p->path);
    if ((root = mp_push_frame(sub, path, 0)) != NULL)
	root->part.in_message = 1;
    else
	mp->dead = 1;
    return sub;
}

void    mime_parser_free(MIME_PARSER *mp)
{
    int     i;

    if (mp == NULL)
	return;
    mime_parser_free(mp->sub);
    for (i = 0; i < mp->nfr; i++)
	strlist_free(&mp->fr[i].part.names);
    if (mp->conv_open)
	charset_close(&mp->conv, NULL, NULL);
    myfree(mp->fr);
    myfree(mp->dbuf);
    myfree(mp->abuf);
    myfree(mp->hline);
    myfree(mp->field);
    myfree(mp);
}

void    mime_stop(MIME_PARSER *mp)
{
    mp->dead = 1;
}

/* Content delivery. */

static void text_out(void *ctx, const char *buf, size_t len)
{
    MIME_PARSER *mp = ctx;
    FRAME  *f = mp_top(mp);

    f->part.text_len += len;
    mp->cb->text(mp->ctx, &f->part, buf, len);
}

static void deliver(MIME_PARSER *mp, FRAME *f, const unsigned char *d,
		            size_t n)
{
    if (n == 0)
	return;
    f->part.size += n;
    if (mp->sub) {
	mime_feed(mp->sub, (const char *) d, n);
	if (!f->part.dual)
	    return;
    }
    if (f->part.want_data)
	mp->cb->data(mp->ctx, &f->part, (const char *) d, n);
    if (f->part.want_text && mp->conv_open)
	charset_feed(&mp->conv, (const char *) d, n, text_out, mp);
}

/* Python's reading, given to data_alt only once it differs (the main
 * reading's data of this chunk, dbuf[0..dn), is not delivered yet). */
static void alt_out(MIME_PARSER *mp, FRAME *f, size_t an, size_t dn)
{
    if (!mp->alt_forked) {
	if (an == dn && memcmp(mp->abuf, mp->dbuf, dn) == 0)
	    return;
	mp->alt_forked = 1;
	mp->cb->data_alt(mp->ctx, &f->part, NULL, 0);
    }
    if (an)
	mp->cb->data_alt(mp->ctx, &f->part, (const char *) mp->abuf, an);
}

void    mp_emit(MIME_PARSER *mp, const char *buf, size_t len)
{
    FRAME  *f = mp_top(mp);

    if (f == NULL || f->state != F_BODY || mp->dead)
	return;
    if (!f->part.want_decode && !f->part.want_text && !f->part.want_data)
	return;
    /* Nothing to decode: the input itself is the content. */
    if (mp->dec.cte == CTE_IDENTITY) {
	deliver(mp, f, (const unsigned char *) buf, len);
	return;
    }
    while (len > 0) {
	size_t  n = len < DCHUNK ? len : DCHUNK, dn;

	dn = decoder_run(&mp->dec, (const unsigned char *) buf, n, mp->dbuf);
	if (mp->alt_on)
	    alt_out(mp, f, decoder_run(&mp->adec, (const unsigned char *) buf,
				       n, mp->abuf), dn);
	deliver(mp, f, mp->dbuf, dn);
	buf += n;
	len -= n;
    }
}

void    mp_flush_pending_eol(MIME_PARSER *mp)
{
    if (mp->pending_eol)
	mp_emit(mp, mp->pending_eol == 2 ? "\r\n" : "\n",
	     (size_t) mp->pending_eol);
    mp->pending_eol = 0;
}

static int is_message_type(const char *type)
{
    return strcmp(type, "message/rfc822") == 0
	|| strcmp(type, "message/global") == 0
	|| strcmp(type, "message/news") == 0;
}

void    mp_headers_done(MIME_PARSER *mp, FRAME *f, int may_push)
{
    FRAME  *parent = f > mp->fr ? f - 1 : NULL;
    MIME_PART *p = &f->part;

    mp_flush_field(mp, f);
    if (mp->dead)
	return;
    if (!p->has_type || strchr(p->type, '/') == NULL)
	mp_copy_str(p->type, sizeof(p->type), parent && parent->digest ? "message/rfc822" : "text/plain");
    mp->pending_eol = 0;
    /* A boundary we cannot track would hide the parts: refuse, do not
     * scan the whole multipart as one text. */
    if (strncmp(p->type, "multipart/", 10) == 0 && f->bparam == 0
	&& f->long_boundary) {
	mp_limit_hit(mp, "boundary");
	return;
    }
    /* A multipart body cannot be encoded (RFC 2045 6.4); base64 or
     * uuencode hides the delimiters from us but not from a client that
     * decodes anyway. */
    if (strncmp(p->type, "multipart/", 10) == 0
	&& (p->cte == CTE_BASE64 || p->cte == CTE_UUENCODE)) {
	mp_limit_hit(mp, "ambiguous");
	return;
    }
    if (strncmp(p->type, "multipart/", 10) == 0 && f->bparam > 0) {
	p->is_multipart = 1;
	f->blen = f->bparam;
	f->digest = strcmp(p->type, "multipart/digest") == 0;
	f->state = F_PREAMBLE;
	mp->cb->part_begin(mp->ctx, p);
	return;
    }
    if (is_message_type(p->type) && p->cte == CTE_IDENTITY) {
	char    path[MIME_PATH_MAX + 4];
	FRAME  *child;

	p->is_message = 1;
	f->state = F_MESSAGE;
	mp->cb->part_begin(mp->ctx, p);
	if (may_push) {
	    snprintf(path, sizeof(path), "%s.1", p->path);
	    if ((child = mp_push_frame(mp, path, mp->off)) != NULL)
		child->part.in_message = 1;
	}
	return;
    }
    p->is_leaf = 1;
    p->dual = strncmp(p->type, "message/", 8) == 0 && !is_message_type(p->type)
	&& strcmp(p->type, "message/delivery-status") != 0;
    p->is_text = strncmp(p->type, "text/", 5) == 0
	|| strncmp(p->type, "multipart/", 10) == 0
	|| strncmp(p->type, "message/", 8) == 0
	|| strcmp(p->type, "application/pgp") == 0;
    /* An encoded attached message is decoded and parsed all the same:
     * clients show its parts, so rules must see them. */
    p->encoded_message = is_message_type(p->type) || p->dual;
    p->is_message = p->encoded_message;
    if (p->dual && mp->in_dual) {
	/* Its text and its message inside another such part's: the
	 * screening of both readings cannot nest. */
	mp_limit_hit(mp, "ambiguous");
	return;
    }
    f->state = F_BODY;
    mp->cb->part_begin(mp->ctx, p);
    if (p->encoded_message) {
	p->want_decode = 1;
	if (!p->dual)
	    p->want_text = p->want_data = 0;
	if (may_push)
	    mp->sub = sub_parser(mp, p);
	if (mp->dead)
	    return;
    }
    decoder_init(&mp->dec, p->cte);
    mp->alt_on = p->want_data && (p->cte == CTE_BASE64 || p->cte == CTE_QP);
    mp->alt_forked = 0;
    if (mp->alt_on) {
	decoder_init_python(&mp->adec, p->cte);
	if (mp->abuf == NULL)
	    mp->abuf = mymalloc(DCHUNK + DECODE_SLACK);
    }
    if (p->want_text) {
	charset_open(&mp->conv, p->charset);
	mp->conv_open = 1;
    }
}

void    mp_close_top(MIME_PARSER *mp, uint64_t end)
{
    FRAME  *f = mp_top(mp);
    size_t  n;

    if (f->state == F_HEADERS)
	mp_headers_done(mp, f, 0);
    if (f->state == F_BODY && !mp->dead) {
	if (f->part.want_decode || f->part.want_text || f->part.want_data) {
	    n = decoder_finish(&mp->dec, mp->dbuf);
	    if (mp->alt_on)
		alt_out(mp, f, decoder_finish(&mp->adec, mp->abuf), n);
	    deliver(mp, f, mp->dbuf, n);
	}
	mp->alt_on = 0;
	if (mp->conv_open) {
	    charset_close(&mp->conv, text_out, mp);
	    mp->conv_open = 0;
	}
	if (f->part.cte == CTE_UUENCODE) {
	    int     k;

	    for (k = 0; k < mp->dec.uu_nnames; k++)
		mp_add_name(mp, f, mp->dec.uu_name[k]);
	    if (mp->dec.uu_more)
		mp_limit_hit(mp, "names");
	}
	if (mp->sub) {
	    /* The embedded message's parts end before their container. */
	    mime_finish(mp->sub);
	    mime_parser_free(mp->sub);
	    mp->sub = NULL;
	}
    }
    mp_shadow_end(mp, f);
    f->part.end = end;
    if (!mp->dead)
	mp->cb->part_end(mp->ctx, &f->part);
    strlist_free(&f->part.names);
    mp->nfr--;
}

void    mime_header_field(MIME_PARSER *mp, const char *name,
			          const char *value)
{
    char   *v, *nm;
    size_t  n = strlen(value), nl = strlen(name);

    if (mp->dead || mp->root_body)
	return;
    if (n + nl + 2 > mp->lim.max_header_size) {
	mp_limit_hit(mp, "header_size");
	return;
    }
    /* "Content-Type : x" may come with the white space in the name. */
    while (nl > 0 && (name[nl - 1] == ' ' || name[nl - 1] == '\t'))
	nl--;
    nm = mystrndup(name, nl);
    v = mystrdup(value);
    hdr_unfold(v);
    mp_process_field(mp, mp->fr, nm, v);
    myfree(v);
    myfree(nm);
}

void    mime_end_headers(MIME_PARSER *mp)
{
    if (mp->dead || mp->root_body)
	return;
    mp_headers_done(mp, mp->fr, 1);
    mp->root_body = 1;
    mp->off = 0;
    mp->at_line_start = 1;
    mp->first_line = 0;
}
