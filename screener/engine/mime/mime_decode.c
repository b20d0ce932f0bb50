/*
 * mime_decode.c - base64, quoted-printable and x-uuencode decoders.
 *
 * Base64 is table driven with a four-characters-at-a-time fast path;
 * characters outside the alphabet (line breaks, junk) are skipped, as
 * every mail client does, and a pad ends a quantum, not the data.  QP
 * follows RFC 2045 6.7 leniently: a bad escape is kept literally, white
 * space at the end of a line is deleted (what a client saves).  Python's
 * email package reads both differently (see DECODER.python): the
 * engine screens that reading too, with a second decoder.
 * uuencode decodes the lines between each "begin" and "end" and
 * remembers the file names of the begin lines.
 */
#include <config.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mime_decode.h"

#define B64_BAD 0x80
#define B64_PAD 0x81

static const unsigned char b64[256] = {
#define X B64_BAD
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, 62, X, X, X, 63,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, X, X, X, B64_PAD, X, X,
    X, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, X, X, X, X, X,
    X, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
#undef X
};

CTE     cte_by_name(const char *name)
{
    if (name == NULL)
	return CTE_IDENTITY;
    if (strcasecmp(name, "base64") == 0)
	return CTE_BASE64;
    if (strcasecmp(name, "quoted-printable") == 0)
	return CTE_QP;
    if (strcasecmp(name, "x-uuencode") == 0 || strcasecmp(name, "uuencode")
	== 0 || strcasecmp(name, "x-uue") == 0)
	return CTE_UUENCODE;
    return CTE_IDENTITY;
}

void    decoder_init(DECODER *d, CTE cte)
{
    memset(d, 0, sizeof(*d));
    d->cte = cte;
}

void    decoder_init_python(DECODER *d, CTE cte)
{
    decoder_init(d, cte);
    d->python = 1;
}

/* A pad in Python's reading: the data ends once a pad completes the
 * quantum (binascii.a2b_base64); an early pad is skipped. */
static int b64_python_pad(DECODER *d, int n)
{
    return n >= 2 && n + ++d->pads >= 4;
}

static size_t b64_run(DECODER *d, const unsigned char *p, size_t len,
		              unsigned char *out)
{
    const unsigned char *end = p + len;
    unsigned char *o = out;
    uint32_t acc = d->acc;
    int     n = d->nbits;

    if (d->stopped)
	return 0;
    while (p < end) {
	unsigned v;

	/* Fast path: four alphabet characters on a quantum boundary. */
	if (n == 0) {
	    while (end - p >= 4) {
		unsigned a = b64[p[0]], b = b64[p[1]], c = b64[p[2]],
		        e = b64[p[3]];

		if ((a | b | c | e) & 0x80)
		    break;
		acc = (a << 18) | (b << 12) | (c << 6) | e;
		o[0] = (unsigned char) (acc >> 16);
		o[1] = (unsigned char) (acc >> 8);
		o[2] = (unsigned char) acc;
		o += 3;
		p += 4;
	    }
	    acc = 0;
	    if (p >= end)
		break;
	}
	v = b64[*p++];
	if (v == B64_BAD)
	    continue;
	if (v == B64_PAD && d->python) {
	    if (!b64_python_pad(d, n))
		continue;
	    if (n == 2) {
		*o++ = (unsigned char) (acc >> 4);
	    } else {
		*o++ = (unsigned char) (acc >> 10);
		*o++ = (unsigned char) (acc >> 2);
	    }
	    n = 0;
	    acc = 0;
	    d->stopped = 1;
	    break;
	}
	if (v == B64_PAD) {
	    /* End of a quantum: flush it and go on.  What follows a pad is
	     * decoded too (concatenated encodings; clients that decode it
	     * would otherwise show content no rule has seen). */
	    if (n == 2) {
		*o++ = (unsigned char) (acc >> 4);
	    } else if (n == 3) {
		*o++ = (unsigned char) (acc >> 10);
		*o++ = (unsigned char) (acc >> 2);
	    }
	    n = 0;
	    acc = 0;
	    continue;
	}
	d->pads = 0;
	acc = (acc << 6) | v;
	if (++n == 4) {
	    *o++ = (unsigned char) (acc >> 16);
	    *o++ = (unsigned char) (acc >> 8);
	    *o++ = (unsigned char) acc;
	    n = 0;
	    acc = 0;
	}
    }
    d->acc = acc;
    d->nbits = n;
    return (size_t) (o - out);
}

