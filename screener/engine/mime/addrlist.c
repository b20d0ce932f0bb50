/*
 * addrlist.c - the addresses of a From, Sender or Reply-To field as a
 * mail client displays them.
 *
 * Clients are lenient where RFC 5322's obsolete syntax is: comments
 * anywhere, white space around '@' and the dots of a domain ("bob@
 * evil.example", "bob@(x)evil(y).example" are bob@evil.example), group
 * syntax ("Team: bob@evil.example;"), routes ("<@relay:bob@x>"), quoted
 * local parts.  And many show the display name alone, so an address
 * written in a display name ("bob@evil.example" <x@good.example>, also
 * RFC 2047-encoded) is as good as the real one to an attacker.  Every
 * address found in any of these places is reported; the field value is
 * bounded by limits.max_header_size.
 */
#include <config.h>

#include <string.h>

#include "mime_header.h"
#include "mymalloc.h"

typedef enum TOKTYPE {
    T_ATOM, T_QUOTED, T_DOT, T_AT, T_LT, T_GT, T_SEP,
} TOKTYPE;

typedef struct TOK {
    TOKTYPE type;
    const char *s;
    size_t  len;
    int     space_before;         /* white space or a comment before it */
} TOK;

typedef void (*ADDR_CB)(void *ctx, const char *addr);

static int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static const char *skip_comment(const char *p)
{
    int     depth = 0;

    for (; *p; p++) {
	if (*p == '\\' && p[1])
	    p++;
	else if (*p == '(')
	    depth++;
	else if (*p == ')' && --depth == 0)
	    return p + 1;
    }
    return p;
}

/* Cut the value into tokens; comments and white space only mark the
 * token after them.  toks has room for strlen(v) + 1 entries. */
static size_t tokenize(const char *p, TOK *toks)
{
    size_t  n = 0;
    int     sp = 0;

    while (*p) {
	TOK    *t = &toks[n];

	if (is_space(*p)) {
	    p++;
	    sp = 1;
	    continue;
	}
	if (*p == '(') {
	    p = skip_comment(p);
	    sp = 1;
	    continue;
	}
	if (*p == ')') {			/* unbalanced: white space */
	    p++;
	    sp = 1;
	    continue;
	}
	t->s = p;
	t->space_before = sp;
	sp = 0;
	if (*p == '"') {
	    for (p++; *p && *p != '"'; p++)
		if (*p == '\\' && p[1])
		    p++;
	    if (*p)
		p++;
	    t->type = T_QUOTED;
	} else if (strchr(".@<>,:;", *p)) {
	    t->type = *p == '.' ? T_DOT : *p == '@' ? T_AT : *p == '<' ? T_LT
		: *p == '>' ? T_GT : T_SEP;
	    p++;
	} else {
	    while (*p && !is_space(*p) && !strchr("()\".@<>,:;", *p))
		p++;
	    t->type = T_ATOM;
	}
	t->len = (size_t) (p - t->s);
	n++;
    }
    return n;
}

static int is_word(const TOK *t)
{
    return t->type == T_ATOM || t->type == T_QUOTED;
}

/* The address around the '@' at toks[at]: the dot-separated words just
 * before it and the dot-separated atoms just after it, white space and
 * comments between them ignored. */
static void address_at(const TOK *toks, size_t n, size_t at, ADDR_CB cb,
		               void *ctx, char *buf)
{
    size_t  lo = at, hi = at + 1, i, o = 0;
    int     need_word = 1;

    while (lo > 0) {
	const TOK *t = &toks[lo - 1];

	if (need_word ? !is_word(t) : t->type != T_DOT)
	    break;
	need_word = !need_word;
	lo--;
	if (!need_word && t->space_before && lo > 0
	    && is_word(&toks[lo - 1]))
	    break;
    }
    if (lo < at && toks[lo].type == T_DOT)
	lo++;
    need_word = 1;
    while (hi < n && (need_word ? toks[hi].type == T_ATOM
		      : toks[hi].type == T_DOT)) {
	need_word = !need_word;
	hi++;
    }
    if (lo == at || hi == at + 1)
	return;
    for (i = lo; i < hi; i++) {
	memcpy(buf + o, toks[i].s, toks[i].len);
	o += toks[i].len;
    }
    buf[o] = 0;
    cb(ctx, buf);
}

static void scan_value(const char *value, ADDR_CB cb, void *ctx, int depth);

/* Addresses written inside a quoted display name count too. */
static void quoted_inside(const TOK *t, ADDR_CB cb, void *ctx, int depth)
{
    char   *in;

    if (depth > 0 || t->len < 2 || memchr(t->s, '@', t->len) == NULL)
	return;
    in = mystrndup(t->s + 1, t->len - 2);
    scan_value(in, cb, ctx, depth + 1);
    myfree(in);
}

static void scan_value(const char *value, ADDR_CB cb, void *ctx, int depth)
{
    size_t  len = strlen(value), n, i;
    TOK    *toks = mymalloc((len + 1) * sizeof(*toks));
    char   *buf = mymalloc(len + 1);

    n = tokenize(value, toks);
    for (i = 0; i < n; i++) {
	if (toks[i].type == T_AT)
	    address_at(toks, n, i, cb, ctx, buf);
	else if (toks[i].type == T_QUOTED)
	    quoted_inside(&toks[i], cb, ctx, depth);
    }
    myfree(buf);
    myfree(toks);
}

void    hdr_addresses(const char *value, ADDR_CB cb, void *ctx)
{
    size_t  len = strlen(value), sz = len * 4 + 16;
    char   *dec;

    scan_value(value, cb, ctx, 0);
    /* Display names in RFC 2047 encoded words, as clients show them. */
    if (strstr(value, "=?") == NULL)
	return;
    dec = mymalloc(sz);
    rfc2047_decode(value, len, dec, sz);
    if (strcmp(dec, value) != 0)
	scan_value(dec, cb, ctx, 0);
    myfree(dec);
}
