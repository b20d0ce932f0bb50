/*
 * pratelimit.h - message and recipient counters per key over a sliding
 * window (the memory store).
 *
 * The window is kept as RATE_SLOTS slots of window/RATE_SLOTS each, in a
 * ring of RATE_SLOTS + 1: a count is made in the slot of "now" and is
 * forgotten once that slot has left the window entirely.  A decision
 * adds up every slot that overlaps the last window, the oldest one
 * whole, so no interval of one window length ever carries more than the
 * limit (a fixed window lets twice the limit through across its
 * boundary), at the price of holding each count up to one slot longer
 * than the window.  The Redis store (predis_script.c) keeps the same
 * ring in a hash, so both decide alike.
 *
 * One table per kind of key (SASL user, client address, sender domain).
 * A table holds at most `max' keys; when full, the least recently used
 * key is evicted, so memory stays bounded whatever the number of
 * distinct clients.  Keys longer than RATE_KEY_MAX bytes are cut (two
 * such keys may then share a counter).
 */
#ifndef RS_PRATELIMIT_H
#define RS_PRATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#define RATE_KEY_MAX 256
#define RATE_SLOTS   20
#define RATE_RING    (RATE_SLOTS + 1)

enum { RATE_MSGS, RATE_RCPTS };

typedef struct RATE_ENT {
    struct RATE_ENT *hnext;       /* hash chain */
    struct RATE_ENT *prev, *next; /* LRU list, most recent first */
    int64_t head;                 /* number of the newest slot */
    uint32_t sum[2];              /* messages, recipients in the ring */
    uint32_t ring[RATE_RING][2];
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

void    rate_init(RATE_TABLE *t, size_t max);
void    rate_free(RATE_TABLE *t);

/* Slot length for a window of window_s seconds, in milliseconds. */
int64_t rate_slot_ms(int window_s);

/* Find (or create) the counter for key, its ring moved on to now_ms
 * (a clock that steps back counts into the newest slot).  Never NULL;
 * valid until the next rate_lookup on this table. */
RATE_ENT *rate_lookup(RATE_TABLE *t, const char *key, int64_t now_ms,
		              int64_t slot_ms);

/* Would adding (msgs, rcpts) go over a limit (0 = unlimited)?
 * 0: no; RATE_MSGS + 1 or RATE_RCPTS + 1: which one. */
int     rate_over(const RATE_ENT *e, long max_msgs, long max_rcpts,
		          int msgs, int rcpts);
void    rate_add(RATE_ENT *e, int msgs, int rcpts);

#endif
