/*
 * mime_header.c - header unfolding and RFC 2047 encoded words (parameter
 * lists are in mime_params.c, address lists in addrlist.c).
 *
 * Inputs are attacker-controlled and bounded by limits.max_header_size;
 * every buffer here is sized from the input length.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "charset.h"
#include "mime_decode.h"
#include "mime_header.h"
#include "mymalloc.h"

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
