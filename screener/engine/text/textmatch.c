/*
 * textmatch.c - Aho-Corasick literal matcher and the regex window.
 *
 * The automaton is compiled to a full DFA over byte classes: only bytes
 * that occur in some word get a class of their own (upper- and lower-case
 * ASCII letters share one), every white-space byte is AC_CLASS_SPACE and
 * all other bytes AC_CLASS_OTHER.  Runs of white space are collapsed by
 * the DFA itself (a state reached by a space loops on further spaces;
 * no word starts with a space), so the hot loop (acscan.c) is two table
 * lookups per byte and no call except on a hit.
 */
#include <config.h>

#include <ctype.h>
#include <string.h>

#include "msg.h"
#include "mymalloc.h"
#include "acscan.h"
#include "textmatch.h"

static int is_space_byte(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f'
	|| c == '\v';
}

/*
 * The DFA table.  Rows in breadth-first order: the root and the shallow
 * states, where a scan spends nearly all its steps, share a few cache
 * lines instead of being spread over the table in word order.  States
 * that report a word come last, from row out_row on, so the hot loop
 * tests "row >= out_row" beside the chain of loads instead of masking a
 * flag inside it.  Entries are premultiplied row offsets.  bfs[] holds
 * every state but the root (nbfs = nstates - 1).
 */
static void ac_renumber(AC_AUTOMATON *ac, const int32_t *go,
			        const uint32_t *bfs, size_t nbfs)
{
    size_t  nst = ac->nstates, i, c, next = 1, pass;
    uint32_t *rank = mymalloc(nst * sizeof(*rank));
    uint32_t *start = mymalloc(nst * sizeof(*start));
    uint32_t *count = mymalloc(nst * sizeof(*count));

    if (nbfs + 1 != nst || ac->out_count[0] != 0)
	msg_panic("ac_renumber: %zu states, %zu reached", nst, nbfs + 1);
    rank[0] = 0;
    ac->out_row = UINT32_MAX;
    for (pass = 0; pass < 2; pass++) {
	if (pass == 1)
	    ac->out_row = (uint32_t) (next * ac->ncls);
	for (i = 0; i < nbfs; i++)
	    if ((ac->out_count[bfs[i]] != 0) == pass)
		rank[bfs[i]] = (uint32_t) next++;
    }
    for (i = 0; i < nst; i++) {
	start[rank[i]] = ac->out_start[i];
	count[rank[i]] = ac->out_count[i];
    }
    ac->delta = mymalloc(nst * ac->ncls * sizeof(uint32_t));
    for (i = 0; i < nst; i++)
	for (c = 0; c < ac->ncls; c++)
	    ac->delta[rank[i] * ac->ncls + c] =
		rank[go[i * ac->ncls + c]] * ac->ncls;
    myfree(ac->out_start);
    myfree(ac->out_count);
    ac->out_start = start;
    ac->out_count = count;
    myfree(rank);
}

