/*
 * prules.h - decide one policy request against the listener rules.
 *
 * The decision is a complete access(5) action for the reply line:
 * "DUNNO" for a pass (so the rest of smtpd's restrictions still apply;
 * policyd never says OK), or "4NN ..."/"5NN ..." with enhanced status
 * codes.  Every decision other than a pass carries a reason token and is
 * logged as one key=value line.
 */
#ifndef RS_PRULES_H
#define RS_PRULES_H

#include <stdint.h>

#include "pconf.h"
#include "preq.h"
#include "prate.h"

#define ACTION_MAX 600

typedef struct PDECISION {
    char    action[ACTION_MAX];   /* text after "action=" */
    const char *reason;           /* NULL: plain pass */
    const char *listener;         /* name, or NULL when unknown */
    int     warn;                 /* a misconfiguration: log as warning */
} PDECISION;

/* Every rule but the rate limits.  Returns 1 when the request passed
 * them and the rate limits must decide: *q holds the query, to be
 * answered by a store and given to policy_rate_result(). */
int     policy_check(const PCONF *c, const PSESSION *s, const PREQ *r,
		             PDECISION *d, RATE_QUERY *q);
/* Apply a store's answer (a store error defers, 451 4.3.0); on a pass,
 * the message is remembered as counted in s. */
void    policy_rate_result(PSESSION *s, const PREQ *r, const RATE_QUERY *q,
			           RATE_RESULT res, PDECISION *d);
/* Both, with the memory store: the whole decision at once. */
void    policy_decide(const PCONF *c, PRATES *rates, PSESSION *s,
		              const PREQ *r, int64_t now_ms, PDECISION *d);
/* Log a non-pass decision (one kvlog line); no-op for a pass. */
void    policy_log(const PREQ *r, const PDECISION *d);

/* Helpers, exported for the unit tests. */
const PLISTENER *policy_listener(const PCONF *c, const PREQ *r);
/* Source route, %, !, quotes, backslash or a second @: mail routing
 * hidden in an address, which must never count as a hosted recipient. */
int     addr_has_routing(const char *addr);
/* Recipient in a hosted domain (exact, caseless, no routing). */
int     rcpt_is_hosted(const PCONF *c, const char *rcpt);
/* May this SASL login use this envelope sender? */
int     sender_login_ok(const PCONF *c, const char *login, const char *sender);

#endif
