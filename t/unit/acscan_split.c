/*
 * acscan_split.c - the literal matcher's two-stream scan of long
 * chunks (acscan.c) against the plain one-byte-at-a-time
 * scan: the same hits, in the same order, with the same end state, on
 * random texts over a small alphabet (many overlapping words, hits on
 * both sides of the split point), on white-space runs across the split
 * (the speculative run never meets the real one), and on texts with more
 * hits than the speculative run may hold back.  The confusables scan
 * (conf_feed: a slow step for bytes that are not a one-byte skeleton)
 * likewise against one code point at a time, hit offsets included.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "mymalloc.h"
#include "confusables.h"
#include "textmatch.h"
#include "tap.h"

#define MAX_HITS 200000

typedef struct HITLOG {
    uint32_t id[MAX_HITS];
    size_t  at[MAX_HITS];         /* conf_feed: text offset after the hit */
    size_t  n;
    size_t  at_now;               /* set by conf_feed before each hit */
    size_t  base;                 /* offset of the chunk being fed */
} HITLOG;

static HITLOG ref, got;

static void log_hit(void *ctx, uint32_t id)
{
    HITLOG *h = ctx;

    if (h->n < MAX_HITS) {
	h->id[h->n] = id;
	h->at[h->n] = h->base + h->at_now;
    }
    h->n++;
}

static unsigned long rnd_state = 12345;

static unsigned rnd(unsigned n)
{
    rnd_state = rnd_state * 6364136223846793005UL + 1442695040888963407UL;
    return (unsigned) (rnd_state >> 33) % n;
}

/* One chunk fed whole (long: the split scan) against byte by byte. */
static int same_as_bytewise(const AC_AUTOMATON *ac, const char *text,
			            size_t len)
{
    AC_STREAM a, b;
    size_t  i;

    ref.n = got.n = 0;
    ac_stream_init(&a);
    ac_stream_init(&b);
    for (i = 0; i < len; i++)
	ac_feed(ac, &a, text + i, 1, log_hit, &ref);
    ac_feed(ac, &b, text, len, log_hit, &got);
    if (a.state != b.state || ref.n != got.n)
	return 0;
    return memcmp(ref.id, got.id, (ref.n < MAX_HITS ? ref.n : MAX_HITS)
		  * sizeof(ref.id[0])) == 0;
}

static AC_AUTOMATON *random_words(size_t n, char **w)
{
    size_t  owner[64], i, j, len;

    for (i = 0; i < n; i++) {
	len = 1 + rnd(6);
	w[i] = mymalloc(len + 1);
	for (j = 0; j < len; j++)
	    w[i][j] = "abcd "[rnd(j == 0 || j == len - 1 ? 4 : 5)];
	w[i][len] = 0;
	owner[i] = i;
    }
    return ac_build(w, owner, n);
}

static void test_random(void)
{
    static char text[9000];
    char   *w[64];
    int     round, good = 1, with_hits = 0;
    size_t  i, len, n;

    for (round = 0; round < 300 && good; round++) {
	AC_AUTOMATON *ac;

	n = 1 + rnd(40);
	ac = random_words(n, w);
	len = 1000 + rnd(8000);
	for (i = 0; i < len; i++)
	    text[i] = "abcdefgh \n"[rnd(round % 3 ? 10 : 5)];
	good = same_as_bytewise(ac, text, len);
	if (!good)
	    printf("# round %d: %zu words, %zu bytes: %zu hits, want %zu\n",
		   round, n, len, got.n, ref.n);
	with_hits += ref.n > 0;
	ac_free(ac);
	for (i = 0; i < n; i++)
	    myfree(w[i]);
    }
    ok(good, "random texts: the split scan reports what a bytewise scan does");
    ok(with_hits > 200, "random texts: %d of 300 rounds had hits", with_hits);
}

