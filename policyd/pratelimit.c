/*
 * pratelimit.c - bounded LRU tables of sliding-window counters.
 */
#include <config.h>

#include <stdint.h>
#include <string.h>

#include "mymalloc.h"
#include "pratelimit.h"
#include "pstrset.h"

void    rate_init(RATE_TABLE *t, size_t max)
{
    memset(t, 0, sizeof(*t));
    t->max = max ? max : 1;
    for (t->size = 16; t->size < t->max; t->size *= 2)
	 /* void */ ;
    t->tab = mycalloc(t->size, sizeof(*t->tab));
}

void    rate_free(RATE_TABLE *t)
{
    RATE_ENT *e, *next;

    for (e = t->head; e; e = next) {
	next = e->next;
	myfree(e);
    }
    myfree(t->tab);
    memset(t, 0, sizeof(*t));
}

static void lru_unlink(RATE_TABLE *t, RATE_ENT *e)
{
    if (e->prev)
	e->prev->next = e->next;
    else
	t->head = e->next;
    if (e->next)
	e->next->prev = e->prev;
    else
	t->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_front(RATE_TABLE *t, RATE_ENT *e)
{
    e->prev = NULL;
    e->next = t->head;
    if (t->head)
	t->head->prev = e;
    t->head = e;
    if (t->tail == NULL)
	t->tail = e;
}

static void evict(RATE_TABLE *t)
{
    RATE_ENT *e = t->tail, **pp;

    lru_unlink(t, e);
    for (pp = &t->tab[strset_hash(e->key, strlen(e->key)) & (t->size - 1)];
	 *pp != e; pp = &(*pp)->hnext)
	 /* void */ ;
    *pp = e->hnext;
    myfree(e);
    t->count--;
    t->evictions++;
}

int64_t rate_slot_ms(int window_s)
{
    int64_t ms = (int64_t) window_s * 1000 / RATE_SLOTS;

    return ms > 0 ? ms : 1;
}

/* Forget the slots that left the window between e->head and cur. */
static void advance(RATE_ENT *e, int64_t cur)
{
    int64_t s;

    if (cur <= e->head)
	return;
    if (cur - e->head >= RATE_RING) {
	memset(e->ring, 0, sizeof(e->ring));
	e->sum[0] = e->sum[1] = 0;
    } else {
	for (s = e->head + 1; s <= cur; s++) {
	    uint32_t *slot = e->ring[s % RATE_RING];

	    e->sum[0] -= slot[0];
	    e->sum[1] -= slot[1];
	    slot[0] = slot[1] = 0;
	}
    }
    e->head = cur;
}

RATE_ENT *rate_lookup(RATE_TABLE *t, const char *key, int64_t now_ms,
		              int64_t slot_ms)
{
    size_t  len = strnlen(key, RATE_KEY_MAX);
    size_t  b = strset_hash(key, len) & (t->size - 1);
    int64_t cur = (now_ms < 0 ? 0 : now_ms) / slot_ms;
    RATE_ENT *e;

    for (e = t->tab[b]; e; e = e->hnext)
	if (strncmp(e->key, key, len) == 0 && e->key[len] == 0)
	    break;
    if (e == NULL) {
	if (t->count >= t->max)
	    evict(t);
	e = mycalloc(1, sizeof(*e) + len + 1);
	memcpy(e->key, key, len);
	e->head = cur;
	e->hnext = t->tab[b];
	t->tab[b] = e;
	t->count++;
    } else {
	lru_unlink(t, e);
    }
    lru_front(t, e);
    advance(e, cur);
    return e;
}

int     rate_over(const RATE_ENT *e, long max_msgs, long max_rcpts,
		          int msgs, int rcpts)
{
    if (msgs && max_msgs > 0 && (long) e->sum[RATE_MSGS] + msgs > max_msgs)
	return RATE_MSGS + 1;
    if (rcpts && max_rcpts > 0 && (long) e->sum[RATE_RCPTS] + rcpts > max_rcpts)
	return RATE_RCPTS + 1;
    return 0;
}

void    rate_add(RATE_ENT *e, int msgs, int rcpts)
{
    uint32_t *slot = e->ring[e->head % RATE_RING];

    slot[RATE_MSGS] += (uint32_t) msgs;
    slot[RATE_RCPTS] += (uint32_t) rcpts;
    e->sum[RATE_MSGS] += (uint32_t) msgs;
    e->sum[RATE_RCPTS] += (uint32_t) rcpts;
}
