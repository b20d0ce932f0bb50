/*
 * predis.h - the Redis rate store: one asynchronous connection on
 * policyd's event loop, every decision one EVALSHA, pipelined.
 *
 * States: DOWN (waiting to reconnect, with backoff), CONNECTING (TCP
 * connect, AUTH, SCRIPT LOAD in flight; requests wait in a queue) and
 * READY.  Every request has a deadline of timeout_ms: when it passes,
 * or the store is down, the request is answered RATE_STORE_ERROR at
 * once and the caller applies on_store_error; a reply that comes later
 * is dropped, and until Redis has sent every such late reply new
 * requests are answered at once (load shedding: a Redis that fell
 * behind is not fed more work it cannot do in time).  A connection with a request unanswered for a long time
 * is dropped and made again.  One log line per change of state.
 */
#ifndef RS_PREDIS_H
#define RS_PREDIS_H

#include <stdint.h>

#include "pconf.h"
#include "prate.h"
#include "predis_loop.h"

typedef struct PREDIS PREDIS;
typedef struct PREDIS_REQ PREDIS_REQ;
typedef void (*PREDIS_DONE)(void *ctx, RATE_RESULT res);

/* Start connecting (copies what it needs from rc). */
PREDIS *predis_create(const PREDIS_CONF *rc, PLOOP *loop);
/* Pending requests are answered RATE_STORE_ERROR first. */
void    predis_free(PREDIS *r);
/* Settings a reload may change without a new connection. */
void    predis_update(PREDIS *r, const PREDIS_CONF *rc);

/* Ask for a decision.  NULL: answered at once in *res (store down or
 * overloaded).  Otherwise done(ctx, result) is called exactly once from
 * the event loop, unless predis_cancel() is called first.  now_ms is the
 * time for the decision, 0 for the Redis server's clock. */
PREDIS_REQ *predis_ask(PREDIS *r, const RATE_QUERY *q, int64_t now_ms,
		               PREDIS_DONE done, void *ctx, RATE_RESULT *res);
void    predis_cancel(PREDIS_REQ *req);

/* Milliseconds until predis_tick has something to do (-1: nothing). */
int     predis_timeout(PREDIS *r);
/* After every round of events: sends the round's requests (one write),
 * then handles deadlines and reconnection. */
void    predis_tick(PREDIS *r);

/* Monotonic milliseconds (deadlines). */
int64_t predis_mono_ms(void);

#endif
