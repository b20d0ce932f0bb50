/*
 * charset.c - iconv-based conversion to UTF-8, streaming and one-shot;
 * labels are looked up in the WHATWG table first (charset_labels.c).
 */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "charset.h"

static const char repl[] = "\xef\xbf\xbd";   /* U+FFFD */

int     charset_is_utf8(const char *cs)
{
    const char *name;

    if (cs == NULL || *cs == 0 || strcasecmp(cs, "us-ascii") == 0
	|| strcasecmp(cs, "ascii") == 0 || strcasecmp(cs, "ansi_x3.4-1968") == 0)
	return 1;
    return (name = charset_iconv_name(cs)) != NULL && strcmp(name, "UTF-8") == 0;
}

void    charset_open(CHARSET_CONV *cv, const char *cs)
{
    const char *name;

    cv->ncarry = 0;
    cv->cd = (iconv_t) -1;
    cv->sniff = 0;
    if (charset_is_utf8(cs))
	return;
    /* The labels clients know first, then whatever iconv knows. */
    if ((name = charset_iconv_name(cs)) != NULL) {
	cv->cd = iconv_open("UTF-8", name);
	cv->sniff = strncmp(name, "UTF-16", 6) == 0;
	return;
    }
    cv->cd = iconv_open("UTF-8", cs);
    /* Mislabelled mail is common: some labels iconv lacks are aliases. */
    if (cv->cd == (iconv_t) -1 && strcasecmp(cs, "x-unknown") != 0
	&& strncasecmp(cs, "x-", 2) == 0)
	cv->cd = iconv_open("UTF-8", cs + 2);
}

/* UTF-16 labels: a byte order mark decides the byte order (WHATWG, and
 * Python's utf-16 codec); the first two bytes wait in carry for it. */
static int sniff_bom(CHARSET_CONV *cv, const char **in, size_t *len)
{
    const unsigned char *c = (const unsigned char *) cv->carry;
    const char *order = NULL;

    while (cv->ncarry < 2 && *len > 0) {
	cv->carry[cv->ncarry++] = **in;
	(*in)++;
	(*len)--;
    }
    if (cv->ncarry < 2)
	return 0;
    cv->sniff = 0;
    if (c[0] == 0xfe && c[1] == 0xff)
	order = "UTF-16BE";
    else if (c[0] == 0xff && c[1] == 0xfe)
	order = "UTF-16LE";
    if (order) {
	iconv_close(cv->cd);
	cv->cd = iconv_open("UTF-8", order);
	cv->ncarry = 0;			/* the mark itself is no text */
    }
    return 1;
}

/* Convert as much of in as possible; returns bytes consumed, leaving an
 * incomplete trailing sequence unconsumed. */
static size_t conv_some(CHARSET_CONV *cv, const char *in, size_t len,
			        TEXT_SINK out, void *ctx, int final)
{
    char    obuf[4096];
    char   *ip = (char *) in;
    size_t  il = len;

    while (il > 0) {
	char   *op = obuf;
	size_t  ol = sizeof(obuf);
	size_t  r = iconv(cv->cd, &ip, &il, &op, &ol);

	if (op > obuf)
	    out(ctx, obuf, (size_t) (op - obuf));
	if (r != (size_t) -1)
	    break;
	if (errno == E2BIG)
	    continue;
	if (errno == EINVAL && !final)
	    break;			/* incomplete: carry it */
	/* EILSEQ (or incomplete at the end): replace one byte. */
	out(ctx, repl, 3);
	ip++;
	il--;
	iconv(cv->cd, NULL, NULL, NULL, NULL);
    }
    return (size_t) (ip - in);
}

void    charset_feed(CHARSET_CONV *cv, const char *in, size_t len,
		             TEXT_SINK out, void *ctx)
{
    size_t  used;

    if (cv->cd == (iconv_t) -1) {
	if (len)
	    out(ctx, in, len);
	return;
    }
    if (cv->sniff && !sniff_bom(cv, &in, &len))
	return;
    /* Finish a carried partial sequence with the first new bytes. */
    while (cv->ncarry > 0 && len > 0) {
	size_t  add = sizeof(cv->carry) - cv->ncarry;

	if (add > len)
	    add = len;
	memcpy(cv->carry + cv->ncarry, in, add);
	used = conv_some(cv, cv->carry, cv->ncarry + add, out, ctx, 0);
	if (used >= cv->ncarry) {
	    in += used - cv->ncarry;
	    len -= used - cv->ncarry;
	    cv->ncarry = 0;
	    break;
	}
	/* Still incomplete after all we could add: keep what we have. */
	if (cv->ncarry + add == sizeof(cv->carry)) {
	    out(ctx, repl, 3);
	    memmove(cv->carry, cv->carry + 1, cv->ncarry - 1);
	    cv->ncarry--;
	    continue;
	}
	memmove(cv->carry, cv->carry + used, cv->ncarry + add - used);
	cv->ncarry = cv->ncarry + add - used;
	return;
    }
    used = conv_some(cv, in, len, out, ctx, 0);
    if (used < len) {
	size_t  rest = len - used;

	if (rest > sizeof(cv->carry)) {
	    /* Cannot be a partial character: replace byte by byte. */
	    conv_some(cv, in + used, len - used, out, ctx, 1);
	    return;
	}
	memcpy(cv->carry, in + used, rest);
	cv->ncarry = rest;
    }
}

void    charset_close(CHARSET_CONV *cv, TEXT_SINK out, void *ctx)
{
    if (cv->cd == (iconv_t) -1)
	return;
    if (cv->ncarry && out != NULL)
	conv_some(cv, cv->carry, cv->ncarry, out, ctx, 1);
    cv->ncarry = 0;
    iconv_close(cv->cd);
    cv->cd = (iconv_t) -1;
}

typedef struct APPEND {
    char   *out;
    size_t  size, len;
} APPEND;

static void append(void *ctx, const char *buf, size_t len)
{
    APPEND *a = ctx;

    if (a->len + 1 >= a->size)
	return;
    if (len > a->size - 1 - a->len)
	len = a->size - 1 - a->len;
    memcpy(a->out + a->len, buf, len);
    a->len += len;
    a->out[a->len] = 0;
}

size_t  charset_to_utf8(const char *cs, const char *in, size_t len,
			        char *out, size_t outsize)
{
    CHARSET_CONV cv;
    APPEND  a;
    size_t  start;

    if (outsize == 0)
	return 0;
    a.out = out;
    a.size = outsize;
    a.len = strlen(out);
    if (a.len >= outsize)
	return 0;
    start = a.len;
    charset_open(&cv, cs);
    charset_feed(&cv, in, len, append, &a);
    charset_close(&cv, append, &a);
    return a.len - start;
}
