/*
 * pserver.c - listening socket and epoll event loop.
 *
 * Level-triggered epoll.  A readable connection gets one read() into its
 * parser buffer, then every complete request in the buffer is answered
 * (pipelining is harmless) while the output buffer has room; when the
 * peer stops reading, input is no longer processed until the output
 * drains.  Malformed input is logged and the connection closed without
 * a reply.  Once a second, a sweep closes connections idle longer than
 * idle_timeout and those that started a request (or a reply) and did not
 * finish it within request_timeout.
 *
 * A request the rate store must decide may wait for Redis (at most
 * timeout_ms): it is copied out of the parser buffer into the
 * connection's in-flight queue (pflight.h) and the next request is
 * parsed; replies leave in request order as the head of the queue is
 * decided.  A connection with FLIGHT_MAX requests in flight stops
 * reading; one that sent garbage or closed while requests are in flight
 * gets their replies, then is closed.  The Redis connection's descriptor
 * is on the same epoll set (predis_loop.h), and the loop wakes for the
 * store's deadlines.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "kvlog.h"
#include "msg.h"
#include "mymalloc.h"
#include "pflight.h"
#include "preq.h"
#include "pserver.h"
#include "pstore.h"
#include "pstats.h"

#define REPLY_MAX   (ACTION_MAX + 16)
/* Reply bytes held per connection: room for every request in flight. */
#define OUT_MAX     (REPLY_MAX * (FLIGHT_MAX + 2))
#define MAX_EVENTS  256

typedef struct SERVER SERVER;

typedef struct CONN {
    SERVER *s;
    int     fd;
    unsigned long id;
    PPARSER p;
    char    out[OUT_MAX];
    size_t  outlen;
    time_t  last;                 /* last request completed / accepted */
    time_t  started;              /* first byte of a pending request/reply */
    int     events;               /* EPOLLIN/EPOLLOUT now registered */
    PSESSION sess;                /* the message counted last */
    PFLIGHTQ fq;                  /* requests waiting for the store */
    PFLIGHT *spare;               /* the next one's storage */
    int     closing;              /* garbage or EOF: close once answered */
} CONN;

struct SERVER {
    int     ep;
    int     lfd;
    int     lfd_paused;
    CONN  **conns;                /* by fd */
    size_t  nslots;
    int     active;
    unsigned long next_id;
    unsigned long requests;
    unsigned long malformed;
    time_t  last_full_warn;
    PCONF **confp;
    PLOOP   loop;
    PSTORE  store;
};

/* ---- connections ----------------------------------------------------- */

static void conn_log(const CONN *c, const char *event, const char *reason)
{
    KVLOG   kv;
    size_t  show = c->p.len - c->p.line;

    kv_init(&kv);
    kv_add(&kv, "event", event);
    kv_add(&kv, "reason", reason);
    kv_addf(&kv, "conn", "%lu", c->id);
    kv_addf(&kv, "buffered", "%zu", c->p.len);
    /* The start of the offending line, escaped and capped. */
    if (show > 64)
	show = 64;
    if (c->p.buf)
	show = strnlen(c->p.buf + c->p.line, show);
    if (c->p.buf && show)
	kv_addn(&kv, "near", c->p.buf + c->p.line, show);
    msg_warn("%s", kv_str(&kv));
}

static void conn_close(SERVER *s, CONN *c)
{
    pflight_clear(&c->fq);
    pflight_free(c->spare);
    epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    s->conns[c->fd] = NULL;
    preq_free(&c->p);
    myfree(c);
    s->active--;
}

static void conn_events(SERVER *s, CONN *c, int want)
{
    struct epoll_event ev;

    if (want == c->events)
	return;
    memset(&ev, 0, sizeof(ev));
    ev.events = (uint32_t) want;
    ev.data.fd = c->fd;
    if (epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &ev) == 0)
	c->events = want;
}

