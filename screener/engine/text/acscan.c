/*
 * acscan.c - running the keyword automaton (textmatch.h) over a chunk of
 * text: one stream for short chunks, two interleaved ones for long ones.
 *
 * A step is one dependent load (the column, delta + class, is found
 * apart from the state), so one stream runs at the load latency.  A long
 * chunk runs as two streams the CPU overlaps: the first half from the
 * carried state, the second half speculatively from the root, keeping
 * its states for its first AC_SYNC bytes and holding back up to AC_HELD
 * hits.  The first stream then goes on into the second half until its
 * state equals the kept one: from there on both runs are the same
 * (the automaton is deterministic), so the held hits after that point
 * are reported and the second run's state is the true one.  Hits come
 * out in text order, exactly as from one stream.  If the states never
 * meet within AC_SYNC bytes (a word prefix stretched over a long
 * white-space run), or more hits were held than fit, the first stream
 * simply finishes the chunk alone.
 *
 * A byte of class AC_XSLOW (confusables.c: not a one-byte skeleton) is
 * stepped by the caller's slow() in the first stream; the second stream
 * steps an ASCII one through sc->multi (its skeleton's bytes) and stops
 * before any other, and the chunk goes on from there in one stream.
 */
#include <config.h>

#include "acscan.h"

#define AC_SPLIT_MIN 1024         /* shorter chunks: one stream */
#define AC_SYNC 128               /* bytes whose speculative states are kept */
#define AC_HELD 32                /* hits the speculative run may hold */

typedef struct AC_SPEC {
    size_t  kept[AC_SYNC];        /* state after each of its first bytes */
    size_t  nkept;
    size_t  held_at[AC_HELD];     /* chunk offset just after a held hit */
    size_t  held_row[AC_HELD];
    int     nheld;
    int     spilled;              /* a hit did not fit: give up */
    size_t  stop;                 /* where it stopped (len: the end) */
} AC_SPEC;

/* One step; the empty asm keeps the compiler from folding the column
 * addition back into the chain of loads. */
static inline size_t ac_next(const uint32_t *delta, unsigned c, size_t s)
{
    const uint32_t *col = delta + c;

    __asm__("" : "+r"(col));
    return col[s];
}

static inline void ac_found(const AC_SCAN *sc, size_t row, size_t at)
{
    if (sc->at)
	*sc->at = at;
    ac_report(sc->ac, (uint32_t) row, sc->hit, sc->ctx);
}

/* The first (or only) stream's step on the character at p[*i], not
 * reading at or past end. */
static inline size_t ac_step_at(const AC_SCAN *sc, size_t a, size_t *i,
				        size_t end)
{
    unsigned c = sc->cls[sc->p[*i]];
    uint32_t s32 = (uint32_t) a;

    if (c == AC_XSLOW) {
	*i += sc->slow(sc, &s32, *i, end);
	return s32;
    }
    a = ac_next(sc->ac->delta, c, a);
    if (++*i, a >= sc->ac->out_row)
	ac_found(sc, a, *i);
    return a;
}

/* One stream over p[i..end): the state after it. */
static size_t ac_seq(const AC_SCAN *sc, size_t s, size_t i, size_t end)
{
    while (i < end)
	s = ac_step_at(sc, s, &i, end);
    return s;
}

/* Hold a hit of the speculative stream; 0 when there is no room. */
static int ac_hold(AC_SPEC *sp, size_t at, size_t row)
{
    if (sp->nheld == AC_HELD) {
	sp->spilled = 1;
	return 0;
    }
    sp->held_at[sp->nheld] = at;
    sp->held_row[sp->nheld++] = row;
    return 1;
}

#define AC_STOP SIZE_MAX          /* the speculative stream must stop */

/* An ASCII byte with a skeleton of several bytes, from state b: the
 * state after it, or AC_STOP. */
static size_t ac_spec_multi(const AC_SCAN *sc, AC_SPEC *sp, size_t b,
			            size_t j)
{
    const AC_MULTI *m;
    unsigned k;

    if (sc->multi == NULL || sc->p[j] >= 0x80)
	return AC_STOP;
    m = &sc->multi[sc->p[j]];
    for (k = 0; k < m->n; k++) {
	b = ac_next(sc->ac->delta, sc->ac->cls[m->s[k]], b);
	if (b >= sc->ac->out_row && !ac_hold(sp, j + 1, b))
	    return AC_STOP;
    }
    return b;
}