AC_AUTOMATON *ac_build(char **words, const size_t *owner, size_t n)
{
    AC_AUTOMATON *ac;
    size_t  i, j, cap_states = 1, total = 0, nst;
    int32_t *go;
    uint32_t *fail, *queue, *cnt, *ids_tmp;
    unsigned char *in_space;
    size_t  head, tail;
    unsigned c;

    if (n == 0)
	return NULL;
    ac = mycalloc(1, sizeof(*ac));
    strlist_init(&ac->pats);

    /* Byte classes. */
    ac->ncls = 2;
    for (i = 0; i < 256; i++)
	ac->cls[i] = is_space_byte((int) i) ? AC_CLASS_SPACE : AC_CLASS_OTHER;
    for (i = 0; i < n; i++) {
	const unsigned char *p = (const unsigned char *) words[i];

	for (; *p; p++) {
	    unsigned b = tolower(*p) & 0xff;

	    if (ac->cls[b] != AC_CLASS_OTHER)
		continue;
	    if (ac->ncls >= 255)
		continue;			/* stays OTHER: cannot happen */
	    ac->cls[b] = (unsigned char) ac->ncls;
	    if (b >= 'a' && b <= 'z')
		ac->cls[toupper(b)] = (unsigned char) ac->ncls;
	    ac->ncls++;
	}
	total += strlen(words[i]);
    }

    /* Trie as a dense goto table (-1: none).  It and the DFA have states
     * x classes entries (states at most total + 1): refuse (NULL) a rule
     * set too large to build, never exit.  AC_MAX_CELLS keeps every
     * premultiplied row offset well inside 32 bits. */
    cap_states = total + 1;
    if (cap_states > AC_MAX_CELLS / ac->ncls) {
	strlist_free(&ac->pats);
	myfree(ac);
	return NULL;
    }
    go = mymalloc(cap_states * ac->ncls * sizeof(*go));
    memset(go, 0xff, cap_states * ac->ncls * sizeof(*go));
    cnt = mycalloc(cap_states, sizeof(*cnt));
    in_space = mycalloc(cap_states, 1);
    nst = 1;
    /* Pattern ids: unique words; owners grouped per id. */
    ac->own_start = mycalloc(n, sizeof(uint32_t));
    ac->own_count = mycalloc(n, sizeof(uint32_t));
    ac->own_rules = mycalloc(n, sizeof(uint32_t));
    {
	uint32_t *term = mymalloc(cap_states * sizeof(*term));
	uint32_t *pat_of = mymalloc(n * sizeof(*pat_of));

	for (i = 0; i < cap_states; i++)
	    term[i] = UINT32_MAX;
	for (i = 0; i < n; i++) {
	    uint32_t s = 0;
	    const unsigned char *p = (const unsigned char *) words[i];

	    for (; *p; p++) {
		c = ac->cls[*p];
		if (go[s * ac->ncls + c] < 0) {
		    in_space[nst] = c == AC_CLASS_SPACE;
		    go[s * ac->ncls + c] = (int32_t) nst++;
		}
		s = (uint32_t) go[s * ac->ncls + c];
	    }
	    if (term[s] == UINT32_MAX) {
		term[s] = (uint32_t) ac->pats.n;
		strlist_add(&ac->pats, words[i]);
	    }
	    pat_of[i] = term[s];
	    ac->own_count[term[s]]++;
	}
	/* Owner lists, grouped by pattern id, in rule order. */
	for (i = 1; i < ac->pats.n; i++)
	    ac->own_start[i] = ac->own_start[i - 1] + ac->own_count[i - 1];
	memset(ac->own_count, 0, n * sizeof(uint32_t));
	for (i = 0; i < n; i++) {
	    uint32_t id = pat_of[i];

	    ac->own_rules[ac->own_start[id] + ac->own_count[id]++] =
		(uint32_t) owner[i];
	}
	/* Per-state own output (the pattern ending there). */
	ids_tmp = term;
	myfree(pat_of);
    }

    /* BFS: failure links; complete the DFA; merge outputs. */
    fail = mycalloc(nst, sizeof(*fail));
    queue = mymalloc(nst * sizeof(*queue));
    head = tail = 0;
    for (c = 0; c < ac->ncls; c++) {
	int32_t t = go[c];

	if (t < 0) {
	    go[c] = 0;
	} else {
	    fail[t] = 0;
	    queue[tail++] = (uint32_t) t;
	}
    }
    while (head < tail) {
	uint32_t s = queue[head++];

	for (c = 0; c < ac->ncls; c++) {
	    int32_t t = go[s * ac->ncls + c];

	    if (t < 0) {
		go[s * ac->ncls + c] = go[fail[s] * ac->ncls + c];
	    } else {
		fail[t] = (uint32_t) go[fail[s] * ac->ncls + c];
		queue[tail++] = (uint32_t) t;
	    }
	}
    }
    /* Output counts: own + failure chain (BFS order: fail done first). */
    for (i = 0; i < nst; i++)
	cnt[i] = ids_tmp[i] != UINT32_MAX;
    for (j = 0; j < tail; j++) {
	uint32_t s = queue[j];

	cnt[s] += cnt[fail[s]];
    }
    ac->out_start = mycalloc(nst, sizeof(uint32_t));
    ac->out_count = mycalloc(nst, sizeof(uint32_t));
    {
	size_t  tot = 0;

	for (i = 0; i < nst; i++) {
	    ac->out_start[i] = (uint32_t) tot;
	    tot += cnt[i];
	}
	ac->out_ids = mycalloc(tot ? tot : 1, sizeof(uint32_t));
	for (i = 0; i < nst; i++) {
	    uint32_t s = (uint32_t) i, k = 0;

	    while (1) {
		if (ids_tmp[s] != UINT32_MAX)
		    ac->out_ids[ac->out_start[i] + k++] = ids_tmp[s];
		if (s == 0)
		    break;
		s = fail[s];
	    }
	    ac->out_count[i] = k;
	}
    }
    ac->nstates = nst;
    /* White space collapse built in: a state reached by a space stays
     * where it is on further spaces. */
    for (i = 0; i < nst; i++)
	if (in_space[i])
	    go[i * ac->ncls + AC_CLASS_SPACE] = (int32_t) i;
    ac_renumber(ac, go, queue, tail);
    myfree(go);
    myfree(cnt);
    myfree(fail);
    myfree(queue);
    myfree(ids_tmp);
    myfree(in_space);
    return ac;
}

