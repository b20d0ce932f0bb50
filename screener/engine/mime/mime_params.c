/*
 * mime_params.c - parameter lists of Content-Type, Content-Disposition
 * and similar fields, read the way mail clients read them.
 *
 * The client reading (Thunderbird, Outlook, Python's compat32 policy):
 * no RFC 822 comments inside a parameter list, so "name=invoice(1).exe"
 * is the whole name; parameters split at ';' outside quoted strings; an
 * unquoted value runs to the ';' (inner white space kept, outer
 * trimmed); after a closing quote the rest of the segment is ignored.
 * Two more readings exist for names only (mime_part.c screens every
 * name any reading yields): PARAM_RFC822, comments skipped as RFC 2045
 * and Python's default policy have it, and PARAM_COMMA, where ',' also
 * separates parameters, and PARAM_RAW, Python's compat32 policy: the
 * value is the whole rest of the segment, unquoted only when it starts
 * and ends with '"' (so 'filename="a.txt" .exe' is '"a.txt" .exe').
 * RFC 2231 (charset'lang'%xx, continuations) is
 * decoded in every reading; RFC 2047 is left to the caller, which
 * decodes names but takes a boundary literally.
 *
 * Input is bounded by limits.max_header_size; at most MIME_PARAMS_MAX
 * segments are kept, more is reported (-1) so that the caller can
 * refuse instead of missing a name or the boundary.
 */
#include <config.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "charset.h"
#include "mime_decode.h"
#include "mime_header.h"
#include "mymalloc.h"

#define MAX_PARAMS MIME_PARAMS_MAX

