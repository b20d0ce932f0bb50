/*
 * milter_msg.c - message state: the rules the message started with, its
 * SCAN, the envelope as Postfix gave it, and the bounded body spool that
 * strip rewrites from.  One MSG per transaction, created at MAIL FROM and
 * freed at end of message, abort or close.
 *
 * The spool is an unnamed temp file (O_TMPFILE, or a mkstemp() name that
 * is unlinked at once), so it disappears with its descriptor whatever
 * happens to the process.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "milter.h"
#include "msg.h"
#include "mymalloc.h"
#include "stats.h"

static int active;                /* messages in flight */

int     msg_active(void)
{
    return __atomic_load_n(&active, __ATOMIC_SEQ_CST);
}

MSG    *msg_new(CONN *conn, SMFICTX *ctx)
{
    MSG    *msg = mycalloc(1, sizeof(*msg));

    stats_msg_begin();
    msg->conf = reload_acquire();
    msg->spool_fd = -1;
    strlist_init(&msg->rcpts_raw);
    strlist_init(&msg->rcpts);
    msg->dir = sconf_direction(msg->conf, conn->daemon_name,
			       conn->auth_authen, conn->client_addr);
    msg->scan = scan_new(msg->conf, msg->dir);
    scan_client(msg->scan, conn->client_addr, conn->auth_authen != NULL);
    msg_queue_id(msg, ctx);
    msg->in_flight = 1;
    __atomic_add_fetch(&active, 1, __ATOMIC_SEQ_CST);
    return msg;
}

void    msg_settle(MSG *msg)
{
    if (msg && msg->in_flight) {
	msg->in_flight = 0;
	__atomic_sub_fetch(&active, 1, __ATOMIC_SEQ_CST);
    }
}

void    msg_free(MSG *msg)
{
    if (msg == NULL)
	return;
    if (msg->spool_fd >= 0)
	close(msg->spool_fd);
    scan_free(msg->scan);
    strlist_free(&msg->rcpts_raw);
    strlist_free(&msg->rcpts);
    /* Drop the rules last: the SCAN may point into them. */
    reload_release(msg->conf);
    msg_settle(msg);
    myfree(msg);
}

/* Postfix's queue id ({i}) appears once the queue file exists: with
 * smtpd_delay_open_until_valid_rcpt (the default) at the first valid
 * RCPT; pick it up whenever it is there. */
void    msg_queue_id(MSG *msg, SMFICTX *ctx)
{
    const char *v;

    if (msg->queue_id[0])
	return;
    if ((v = conn_macro(ctx, "i")) != NULL)
	snprintf(msg->queue_id, sizeof(msg->queue_id), "%s", v);
}

static int spool_open(const char *dir)
{
    char    path[4096];
    int     fd;

    fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0)
	return fd;
    /* Filesystems without O_TMPFILE: a named file, unlinked at once. */
    if (snprintf(path, sizeof(path), "%s/screener.XXXXXX", dir)
	>= (int) sizeof(path))
	return -1;
    if ((fd = mkostemp(path, O_CLOEXEC)) < 0)
	return -1;
    (void) unlink(path);
    return fd;
}

int     msg_spool(MSG *msg, const unsigned char *buf, size_t len)
{
    /* Both always set: sconf.c holds their defaults. */
    unsigned long long max = msg->conf->milter.spool_max;
    const char *dir = msg->conf->milter.spool_dir;
    ssize_t n;

    if (msg->spool_overflow || msg->spool_error)
	return -1;
    if (msg->spool_len + len > max) {
	/* Keep nothing more; strip will fail over to limits.on_error. */
	msg->spool_overflow = 1;
	return -1;
    }
    if (msg->spool_fd < 0 && (msg->spool_fd = spool_open(dir)) < 0) {
	msg_warn("cannot create spool file in %s: %s", dir, strerror(errno));
	msg->spool_error = 1;
	return -1;
    }
    while (len > 0) {
	if ((n = write(msg->spool_fd, buf, len)) < 0) {
	    if (errno == EINTR)
		continue;
	    msg_warn("spool write: %s", strerror(errno));
	    msg->spool_error = 1;
	    return -1;
	}
	buf += n;
	len -= (size_t) n;
	msg->spool_len += (uint64_t) n;
    }
    return 0;
}
