/*
 * predis_loop.h - policyd's epoll loop as other event sources see it,
 * and the hiredis adapter that puts a Redis connection on it.
 *
 * The server (pserver.c) owns the epoll descriptor and dispatches the
 * client connections itself; any other descriptor (the Redis connection)
 * registers a watcher here, and the server hands its events over with
 * ploop_dispatch().  hiredis asks for read/write interest through its
 * ev hooks; the adapter turns them into epoll registrations and the
 * events back into redisAsyncHandleRead/Write.
 */
#ifndef RS_PREDIS_LOOP_H
#define RS_PREDIS_LOOP_H

#include <stdint.h>

#include <hiredis/async.h>

#define PLOOP_WATCH_MAX 4

typedef void (*PLOOP_FN)(void *ctx, uint32_t events);

typedef struct PLOOP_WATCH {
    int     fd;                   /* -1: free */
    uint32_t events;
    PLOOP_FN fn;
    void   *ctx;
} PLOOP_WATCH;

typedef struct PLOOP {
    int     ep;
    PLOOP_WATCH w[PLOOP_WATCH_MAX];
} PLOOP;

void    ploop_init(PLOOP *l, int ep);
/* Watch fd for events (EPOLLIN/EPOLLOUT); 0 forgets it.  -1 on error. */
int     ploop_watch(PLOOP *l, int fd, uint32_t events, PLOOP_FN fn, void *ctx);
/* Hand an event over: 1 when fd is watched here (and was served). */
int     ploop_dispatch(PLOOP *l, int fd, uint32_t events);

/* The adapter state; lives as long as its owner, across connections. */
typedef struct PREDIS_EV {
    PLOOP  *loop;
    void    (*after_read)(void *owner);   /* bounds checks, may free ac */
    void   *owner;
    redisAsyncContext *ac;        /* NULL once hiredis cleaned up */
    int     fd;
    uint32_t mask;
    int     pending;              /* commands queued, not yet written */
    int     writing;              /* inside redisAsyncHandleWrite */
} PREDIS_EV;

/* Put ac on the loop (before any command is queued). */
void    predis_loop_attach(PREDIS_EV *ev, PLOOP *loop, redisAsyncContext *ac);
/* Write what the last round of events queued (after each round; may
 * free the context, as a write error disconnects). */
void    predis_loop_flush(PREDIS_EV *ev);

#endif