int     hex_digit(int c)
{
    if (c >= '0' && c <= '9')
	return c - '0';
    if (c >= 'A' && c <= 'F')
	return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
	return c - 'a' + 10;
    return -1;
}

/* White space before the end of a line (and before its CR) goes, down
 * to keep: what was decoded from escapes or precedes a '=' stays. */
static unsigned char *qp_trim(unsigned char *keep, unsigned char *o)
{
    unsigned char *q = o;
    int     cr = 0;

    if (q > keep && q[-1] == '\r') {
	q--;
	cr = 1;
    }
    while (q > keep && (q[-1] == ' ' || q[-1] == '\t'))
	q--;
    if (cr)
	*q++ = '\r';
    return q;
}

/* At a chunk end, hold back what may yet be trailing white space. */
static unsigned char *qp_hold(DECODER *d, unsigned char *keep,
			              unsigned char *o)
{
    unsigned char *q = o;

    if (q > keep && q[-1] == '\r')
	q--;
    while (q > keep && (q[-1] == ' ' || q[-1] == '\t')
	   && (size_t) (o - q) < QP_HOLD_MAX)
	q--;
    d->qp_nhold = (size_t) (o - q);
    memcpy(d->qp_hold, q, d->qp_nhold);
    return q;
}

/* After "=": returns the new output end. */
static unsigned char *qp_escape(DECODER *d, unsigned char c,
				        const unsigned char **pp,
				        unsigned char *o)
{
    switch (d->qp) {
    case 1:					/* after '=' */
	if (c == '\n') {
	    d->qp = 0;				/* soft line break */
	} else if (c == '\r') {
	    d->qp = 3;
	} else if ((c == ' ' || c == '\t') && !d->python) {
	    d->qp = 4;				/* "=   \n": padded soft break */
	} else if (hex_digit(c) >= 0) {
	    d->qp_first = c;
	    d->qp = 2;
	} else {
	    *o++ = '=';
	    d->qp = 0;
	    if (c != '=' || !d->python)
		(*pp)--;			/* c is plain text */
	}
	break;
    case 2:					/* after "=X" */
	if (hex_digit(c) >= 0) {
	    *o++ = (unsigned char) (hex_digit(d->qp_first) * 16
				    + hex_digit(c));
	    d->qp = 0;
	} else {
	    *o++ = '=';
	    *o++ = d->qp_first;
	    d->qp = 0;
	    (*pp)--;
	}
	break;
    case 3:					/* after "=\r" */
	d->qp = 0;
	if (c != '\n')
	    (*pp)--;				/* lone CR: a break all the same */
	break;
    case 4:					/* "= " ... */
	if (c == '\n')
	    d->qp = 0;
	else if (c != ' ' && c != '\t' && c != '\r') {
	    /* Not a soft break after all; the spaces are lost, which
	     * only matters to white-space-normalised matching. */
	    *o++ = '=';
	    *o++ = ' ';
	    d->qp = 0;
	    (*pp)--;
	}
	break;
    }
    return o;
}

static size_t qp_run(DECODER *d, const unsigned char *p, size_t len,
		             unsigned char *out)
{
    const unsigned char *end = p + len;
    unsigned char *o = out, *keep = out;

    memcpy(o, d->qp_hold, d->qp_nhold);
    o += d->qp_nhold;
    d->qp_nhold = 0;
    while (p < end) {
	if (d->qp == 0) {
	    /* Plain text up to the next '=' or line end, in one copy. */
	    const unsigned char *stop = memchr(p, '\n', (size_t) (end - p)),
	           *eq;
	    size_t  n;

	    if (stop == NULL)
		stop = end;
	    if ((eq = memchr(p, '=', (size_t) (stop - p))) != NULL)
		stop = eq;
	    n = (size_t) (stop - p);
	    memcpy(o, p, n);
	    o += n;
	    p = stop;
	    if (p == end)
		break;
	    if (*p++ == '\n') {
		if (!d->python)
		    o = qp_trim(keep, o);
		*o++ = '\n';
	    } else {
		d->qp = 1;
	    }
	    keep = o;
	    continue;
	}
	o = qp_escape(d, *p++, &p, o);
	keep = o;
    }
    if (!d->python && d->qp == 0)
	o = qp_hold(d, keep, o);
    return (size_t) (o - out);
}

