/*
 * fold.c - streamed NFKC_Casefold, white space and invisible characters
 * (fold.h), with ICU.
 *
 * ICU rather than utf8proc: it is the one library here with both
 * NFKC_Casefold (Unicode's own closure for caseless identifier matching,
 * which also removes every Default_Ignorable code point) and the UTS #39
 * confusable data (confusables.c), so keywords and skeletons follow one
 * Unicode version.  ICU's API is UTF-16; the per-code-point table keeps it
 * out of the hot path (see fold.h).
 */
#include <config.h>

#include <ctype.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#include "cptable.h"
#include "fold.h"
#include "mymalloc.h"

static const UNormalizer2 *nfkc_cf, *nfd;
static const char *init_error;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static int is_space(UChar32 c)
{
    return u_isUWhiteSpace(c) || u_charType(c) == U_SPACE_SEPARATOR;
}

static void load_icu(void)
{
    UErrorCode err = U_ZERO_ERROR;

    nfkc_cf = unorm2_getNFKCCasefoldInstance(&err);
    if (U_SUCCESS(err))
	nfd = unorm2_getNFDInstance(&err);
    if (U_FAILURE(err)) {
	nfkc_cf = nfd = NULL;
	init_error = u_errorName(err);
    }
}

int     fold_init(const char **why)
{
    pthread_once(&init_once, load_icu);
    if (nfkc_cf == NULL && why)
	*why = init_error ? init_error : "ICU NFKC_Casefold unavailable";
    return nfkc_cf ? 0 : -1;
}

size_t  utf8_encode(uint32_t cp, unsigned char *o)
{
    if (cp < 0x80) {
	o[0] = (unsigned char) cp;
	return 1;
    }
    if (cp < 0x800) {
	o[0] = (unsigned char) (0xc0 | cp >> 6);
	o[1] = (unsigned char) (0x80 | (cp & 0x3f));
	return 2;
    }
    if (cp < 0x10000) {
	o[0] = (unsigned char) (0xe0 | cp >> 12);
	o[1] = (unsigned char) (0x80 | ((cp >> 6) & 0x3f));
	o[2] = (unsigned char) (0x80 | (cp & 0x3f));
	return 3;
    }
    o[0] = (unsigned char) (0xf0 | cp >> 18);
    o[1] = (unsigned char) (0x80 | ((cp >> 12) & 0x3f));
    o[2] = (unsigned char) (0x80 | ((cp >> 6) & 0x3f));
    o[3] = (unsigned char) (0x80 | (cp & 0x3f));
    return 4;
}

int     utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
    unsigned b = p[0], need, i;
    uint32_t c, min;

    if (b < 0x80) {
	*cp = b;
	return 1;
    } else if (b >= 0xc2 && b <= 0xdf) {
	need = 2, c = b & 0x1f, min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
	need = 3, c = b & 0x0f, min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
	need = 4, c = b & 0x07, min = 0x10000;
    } else {
	return -1;
    }
    for (i = 1; i < need; i++) {
	if (i >= n)
	    return 0;
	if ((p[i] & 0xc0) != 0x80)
	    return -1;
	c = c << 6 | (p[i] & 0x3f);
	/* overlong, surrogate or too large: known after the second byte */
	if (i == 1 && need > 2 && ((c + 1) << 6 * (need - 2)) - 1 < min)
	    return -1;
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
	return -1;
    *cp = c;
    return (int) need;
}

/* UTF-16 to UTF-8, every white space a space; 0 when it does not fit. */
static size_t u16_out(const UChar *u, int32_t n, unsigned char *o, size_t cap)
{
    size_t  len = 0;
    int32_t i = 0;
    UChar32 c;

    while (i < n) {
	U16_NEXT(u, i, n, c);
	if (is_space(c))
	    c = ' ';
	if (len + 4 > cap)
	    return 0;
	len += utf8_encode((uint32_t) c, o + len);
    }
    return len;
}

