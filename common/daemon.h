/*
 * daemon.h - process life cycle shared by both daemons.
 *
 * Order matters and is fixed, as in OpenSMTPD: open the listening socket
 * as root, then drop privileges (supplementary groups, gid, uid; then
 * verify root cannot be regained), then serve.
 */
#ifndef RS_DAEMON_H
#define RS_DAEMON_H

#include <signal.h>

/* Fork into the background, new session, cwd /, stdio on /dev/null. */
void    daemon_detach(void);

/* Write our pid (0 ok, -1 with errno).  pidfile_remove ignores errors. */
int     pidfile_write(const char *path);
void    pidfile_remove(const char *path);

/* Become user (and group, or the user's primary group when NULL).
 * A NULL or empty user keeps the current identity.  Fatal on failure. */
void    drop_privileges(const char *user, const char *group);

/* Flags set by the handlers installed by daemon_signals(). */
extern volatile sig_atomic_t daemon_stop;     /* SIGTERM, SIGINT */
extern volatile sig_atomic_t daemon_reload;   /* SIGHUP */
/* Install SIGTERM/SIGINT/SIGHUP flag handlers and ignore SIGPIPE. */
void    daemon_signals(void);

#endif