static void test_edges(void)
{
    static char text[6000];
    char   *w[2] = {"alpha beta", "b"};
    size_t  owner[2] = {0, 1}, len = sizeof(text), mid = len / 2;
    AC_AUTOMATON *ac = ac_build(w, owner, 2);

    /* "alpha" before the split point, 1000 spaces across it, "beta"
     * after: the runs never meet, the word is still found. */
    memset(text, 'x', len);
    memset(text + mid - 600, ' ', 1200);
    memcpy(text + mid - 605, "alpha", 5);
    memcpy(text + mid + 600, "beta", 4);
    ok(same_as_bytewise(ac, text, len) && ref.n == 2,
       "a word stretched over a white-space run across the split");
    /* Every byte of the second half a hit: far more than are held back. */
    memset(text, 'x', len);
    memset(text + mid, 'b', len - mid);
    ok(same_as_bytewise(ac, text, len) && ref.n == len - mid,
       "more hits in the second half than are held back");
    /* A hit on the very byte where the two runs meet: reported once. */
    memset(text, 'x', len);
    text[mid] = 'b';
    ok(same_as_bytewise(ac, text, len) && ref.n == 1,
       "a hit where the two runs meet is reported once");
    /* A word across the split point itself, at every offset round it. */
    {
	int     good = 1;
	size_t  at;

	for (at = mid - 12; at < mid + 2; at++) {
	    memset(text, 'x', len);
	    memcpy(text + at, "alpha beta", 10);
	    good &= same_as_bytewise(ac, text, len) && ref.n == 2;
	}
	ok(good, "a word across the split point, at every offset");
    }
    ac_free(ac);
}

/* conf_feed: the whole text at once against one code point at a time. */
static int conf_same(const AC_AUTOMATON *ac, const char *text, size_t len)
{
    AC_STREAM a, b;
    size_t  i, n;

    ref.n = got.n = ref.base = got.base = 0;
    ac_stream_init(&a);
    ac_stream_init(&b);
    for (i = 0; i < len; i += n) {
	n = 1;
	while (i + n < len && ((unsigned char) text[i + n] & 0xc0) == 0x80)
	    n++;
	ref.base = i;
	conf_feed(ac, &a, text + i, n, log_hit, &ref, &ref.at_now);
    }
    conf_feed(ac, &b, text, len, log_hit, &got, &got.at_now);
    if (a.state != b.state || ref.n != got.n)
	return 0;
    n = ref.n < MAX_HITS ? ref.n : MAX_HITS;
    return memcmp(ref.id, got.id, n * sizeof(ref.id[0])) == 0
	&& memcmp(ref.at, got.at, n * sizeof(ref.at[0])) == 0;
}

static void test_confusables(void)
{
    /* ASCII, a Cyrillic e (a confusable), an e-acute (no one-byte
     * skeleton), "rn" (the skeleton of m): slow steps on both sides. */
    static const char *const bits[] = {"a", "b", "m", "rn", " ", "\xd0\xb5",
	"e", "\xc3\xa9", "x", "\n"};
    static char text[9000];
    const char *why = NULL;
    char   *w[4];
    size_t  owner[4] = {0, 1, 2, 3}, len, i;
    AC_AUTOMATON *ac;
    int     round, good = 1, slow = 0, few = 0;

    if (conf_init(&why) != 0) {
	ok(0, "confusables: ICU spoof checker loads (%s)", why);
	return;
    }
    w[0] = conf_string("me ab");
    w[1] = conf_string("ebe");
    w[2] = conf_string("bam a");
    w[3] = conf_string("ab m");           /* ends inside m's skeleton */
    ac = ac_build(w, owner, 4);
    conf_prepare(ac);
    for (round = 0; round < 200 && good; round++) {
	for (len = 0, i = 0; len < 1000 + (size_t) round * 30; i++) {
	    const char *t = bits[rnd(round % 3 == 0 ? 5 : round % 3 == 1 ? 6 : 10)];

	    memcpy(text + len, t, strlen(t));
	    len += strlen(t);
	}
	good = conf_same(ac, text, len);
	slow += memchr(text, 0xc3, len) != NULL;
	few += ref.n > 0 && ref.n < 16;       /* none held back spills */
    }
    ok(good, "confusables: the split scan reports what a per-character "
       "scan does, offsets too (round %d)", round - 1);
    ok(slow > 30 && few > 50, "confusables: %d texts had slow steps, %d "
       "a few hits", slow, few);
    ac_free(ac);
    for (i = 0; i < 4; i++)
	myfree(w[i]);
}

int     main(void)
{
    msg_init("acscan_split", 0, 0);
    test_random();
    test_edges();
    test_confusables();
    return tap_done();
}
