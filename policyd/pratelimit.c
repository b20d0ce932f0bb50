/*
 * pratelimit.c - bounded LRU tables of fixed-window counters.
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

RATE_ENT *rate_lookup(RATE_TABLE *t, const char *key, time_t now, int window)
{
    size_t  len = strnlen(key, RATE_KEY_MAX);
    size_t  b = strset_hash(key, len) & (t->size - 1);
    RATE_ENT *e;

    for (e = t->tab[b]; e; e = e->hnext)
	if (strncmp(e->key, key, len) == 0 && e->key[len] == 0)
	    break;
    if (e == NULL) {
	if (t->count >= t->max)
	    evict(t);
	e = mycalloc(1, sizeof(*e) + len + 1);
	memcpy(e->key, key, len);
	e->start = now;
	e->hnext = t->tab[b];
	t->tab[b] = e;
	t->count++;
    } else {
	lru_unlink(t, e);
    }
    lru_front(t, e);
    /* A clock step backwards also starts a new window. */
    if (now - e->start >= window || now < e->start) {
	e->start = now;
	e->messages = e->recipients = 0;
    }
    return e;
}

RATE_VERDICT rate_check(const RATE_ENT *e, long max_messages,
			        long max_recipients, int new_message)
{
    if (new_message && max_messages > 0 && e->messages + 1 > max_messages)
	return RATE_OVER_MESSAGES;
    if (max_recipients > 0 && e->recipients + 1 > max_recipients)
	return RATE_OVER_RECIPIENTS;
    return RATE_OK;
}

void    rate_count(RATE_ENT *e, int new_message)
{
    if (new_message)
	e->messages++;
    e->recipients++;
}
