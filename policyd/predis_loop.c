/*
 * predis_loop.c - watchers on policyd's epoll loop, and the hiredis
 * adapter (hiredis 0.14 has none for a bare epoll loop).
 *
 * hiredis may free its context from inside redisAsyncHandleRead (a
 * disconnect); its cleanup hook then clears ev->ac, which is checked
 * before the write half of the same event is handled.  The PREDIS_EV
 * itself belongs to the caller, so it outlives the context.
 */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>

#include "msg.h"
#include "predis_loop.h"

void    ploop_init(PLOOP *l, int ep)
{
    int     i;

    l->ep = ep;
    for (i = 0; i < PLOOP_WATCH_MAX; i++)
	l->w[i].fd = -1;
}

static PLOOP_WATCH *find(PLOOP *l, int fd)
{
    int     i;

    for (i = 0; i < PLOOP_WATCH_MAX; i++)
	if (l->w[i].fd == fd)
	    return &l->w[i];
    return NULL;
}

int     ploop_watch(PLOOP *l, int fd, uint32_t events, PLOOP_FN fn, void *ctx)
{
    PLOOP_WATCH *w = find(l, fd);
    struct epoll_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.events = events;
    ev.data.fd = fd;
    if (events == 0) {
	if (w) {
	    (void) epoll_ctl(l->ep, EPOLL_CTL_DEL, fd, NULL);
	    w->fd = -1;
	}
	return 0;
    }
    if (w == NULL) {
	if ((w = find(l, -1)) == NULL) {
	    msg_warn("event loop: no free watcher slot for fd %d", fd);
	    return -1;
	}
	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
	    msg_warn("epoll_ctl add fd %d: %s", fd, strerror(errno));
	    return -1;
	}
	w->fd = fd;
    } else if (w->events != events && epoll_ctl(l->ep, EPOLL_CTL_MOD, fd, &ev) < 0) {
	msg_warn("epoll_ctl mod fd %d: %s", fd, strerror(errno));
	return -1;
    }
    w->events = events;
    w->fn = fn;
    w->ctx = ctx;
    return 0;
}

int     ploop_dispatch(PLOOP *l, int fd, uint32_t events)
{
    PLOOP_WATCH *w = find(l, fd);

    if (w == NULL)
	return 0;
    w->fn(w->ctx, events);
    return 1;
}

/* ---- the hiredis adapter ------------------------------------------- *
 *
 * hiredis asks for write interest with every command it queues.  Once
 * connected, that only marks the output pending: predis_loop_flush()
 * writes it after the round of events that queued it, every command of
 * the round in one write(), and EPOLLOUT is asked for only when the
 * socket takes less than all (no epoll_ctl, no extra wake-up per round).
 */

static void on_event(void *ctx, uint32_t events)
{
    PREDIS_EV *ev = ctx;

    /* Errors and hang-ups surface through read(). */
    if (ev->ac && (events & (EPOLLIN | EPOLLERR | EPOLLHUP))) {
	redisAsyncHandleRead(ev->ac);
	if (ev->ac && ev->after_read)
	    ev->after_read(ev->owner);
    }
    if (ev->ac && (events & EPOLLOUT)) {
	ev->writing = 1;
	redisAsyncHandleWrite(ev->ac);
	ev->writing = 0;
    }
}

static void update(PREDIS_EV *ev, uint32_t mask)
{
    if (ev->fd < 0 || mask == ev->mask)
	return;
    ev->mask = mask;
    (void) ploop_watch(ev->loop, ev->fd, mask, on_event, ev);
}

static void add_read(void *p)
{
    PREDIS_EV *ev = p;

    update(ev, ev->mask | EPOLLIN);
}

static void del_read(void *p)
{
    PREDIS_EV *ev = p;

    update(ev, ev->mask & ~(uint32_t) EPOLLIN);
}

static void add_write(void *p)
{
    PREDIS_EV *ev = p;

    /* While connecting, writable means connected: wait for it. */
    if (!ev->writing && ev->ac && (ev->ac->c.flags & REDIS_CONNECTED)) {
	ev->pending = 1;
	return;
    }
    update(ev, ev->mask | EPOLLOUT);
}

static void del_write(void *p)
{
    PREDIS_EV *ev = p;

    ev->pending = 0;
    update(ev, ev->mask & ~(uint32_t) EPOLLOUT);
}

void    predis_loop_flush(PREDIS_EV *ev)
{
    if (ev->ac == NULL || !ev->pending)
	return;
    ev->pending = 0;
    ev->writing = 1;
    redisAsyncHandleWrite(ev->ac);	/* may free the context */
    ev->writing = 0;
}

static void cleanup(void *p)
{
    PREDIS_EV *ev = p;

    update(ev, 0);
    ev->fd = -1;
    ev->ac = NULL;
    ev->pending = 0;
}

void    predis_loop_attach(PREDIS_EV *ev, PLOOP *loop, redisAsyncContext *ac)
{
    ev->loop = loop;
    ev->ac = ac;
    ev->fd = ac->c.fd;
    ev->mask = 0;
    ev->pending = ev->writing = 0;
    ac->ev.data = ev;
    ac->ev.addRead = add_read;
    ac->ev.delRead = del_read;
    ac->ev.addWrite = add_write;
    ac->ev.delWrite = del_write;
    ac->ev.cleanup = cleanup;
}
