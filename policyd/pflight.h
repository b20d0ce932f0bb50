/*
 * pflight.h - the requests of one policy connection still waiting for
 * the rate store, answered in the order they came.
 *
 * A request that waits is copied out of the connection's parser buffer
 * (which moves on to the next request), so a client that pipelines
 * requests has several decided at once: one slow store answer costs each
 * request at most timeout_ms, not timeout_ms for every request queued
 * behind it.  Postfix itself never pipelines on a policy connection.
 */
#ifndef RS_PFLIGHT_H
#define RS_PFLIGHT_H

#include "predis.h"
#include "preq.h"
#include "prules.h"

#define FLIGHT_MAX 16             /* requests in flight per connection */

typedef struct PFLIGHT {
    struct PFLIGHT *next;
    void   *conn;                 /* the owner (pserver.c's CONN) */
    int     done;                 /* decided: d is final */
    PREDIS_REQ *pending;          /* the store request while not done */
    PDECISION d;
    RATE_QUERY q;
    PREQ    req;                  /* attributes point into text */
    char   *text;
} PFLIGHT;

typedef struct PFLIGHTQ {
    PFLIGHT *head, *tail;
    int     n;
} PFLIGHTQ;

/* Fill f (allocated by the caller, may be reused) with a copy of the
 * request the parser just completed. */
void    pflight_fill(PFLIGHT *f, void *conn, const PPARSER *p, const PREQ *req,
		             const PDECISION *d, const RATE_QUERY *q);
void    pflight_push(PFLIGHTQ *fq, PFLIGHT *f);
/* The oldest request when it is decided (then off the queue), or NULL. */
PFLIGHT *pflight_pop_done(PFLIGHTQ *fq);
/* Cancel what still waits for the store; free everything. */
void    pflight_clear(PFLIGHTQ *fq);
void    pflight_free(PFLIGHT *f);

#endif