static unsigned fold_build(uint32_t cp, unsigned char *out, size_t *outlen)
{
    UChar   src[2], mid[CPT_MAP_MAX], dst[CPT_MAP_MAX];
    unsigned char own[4];
    int32_t n = 0, len;
    UErrorCode err = U_ZERO_ERROR;
    unsigned f = 0;
    size_t  ol;

    if ((cp >= 0xd800 && cp <= 0xdfff) || nfkc_cf == NULL)
	return FE_SAME;
    if (u_hasBinaryProperty((UChar32) cp, UCHAR_DEFAULT_IGNORABLE_CODE_POINT))
	f |= FE_DI;
    if (is_space((UChar32) cp))
	return f | FE_SPACE;
    U16_APPEND_UNSAFE(src, n, cp);
    len = unorm2_normalize(nfkc_cf, src, n, mid, CPT_MAP_MAX, &err);
    if (U_SUCCESS(err))
	len = unorm2_normalize(nfd, mid, len, dst, CPT_MAP_MAX, &err);
    if (U_FAILURE(err))
	return f | FE_SAME;
    if (len == 0)
	return f | FE_DROP;
    ol = u16_out(dst, len, out, CPT_MAP_MAX);
    if (ol == 0 || (ol == utf8_encode(cp, own) && memcmp(own, out, ol) == 0))
	return f | FE_SAME;
    *outlen = ol;
    return f | FE_MAP;
}

static CP_TABLE fold_table = CP_TABLE_INIT(fold_build);

uint32_t fold_entry(uint32_t cp, const unsigned char **map, size_t *maplen)
{
    return cpt_get(&fold_table, cp, map, maplen);
}

/* Output, buffered. */

static void out_flush(FOLD_STREAM *f)
{
    if (f->vis_len) {
	f->sink->visible(f->sink->ctx, f->vis, f->vis_len);
	f->vis_len = 0;
    }
    if (f->fold_len) {
	f->sink->folded(f->sink->ctx, f->fold, f->fold_len);
	f->fold_len = 0;
    }
}

/* Short copies (one code point) byte by byte: no call. */
static inline void copy_small(char *d, const void *src, size_t n)
{
    const unsigned char *p = src;

    if (n > 4) {
	memcpy(d, p, n);
	return;
    }
    while (n--)
	*d++ = (char) *p++;
}

static inline void out_vis(FOLD_STREAM *f, const void *p, size_t n)
{
    if (f->sink->visible == NULL)
	return;
    if (f->vis_len + n > FOLD_OUT)
	out_flush(f);
    copy_small(f->vis + f->vis_len, p, n);
    f->vis_len += n;
}

static inline void out_fold(FOLD_STREAM *f, const void *p, size_t n)
{
    if (f->fold_len + n > FOLD_OUT)
	out_flush(f);
    copy_small(f->fold + f->fold_len, p, n);
    f->fold_len += n;
}

/* A short run goes through the buffers, a long one straight out. */
static void out_both(FOLD_STREAM *f, const unsigned char *p, size_t n)
{
    if (n < 64) {
	out_vis(f, p, n);
	out_fold(f, p, n);
	return;
    }
    out_flush(f);
    if (f->sink->visible)
	f->sink->visible(f->sink->ctx, (const char *) p, n);
    f->sink->folded(f->sink->ctx, (const char *) p, n);
}

/* One code point: visible unless ignorable, folded by the table. */
static void put_cp(FOLD_STREAM *f, const unsigned char *p, size_t n,
		           uint32_t cp)
{
    const unsigned char *map;
    size_t  ml;
    uint32_t e = fold_entry(cp, &map, &ml);

    if (!(e & FE_DI))
	out_vis(f, p, n);
    switch (FE_KIND(e)) {
    case FE_SAME:
	out_fold(f, p, n);
	break;
    case FE_MAP:
	out_fold(f, map, ml);
	break;
    case FE_SPACE:
	out_fold(f, " ", 1);
	break;
    }
}

/* Invalid UTF-8: as it is for regexes; U+FFFD per byte in the folded
 * text, so that stays valid and no two stray bytes from different
 * chunks can read as one character downstream. */
static void raw_byte(FOLD_STREAM *f, const unsigned char *p, size_t n)
{
    out_vis(f, p, n);
    while (n--)
	out_fold(f, "\xef\xbf\xbd", 3);
}

void    fold_begin(FOLD_STREAM *f, const FOLD_SINK *sink)
{
    (void) fold_init(NULL);
    f->sink = sink;
    f->part_len = f->part_need = 0;
    f->vis_len = f->fold_len = 0;
}