/* Write what we can.  -1: the peer is gone. */
static int conn_flush(CONN *c)
{
    size_t  off = 0;

    while (off < c->outlen) {
	ssize_t n = write(c->fd, c->out + off, c->outlen - off);

	if (n < 0) {
	    if (errno == EINTR)
		continue;
	    if (errno == EAGAIN || errno == EWOULDBLOCK)
		break;
	    return -1;
	}
	off += (size_t) n;
    }
    if (off) {
	memmove(c->out, c->out + off, c->outlen - off);
	c->outlen -= off;
    }
    return 0;
}

/* The reply for a decided request. */
static void conn_emit(SERVER *s, CONN *c, const PREQ *req, const PDECISION *d)
{
    policy_log(req, d);
    pstats_decision(d->listener, d->action, d->reason);
    c->outlen += (size_t) snprintf(c->out + c->outlen, OUT_MAX - c->outlen,
				   "action=%s\n\n", d->action);
    s->requests++;
}

/* Replies for the decided head of the in-flight queue, in order. */
static void conn_drain(SERVER *s, CONN *c)
{
    PFLIGHT *f;

    while ((f = pflight_pop_done(&c->fq)) != NULL) {
	conn_emit(s, c, &f->req, &f->d);
	pflight_free(f);
    }
}

static int conn_process(SERVER *s, CONN *c, time_t now);

/* The rate store answered one of c's requests. */
static void conn_rate_done(void *ctx, RATE_RESULT res)
{
    PFLIGHT *f = ctx;
    CONN   *c = f->conn;
    SERVER *s = c->s;

    f->pending = NULL;
    res = pstore_on_error(&s->store, *s->confp, &f->q, res);
    policy_rate_result(&c->sess, &f->req, &f->q, res, &f->d);
    f->done = 1;
    conn_drain(s, c);
    if (conn_process(s, c, time(NULL)) < 0)
	conn_close(s, c);
}

/* Decide one parsed request: answered now, or queued in flight (always
 * queued behind requests already in flight, to keep the order). */
static void conn_decide(SERVER *s, CONN *c, const PREQ *req)
{
    PDECISION d;
    RATE_QUERY q;
    RATE_RESULT res;
    PREDIS_REQ *pending = NULL;
    PFLIGHT *f;

    if (c->spare == NULL)
	c->spare = mycalloc(1, sizeof(*c->spare));
    f = c->spare;
    if (policy_check(*s->confp, &c->sess, req, &d, &q)) {
	if (pstore_ask(&s->store, *s->confp, &q, conn_rate_done, f, &pending, &res))
	    policy_rate_result(&c->sess, req, &q, res, &d);
    }
    if (pending == NULL && c->fq.n == 0) {
	conn_emit(s, c, req, &d);
	return;
    }
    pflight_fill(f, c, &c->p, req, &d, &q);
    f->pending = pending;
    f->done = pending == NULL;
    pflight_push(&c->fq, f);
    c->spare = NULL;
}

/* Decide every complete request while there is room.  -1: close. */
static int conn_process(SERVER *s, CONN *c, time_t now)
{
    PREQ    req;
    const char *why;
    int     rc;

    while (!c->closing && c->fq.n < FLIGHT_MAX
	   && c->outlen + REPLY_MAX * (size_t) (c->fq.n + 1) <= OUT_MAX) {
	if ((rc = preq_next(&c->p, &req, &why)) == 0)
	    break;
	if (rc < 0) {
	    s->malformed++;
	    pstats_dropped("malformed");
	    conn_log(c, "malformed", why);
	    c->closing = 1;
	    break;
	}
	conn_decide(s, c, &req);
	preq_consume(&c->p);
	c->last = now;
	c->started = preq_partial(&c->p) ? now : 0;
    }
    if (c->outlen && conn_flush(c) < 0)
	return -1;
    if (c->closing && c->fq.n == 0)
	return -1;
    if (c->outlen && c->started == 0)
	c->started = now;
    /* Stop reading while replies back up, the queue is full or the
     * connection is ending; resume when that changes. */
    conn_events(s, c, c->outlen ? EPOLLOUT
		: c->closing || c->fq.n >= FLIGHT_MAX ? 0 : EPOLLIN);
    return 0;
}

