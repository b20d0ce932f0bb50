/*
 * msg.c - the logging ladder: syslog, or stderr in foreground mode.
 *
 * One formatted line per call, written with a single write(2) on stderr
 * so lines from concurrent threads do not interleave.  Callers escape
 * untrusted text first; this layer only caps the line length.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "msg.h"

#define MSG_LINE_MAX 4096

int     msg_verbose;

static const char *msg_prog = "relayscreen";
static int msg_stderr = 1;

void    msg_init(const char *prog, int to_stderr, int facility)
{
    msg_prog = prog;
    msg_stderr = to_stderr;
    if (!to_stderr)
	openlog(prog, LOG_PID | LOG_NDELAY, facility);
}

int     msg_stderr_is_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;

    if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2
	|| fstat(STDERR_FILENO, &st) < 0)
	return 0;
    return (unsigned long long) st.st_dev == dev
	&& (unsigned long long) st.st_ino == ino;
}

int     msg_facility(const char *name)
{
    static const struct {
	const char *name;
	int     fac;
    } tab[] = {
	{"mail", LOG_MAIL}, {"daemon", LOG_DAEMON}, {"user", LOG_USER},
	{"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1},
	{"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3},
	{"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
	{"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
    };
    size_t  i;

    for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
	if (strcasecmp(name, tab[i].name) == 0)
	    return tab[i].fac;
    return -1;
}

__attribute__((format(printf, 3, 0)))
static void msg_vlog(int pri, const char *level, const char *fmt, va_list ap)
{
    char    line[MSG_LINE_MAX];
    int     n = 0;

    if (msg_stderr)
	n = snprintf(line, sizeof(line), "%s: %s: ", msg_prog, level);
    else if (pri != LOG_INFO)
	n = snprintf(line, sizeof(line), "%s: ", level);
    if (n < 0 || (size_t) n >= sizeof(line))
	n = 0;
    vsnprintf(line + n, sizeof(line) - (size_t) n, fmt, ap);
    if (msg_stderr) {
	size_t  len = strlen(line);

	if (len == sizeof(line) - 1)
	    len--;
	line[len++] = '\n';
	if (write(STDERR_FILENO, line, len) < 0) {
	    /* nowhere left to report it */
	}
    } else {
	syslog(pri, "%s", line);
    }
}

#define MSG_FN(fn, pri, level) \
void    fn(const char *fmt, ...) \
{ \
    va_list ap; \
    va_start(ap, fmt); \
    msg_vlog(pri, level, fmt, ap); \
    va_end(ap); \
}

MSG_FN(msg_info, LOG_INFO, "info")
MSG_FN(msg_warn, LOG_WARNING, "warning")
MSG_FN(msg_error, LOG_ERR, "error")

void    msg_debug(const char *fmt, ...)
{
    va_list ap;

    if (!msg_verbose)
	return;
    va_start(ap, fmt);
    msg_vlog(LOG_DEBUG, "debug", fmt, ap);
    va_end(ap);
}

void    msg_fatal(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_vlog(LOG_CRIT, "fatal", fmt, ap);
    va_end(ap);
    exit(1);
}

void    msg_panic(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_vlog(LOG_CRIT, "panic", fmt, ap);
    va_end(ap);
    abort();
}
