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
 * A line that is a delimiter for one client reading and not another
 * (padding Thunderbird strips and Python keeps, the boundary as Python's
 * default policy decodes it) is a limit: two trees cannot both be read.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mime_parser_int.h"
#include "mymalloc.h"

/* Delimiters. */

/* After "--boundary": 1 a delimiter (*close for "--"), 0 content, -1
 * a delimiter for Thunderbird only (padded with \v or \f, which it
 * strips and Python does not).  CR is padding for both (Python also
 * ends a line at a lone CR). */
static int delim_rest(const char *rest, size_t rl, int *close)
{
    size_t  i;

    *close = 0;
    if (rl >= 2 && rest[0] == '-' && rest[1] == '-') {
	*close = 1;
	rest += 2;
	rl -= 2;
    }
    for (i = 0; i < rl && (rest[i] == ' ' || rest[i] == '\t'
			   || rest[i] == '\r'); i++)
	 /* void */ ;
    if (i == rl)
	return 1;
    for (; i < rl && (rest[i] == ' ' || rest[i] == '\t' || rest[i] == '\r'
		      || rest[i] == '\v' || rest[i] == '\f'); i++)
	 /* void */ ;
    return i == rl ? -1 : 0;
}

/* A delimiter of another reading of some open boundary (mime_fields.c)
 * that is none of ours: two trees. */
static int shadow_delimiter(MIME_PARSER *mp, const char *l, size_t len)
{
    int     k, i, close;

    for (k = mp->nfr - 1; k >= 0; k--) {
	FRAME  *f = &mp->fr[k];

	if (f->blen == 0 || f->state == F_EPILOGUE)
	    continue;
	for (i = 0; i < f->nshadow; i++)
	    if (len - 2 >= f->slen[i]
		&& memcmp(l + 2, f->shadow[i], f->slen[i]) == 0
		&& delim_rest(l + 2 + f->slen[i], len - 2 - f->slen[i],
			      &close) != 0)
		return 1;
    }
    return 0;
}

static int match_boundary(MIME_PARSER *mp, const char *l, size_t len,
			          int *close)
{
    int     k, r;

    if (len < 3 || l[0] != '-' || l[1] != '-')
	return -1;
    for (k = mp->nfr - 1; k >= 0; k--) {
	FRAME  *f = &mp->fr[k];

	if (f->blen == 0 || f->state == F_EPILOGUE || len - 2 < f->blen
	    || memcmp(l + 2, f->boundary, f->blen) != 0)
	    continue;
	r = delim_rest(l + 2 + f->blen, len - 2 - f->blen, close);
	if (r > 0)
	    return k;
	if (r < 0) {
	    mp_limit_hit(mp, "ambiguous");
	    return -1;
	}
    }
    if (shadow_delimiter(mp, l, len))
	mp_limit_hit(mp, "ambiguous");
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
    FRAME  *f;
    char    path[MIME_PATH_MAX + 16];

    mp->pending_eol = 0;
    mp->at_line_start = 1;
    while (mp->nfr - 1 > k && !mp->dead)
	mp_close_top(mp, end);
    if (mp->dead)
	return;
    f = &mp->fr[k];
    if (close) {
	f->state = F_EPILOGUE;
	return;
    }
    f->state = F_PREAMBLE;
    snprintf(path, sizeof(path), "%s.%d", f->part.path, ++f->nchild);
    (void) mp_push_frame(mp, path, mp->off);
}

/* Header lines. */

static void content_line(MIME_PARSER *mp, const char *l, size_t len,
			         int eol);

static void header_line(MIME_PARSER *mp, const char *l, size_t len, int eol)
{
    FRAME  *f = mp_top(mp);
    int     k, close, first = mp->first_line;

    mp->first_line = 0;
    if (len == 0) {
	if (f == mp->fr && !mp->root_body) {
	    mp->root_body = 1;
	    mp->off = 0;
	}
	mp_headers_done(mp, f, 1);
	return;
    }
    if ((k = match_boundary(mp, l, len, &close)) >= 0) {
	mp_flush_field(mp, f);
	delimiter(mp, k, close);
	return;
    }
    if (l[0] == ' ' || l[0] == '\t') {
	if (mp->have_field)
	    mp_field_append(mp, l, len);
	return;
    }
    /* An mbox "From " line may start any message, attached ones too. */
    if ((first || (f->part.in_message && f->nheaders == 0 && !mp->have_field))
	&& (f == mp->fr || f->part.in_message) && len >= 5
	&& memcmp(l, "From ", 5) == 0)
	return;
    mp_flush_field(mp, f);
    if (mp->dead)
	return;
    if (!mp_valid_field_name(l, len)) {
	/* Not a header field: the body starts here (no blank line). */
	if (f == mp->fr && !mp->root_body) {
	    mp->root_body = 1;
	    mp->off = len + (uint64_t) eol;
	}
	mp_headers_done(mp, f, 1);
	if (mp->dead)
	    return;
	if (f == mp_top(mp) && (f->state == F_BODY || f->state == F_PREAMBLE))
	    f->hdr_shadow = 1;
	if (mp_top(mp)->state == F_HEADERS)
	    header_line(mp, l, len, eol);
	else
	    content_line(mp, l, len, eol);
	return;
    }
    mp->flen = 0;
    mp->have_field = 1;
    mp_field_append(mp, l, len);
}

