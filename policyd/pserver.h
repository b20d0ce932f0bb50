/*
 * pserver.h - the listening socket and the single-threaded epoll loop.
 *
 * One process, one thread: every connection is a small state machine
 * (bounded input buffer, bounded output buffer, two timers), so one slow,
 * broken or hostile client never holds up another.
 */
#ifndef RS_PSERVER_H
#define RS_PSERVER_H

#include <sys/types.h>

#include "pconf.h"
#include "prules.h"

/* Open "inet:HOST:PORT" or "unix:PATH" (mode, owner applied to a UNIX
 * socket; uid/gid -1 to leave).  Returns the non-blocking fd, or -1 with
 * a message in err. */
int     server_listen(const char *spec, int mode, uid_t uid, gid_t gid,
		              char *err, size_t errlen);

/* Serve until daemon_stop.  On daemon_reload, re-read config_path and
 * swap it in when it loads cleanly; otherwise keep *confp and log why.
 * The rate store (pstore.h) lives here: its counters survive reloads. */
void    server_run(int lfd, PCONF **confp, const char *config_path);

#endif
