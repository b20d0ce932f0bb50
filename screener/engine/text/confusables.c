/*
 * confusables.c - skeletons (UTS #39) of folded text, streamed into an
 * automaton (confusables.h).
 */
#include <config.h>

#include <ctype.h>
#include <string.h>

#include <unicode/uspoof.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#include "acscan.h"
#include "confusables.h"
#include "cptable.h"
#include "fold.h"
#include "mymalloc.h"

#define SK_SAME 0u
#define SK_MAP  1u

static USpoofChecker *spoof;
static const char *init_error;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* ASCII: each byte's skeleton (after lower-casing), at most 4 bytes. */
static AC_MULTI askel[128];

static unsigned skel_build(uint32_t cp, unsigned char *out, size_t *outlen)
{
    UChar   src[2], dst[CPT_MAP_MAX / 4];
    int32_t n = 0, len, i = 0;
    UErrorCode err = U_ZERO_ERROR;
    size_t  ol = 0;
    unsigned char own[4];
    UChar32 c;

    if (cp >= 0xd800 && cp <= 0xdfff)
	return SK_SAME;
    U16_APPEND_UNSAFE(src, n, cp);
    len = uspoof_getSkeleton(spoof, 0, src, n, dst, CPT_MAP_MAX / 4, &err);
    if (U_FAILURE(err))
	return SK_SAME;
    while (i < len) {
	U16_NEXT(dst, i, len, c);
	if (c < 0x80)
	    c = tolower(c);
	if (ol + 4 > CPT_MAP_MAX)
	    return SK_SAME;
	ol += utf8_encode((uint32_t) c, out + ol);
    }
    if (ol == utf8_encode(cp, own) && memcmp(own, out, ol) == 0)
	return SK_SAME;
    *outlen = ol;
    return SK_MAP;
}

static CP_TABLE skel_table = CP_TABLE_INIT(skel_build);

static void load_spoof(void)
{
    UErrorCode err = U_ZERO_ERROR;
    const unsigned char *map;
    size_t  ml;
    unsigned b;

    spoof = uspoof_open(&err);
    if (U_FAILURE(err)) {
	spoof = NULL;
	init_error = u_errorName(err);
	return;
    }
    for (b = 0; b < 128; b++) {
	unsigned lb = (unsigned) tolower((int) b);

	if (cpt_get(&skel_table, lb, &map, &ml) == SK_MAP && ml <= 4) {
	    memcpy(askel[b].s, map, ml);
	    askel[b].n = (unsigned char) ml;
	} else {
	    askel[b].s[0] = (unsigned char) lb;
	    askel[b].n = 1;
	}
    }
}

int     conf_init(const char **why)
{
    pthread_once(&init_once, load_spoof);
    if (spoof == NULL && why)
	*why = init_error ? init_error : "ICU spoof checker unavailable";
    return spoof ? 0 : -1;
}

/* Skeleton of buf into out (room for at least CPT_MAP_MAX); returns the
 * bytes of buf used. */
static size_t skel_chunk(const unsigned char *p, size_t n, unsigned char *out,
			         size_t cap, size_t *olen)
{
    size_t  i = 0, o = 0, ml;
    const unsigned char *map;
    uint32_t cp;
    int     r;

    while (i < n && o + CPT_MAP_MAX <= cap) {
	if (p[i] < 0x80) {
	    memcpy(out + o, askel[p[i]].s, 4);
	    o += askel[p[i++]].n;
	    continue;
	}
	r = utf8_decode(p + i, n - i, &cp);
	if (r <= 0) {
	    out[o++] = p[i++];
	    continue;
	}
	if (cpt_get(&skel_table, cp, &map, &ml) == SK_MAP) {
	    memcpy(out + o, map, ml);
	    o += ml;
	} else {
	    memcpy(out + o, p + i, (size_t) r);
	    o += (size_t) r;
	}
	i += (size_t) r;
    }
    *olen = o;
    return i;
}

