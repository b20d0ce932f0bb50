/*
 * pstore.h - the rate store as the server sees it: memory, or Redis
 * with on_store_error, behind one call; and the clock rate decisions
 * use.
 *
 * The clock is the system's real time, except in tests: when policyd
 * starts with RS_POLICYD_TEST_CLOCK=FILE in its environment, the time is
 * the number of milliseconds written in FILE, read at each decision (and
 * given to Redis, which otherwise uses its own clock).  policyd logs a
 * warning at start when it is set.
 */
#ifndef RS_PSTORE_H
#define RS_PSTORE_H

#include <stdint.h>

#include "pconf.h"
#include "prate.h"
#include "predis.h"
#include "predis_loop.h"

typedef struct PSTORE {
    PLOOP  *loop;
    PRATES  mem;                  /* store = "memory", and the fallback */
    PREDIS *redis;                /* store = "redis" */
} PSTORE;

void    pstore_init(PSTORE *s, const PCONF *c, PLOOP *loop);
/* A reload: connect, reconnect or disconnect as the new config says. */
void    pstore_reconfigure(PSTORE *s, const PCONF *old, const PCONF *c);
void    pstore_free(PSTORE *s);

/* 1: answered now in *res (a store error already handled as
 * on_store_error says); 0: *req pending, done() will be called, and
 * its result must go through pstore_on_error(). */
int     pstore_ask(PSTORE *s, const PCONF *c, const RATE_QUERY *q,
		           PREDIS_DONE done, void *ctx, PREDIS_REQ **req,
		           RATE_RESULT *res);
RATE_RESULT pstore_on_error(PSTORE *s, const PCONF *c, const RATE_QUERY *q,
			            RATE_RESULT res);
void    pstore_cancel(PREDIS_REQ *req);

/* Milliseconds until pstore_tick must run (-1: no timer). */
int     pstore_timeout(PSTORE *s);
void    pstore_tick(PSTORE *s);

/* The decision clock (ms since the epoch), and whether it is a test's. */
void    pclock_init(void);
int64_t pclock_ms(void);
int     pclock_is_test(void);

#endif
