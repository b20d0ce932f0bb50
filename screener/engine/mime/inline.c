/*
 * inline.c - uuencode, yEnc and BinHex 4.0 blocks in text (inline.h).
 *
 * A line machine: text lines are only looked at for a block's first
 * line; inside a block each line is decoded at once, so nothing but the
 * current line is held.  BinHex's stream (6-bit, then run-length coded,
 * then a header and the data fork) is decoded as it comes.
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "files_limits.h"
#include "inline.h"
#include "mymalloc.h"

typedef enum { S_TEXT, S_UU, S_YENC, S_HQX_WAIT, S_HQX } STATE;

/* BinHex's header: name length, name, version, type, creator, flags,
 * data length, resource length, CRC. */
#define HQX_HDR_MAX (1 + 63 + 1 + 4 + 4 + 2 + 4 + 4 + 2)

struct INLINE {
    const INLINE_OUT *out;
    void   *ctx;
    STATE   state;
    char    line[INLINE_LINE_MAX + 1];
    size_t  len;
    int     overlong;
    int     skip;                 /* the rest of this line is text */
    unsigned char obuf[INLINE_LINE_MAX];
    /* BinHex */
    uint32_t bits;
    int     nbits;
    int     rle_mark, have_last;
    unsigned char last;
    unsigned char hdr[HQX_HDR_MAX];
    size_t  nhdr, hdr_need;
    uint32_t data_left;
    int     in_data;
};

static const char hqx_alpha[] =
"!\"#$%&'()*+,-012345689@ABCDEFGHIJKLMNPQRSTUVXYZ[`abcdefhijklmpqr";

INLINE *inline_new(const INLINE_OUT *out, void *ctx)
{
    INLINE *in = mycalloc(1, sizeof(*in));

    in->out = out;
    in->ctx = ctx;
    return in;
}

void    inline_free(INLINE *in)
{
    myfree(in);
}

static void block_end(INLINE *in, int complete)
{
    if (in->state == S_UU || in->state == S_YENC
	|| (in->state == S_HQX && in->in_data))
	in->out->end(in->ctx, complete);
    in->state = S_TEXT;
}

/* uuencode */

static int uu_begin(INLINE *in, const char *l)
{
    const char *p = l + 6;
    int     digits = 0;

    if (strncmp(l, "begin ", 6) != 0)
	return 0;
    for (; *p >= '0' && *p <= '7'; p++)
	digits++;
    if (digits < 3 || digits > 4 || *p != ' ' || p[1] == 0)
	return 0;
    in->state = S_UU;
    in->out->begin(in->ctx, p + 1);
    return 1;
}

#define UU(c) (((unsigned char) (c) - ' ') & 077)

static void uu_line(INLINE *in, const char *l, size_t len)
{
    size_t  n, i, o = 0, need;

    if (len == 3 && memcmp(l, "end", 3) == 0) {
	block_end(in, 1);
	return;
    }
    if (len == 0) {
	block_end(in, 0);
	return;
    }
    n = UU(l[0]);
    need = (n + 2) / 3 * 4;
    if (len - 1 < need) {
	block_end(in, 0);
	return;
    }
    for (i = 1; o < n; i += 4) {
	unsigned char c0 = UU(l[i]), c1 = UU(l[i + 1]), c2 = UU(l[i + 2]),
	        c3 = UU(l[i + 3]);

	in->obuf[o++] = (unsigned char) (c0 << 2 | c1 >> 4);
	if (o < n)
	    in->obuf[o++] = (unsigned char) (c1 << 4 | c2 >> 2);
	if (o < n)
	    in->obuf[o++] = (unsigned char) (c2 << 6 | c3);
    }
    in->out->data(in->ctx, in->obuf, n);
}

/* yEnc */

static int yenc_begin(INLINE *in, const char *l)
{
    const char *name;

    if (strncmp(l, "=ybegin ", 8) != 0 || (name = strstr(l, " name=")) == NULL
	|| name[6] == 0)
	return 0;
    in->state = S_YENC;
    in->out->begin(in->ctx, name + 6);
    return 1;
}

static void yenc_line(INLINE *in, const char *l, size_t len)
{
    size_t  i, o = 0;

    if (strncmp(l, "=yend", 5) == 0) {
	block_end(in, 1);
	return;
    }
    if (strncmp(l, "=ypart ", 7) == 0)
	return;
    for (i = 0; i < len; i++) {
	unsigned char c = (unsigned char) l[i];

	if (c == '=' && i + 1 < len)
	    c = (unsigned char) (l[++i] - 64);
	in->obuf[o++] = (unsigned char) (c - 42);
    }
    in->out->data(in->ctx, in->obuf, o);
}

/* BinHex 4.0 */