/* A complete line known not to be a delimiter, its break held back. */
static void content_line(MIME_PARSER *mp, const char *l, size_t len, int eol)
{
    mp_flush_pending_eol(mp);
    mp_emit(mp, l, len);
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
	mp_limit_hit(mp, "header_size");
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
	if ((k = match_boundary(mp, mp->lb, len, &close)) >= 0) {
	    delimiter(mp, k, close);
	} else {
	    content_line(mp, mp->lb, len, eol);
	    mp_shadow_line(mp, mp_top(mp), mp->lb, len);
	}
	return p;
    }
    if (mp->lbn == LB_MAX) {
	/* A delimiter with this much transport padding is legal but has
	 * no honest use; taking it for content would merge the parts it
	 * separates, so refuse. */
	if (match_boundary(mp, mp->lb, mp->lbn, &close) >= 0) {
	    mp_limit_hit(mp, "boundary");
	    return end;
	}
	/* Too long for a delimiter: plain content, the line goes on. */
	mp_shadow_long(mp, mp_top(mp), mp->lb, mp->lbn);
	mp->candidate = 0;
	mp_flush_pending_eol(mp);
	mp->line_len = mp->lbn;
	len = mp->lbn;
	if (mp->lb[len - 1] == '\r') {
	    len--;
	    mp->pending_cr = 1;
	    mp->pending_cr_off = mp->off - 1;
	}
	mp_emit(mp, mp->lb, len);
    }
    return p;
}

static const char *feed_content(MIME_PARSER *mp, const char *p,
				        const char *end)
{
    const char *run = p, *nl, *e;
    int     bounds = have_boundaries(mp), every = mp_top(mp)->hdr_shadow;

    for (;;) {
	nl = memchr(p, '\n', (size_t) (end - p));
	if (nl == NULL) {
	    mp->line_len += (uint64_t) (end - p);
	    if (mp->line_len > mp->lim.max_line_length) {
		mp_limit_hit(mp, "line_length");
		return end;
	    }
	    e = end;
	    if (e[-1] == '\r') {
		e--;
		mp->pending_cr = 1;
		mp->pending_cr_off = mp->off + (uint64_t) (e - run);
	    }
	    mp_emit(mp, run, (size_t) (e - run));
	    mp->off += (uint64_t) (end - run);
	    return end;
	}
	mp->line_len += (uint64_t) (nl - p);
	if (mp->line_len > mp->lim.max_line_length) {
	    mp_limit_hit(mp, "line_length");
	    return end;
	}
	mp->line_len = 0;
	if (nl + 1 < end && (nl[1] != '-' || !bounds) && !every) {
	    p = nl + 1;
	    continue;
	}
	e = nl;
	if (e > run && e[-1] == '\r')
	    e--;
	mp_emit(mp, run, (size_t) (e - run));
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
	FRAME  *f = mp_top(mp);

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
	    mp_emit(mp, "\r", 1);
	}
	if (mp->at_line_start) {
	    mp->at_line_start = 0;
	    mp->line_start_off = mp->off;
	    mp->line_len = 0;
	    if ((*p == '-' && have_boundaries(mp)) || f->hdr_shadow) {
		mp->candidate = 1;
		mp->lbn = 0;
		continue;
	    }
	    mp_flush_pending_eol(mp);
	}
	p = feed_content(mp, p, end);
    }
}

void    mime_finish(MIME_PARSER *mp)
{
    FRAME  *f;

    if (mp->dead)
	return;
    if ((f = mp_top(mp)) != NULL && f->state == F_HEADERS && !mp->at_line_start
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
	if ((k = match_boundary(mp, mp->lb, len, &close)) >= 0) {
	    delimiter(mp, k, close);
	} else {
	    content_line(mp, mp->lb, mp->lbn, 0);
	    mp_shadow_line(mp, mp_top(mp), mp->lb, len);
	}
    }
    if (mp->pending_cr)
	mp_emit(mp, "\r", 1);
    mp->pending_cr = 0;
    mp_flush_pending_eol(mp);
    while (mp->nfr > 0 && !mp->dead)
	mp_close_top(mp, mp->off);
}