static void conn_readable(SERVER *s, CONN *c, time_t now)
{
    size_t  avail;
    char   *dst = preq_space(&c->p, &avail);

    if (avail > 0) {
	ssize_t n = read(c->fd, dst, avail);

	if (n < 0) {
	    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return;
	    if (preq_partial(&c->p))
		conn_log(c, "cut_off", strerror(errno));
	    conn_close(s, c);
	    return;
	}
	if (n == 0) {
	    if (preq_partial(&c->p)) {
		s->malformed++;
		pstats_dropped("cut_off");
		conn_log(c, "cut_off", "connection closed mid-request");
	    } else if (c->fq.n > 0) {
		/* Answer what is in flight first. */
		c->closing = 1;
		conn_events(s, c, c->outlen ? EPOLLOUT : 0);
		return;
	    }
	    conn_close(s, c);
	    return;
	}
	if (!preq_partial(&c->p))
	    c->started = now;
	preq_commit(&c->p, (size_t) n);
    }
    if (conn_process(s, c, now) < 0)
	conn_close(s, c);
}

static void conn_writable(SERVER *s, CONN *c, time_t now)
{
    if (conn_flush(c) < 0) {
	conn_close(s, c);
	return;
    }
    if (c->outlen == 0)
	c->started = preq_partial(&c->p) ? now : 0;
    if (conn_process(s, c, now) < 0)
	conn_close(s, c);
}

static void accept_all(SERVER *s, time_t now)
{
    for (;;) {
	int     fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct epoll_event ev;
	CONN   *c;

	if (fd < 0) {
	    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS
		|| errno == ENOMEM) {
		/* Pause accepting for a second instead of spinning. */
		msg_warn("accept: %s; pausing new connections", strerror(errno));
		epoll_ctl(s->ep, EPOLL_CTL_DEL, s->lfd, NULL);
		s->lfd_paused = 1;
	    }
	    return;
	}
	if (s->active >= (*s->confp)->max_connections) {
	    if (now != s->last_full_warn) {
		msg_warn("max_connections=%d reached; refusing a connection",
			 (*s->confp)->max_connections);
		s->last_full_warn = now;
	    }
	    close(fd);
	    continue;
	}
	if ((size_t) fd >= s->nslots) {
	    size_t  old = s->nslots;

	    s->conns = mygrow(s->conns, &s->nslots, (size_t) fd + 1, sizeof(*s->conns));
	    memset(s->conns + old, 0, (s->nslots - old) * sizeof(*s->conns));
	}
	c = mycalloc(1, sizeof(*c));
	c->s = s;
	c->fd = fd;
	c->id = ++s->next_id;
	c->last = now;
	c->events = EPOLLIN;
	preq_init(&c->p);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.fd = fd;
	if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
	    msg_warn("epoll_ctl: %s", strerror(errno));
	    close(fd);
	    myfree(c);
	    continue;
	}
	s->conns[fd] = c;
	s->active++;
    }
}

static void sweep(SERVER *s, time_t now)
{
    const PCONF *cf = *s->confp;
    size_t  i;

    for (i = 0; i < s->nslots; i++) {
	CONN   *c = s->conns[i];

	if (c == NULL || c->fq.n)
	    continue;
	if (c->started && now - c->started > cf->request_timeout) {
	    s->malformed++;
	    pstats_dropped("timeout");
	    conn_log(c, "timeout", c->outlen ? "peer not reading replies"
		     : "request not completed in time");
	    conn_close(s, c);
	} else if (!c->started && now - c->last > cf->idle_timeout) {
	    msg_debug("conn=%lu idle, closing", c->id);
	    conn_close(s, c);
	}
    }
}

