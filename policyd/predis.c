/*
 * predis.c - the Redis rate store (see predis.h for the states).
 *
 * Ownership: a request is on the live list until it is answered (reply,
 * deadline, store down) or cancelled.  Once handed to hiredis, hiredis
 * calls on_reply exactly once more, with a reply or with NULL when the
 * connection goes; that call frees a request already answered.  The
 * caller's done() runs after the request left the live list, so it may
 * ask again or cancel other requests.
 *
 * hiredis frees its context itself after a failed connect or a
 * disconnect (calling every queued callback with NULL first); r->ac is
 * cleared before anything can call back, so nothing is ever sent on a
 * context that is going away.
 */
#include <config.h>

#include <string.h>
#include <time.h>

#include <hiredis/async.h>

#include "msg.h"
#include "mymalloc.h"
#include "predis.h"
#include "predis_script.h"

#define LIVE_MAX        2048      /* requests waiting at once */
#define OUTSTANDING_MAX 10000     /* sent and not answered by Redis, some
				 * already answered by their deadline */
#define BACKOFF_MIN_MS  200
#define BACKOFF_MAX_MS  5000
#define CONNECT_MIN_MS  1000      /* connect + AUTH + SCRIPT LOAD */
#define STUCK_MIN_MS    1000      /* no reply at all: reconnect */
#define STUCK_MAX_MS    30000

typedef enum { PR_DOWN, PR_CONNECTING, PR_READY } PR_STATE;
typedef enum { ANN_NONE, ANN_UP, ANN_DOWN } PR_ANNOUNCED;

struct PREDIS_REQ {
    PREDIS_REQ *prev, *next;      /* live list, oldest first */
    PREDIS *r;
    int64_t deadline;
    int     sent;                 /* hiredis holds it */
    int     answered;             /* done() called, or cancelled */
    int     retried;              /* re-sent as EVAL after NOSCRIPT */
    int     late;                 /* answered by its deadline while sent */
    PREDIS_DONE done;
    void   *ctx;
    int64_t now_ms;
    RATE_QUERY q;
    PREDIS_CALL call;
};

struct PREDIS {
    PLOOP  *loop;
    PREDIS_EV ev;
    redisAsyncContext *ac;
    PR_STATE state;
    PR_ANNOUNCED announced;
    int     slow;                 /* "no reply in time" logged */
    char   *server, *host, *unix_path, *password, *prefix;
    int     port;
    int     timeout_ms;
    char    sha[PREDIS_SHA_LEN + 1];
    PREDIS_REQ *head, *tail;
    int     nlive;
    int     outstanding;          /* sent, on_reply not yet called */
    int     late;                 /* of those, answered by their deadline */
    int64_t last_reply;           /* or when outstanding became 1 */
    int64_t retry_at;
    int64_t connect_deadline;
    int     backoff_ms;
};

/* A connection that answers nothing this long is dropped. */
static int64_t stuck_ms(const PREDIS *r)
{
    int64_t t = (int64_t) r->timeout_ms * 10;

    return t < STUCK_MIN_MS ? STUCK_MIN_MS : t > STUCK_MAX_MS ? STUCK_MAX_MS : t;
}

int64_t predis_mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void live_unlink(PREDIS *r, PREDIS_REQ *q)
{
    if (q->prev)
	q->prev->next = q->next;
    else
	r->head = q->next;
    if (q->next)
	q->next->prev = q->prev;
    else
	r->tail = q->prev;
    q->prev = q->next = NULL;
    r->nlive--;
}

/* Answer a live request; frees it unless hiredis still holds it. */
static void answer(PREDIS_REQ *q, RATE_RESULT res)
{
    PREDIS_DONE done = q->done;
    void   *ctx = q->ctx;

    live_unlink(q->r, q);
    q->answered = 1;
    if (!q->sent)
	myfree(q);
    done(ctx, res);
}

static void answer_error(PREDIS_REQ *q)
{
    RATE_RESULT res = {RATE_STORE_ERROR, 0, 0};

    answer(q, res);
}

