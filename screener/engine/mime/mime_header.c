/*
 * mime_header.c - header unfolding, RFC 2047, RFC 2231, parameters.
 *
 * Inputs are attacker-controlled and bounded by limits.max_header_size;
 * every buffer here is sized from the input length.
 */
#include <config.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "charset.h"
#include "mime_decode.h"
#include "mime_header.h"
#include "mymalloc.h"

#define MAX_PARAMS MIME_PARAMS_MAX

void    hdr_unfold(char *s)
{
    char   *o = s;

    for (; *s; s++)
	if (*s != '\r' && *s != '\n')
	    *o++ = *s;
    *o = 0;
}

static size_t b64_decode_str(const char *in, size_t len, char *out)
{
    static const char alpha[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned acc = 0;
    int     n = 0;
    size_t  o = 0, i;

    for (i = 0; i < len; i++) {
	const char *p;

	if (in[i] == '=')
	    break;
	if (in[i] == 0 || (p = strchr(alpha, in[i])) == NULL)
	    continue;
	acc = (acc << 6) | (unsigned) (p - alpha);
	if (++n == 4) {
	    out[o++] = (char) (acc >> 16);
	    out[o++] = (char) (acc >> 8);
	    out[o++] = (char) acc;
	    n = 0;
	    acc = 0;
	}
    }
    if (n == 2)
	out[o++] = (char) (acc >> 4);
    else if (n == 3) {
	out[o++] = (char) (acc >> 10);
	out[o++] = (char) (acc >> 2);
    }
    return o;
}

static size_t q_decode_str(const char *in, size_t len, char *out)
{
    size_t  o = 0, i;

    for (i = 0; i < len; i++) {
	if (in[i] == '_')
	    out[o++] = ' ';
	else if (in[i] == '=' && i + 2 < len && hex_digit(in[i + 1]) >= 0
		 && hex_digit(in[i + 2]) >= 0) {
	    out[o++] = (char) (hex_digit(in[i + 1]) * 16
			       + hex_digit(in[i + 2]));
	    i += 2;
	} else
	    out[o++] = in[i];
    }
    return o;
}

/* Where the next "?=" is: every encoded word ends at the first one after
 * its text starts, and text starts only move forward, so one search
 * serves all the words before it (linear, not one scan to the end of the
 * field per "=?"). */
typedef struct EW_CLOSE {
    const char *from;             /* searched from here ... */
    const char *at;               /* ... found here, or at end: none */
} EW_CLOSE;

static const char *ew_close(EW_CLOSE *c, const char *text, const char *end)
{
    const char *s;

    if (c->from != NULL && c->from <= text && c->at >= text)
	return c->at;
    for (s = text; s + 1 < end && !(s[0] == '?' && s[1] == '='); s++)
	 /* void */ ;
    c->from = text;
    c->at = s + 1 < end ? s : end;
    return c->at;
}

/* Parse one encoded word at p (which starts with "=?"); on success store
 * charset, decoded bytes and return the length of the word, else 0. */
static size_t parse_ew(const char *p, const char *end, EW_CLOSE *close,
		               char *cs, size_t cssize, char *dec, size_t *declen)
{
    const char *q, *enc, *text, *stop;
    size_t  n;

    q = p + 2;
    for (enc = q; enc < end && *enc != '?'; enc++)
	if (*enc == ' ' || *enc == '\t' || (size_t) (enc - q) > cssize)
	    return 0;				/* no charset: stop early */
    if (enc >= end || enc == q || enc + 2 >= end || enc[2] != '?')
	return 0;
    if ((n = (size_t) (enc - q)) >= cssize)
	return 0;
    memcpy(cs, q, n);
    cs[n] = 0;
    if (strchr(cs, '*'))			/* RFC 2231 language: drop */
	*strchr(cs, '*') = 0;
    text = enc + 3;
    if ((stop = ew_close(close, text, end)) == end)
	return 0;
    if (enc[1] == 'B' || enc[1] == 'b')
	*declen = b64_decode_str(text, (size_t) (stop - text), dec);
    else if (enc[1] == 'Q' || enc[1] == 'q')
	*declen = q_decode_str(text, (size_t) (stop - text), dec);
    else
	return 0;
    return (size_t) (stop + 2 - p);
}

/* Convert the pending decoded bytes and append them at out + *o. */
static void flush_pending(const char *cs, const char *pend, size_t *npend,
			          char *out, size_t outsize, size_t *o)
{
    *o += charset_to_utf8(cs, pend, *npend, out + *o, outsize - *o);
    *npend = 0;
}

size_t  rfc2047_decode(const char *in, size_t len, char *out, size_t outsize)
{
    const char *p = in, *end = in + len;
    char   *pend, *dec;
    char    cs[64], pend_cs[64];
    size_t  npend = 0, o = 0;
    EW_CLOSE close = {NULL, NULL};

    if (outsize == 0)
	return 0;
    pend = mymalloc(len + 1);
    dec = mymalloc(len + 1);
    out[0] = 0;
    pend_cs[0] = 0;
    /* o is the length of out (kept NUL-terminated): appending is O(1). */
    while (p < end) {
	size_t  w, dl = 0;

	if (p[0] == '=' && p + 1 < end && p[1] == '?'
	    && (w = parse_ew(p, end, &close, cs, sizeof(cs), dec, &dl)) > 0) {
	    const char *after = p + w, *q;

	    /* Same charset as the pending bytes: join before converting. */
	    if (npend && strcasecmp(cs, pend_cs) != 0)
		flush_pending(pend_cs, pend, &npend, out, outsize, &o);
	    memcpy(pend + npend, dec, dl);
	    npend += dl;
	    snprintf(pend_cs, sizeof(pend_cs), "%s", cs);
	    /* White space between adjacent encoded words disappears. */
	    for (q = after; q < end && (*q == ' ' || *q == '\t' || *q == '\r'
					|| *q == '\n'); q++)
		 /* void */ ;
	    if (q < end - 1 && q[0] == '=' && q[1] == '?'
		&& parse_ew(q, end, &close, cs, sizeof(cs), dec, &dl) > 0)
		p = q;
	    else
		p = after;
	    continue;
	}
	if (npend)
	    flush_pending(pend_cs, pend, &npend, out, outsize, &o);
	/* Raw text: pass bytes as they are (8-bit headers are UTF-8 more
	 * often than anything else today). */
	if (o + 1 < outsize) {
	    out[o++] = *p;
	    out[o] = 0;
	}
	p++;
    }
    if (npend)
	flush_pending(pend_cs, pend, &npend, out, outsize, &o);
    myfree(pend);
    myfree(dec);
    return o;
}

/* Structured values. */

static const char *skip_cfws(const char *p)
{
    for (;;) {
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
	    p++;
	if (*p != '(')
	    return p;
	{
	    int     depth = 0;

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
}

/* Past the quoted string at p (which starts with '"'). */
static const char *skip_quoted(const char *p)
{
    for (p++; *p && *p != '"'; p++)
	if (*p == '\\' && p[1])
	    p++;
    return *p ? p + 1 : p;
}

/* The next ';' outside comments and quoted strings. */
static const char *next_semicolon(const char *p)
{
    while (*p) {
	if (*p == ';')
	    return p;
	if (*p == '(') {
	    p = skip_cfws(p);
	} else if (*p == '"') {
	    p = skip_quoted(p);
	} else {
	    p++;
	}
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

/* Plain value: decode encoded words found in it (common in names). */
static void emit_plain(const char *name, const char *v, PARAM_CB cb,
		               void *ctx)
{
    size_t  len = strlen(v), sz = len * 4 + 16;
    char   *out;

    if (strstr(v, "=?") == NULL) {
	cb(ctx, name, v);
	return;
    }
    out = mymalloc(sz);
    rfc2047_decode(v, len, out, sz);
    cb(ctx, name, out);
    myfree(out);
}

/* Extended: charset'language'percent-encoded (first segment only). */
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
    out = mymalloc(raw_len * 4 + 16);
    out[0] = 0;
    charset_to_utf8(charset, raw, raw_len, out, raw_len * 4 + 16);
    if (strstr(out, "=?") && !segs[0]->ext)
	emit_plain(name, out, cb, ctx);
    else
	cb(ctx, name, out);
    myfree(out);
    myfree(raw);
}

static int seg_cmp(const void *a, const void *b)
{
    const SEG *x = *(SEG * const *) a, *y = *(SEG * const *) b;

    return x->index - y->index;
}

int     mime_parse_params(const char *value, char *tok, size_t toksize,
			          PARAM_CB cb, void *ctx)
{
    const char *p = skip_cfws(value);
    SEG     segs[MAX_PARAMS];
    size_t  nseg = 0, i, j, k;
    int     more = 0;

    /* Leading token: up to ';', white space or a comment. */
    for (k = 0; *p && *p != ';' && *p != ' ' && *p != '\t' && *p != '('
	 && *p != '"'; p++)
	if (k + 1 < toksize)
	    tok[k++] = (char) tolower((unsigned char) *p);
    if (toksize)
	tok[k] = 0;
    while (*p) {
	const char *n0, *n1, *v0;
	char   *val, *star;
	size_t  vl = 0;

	if ((p = next_semicolon(p)) == NULL)
	    break;
	p = skip_cfws(p + 1);
	n0 = p;
	while (*p && *p != '=' && *p != ';' && *p != ' ' && *p != '\t'
	       && *p != '(')
	    p++;
	n1 = p;
	p = skip_cfws(p);
	if (*p != '=' || n1 == n0)
	    continue;
	if (nseg == MAX_PARAMS) {
	    /* One too many: it could be the name or the boundary. */
	    more = 1;
	    break;
	}
	p = skip_cfws(p + 1);
	val = mymalloc(strlen(p) + 1);
	if (*p == '"') {
	    for (p++; *p && *p != '"'; p++) {
		if (*p == '\\' && p[1])
		    p++;
		val[vl++] = *p;
	    }
	    if (*p == '"')
		p++;
	} else {
	    /* Token; be lenient with unquoted spaces (broken mailers),
	     * stop at ';' and drop a trailing comment / white space. */
	    for (v0 = p; *p && *p != ';' && *p != '('; p++)
		 /* void */ ;
	    vl = (size_t) (p - v0);
	    memcpy(val, v0, vl);
	    while (vl > 0 && (val[vl - 1] == ' ' || val[vl - 1] == '\t'))
		vl--;
	}
	val[vl] = 0;
	segs[nseg].name = mystrndup(n0, (size_t) (n1 - n0));
	for (star = segs[nseg].name; *star; star++)
	    *star = (char) tolower((unsigned char) *star);
	segs[nseg].index = -1;
	segs[nseg].ext = 0;
	segs[nseg].value = val;
	if ((star = strchr(segs[nseg].name, '*')) != NULL) {
	    char   *end;

	    *star = 0;
	    if (star[1] == 0) {
		segs[nseg].ext = 1;
	    } else {
		long    idx = strtol(star + 1, &end, 10);

		if (end == star + 1 || idx < 0 || idx > 999
		    || (*end && strcmp(end, "*") != 0)) {
		    myfree(segs[nseg].name);
		    myfree(val);
		    continue;
		}
		segs[nseg].index = (int) idx;
		segs[nseg].ext = *end == '*';
	    }
	}
	nseg++;
    }
    /* Emit in order of first appearance; continuations joined. */
    for (i = 0; i < nseg; i++) {
	SEG    *grp[MAX_PARAMS];
	size_t  ng = 0;

	if (segs[i].name == NULL)
	    continue;
	if (segs[i].index < 0) {
	    if (segs[i].ext) {
		grp[0] = &segs[i];
		emit_joined(segs[i].name, grp, 1, cb, ctx);
	    } else {
		emit_plain(segs[i].name, segs[i].value, cb, ctx);
	    }
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

/* Addresses: drop comments and quoted display names, then take <...>
 * or the bare word with an '@' of each comma-separated member. */
void    hdr_addresses(const char *value, void (*cb)(void *, const char *),
		              void *ctx)
{
    size_t  len = strlen(value);
    char   *buf = mymalloc(len + 1), *o = buf, *m, *next;
    const char *p;

    for (p = value; *p;) {
	if (*p == '(') {
	    p = skip_cfws(p);
	    *o++ = ' ';
	} else if (*p == '"') {
	    p = skip_quoted(p);
	    *o++ = ' ';
	} else {
	    *o++ = *p++;
	}
    }
    *o = 0;
    for (m = buf; m; m = next) {
	char   *lt, *gt, *s, *e;

	if ((next = strchr(m, ',')) != NULL)
	    *next++ = 0;
	if ((lt = strchr(m, '<')) != NULL && (gt = strchr(lt, '>')) != NULL) {
	    *gt = 0;
	    s = lt + 1;
	} else {
	    s = m;
	}
	while (*s == ' ' || *s == '\t')
	    s++;
	for (e = s + strlen(s); e > s && (e[-1] == ' ' || e[-1] == '\t');)
	    *--e = 0;
	if ((e = strrchr(s, ' ')) != NULL && strchr(e, '@'))
	    s = e + 1;			/* "Name a@b" */
	if (strchr(s, '@'))
	    cb(ctx, s);
    }
    myfree(buf);
}