void    conf_prepare(AC_AUTOMATON *ac)
{
    unsigned b;

    for (b = 0; b < 256; b++)
	ac->xcls[b] = b < 0x80 && askel[b].n == 1 ? ac->cls[askel[b].s[0]]
	    : AC_XSLOW;
}

/* The skeleton of one code point (or a multi-byte ASCII skeleton, or an
 * invalid byte) stepped through the automaton; returns its length. */
static size_t slow_step(const AC_AUTOMATON *ac, uint32_t *s,
			        const unsigned char *p, size_t n,
			        void (*hit)(void *ctx, uint32_t id), void *ctx)
{
    unsigned char out[CPT_MAP_MAX + 4];
    size_t  olen, used = 1, i;
    uint32_t cp;
    int     r;

    if (p[0] >= 0x80 && (r = utf8_decode(p, n, &cp)) > 0)
	used = (size_t) r;
    (void) skel_chunk(p, used, out, sizeof(out), &olen);
    for (i = 0; i < olen; i++)
	ac_step(ac, s, ac->cls[out[i]], hit, ctx);
    return used;
}

/* AC_SCAN's slow step: one code point (or an invalid byte). */
static size_t conf_slow(const AC_SCAN *sc, uint32_t *s, size_t i, size_t end)
{
    const unsigned char *p = sc->p + i;
    size_t  n = 1;
    uint32_t cp;
    int     r;

    if (p[0] >= 0x80 && (r = utf8_decode(p, end - i, &cp)) > 0)
	n = (size_t) r;
    *sc->at = i + n;
    (void) slow_step(sc->ac, s, p, n, sc->hit, sc->ctx);
    return n;
}

void    conf_feed(const AC_AUTOMATON *ac, AC_STREAM *st, const char *buf,
		          size_t len, void (*hit)(void *ctx, uint32_t id),
		          void *ctx, size_t *at)
{
    AC_SCAN sc = {ac, ac->xcls, (const unsigned char *) buf, conf_slow,
    askel, hit, ctx, at};

    st->state = ac_scan(&sc, st->state, len);
}

static int is_ws(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f'
	|| c == '\v';
}

int     conf_tail_is(const char *word, const char *buf, size_t end,
		             const CONF_RING *ring)
{
    size_t  hlen = ring->total < CONF_RING_SIZE ? ring->total : CONF_RING_SIZE;
    size_t  i = strlen(word), j = hlen + end, base = ring->total - hlen;

#define AT(k) ((unsigned char) ((k) < hlen \
	    ? ring->buf[(base + (k)) & (CONF_RING_SIZE - 1)] : buf[(k) - hlen]))
    while (i > 0) {
	int     wc = (unsigned char) word[i - 1];

	if (j == 0)
	    return 0;
	if (wc == ' ') {
	    if (!is_ws(AT(j - 1)))
		return 0;
	    while (j > 0 && is_ws(AT(j - 1)))
		j--;
	} else {
	    int     tc = AT(j - 1);

	    if ((tc >= 'A' && tc <= 'Z' ? tc + 32 : tc) != wc)
		return 0;
	    j--;
	}
	i--;
    }
#undef AT
    return 1;
}

void    conf_ring_add(CONF_RING *ring, const char *buf, size_t len)
{
    size_t  at, n;

    if (len > CONF_RING_SIZE) {
	ring->total += len - CONF_RING_SIZE;
	buf += len - CONF_RING_SIZE;
	len = CONF_RING_SIZE;
    }
    while (len > 0) {
	at = ring->total & (CONF_RING_SIZE - 1);
	n = CONF_RING_SIZE - at < len ? CONF_RING_SIZE - at : len;
	memcpy(ring->buf + at, buf, n);
	ring->total += n;
	buf += n;
	len -= n;
    }
}

char   *conf_string(const char *folded)
{
    size_t  n = strlen(folded), cap = n * CPT_MAP_MAX + CPT_MAP_MAX + 1;
    unsigned char *tmp = mymalloc(cap);
    size_t  olen;
    char   *out;

    (void) skel_chunk((const unsigned char *) folded, n, tmp, cap, &olen);
    out = fold_collapse((const char *) tmp, olen);
    myfree(tmp);
    return out;
}