/* ---- state changes ----------------------------------------------------- */

static void went_down(PREDIS *r, const char *why)
{
    PREDIS_REQ *q;

    r->state = PR_DOWN;
    r->ac = NULL;
    r->outstanding = 0;
    r->late = 0;
    r->retry_at = predis_mono_ms() + r->backoff_ms;
    r->backoff_ms = r->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : r->backoff_ms * 2;
    if (r->announced != ANN_DOWN) {
	msg_warn("redis %s: unavailable (%s); rate decisions follow "
		 "on_store_error until it is back", r->server, why);
	r->announced = ANN_DOWN;
    }
    /* Those still waiting for the connection will not get it.  An
     * answer may cancel others (its client connection closes), so
     * look again from the start each time. */
    for (;;) {
	for (q = r->head; q && q->sent; q = q->next)
	     /* void */ ;
	if (q == NULL)
	    break;
	answer_error(q);
    }
}

/* Drop the connection (also from inside a hiredis callback). */
static void drop(PREDIS *r, const char *why)
{
    redisAsyncContext *ac = r->ac;

    if (r->state == PR_DOWN)
	return;
    went_down(r, why);
    if (ac)
	redisAsyncFree(ac);
}

static void on_reply(redisAsyncContext *ac, void *reply, void *priv);

static int hand_over(PREDIS *r, PREDIS_REQ *q)
{
    if (r->ac == NULL || redisAsyncCommandArgv(r->ac, on_reply, q, q->call.argc,
			   q->call.argv, q->call.argvlen) != REDIS_OK)
	return -1;
    if (r->outstanding++ == 0)
	r->last_reply = predis_mono_ms();
    q->sent = 1;
    return 0;
}

static void became_ready(PREDIS *r)
{
    PREDIS_REQ *q;

    r->state = PR_READY;
    r->backoff_ms = BACKOFF_MIN_MS;
    if (r->announced != ANN_UP) {
	msg_info("redis %s: connected; rate limits are shared", r->server);
	r->announced = ANN_UP;
    }
    /* As in went_down: an answer may cancel others. */
    for (;;) {
	for (q = r->head; q && q->sent; q = q->next)
	     /* void */ ;
	if (q == NULL)
	    break;
	predis_call_build(&q->call, r->sha, r->prefix, &q->q, q->now_ms);
	if (hand_over(r, q) < 0)
	    answer_error(q);
    }
}

/* ---- hiredis callbacks ---------------------------------------------- */

static void on_connect(const redisAsyncContext *ac, int status)
{
    PREDIS *r = ac->data;

    if (status != REDIS_OK && r->ac == ac)
	went_down(r, ac->errstr[0] ? ac->errstr : "connect failed");
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    PREDIS *r = ac->data;

    if (r->ac == ac)
	went_down(r, status == REDIS_OK ? "connection closed" :
		  ac->errstr[0] ? ac->errstr : "connection lost");
}

static void on_auth(redisAsyncContext *ac, void *reply, void *priv)
{
    PREDIS *r = ac->data;
    char    buf[128];

    (void) priv;
    if (r->ac != ac || r->state != PR_CONNECTING || reply == NULL)
	return;
    if (!predis_ok_reply(reply)) {
	snprintf(buf, sizeof(buf), "AUTH refused: ");
	predis_reply_str(reply, buf + 14, sizeof(buf) - 14);
	drop(r, buf);
    }
}

static void on_load(redisAsyncContext *ac, void *reply, void *priv)
{
    PREDIS *r = ac->data;
    char    buf[128];

    (void) priv;
    if (r->ac != ac || r->state != PR_CONNECTING || reply == NULL)
	return;
    if (predis_sha_reply(reply, r->sha)) {
	became_ready(r);
	return;
    }
    snprintf(buf, sizeof(buf), "SCRIPT LOAD: ");
    predis_reply_str(reply, buf + 13, sizeof(buf) - 13);
    drop(r, buf);
}