static void hqx_byte(INLINE *in, unsigned char b)
{
    if (in->in_data) {
	if (in->data_left > 0) {
	    in->out->data(in->ctx, &b, 1);
	    if (--in->data_left == 0) {
		in->out->end(in->ctx, 1);
		in->in_data = 0;
		in->state = S_HQX_WAIT;	/* rest: CRC, resource fork */
	    }
	}
	return;
    }
    if (in->state != S_HQX || in->nhdr >= HQX_HDR_MAX)
	return;
    in->hdr[in->nhdr++] = b;
    if (in->nhdr == 1)
	in->hdr_need = 1 + (size_t) (b & 63) + 1 + 4 + 4 + 2 + 4 + 4 + 2;
    if (in->nhdr == in->hdr_need) {
	size_t  nl = in->hdr[0] & 63, dl = 1 + nl + 1 + 4 + 4 + 2;
	char    name[64];

	memcpy(name, in->hdr + 1, nl);
	name[nl] = 0;
	in->data_left = (uint32_t) in->hdr[dl] << 24 | (uint32_t) in->hdr[dl + 1]
	    << 16 | (uint32_t) in->hdr[dl + 2] << 8 | in->hdr[dl + 3];
	in->out->begin(in->ctx, name);
	in->in_data = 1;
	if (in->data_left == 0) {
	    in->out->end(in->ctx, 1);
	    in->in_data = 0;
	    in->state = S_HQX_WAIT;
	}
    }
}

/* Run-length decoding: 0x90 n repeats the previous byte n-1 more times,
 * 0x90 0 is a literal 0x90. */
static void hqx_rle(INLINE *in, unsigned char b)
{
    if (in->rle_mark) {
	in->rle_mark = 0;
	if (b == 0) {
	    in->last = 0x90;
	    in->have_last = 1;
	    hqx_byte(in, 0x90);
	    return;
	}
	while (in->have_last && --b > 0 && (in->state == S_HQX))
	    hqx_byte(in, in->last);
	return;
    }
    if (b == 0x90) {
	in->rle_mark = 1;
	return;
    }
    in->last = b;
    in->have_last = 1;
    hqx_byte(in, b);
}

static void hqx_line(INLINE *in, const char *l, size_t len)
{
    size_t  i;
    const char *v;

    for (i = 0; i < len; i++) {
	if (l[i] == ':') {
	    if (in->bits || in->nbits || in->nhdr) {
		block_end(in, 0);
		return;
	    }
	    continue;				/* the opening colon */
	}
	if ((v = strchr(hqx_alpha, l[i])) == NULL || l[i] == 0) {
	    block_end(in, 0);
	    return;
	}
	in->bits = in->bits << 6 | (uint32_t) (v - hqx_alpha);
	in->nbits += 6;
	if (in->nbits >= 8) {
	    in->nbits -= 8;
	    hqx_rle(in, (unsigned char) (in->bits >> in->nbits));
	    in->bits &= (1u << in->nbits) - 1;
	}
	if (in->state != S_HQX)
	    return;
    }
}

static void hqx_start(INLINE *in)
{
    in->state = S_HQX;
    in->bits = 0;
    in->nbits = 0;
    in->rle_mark = in->have_last = 0;
    in->nhdr = 0;
    in->hdr_need = HQX_HDR_MAX;
    in->in_data = 0;
}

static void one_line(INLINE *in, char *l, size_t len)
{
    if (len && l[len - 1] == '\r')
	l[--len] = 0;
    switch (in->state) {
    case S_UU:
	uu_line(in, l, len);
	return;
    case S_YENC:
	yenc_line(in, l, len);
	return;
    case S_HQX:
	hqx_line(in, l, len);
	return;
    case S_HQX_WAIT:
	if (len == 0 && in->nhdr == 0)
	    return;			/* blank lines before the data */
	if (len && l[0] == ':' && !in->in_data && in->nhdr == 0) {
	    hqx_start(in);
	    hqx_line(in, l, len);
	    return;
	}
	in->state = S_TEXT;
	/* FALLTHROUGH */
    case S_TEXT:
	if (uu_begin(in, l) || yenc_begin(in, l))
	    return;
	if (strstr(l, "(This file must be converted with BinHex") != NULL) {
	    in->state = S_HQX_WAIT;
	    in->nhdr = 0;
	}
	return;
    }
}

/* Outside a block only a line's first byte matters: "begin", "=ybegin",
 * "(This file...", or BinHex's ':'.  Other lines are skipped whole. */
static int may_start(const INLINE *in, char c)
{
    return c == 'b' || c == '=' || c == '(' || c == '\r' || c == '\n'
	|| (in->state == S_HQX_WAIT && c == ':');
}

void    inline_feed(INLINE *in, const char *buf, size_t len)
{
    size_t  i;
    const char *nl;

    for (i = 0; i < len; i++) {
	if (in->len == 0 && !in->overlong && !in->skip
	    && (in->state == S_TEXT || in->state == S_HQX_WAIT)
	    && !may_start(in, buf[i])) {
	    in->skip = 1;
	    if (in->state == S_HQX_WAIT && in->nhdr == 0)
		in->state = S_TEXT;		/* not BinHex data after all */
	}
	if (in->skip) {
	    if ((nl = memchr(buf + i, '\n', len - i)) == NULL)
		return;
	    i = (size_t) (nl - buf);
	    in->skip = 0;
	    continue;
	}
	if (buf[i] != '\n') {
	    if (in->len < INLINE_LINE_MAX)
		in->line[in->len++] = buf[i] ? buf[i] : ' ';
	    else
		in->overlong = 1;
	    continue;
	}
	in->line[in->len] = 0;
	if (in->overlong)
	    block_end(in, 0);
	else
	    one_line(in, in->line, in->len);
	in->len = 0;
	in->overlong = 0;
    }
}

void    inline_finish(INLINE *in)
{
    in->skip = 0;
    if (in->len && !in->overlong) {
	in->line[in->len] = 0;
	one_line(in, in->line, in->len);
    }
    in->len = 0;
    in->overlong = 0;
    block_end(in, 0);
}
