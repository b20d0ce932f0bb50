/*
 * prate.h - what one RCPT asks of the rate store, and the memory store.
 *
 * policy_check() (prules.c) turns a request that passed every other rule
 * into a RATE_QUERY: up to three normalised keys (SASL user, client
 * address, envelope sender domain), each with its limits and what this
 * request adds (a recipient; a message when it is the first passing
 * RCPT of a new message).  The memory store (here) or the Redis store
 * (predis.c) answers it with one RATE_RESULT, checking every key first
 * and counting only when all pass, so a deferred recipient counts
 * nowhere.
 *
 * A message is the Postfix "instance" attribute (one per message in a
 * session; recipient_count is 0 at every RCPT, so it cannot tell).  The
 * PSESSION of a policy connection remembers the last instance counted
 * and how many of its recipients were: one smtpd process holds one
 * connection, one session at a time.  When Postfix also asks at DATA,
 * the query there counts what RCPT did not: the message and recipients
 * Postfix never submitted to the recipient restrictions (a bare
 * <postmaster>, RFC 5321 4.5.1), from recipient_count.
 */
#ifndef RS_PRATE_H
#define RS_PRATE_H

#include <stdint.h>

#include "pconf.h"
#include "pratelimit.h"
#include "preq.h"

#define RQ_MAX 3
#define PSESSION_INSTANCE_MAX 64

typedef enum { RK_USER, RK_CLIENT, RK_DOMAIN } RATE_KIND;

typedef struct RATE_QKEY {
    RATE_KIND kind;
    char    key[RATE_KEY_MAX + 1];  /* normalised */
    long    max[2];                 /* RATE_MSGS, RATE_RCPTS; 0: none */
    int     add[2];                 /* what this request counts */
} RATE_QKEY;

typedef struct RATE_QUERY {
    int     n;
    RATE_QKEY k[RQ_MAX];
    int     new_message;
    int     rcpts;                /* recipients this request adds */
    int     window_s;
} RATE_QUERY;

typedef enum { RATE_PASS, RATE_OVER, RATE_STORE_ERROR } RATE_STATUS;

typedef struct RATE_RESULT {
    RATE_STATUS status;
    int     key;                  /* RATE_OVER: index into k[] */
    int     dim;                  /* RATE_OVER: RATE_MSGS or RATE_RCPTS */
} RATE_RESULT;

/* Per policy connection. */
typedef struct PSESSION {
    char    instance[PSESSION_INSTANCE_MAX];  /* last message counted */
    long    rcpts;                /* its recipients counted */
} PSESSION;

/* The memory store: one table per kind.  Survives reloads. */
typedef struct PRATES {
    RATE_TABLE t[RQ_MAX];
    int     window_s;             /* window the tables were filled with */
} PRATES;

void    prates_init(PRATES *r, size_t max);
void    prates_free(PRATES *r);

/* Build the query for a RCPT or DATA request; returns q->n (0: no
 * limit, or nothing left to count). */
int     rate_query_build(const PCONF *c, const PSESSION *s, const PREQ *r,
			         RATE_QUERY *q);
/* Decide in memory (check every key, then count in every one). */
RATE_RESULT rate_mem_decide(PRATES *rates, const RATE_QUERY *q, int64_t now_ms);
/* After a pass: remember the message as counted. */
void    rate_session_counted(PSESSION *s, const PREQ *r, const RATE_QUERY *q);
/* "rate_user_messages" etc., for the log. */
const char *rate_reason(const RATE_QUERY *q, RATE_RESULT res);

#endif