static void on_reply(redisAsyncContext *ac, void *reply, void *priv)
{
    PREDIS_REQ *q = priv;
    PREDIS *r = ac->data;
    RATE_RESULT res;
    PREDIS_RSTATUS st;
    char    buf[128];

    if (r->ac == ac) {
	if (r->outstanding > 0)
	    r->outstanding--;
	r->last_reply = predis_mono_ms();
    }
    /* No reply: the connection is going; no more requests on it (q is
     * still marked sent, so went_down leaves it to us). */
    if (reply == NULL && r->ac == ac)
	went_down(r, ac->errstr[0] ? ac->errstr : "connection lost");
    q->sent = 0;
    if (q->answered) {
	if (q->late && r->ac == ac && r->late > 0)
	    r->late--;
	myfree(q);
	return;
    }
    st = predis_decision_reply(reply, q->q.n, &res);
    if (st == PREDIS_R_NOSCRIPT && !q->retried && r->ac == ac) {
	q->retried = 1;
	predis_call_eval(&q->call);
	if (hand_over(r, q) == 0)
	    return;
    }
    if (st != PREDIS_R_OK) {
	answer_error(q);
	if (reply != NULL && r->ac == ac) {
	    snprintf(buf, sizeof(buf), "unexpected reply: ");
	    predis_reply_str(reply, buf + 18, sizeof(buf) - 18);
	    drop(r, buf);
	}
	return;
    }
    if (r->slow && r->ac == ac) {
	msg_info("redis %s: replying in time again", r->server);
	r->slow = 0;
    }
    answer(q, res);
}

/* ---- connecting ------------------------------------------------------ */

/* After each read: a reply that is not complete within the reader's
 * bound is not one of ours. */
static void after_read(void *owner)
{
    PREDIS *r = owner;

    if (r->ac && predis_reader_overfull(r->ac->c.reader))
	drop(r, "reply too large");
}

static void start_connect(PREDIS *r)
{
    redisAsyncContext *ac;
    const char *load[3] = {"SCRIPT", "LOAD", predis_script};
    size_t  loadlen[3] = {6, 4, strlen(predis_script)};

    ac = r->unix_path ? redisAsyncConnectUnix(r->unix_path)
	: redisAsyncConnect(r->host, r->port);
    if (ac == NULL) {
	r->state = PR_CONNECTING;
	went_down(r, "out of memory");
	return;
    }
    if (ac->err) {
	char    why[128];

	snprintf(why, sizeof(why), "%s", ac->errstr);
	redisAsyncFree(ac);
	r->state = PR_CONNECTING;
	went_down(r, why);
	return;
    }
    ac->data = r;
    predis_reader_limit(ac->c.reader);
    predis_loop_attach(&r->ev, r->loop, ac);
    r->ev.after_read = after_read;
    r->ev.owner = r;
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    r->ac = ac;
    r->state = PR_CONNECTING;
    r->outstanding = 0;
    r->connect_deadline = predis_mono_ms()
	+ (r->timeout_ms * 4 > CONNECT_MIN_MS ? r->timeout_ms * 4 : CONNECT_MIN_MS);
    if (r->password)
	redisAsyncCommand(ac, on_auth, NULL, "AUTH %s", r->password);
    redisAsyncCommandArgv(ac, on_load, NULL, 3, load, loadlen);
}

PREDIS *predis_create(const PREDIS_CONF *rc, PLOOP *loop)
{
    PREDIS *r = mycalloc(1, sizeof(*r));

    r->loop = loop;
    r->ev.fd = -1;
    r->server = mystrdup(rc->server);
    r->host = rc->host ? mystrdup(rc->host) : NULL;
    r->unix_path = rc->unix_path ? mystrdup(rc->unix_path) : NULL;
    r->password = rc->password ? mystrdup(rc->password) : NULL;
    r->port = rc->port;
    r->prefix = mystrdup(rc->key_prefix);
    r->timeout_ms = rc->timeout_ms;
    r->backoff_ms = BACKOFF_MIN_MS;
    start_connect(r);
    return r;
}