static int is_ws(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Past white space and, in the RFC 822 reading, comments. */
static const char *skip_space(const char *p, int flags)
{
    for (;;) {
	int     depth = 0;

	while (is_ws(*p))
	    p++;
	if (*p != '(' || !(flags & PARAM_RFC822))
	    return p;
	for (; *p; p++) {
	    if (*p == '\\' && p[1]) {
		p++;
	    } else if (*p == '(') {
		depth++;
	    } else if (*p == ')' && --depth == 0) {
		p++;
		break;
	    }
	}
    }
}

/* Past the quoted string at p (which starts with '"'). */
static const char *skip_quoted(const char *p)
{
    for (p++; *p && *p != '"'; p++)
	if (*p == '\\' && p[1])
	    p++;
    return *p ? p + 1 : p;
}

static int is_sep(int c, int flags)
{
    return c == ';' || (c == ',' && (flags & PARAM_COMMA));
}

/* The next separator outside quoted strings (and comments). */
static const char *next_sep(const char *p, int flags)
{
    while (*p) {
	if (is_sep(*p, flags))
	    return p;
	if (*p == '(' && (flags & PARAM_RFC822))
	    p = skip_space(p, flags);
	else if (*p == '"')
	    p = skip_quoted(p);
	else
	    p++;
    }
    return NULL;
}

typedef struct SEG {
    char   *name;                 /* base name, lower case */
    int     index;                /* -1: not a continuation */
    int     ext;                  /* value is charset'lang'%xx */
    char   *value;
} SEG;

static size_t pct_decode(const char *in, char *out)
{
    size_t  o = 0;

    for (; *in; in++) {
	if (*in == '%' && hex_digit(in[1]) >= 0 && hex_digit(in[2]) >= 0) {
	    out[o++] = (char) (hex_digit(in[1]) * 16 + hex_digit(in[2]));
	    in += 2;
	} else
	    out[o++] = *in;
    }
    out[o] = 0;
    return o;
}

/* Joined segments; an extended first segment gives the charset. */
static void emit_joined(const char *name, SEG **segs, size_t n, PARAM_CB cb,
			        void *ctx)
{
    size_t  total = 0, i, raw_len = 0;
    char    charset[64] = "";
    char   *raw, *out;

    for (i = 0; i < n; i++)
	total += strlen(segs[i]->value);
    raw = mymalloc(total + 1);
    for (i = 0; i < n; i++) {
	const char *v = segs[i]->value;

	if (segs[i]->ext) {
	    if (i == 0) {
		const char *q1 = strchr(v, '\''), *q2;

		if (q1 && (q2 = strchr(q1 + 1, '\'')) != NULL) {
		    snprintf(charset, sizeof(charset), "%.*s",
			     (int) (q1 - v), v);
		    v = q2 + 1;
		}
	    }
	    raw_len += pct_decode(v, raw + raw_len);
	} else {
	    memcpy(raw + raw_len, v, strlen(v));
	    raw_len += strlen(v);
	}
    }
    raw[raw_len] = 0;
    if (charset[0]) {
	out = mymalloc(raw_len * 4 + 16);
	out[0] = 0;
	charset_to_utf8(charset, raw, raw_len, out, raw_len * 4 + 16);
	cb(ctx, name, out);
	myfree(out);
    } else {
	cb(ctx, name, raw);
    }
    myfree(raw);
}

static int seg_cmp(const void *a, const void *b)
{
    const SEG *x = *(SEG * const *) a, *y = *(SEG * const *) b;

    return x->index - y->index;
}

/* compat32: the segment to its separator, trimmed, then unquoted if it
 * is quoted at both ends (email.utils.unquote). */
static const char *read_raw(const char *p, int flags, char *val, size_t *vl)
{
    const char *e = next_sep(p, flags), *q;
    size_t  n;

    if (e == NULL)
	e = p + strlen(p);
    while (e > p && is_ws(e[-1]))
	e--;
    n = (size_t) (e - p);
    if (n >= 2 && ((p[0] == '"' && e[-1] == '"') || (p[0] == '<' && e[-1] == '>'))) {
	for (q = p + 1; q < e - 1; q++) {
	    if (q[0] == '\\' && (q[1] == '\\' || q[1] == '"') && q + 1 < e - 1)
		q++;
	    val[(*vl)++] = *q;
	}
    } else {
	memcpy(val, p, n);
	*vl = n;
    }
    return e;
}

/* The value at p (after '=' and white space) into val; returns the end. */
static const char *read_value(const char *p, int flags, char *val,
			              size_t *vl)
{
    const char *v0;

    *vl = 0;
    if (flags & PARAM_RAW)
	return read_raw(p, flags, val, vl);
    if (*p == '"') {
	for (p++; *p && *p != '"'; p++) {
	    if (*p == '\\' && p[1])
		p++;
	    val[(*vl)++] = *p;
	}
	return *p == '"' ? p + 1 : p;
    }
    for (v0 = p; *p && !is_sep(*p, flags)
	 && !(*p == '(' && (flags & PARAM_RFC822)); p++)
	 /* void */ ;
    *vl = (size_t) (p - v0);
    memcpy(val, v0, *vl);
    while (*vl > 0 && is_ws(val[*vl - 1]))
	(*vl)--;
    return p;
}

/* Name decorations: "name*" extended, "name*N" / "name*N*" a segment.
 * Returns 0 for a malformed segment number (the segment is dropped). */
static int parse_star(SEG *s)
{
    char   *star = strchr(s->name, '*'), *end;
    long    idx;

    s->index = -1;
    s->ext = 0;
    if (star == NULL)
	return 1;
    *star = 0;
    if (star[1] == 0) {
	s->ext = 1;
	return 1;
    }
    idx = strtol(star + 1, &end, 10);
    if (end == star + 1 || idx < 0 || idx > 999
	|| (*end && strcmp(end, "*") != 0))
	return 0;
    s->index = (int) idx;
    s->ext = *end == '*';
    return 1;
}

/* Read the segments; returns their number, *more when one was left. */
static size_t read_segments(const char *p, int flags, SEG *segs, int *more)
{
    size_t  nseg = 0;
    char   *c;

    *more = 0;
    while (*p) {
	const char *n0, *n1;
	char   *val;
	size_t  vl;

	if ((p = next_sep(p, flags)) == NULL)
	    break;
	p = skip_space(p + 1, flags);
	n0 = p;
	while (*p && *p != '=' && !is_sep(*p, flags)
	       && !((flags & PARAM_RFC822) && (is_ws(*p) || *p == '(')))
	    p++;
	n1 = p;
	while (n1 > n0 && is_ws(n1[-1]))
	    n1--;
	p = skip_space(p, flags);
	if (*p != '=' || n1 == n0)
	    continue;
	if (nseg == MAX_PARAMS) {
	    /* One too many: it could be the name or the boundary. */
	    *more = 1;
	    break;
	}
	p = skip_space(p + 1, flags);
	val = mymalloc(strlen(p) + 1);
	p = read_value(p, flags, val, &vl);
	val[vl] = 0;
	segs[nseg].name = mystrndup(n0, (size_t) (n1 - n0));
	for (c = segs[nseg].name; *c; c++)
	    *c = (char) tolower((unsigned char) *c);
	segs[nseg].value = val;
	if (!parse_star(&segs[nseg])) {
	    myfree(segs[nseg].name);
	    myfree(val);
	    continue;
	}
	nseg++;
    }
    return nseg;
}

int     mime_parse_params(const char *value, char *tok, size_t toksize,
			          int flags, PARAM_CB cb, void *ctx)
{
    const char *p = skip_space(value, flags);
    SEG     segs[MAX_PARAMS];
    size_t  nseg, i, j, k;
    int     more;

    /* Leading token: up to a separator, white space or a comment. */
    for (k = 0; *p && !is_sep(*p, flags) && !is_ws(*p) && *p != '('
	 && *p != '"'; p++)
	if (k + 1 < toksize)
	    tok[k++] = (char) tolower((unsigned char) *p);
    if (toksize)
	tok[k] = 0;
    nseg = read_segments(p, flags, segs, &more);
    /* Emit in order of first appearance; continuations joined. */
    for (i = 0; i < nseg; i++) {
	SEG    *grp[MAX_PARAMS];
	size_t  ng = 0;

	if (segs[i].name == NULL)
	    continue;
	if (segs[i].index < 0) {
	    grp[0] = &segs[i];
	    emit_joined(segs[i].name, grp, 1, cb, ctx);
	    continue;
	}
	for (j = i; j < nseg; j++)
	    if (segs[j].name && segs[j].index >= 0
		&& strcmp(segs[j].name, segs[i].name) == 0)
		grp[ng++] = &segs[j];
	qsort(grp, ng, sizeof(grp[0]), seg_cmp);
	emit_joined(segs[i].name, grp, ng, cb, ctx);
	for (j = 0; j < ng; j++)
	    if (grp[j] != &segs[i]) {
		myfree(grp[j]->name);
		grp[j]->name = NULL;
	    }
    }
    for (i = 0; i < nseg; i++) {
	myfree(segs[i].name);
	myfree(segs[i].value);
    }
    return more ? -1 : 0;
}
