/*
 * pratelimit.h - message and recipient counters per key in a fixed window.
 *
 * One table per kind of key (SASL user, client address).  The table holds
 * at most `max' keys; when full, the least recently used key is evicted
 * (it is the one most likely to have an expired window), so memory stays
 * bounded whatever the number of distinct clients.  Keys longer than
 * RATE_KEY_MAX bytes are cut (two such keys may then share a counter).
 */
#ifndef RS_PRATELIMIT_H
#define RS_PRATELIMIT_H

#include <stddef.h>
#include <time.h>

#define RATE_KEY_MAX 256

typedef struct RATE_ENT {
    struct RATE_ENT *hnext;       /* hash chain */
    struct RATE_ENT *prev, *next; /* LRU list, most recent first */
    time_t  start;                /* window start */
    long    messages;
    long    recipients;
    char    key[];
} RATE_ENT;

typedef struct RATE_TABLE {
    RATE_ENT **tab;
    size_t  size;                 /* buckets, a power of two */
    size_t  count;
    size_t  max;
    RATE_ENT *head, *tail;
    unsigned long evictions;
} RATE_TABLE;

typedef enum { RATE_OK, RATE_OVER_MESSAGES, RATE_OVER_RECIPIENTS } RATE_VERDICT;

void    rate_init(RATE_TABLE *t, size_t max);
void    rate_free(RATE_TABLE *t);

/* Find (or create) the counter for key in the current window.  Never
 * NULL.  The pointer is valid until the next rate_lookup on this table. */
RATE_ENT *rate_lookup(RATE_TABLE *t, const char *key, time_t now, int window);

/* Would one more recipient (and one more message when new_message) go
 * over the limits (0 = unlimited)?  Does not count anything. */
RATE_VERDICT rate_check(const RATE_ENT *e, long max_messages,
			        long max_recipients, int new_message);
void    rate_count(RATE_ENT *e, int new_message);

#endif