static const unsigned char *ascii_end(const unsigned char *p,
				              const unsigned char *end)
{
    uint64_t w;

    while (end - p >= 8) {
	memcpy(&w, p, 8);
	if (w & 0x8080808080808080ULL)
	    break;
	p += 8;
    }
    while (p < end && *p < 0x80)
	p++;
    return p;
}

static void feed_core(FOLD_STREAM *f, const unsigned char *p,
		              const unsigned char *end)
{
    const unsigned char *q;
    uint32_t cp;
    int     r;

    while (p < end) {
	if (*p < 0x80) {
	    q = ascii_end(p, end);
	    out_both(f, p, (size_t) (q - p));
	    p = q;
	    continue;
	}
	r = utf8_decode(p, (size_t) (end - p), &cp);
	if (r == 0) {                         /* continues in the next chunk */
	    f->part_len = (size_t) (end - p);
	    memcpy(f->part, p, f->part_len);
	    f->part_need = *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : 2;
	    return;
	}
	if (r < 0) {
	    raw_byte(f, p, 1);
	    p++;
	    continue;
	}
	put_cp(f, p, (size_t) r, cp);
	p += r;
    }
}

/* Go on with a code point split across chunks; returns the bytes of p
 * used.  Invalid, it reads as it would have whole: its first byte raw,
 * the bytes after it read again. */
static size_t finish_part(FOLD_STREAM *f, const unsigned char *p, size_t n)
{
    unsigned char again[4];
    size_t  used = 0, prev;
    uint32_t cp;
    int     r;

    while (f->part_len < f->part_need && used < n)
	f->part[f->part_len++] = p[used++];
    r = utf8_decode(f->part, f->part_len, &cp);
    if (r == 0)
	return used;                      /* still incomplete */
    if (r > 0) {
	put_cp(f, f->part, (size_t) r, cp);
	f->part_len = f->part_need = 0;
	return used;
    }
    raw_byte(f, f->part, 1);
    prev = f->part_len - used;            /* from earlier chunks */
    memcpy(again, f->part + 1, prev - 1);
    f->part_len = f->part_need = 0;
    feed_core(f, again, again + prev - 1);
    return 0;                             /* p's bytes are read again */
}

void    fold_feed(FOLD_STREAM *f, const char *buf, size_t len)
{
    const unsigned char *p = (const unsigned char *) buf, *end = p + len;

    while (f->part_len && p < end)
	p += finish_part(f, p, (size_t) (end - p));
    feed_core(f, p, end);
    out_flush(f);
}

void    fold_end(FOLD_STREAM *f)
{
    if (f->part_len)
	raw_byte(f, f->part, f->part_len);
    f->part_len = f->part_need = 0;
    out_flush(f);
}

/* fold_string(): collect the folded stream. */

typedef struct GROW {
    char   *buf;
    size_t  len, cap;
} GROW;

static void grow_add(void *ctx, const char *p, size_t n)
{
    GROW   *g = ctx;

    g->buf = mygrow(g->buf, &g->cap, g->len + n + 1, 1);
    memcpy(g->buf + g->len, p, n);
    g->len += n;
}

char   *fold_collapse(const char *s, size_t n)
{
    char   *out = mymalloc(n + 1), *o = out;
    size_t  i;
    int     space = 1;

    for (i = 0; i < n; i++) {
	unsigned char c = (unsigned char) s[i];

	if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f'
	    || c == '\v') {
	    if (!space)
		*o++ = ' ';
	    space = 1;
	} else {
	    *o++ = (char) tolower(c);
	    space = 0;
	}
    }
    if (o > out && o[-1] == ' ')
	o--;
    *o = 0;
    return out;
}

char   *fold_string(const char *s)
{
    FOLD_SINK sink = {NULL, grow_add, NULL};
    FOLD_STREAM *f = mymalloc(sizeof(*f));
    GROW    g = {NULL, 0, 0};
    char   *out;

    sink.ctx = &g;
    fold_begin(f, &sink);
    fold_feed(f, s, strlen(s));
    fold_end(f);
    myfree(f);
    out = fold_collapse(g.buf ? g.buf : "", g.len);
    myfree(g.buf);
    return out;
}
