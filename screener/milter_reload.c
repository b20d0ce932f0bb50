/*
 * milter_reload.c - the current rules, swapped on SIGHUP, and the thread
 * that owns SIGHUP and SIGTERM.
 *
 * Every message takes a reference to the current SCONF when it starts and
 * drops it when it ends, both under conf_lock, so a reload never frees
 * rules a message is still using and in-flight messages finish with the
 * rules they started with.  A broken file keeps the old rules; the
 * errors are logged with file and line.
 *
 * Signals.  libmilter starts its own signal thread inside smfi_main()
 * that sigwait()s for SIGHUP, SIGTERM and SIGINT and *stops* the milter
 * on SIGHUP.  Two threads waiting for the same signal get it in no
 * defined order, so the screener supplies sigwait() itself: the program's
 * definition takes precedence over the C library's for libmilter too,
 * and it takes SIGHUP and SIGTERM out of libmilter's set.  Our own thread
 * waits with sigwaitinfo() (another symbol, so not affected): SIGHUP
 * reloads, SIGTERM calls smfi_stop().  SIGINT stays with libmilter.
 *
 * Our thread starts before smfi_main(), which initialises the lock that
 * smfi_stop() takes; a SIGTERM in between must not reach libmilter
 * before it is up.  libmilter's first call to our sigwait() says it is
 * (its signal thread starts after that set-up), so SIGTERM waits for it,
 * or for smfi_main() to have returned without ever getting there.
 */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "cfgutil.h"
#include "milter.h"
#include "msg.h"
#include "mymalloc.h"

static pthread_mutex_t conf_lock = PTHREAD_MUTEX_INITIALIZER;
static SCONF *current;
static char *conf_path;
static pthread_t sig_thread;
static int sig_thread_running;
static volatile sig_atomic_t ours_started;

/* libmilter's life as our signal thread sees it (see above) */
typedef enum { LIBMILTER_STARTING, LIBMILTER_UP, LIBMILTER_OVER } LIBMILTER_STATE;
static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t state_cond = PTHREAD_COND_INITIALIZER;
static LIBMILTER_STATE libmilter_state = LIBMILTER_STARTING;

static void set_libmilter_state(LIBMILTER_STATE state)
{
    pthread_mutex_lock(&state_lock);
    if (libmilter_state == LIBMILTER_STARTING || state == LIBMILTER_OVER)
	libmilter_state = state;
    pthread_cond_broadcast(&state_cond);
    pthread_mutex_unlock(&state_lock);
}

/* Wait until libmilter is up (1) or smfi_main() is over (0). */
static int wait_libmilter_up(void)
{
    LIBMILTER_STATE state;

    pthread_mutex_lock(&state_lock);
    while (libmilter_state == LIBMILTER_STARTING)
	pthread_cond_wait(&state_cond, &state_lock);
    state = libmilter_state;
    pthread_mutex_unlock(&state_lock);
    return state == LIBMILTER_UP;
}

void    reload_init(SCONF *conf, const char *path)
{
    current = conf;
    conf_path = mystrdup(path);
}

SCONF  *reload_acquire(void)
{
    SCONF  *c;

    pthread_mutex_lock(&conf_lock);
    c = sconf_ref(current);
    pthread_mutex_unlock(&conf_lock);
    return c;
}

void    reload_release(SCONF *c)
{
    pthread_mutex_lock(&conf_lock);
    sconf_unref(c);
    pthread_mutex_unlock(&conf_lock);
}

int     reload_now(void)
{
    CFG_ERRS errs;
    SCONF  *fresh, *old;

    cfg_errs_init(&errs, conf_path);
    fresh = sconf_load(conf_path, &errs);
    if (fresh == NULL) {
	int     count = errs.count;       /* cfg_errs_free() clears it */

	cfg_errs_log(&errs);
	cfg_errs_free(&errs);
	msg_error("reload of %s failed (%d error%s); keeping the rules "
		  "loaded before", conf_path, count, count == 1 ? "" : "s");
	return -1;
    }
    cfg_errs_free(&errs);
    pthread_mutex_lock(&conf_lock);
    old = current;
    current = fresh;
    sconf_unref(old);                     /* freed when the last msg ends */
    pthread_mutex_unlock(&conf_lock);
    msg_info("reloaded %s: %zu rule%s", conf_path, fresh->n_rules,
	     fresh->n_rules == 1 ? "" : "s");
    return 0;
}

void    reload_shutdown(void)
{
    pthread_mutex_lock(&conf_lock);
    sconf_unref(current);
    current = NULL;
    pthread_mutex_unlock(&conf_lock);
    myfree(conf_path);
    conf_path = NULL;
}

/* See the header comment: libmilter's signal thread calls this. */
int     sigwait(const sigset_t *set, int *sig)
{
    sigset_t mine = *set;
    int     n;

    if (ours_started) {
	sigdelset(&mine, SIGHUP);
	sigdelset(&mine, SIGTERM);
	set_libmilter_state(LIBMILTER_UP);
    }
    for (;;) {
	if ((n = sigwaitinfo(&mine, NULL)) > 0) {
	    *sig = n;
	    return 0;
	}
	if (errno != EINTR)
	    return errno;
    }
}

static volatile int stopped;

static void *stopper(void *arg)
{
    (void) arg;
    smfi_stop();
    __atomic_store_n(&stopped, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

/* smfi_stop() blocks until libmilter's listener wakes up; wake it. */
static void stop_milter(void)
{
    struct timespec ts = {0, 100 * 1000 * 1000};
    pthread_t t;
    int     i;

    if (pthread_create(&t, NULL, stopper, NULL) != 0) {
	smfi_stop();
	return;
    }
    for (i = 0; i < 100 && !__atomic_load_n(&stopped, __ATOMIC_SEQ_CST); i++) {
	sock_wake();
	nanosleep(&ts, NULL);
    }
    (void) pthread_join(t, NULL);
}

static void *signal_main(void *arg)
{
    sigset_t set;
    int     sig;

    (void) arg;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    for (;;) {
	if ((sig = sigwaitinfo(&set, NULL)) < 0) {
	    if (errno == EINTR)
		continue;
	    msg_error("sigwaitinfo: %s", strerror(errno));
	    return NULL;
	}
	if (sig == SIGHUP) {
	    msg_info("SIGHUP: reloading %s", conf_path);
	    (void) reload_now();
	} else {
	    msg_info("SIGTERM: finishing");
	    if (wait_libmilter_up())
		stop_milter();
	    return NULL;
	}
    }
}

void    signals_start(void)
{
    sigset_t set;
    int     err;

    /* Blocked here, so in every thread created from now on. */
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    ours_started = 1;
    if ((err = pthread_create(&sig_thread, NULL, signal_main, NULL)) != 0)
	msg_fatal("cannot start the signal thread: %s", strerror(err));
    sig_thread_running = 1;
}

/* After smfi_main() returned: make the thread go if it has not. */
void    signals_stop(void)
{
    set_libmilter_state(LIBMILTER_OVER);
    if (!sig_thread_running)
	return;
    sig_thread_running = 0;
    /* A thread-directed SIGTERM wakes its sigwaitinfo(); harmless when
     * it has returned already. */
    (void) pthread_kill(sig_thread, SIGTERM);
    (void) pthread_join(sig_thread, NULL);
}
