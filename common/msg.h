/*
 * msg.h - the logging ladder shared by both daemons.
 *
 * debug < info < warn < error < fatal < panic, as in Postfix: fatal exits
 * with status 1, panic aborts.  Output goes to syslog (facility mail by
 * default) or, in foreground mode, to stderr as "prog: level: text".
 * Callers must pass untrusted text through printable()/kv_*() first.
 */
#ifndef RS_MSG_H
#define RS_MSG_H

#include <stdarg.h>

#define RS_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define RS_NORETURN     __attribute__((noreturn))

extern int msg_verbose;          /* 0: no debug output */

/* prog: name in every line; to_stderr: foreground mode; facility: LOG_* */
void    msg_init(const char *prog, int to_stderr, int facility);
/* Is stderr the systemd journal (JOURNAL_STREAM names it)?  Then a
 * foreground daemon logs through syslog(3) all the same: the journal
 * keeps each line's priority and identifier, and mail.log (where
 * rsyslog runs) gets the same lines as in daemon mode. */
int     msg_stderr_is_journal(void);
/* "mail", "local0".."local7", "daemon", "user": -1 if unknown */
int     msg_facility(const char *name);

void    msg_debug(const char *fmt, ...) RS_PRINTF(1, 2);
void    msg_info(const char *fmt, ...) RS_PRINTF(1, 2);
void    msg_warn(const char *fmt, ...) RS_PRINTF(1, 2);
void    msg_error(const char *fmt, ...) RS_PRINTF(1, 2);
void    msg_fatal(const char *fmt, ...) RS_PRINTF(1, 2) RS_NORETURN;
void    msg_panic(const char *fmt, ...) RS_PRINTF(1, 2) RS_NORETURN;

#endif