/* The speculative stream's step on byte j from state b: the state
 * after it, or AC_STOP.  States are passed by value so that the hot
 * loops keep them in registers. */
static inline size_t ac_spec_step(const AC_SCAN *sc, AC_SPEC *sp, size_t b,
				          size_t j)
{
    unsigned c = sc->cls[sc->p[j]];

    if (c == AC_XSLOW)
	return ac_spec_multi(sc, sp, b, j);
    b = ac_next(sc->ac->delta, c, b);
    return b < sc->ac->out_row || ac_hold(sp, j + 1, b) ? b : AC_STOP;
}

/* The first stream goes on from mid until it meets the kept states (one
 * byte a step: the speculative stream kept only bytes it could step). */
static size_t ac_meet(const AC_SCAN *sc, const AC_SPEC *sp, size_t a,
		              size_t b, size_t mid, size_t len)
{
    size_t  k, n, i = mid;

    for (k = 0; k < sp->nkept && !sp->spilled; k++) {
	a = ac_step_at(sc, a, &i, len);
	if (a == sp->kept[k]) {
	    for (n = 0; n < (size_t) sp->nheld; n++)
		if (sp->held_at[n] > mid + k + 1)
		    ac_found(sc, sp->held_row[n], sp->held_at[n]);
	    return sp->stop == len ? b : ac_seq(sc, b, sp->stop, len);
	}
    }
    return ac_seq(sc, a, mid + k, len);
}

/* Both streams together, from p[*i] and p[*j], while neither meets a
 * slow byte; words found on the way are reported (first stream) or
 * held (second).  The table, classes and text are loaded into locals
 * once: a hit's callback could change memory, and a reload inside the
 * chain would lengthen it. */
static void ac_pair(const AC_SCAN *sc, AC_SPEC *sp, size_t *ap, size_t *bp,
		            size_t *ip, size_t mid, size_t *jp, size_t len)
{
    const uint32_t *delta = sc->ac->delta;
    const unsigned char *cls = sc->cls, *p = sc->p;
    const size_t out = sc->ac->out_row;
    size_t  a = *ap, b = *bp, i = *ip, j = *jp;
    unsigned ca, cb;

    while (i < mid && j < len) {
	ca = cls[p[i]];
	cb = cls[p[j]];
	if (ca == AC_XSLOW || cb == AC_XSLOW)
	    break;
	a = ac_next(delta, ca, a);
	b = ac_next(delta, cb, b);
	i++, j++;
	if (__builtin_expect(a >= out, 0))
	    ac_found(sc, a, i);
	if (__builtin_expect(b >= out, 0) && !ac_hold(sp, j, b)) {
	    sp->stop = j - 1;
	    break;
	}
    }
    *ap = a, *bp = b, *ip = i, *jp = j;
}

static size_t ac_split(const AC_SCAN *sc, size_t a, size_t len)
{
    size_t  mid = len / 2, b = 0, nb, i = 0, j;
    AC_SPEC sp;

    while ((sc->p[mid] & 0xc0) == 0x80 && mid < len - AC_SYNC)
	mid++;                            /* a character starts there */
    sp.nheld = sp.spilled = 0;
    sp.stop = len;
    for (j = mid; j < mid + AC_SYNC; j++) {
	if ((nb = ac_spec_step(sc, &sp, b, j)) == AC_STOP)
	    break;
	sp.kept[j - mid] = b = nb;
    }
    sp.nkept = j - mid;
    if (j < mid + AC_SYNC)
	sp.stop = j;
    while (sp.stop == len && i < mid && j < len) {
	ac_pair(sc, &sp, &a, &b, &i, mid, &j, len);
	if (sp.stop != len || i == mid || j == len)
	    break;
	/* A slow byte in either stream: one step each, the long way. */
	a = ac_step_at(sc, a, &i, mid);
	if ((nb = ac_spec_step(sc, &sp, b, j)) == AC_STOP)
	    sp.stop = j;
	else
	    b = nb, j++;
    }
    a = ac_seq(sc, a, i, mid);
    for (; sp.stop == len && j < len; j++) {
	if ((nb = ac_spec_step(sc, &sp, b, j)) == AC_STOP)
	    sp.stop = j;
	else
	    b = nb;
    }
    return ac_meet(sc, &sp, a, b, mid, len);
}

uint32_t ac_scan(const AC_SCAN *sc, uint32_t state, size_t len)
{
    return (uint32_t) (len < AC_SPLIT_MIN ? ac_seq(sc, state, 0, len)
		       : ac_split(sc, state, len));
}