static void reload(SERVER *s, const char *path)
{
    CFG_ERRS e;
    PCONF  *n;

    cfg_errs_init(&e, path);
    if ((n = pconf_load(path, &e)) == NULL) {
	cfg_errs_log(&e);
	msg_error("reload of %s failed (%d error%s); keeping the old "
		  "configuration", path, e.count, e.count == 1 ? "" : "s");
    } else {
	if (strcmp(n->listen, (*s->confp)->listen) != 0)
	    msg_warn("reload: listen changed to %s; that takes a restart, "
		     "still listening on %s", n->listen, (*s->confp)->listen);
	if (n->rate_table_size != (*s->confp)->rate_table_size)
	    msg_warn("reload: rate_limits.table_size takes a restart");
	pstore_reconfigure(&s->store, *s->confp, n);
	pconf_free(*s->confp);
	*s->confp = n;
	msg_info("reloaded %s", path);
    }
    cfg_errs_free(&e);
}

void    server_run(int lfd, PCONF **confp, const char *config_path)
{
    SERVER  s;
    struct epoll_event ev, evs[MAX_EVENTS];
    time_t  last_sweep = 0;
    size_t  i;

    memset(&s, 0, sizeof(s));
    s.lfd = lfd;
    s.confp = confp;
    if ((s.ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
	msg_fatal("epoll_create1: %s", strerror(errno));
    ploop_init(&s.loop, s.ep);
    pstore_init(&s.store, *confp, &s.loop);
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN;
    ev.data.fd = lfd;
    if (epoll_ctl(s.ep, EPOLL_CTL_ADD, lfd, &ev) < 0)
	msg_fatal("epoll_ctl: %s", strerror(errno));

    while (!daemon_stop) {
	int     n, k, wait;
	time_t  now;

	if (daemon_reload) {
	    daemon_reload = 0;
	    reload(&s, config_path);
	}
	if ((wait = pstore_timeout(&s.store)) < 0 || wait > 1000)
	    wait = 1000;
	n = epoll_wait(s.ep, evs, MAX_EVENTS, wait);
	if (n < 0 && errno != EINTR)
	    msg_fatal("epoll_wait: %s", strerror(errno));
	now = time(NULL);
	for (k = 0; k < n; k++) {
	    int     fd = evs[k].data.fd;
	    CONN   *c;

	    if (fd == lfd) {
		accept_all(&s, now);
		continue;
	    }
	    if (ploop_dispatch(&s.loop, fd, evs[k].events))
		continue;
	    if ((size_t) fd >= s.nslots || (c = s.conns[fd]) == NULL)
		continue;
	    if (!(c->events & (EPOLLIN | EPOLLOUT))) {
		/* Waiting for the store, not reading: only a reset or a
		 * hang-up gets here. */
		if (evs[k].events & (EPOLLERR | EPOLLHUP))
		    conn_close(&s, c);
		continue;
	    }
	    if (evs[k].events & EPOLLOUT)
		conn_writable(&s, c, now);
	    else
		conn_readable(&s, c, now);
	}
	pstore_tick(&s.store);
	if (now != last_sweep) {
	    last_sweep = now;
	    sweep(&s, now);
	    pstats_tick(now);
	    if (s.lfd_paused && epoll_ctl(s.ep, EPOLL_CTL_ADD, lfd, &ev) == 0)
		s.lfd_paused = 0;
	}
    }
    msg_info("stopping: %lu requests answered, %lu connections dropped "
	     "for malformed input or timeouts", s.requests, s.malformed);
    for (i = 0; i < s.nslots; i++)
	if (s.conns[i])
	    conn_close(&s, s.conns[i]);
    pstore_free(&s.store);
    myfree(s.conns);
    close(s.ep);
}
