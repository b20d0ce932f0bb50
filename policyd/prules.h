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

#include <time.h>

#include "pconf.h"
#include "preq.h"
#include "pratelimit.h"

#define ACTION_MAX 600

/* Rate counters survive reloads: they live beside the config. */
typedef struct PRATES {
    RATE_TABLE users;
    RATE_TABLE clients;
} PRATES;

typedef struct PDECISION {
    char    action[ACTION_MAX];   /* text after "action=" */
    const char *reason;           /* NULL: plain pass */
    const char *listener;         /* name, or NULL when unknown */
    int     warn;                 /* a misconfiguration: log as warning */
} PDECISION;

void    prates_init(PRATES *r, size_t max);
void    prates_free(PRATES *r);

void    policy_decide(const PCONF *c, PRATES *rates, const PREQ *r,
		              time_t now, PDECISION *d);
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