void    ac_free(AC_AUTOMATON *ac)
{
    if (ac == NULL)
	return;
    myfree(ac->delta);
    myfree(ac->out_start);
    myfree(ac->out_count);
    myfree(ac->out_ids);
    myfree(ac->own_start);
    myfree(ac->own_count);
    myfree(ac->own_rules);
    strlist_free(&ac->pats);
    myfree(ac);
}

void    ac_report(const AC_AUTOMATON *ac, uint32_t row,
		          void (*hit)(void *ctx, uint32_t id), void *ctx)
{
    uint32_t st = row / ac->ncls, k;

    for (k = 0; k < ac->out_count[st]; k++)
	hit(ctx, ac->out_ids[ac->out_start[st] + k]);
}

void    ac_feed(const AC_AUTOMATON *ac, AC_STREAM *st, const void *buf,
		size_t len, void (*hit)(void *ctx, uint32_t id), void *ctx)
{
    AC_SCAN sc = {ac, ac->cls, buf, NULL, NULL, hit, ctx, NULL};

    st->state = ac_scan(&sc, st->state, len);
}

/* Regex window. */

void    rxw_init(RX_WIN *w)
{
    w->buf = NULL;
    w->len = w->fresh = 0;
}

void    rxw_free(RX_WIN *w)
{
    myfree(w->buf);
    rxw_init(w);
}

void    rxw_reset(RX_WIN *w)
{
    w->len = w->fresh = 0;
}

void    rxw_feed(RX_WIN *w, const char *text, size_t len,
		 void (*run)(void *ctx, const char *buf, size_t len),
		 void *ctx)
{
    if (w->buf == NULL)
	w->buf = mymalloc(RX_WINDOW);
    while (len > 0) {
	size_t  room = RX_WINDOW - w->len;
	size_t  take = len < room ? len : room;

	memcpy(w->buf + w->len, text, take);
	w->len += take;
	w->fresh += take;
	text += take;
	len -= take;
	if (w->len == RX_WINDOW) {
	    run(ctx, w->buf, w->len);
	    memmove(w->buf, w->buf + RX_WINDOW - RX_OVERLAP, RX_OVERLAP);
	    w->len = RX_OVERLAP;
	    w->fresh = 0;
	}
    }
}

void    rxw_flush(RX_WIN *w, void (*run)(void *ctx, const char *buf,
					 size_t len), void *ctx)
{
    if (w->buf && w->fresh > 0)
	run(ctx, w->buf, w->len);
    w->len = w->fresh = 0;
}