#define UUDEC(c) ((unsigned) ((c) - ' ') & 0x3f)

static size_t uu_line(DECODER *d, unsigned char *out)
{
    char   *l = d->uu_line;
    size_t  len = d->uu_len, n, i, got = 0;
    unsigned char *o = out;

    while (len > 0 && (l[len - 1] == '\r' || l[len - 1] == ' '))
	len--;
    l[len] = 0;
    if (d->uu_state != 1) {
	/* Another file may follow an "end": its name counts as well. */
	if (strncmp(l, "begin ", 6) == 0) {
	    char   *name = strchr(l + 6, ' ');

	    if (name && name[1] && d->uu_nnames == UU_NAMES_MAX)
		d->uu_more = 1;
	    else if (name && name[1])
		snprintf(d->uu_name[d->uu_nnames++], sizeof(d->uu_name[0]),
			 "%s", name + 1);
	    d->uu_state = 1;
	}
	return 0;
    }
    if (strcmp(l, "end") == 0) {
	d->uu_state = 2;
	return 0;
    }
    if (len == 0)
	return 0;
    n = UUDEC(l[0]);
    for (i = 1; i + 3 < len + 4 && got < n; i += 4) {
	unsigned a = UUDEC(i < len ? l[i] : ' '), b =
	UUDEC(i + 1 < len ? l[i + 1] : ' '), c =
	UUDEC(i + 2 < len ? l[i + 2] : ' '), e =
	UUDEC(i + 3 < len ? l[i + 3] : ' ');
	unsigned char t[3];
	size_t  k;

	if (i >= len)
	    break;
	t[0] = (unsigned char) ((a << 2) | (b >> 4));
	t[1] = (unsigned char) ((b << 4) | (c >> 2));
	t[2] = (unsigned char) ((c << 6) | e);
	for (k = 0; k < 3 && got < n; k++, got++)
	    *o++ = t[k];
    }
    return (size_t) (o - out);
}

static size_t uu_run(DECODER *d, const unsigned char *p, size_t len,
		             unsigned char *out)
{
    size_t  w = 0;

    /* A line may have been collected over earlier calls: its output
     * (at most 3/4 of UU_LINE_MAX) is what DECODE_SLACK is for. */
    while (len > 0) {
	unsigned char c = *p++;

	len--;
	if (c == '\n') {
	    w += uu_line(d, out + w);
	    d->uu_len = 0;
	} else if (d->uu_len < UU_LINE_MAX - 1) {
	    d->uu_line[d->uu_len++] = (char) c;
	}
    }
    return w;
}

size_t  decoder_run(DECODER *d, const unsigned char *in, size_t len,
		            unsigned char *out)
{
    switch (d->cte) {
    case CTE_BASE64:
	return b64_run(d, in, len, out);
    case CTE_QP:
	return qp_run(d, in, len, out);
    case CTE_UUENCODE:
	return uu_run(d, in, len, out);
    default:
	memcpy(out, in, len);
	return len;
    }
}

size_t  decoder_finish(DECODER *d, unsigned char *out)
{
    size_t  n = 0;

    switch (d->cte) {
    case CTE_BASE64:
	/* Unpadded tail: decode what is there. */
	if (d->nbits == 2) {
	    out[n++] = (unsigned char) (d->acc >> 4);
	} else if (d->nbits == 3) {
	    out[n++] = (unsigned char) (d->acc >> 10);
	    out[n++] = (unsigned char) (d->acc >> 2);
	}
	d->nbits = 0;
	break;
    case CTE_QP:
	/* The last line's trailing white space goes too. */
	memcpy(out, d->qp_hold, d->qp_nhold);
	n = (size_t) (qp_trim(out, out + d->qp_nhold) - out);
	d->qp_nhold = 0;
	/* A '=' at the very end is a soft line break with nothing after
	 * it (RFC 2045; Python and clients drop it). */
	if (d->qp == 2) {
	    out[n++] = '=';
	    out[n++] = d->qp_first;
	}
	d->qp = 0;
	break;
    case CTE_UUENCODE:
	if (d->uu_len > 0) {
	    n = uu_line(d, out);
	    d->uu_len = 0;
	}
	break;
    default:
	break;
    }
    return n;
}
