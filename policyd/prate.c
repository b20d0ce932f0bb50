/*
 * prate.c - rate queries: normalised keys, the memory store's decision,
 * and the per-connection memory of the message already counted.
 *
 * Keys are normalised as the sender-login check compares logins: lower
 * case, so "bob@", "Bob@" and "BOB@" share one counter wherever the SASL
 * backend accepts any case.  The sender domain loses one trailing dot.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "mymalloc.h"
#include "prate.h"

void    prates_init(PRATES *r, size_t max)
{
    int     i;

    for (i = 0; i < RQ_MAX; i++)
	rate_init(&r->t[i], max);
    r->window_s = 0;
}

void    prates_free(PRATES *r)
{
    int     i;

    for (i = 0; i < RQ_MAX; i++)
	rate_free(&r->t[i]);
}

static void add_key(RATE_QUERY *q, RATE_KIND kind, const char *key, size_t len,
		            const PRATE *lim)
{
    RATE_QKEY *k;
    int     msgs = q->new_message && lim->messages > 0;
    int     rcpts = q->rcpts > 0 && lim->recipients > 0;

    if (len == 0 || (!msgs && !rcpts))
	return;
    k = &q->k[q->n++];
    k->kind = kind;
    if (len > RATE_KEY_MAX)
	len = RATE_KEY_MAX;
    memcpy(k->key, key, len);
    k->key[len] = 0;
    lowercase(k->key);
    k->max[RATE_MSGS] = lim->messages;
    k->max[RATE_RCPTS] = lim->recipients;
    k->add[RATE_MSGS] = msgs;
    k->add[RATE_RCPTS] = rcpts ? q->rcpts : 0;
}

int     rate_query_build(const PCONF *c, const PSESSION *s, const PREQ *r,
			         RATE_QUERY *q)
{
    const char *user = preq_get(r, PA_SASL_USERNAME);
    const char *client = preq_get(r, PA_CLIENT_ADDRESS);
    const char *sender = preq_get(r, PA_SENDER);
    const char *inst = preq_get(r, PA_INSTANCE);
    const char *at = strrchr(sender, '@');
    size_t  dlen = at ? strlen(at + 1) : 0;

    memset(q, 0, sizeof(*q));
    q->window_s = c->rate_window;
    /* Without an instance (not Postfix) every RCPT is a message: the
     * count errs on the side of the limit. */
    q->new_message = *inst == 0 || s == NULL
	|| strncmp(inst, s->instance, sizeof(s->instance)) != 0;
    q->rcpts = 1;
    if (strcasecmp(preq_get(r, PA_PROTOCOL_STATE), "DATA") == 0) {
	long    n = strtol(preq_get(r, PA_RECIPIENT_COUNT), NULL, 10);
	long    done = q->new_message || s == NULL ? 0 : s->rcpts;

	if (n > 1000000)
	    n = 1000000;
	q->rcpts = n > done ? (int) (n - done) : 0;
	if (!q->new_message && q->rcpts == 0)
	    return 0;
    }
    add_key(q, RK_USER, user, strlen(user), &c->rate_user);
    add_key(q, RK_CLIENT, client, strlen(client), &c->rate_client);
    if (dlen > 1 && at[dlen] == '.')
	dlen--;
    if (at)
	add_key(q, RK_DOMAIN, at + 1, dlen, &c->rate_domain);
    return q->n;
}

RATE_RESULT rate_mem_decide(PRATES *rates, const RATE_QUERY *q, int64_t now_ms)
{
    RATE_RESULT res = {RATE_PASS, 0, 0};
    RATE_ENT *e[RQ_MAX];
    int64_t slot_ms = rate_slot_ms(q->window_s);
    int     i, over;

    /* Another window means other slots: start the counts again. */
    if (rates->window_s != q->window_s) {
	size_t  max = rates->t[0].max;

	prates_free(rates);
	prates_init(rates, max);
	rates->window_s = q->window_s;
    }
    for (i = 0; i < q->n; i++) {
	const RATE_QKEY *k = &q->k[i];

	/* Distinct kinds use distinct tables, so e[] stay valid. */
	e[i] = rate_lookup(&rates->t[k->kind], k->key, now_ms, slot_ms);
	if ((over = rate_over(e[i], k->max[RATE_MSGS], k->max[RATE_RCPTS],
			      k->add[RATE_MSGS], k->add[RATE_RCPTS])) != 0) {
	    res.status = RATE_OVER;
	    res.key = i;
	    res.dim = over - 1;
	    return res;
	}
    }
    for (i = 0; i < q->n; i++)
	rate_add(e[i], q->k[i].add[RATE_MSGS], q->k[i].add[RATE_RCPTS]);
    return res;
}

void    rate_session_counted(PSESSION *s, const PREQ *r, const RATE_QUERY *q)
{
    const char *inst = preq_get(r, PA_INSTANCE);

    if (s == NULL)
	return;
    if (q->new_message && *inst) {
	strncpy(s->instance, inst, sizeof(s->instance) - 1);
	s->instance[sizeof(s->instance) - 1] = 0;
	s->rcpts = 0;
    }
    s->rcpts += q->rcpts;
}

const char *rate_reason(const RATE_QUERY *q, RATE_RESULT res)
{
    static const char *const names[RQ_MAX][2] = {
	{"rate_user_messages", "rate_user_recipients"},
	{"rate_client_messages", "rate_client_recipients"},
	{"rate_sender_domain_messages", "rate_sender_domain_recipients"},
    };

    if (res.status == RATE_STORE_ERROR)
	return "rate_store_error";
    if (res.status != RATE_OVER || res.key < 0 || res.key >= q->n
	|| res.dim < 0 || res.dim > 1)
	return NULL;
    return names[q->k[res.key].kind][res.dim];
}