void    predis_update(PREDIS *r, const PREDIS_CONF *rc)
{
    myfree(r->prefix);
    r->prefix = mystrdup(rc->key_prefix);
    r->timeout_ms = rc->timeout_ms;
}

void    predis_free(PREDIS *r)
{
    redisAsyncContext *ac;

    if (r == NULL)
	return;
    ac = r->ac;
    r->state = PR_DOWN;
    r->ac = NULL;
    while (r->head)
	answer_error(r->head);
    if (ac)
	redisAsyncFree(ac);
    if (r->password)
	memset(r->password, 0, strlen(r->password));
    myfree(r->server);
    myfree(r->host);
    myfree(r->unix_path);
    myfree(r->password);
    myfree(r->prefix);
    myfree(r);
}

/* ---- requests ---------------------------------------------------------- */

PREDIS_REQ *predis_ask(PREDIS *r, const RATE_QUERY *q, int64_t now_ms,
		               PREDIS_DONE done, void *ctx, RATE_RESULT *res)
{
    PREDIS_REQ *req;

    /* Bounded: what waits here, and what Redis has not answered yet
     * (requests past their deadline are still held until it does). */
    /* While Redis still owes replies past their deadline, asking more
     * only lengthens its queue: answer at once until it catches up. */
    if (r->state == PR_DOWN || r->late > 0 || r->nlive >= LIVE_MAX
	|| r->outstanding >= OUTSTANDING_MAX) {
	res->status = RATE_STORE_ERROR;
	res->key = res->dim = 0;
	return NULL;
    }
    req = mycalloc(1, sizeof(*req));
    req->r = r;
    req->deadline = predis_mono_ms() + r->timeout_ms;
    req->done = done;
    req->ctx = ctx;
    req->now_ms = now_ms;
    req->q = *q;
    req->prev = r->tail;
    if (r->tail)
	r->tail->next = req;
    else
	r->head = req;
    r->tail = req;
    r->nlive++;
    if (r->state == PR_READY) {
	predis_call_build(&req->call, r->sha, r->prefix, &req->q, now_ms);
	if (hand_over(r, req) < 0) {
	    live_unlink(r, req);
	    myfree(req);
	    res->status = RATE_STORE_ERROR;
	    return NULL;
	}
    }
    return req;
}

void    predis_cancel(PREDIS_REQ *q)
{
    live_unlink(q->r, q);
    q->answered = 1;
    if (!q->sent)
	myfree(q);
}

int     predis_timeout(PREDIS *r)
{
    int64_t now = predis_mono_ms(), at = -1, t;

    if (r->ev.pending)
	return 0;
    if (r->head)
	at = r->head->deadline;
    if (r->state == PR_DOWN)
	t = r->retry_at;
    else if (r->state == PR_CONNECTING)
	t = r->connect_deadline;
    else
	t = r->outstanding ? r->last_reply + stuck_ms(r) : -1;
    if (t >= 0 && (at < 0 || t < at))
	at = t;
    if (at < 0)
	return -1;
    return at <= now ? 0 : (int) (at - now > 1000 ? 1000 : at - now);
}

void    predis_tick(PREDIS *r)
{
    int64_t now;

    predis_loop_flush(&r->ev);
    now = predis_mono_ms();

    /* Deadlines are in list order while timeout_ms stays; after a
     * reload lowered it, newer requests wait at most the old one. */
    while (r->head && r->head->deadline <= now) {
	if (!r->slow && r->state == PR_READY) {
	    msg_warn("redis %s: no reply within %d ms; rate decisions follow "
		     "on_store_error meanwhile", r->server, r->timeout_ms);
	    r->slow = 1;
	}
	if (r->head->sent) {
	    r->head->late = 1;
	    r->late++;
	}
	answer_error(r->head);
    }
    if (r->state == PR_CONNECTING && now >= r->connect_deadline)
	drop(r, "connect timeout");
    else if (r->state == PR_READY && r->outstanding && now - r->last_reply >= stuck_ms(r))
	drop(r, "no reply for a long time");
    else if (r->state == PR_DOWN && now >= r->retry_at)
	start_connect(r);
}
