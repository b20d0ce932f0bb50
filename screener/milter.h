/*
 * milter.h - the screener's milter: connection state, message state, the
 * verdict applier, SMTP argument limits, config reload and the socket
 * hooks.  Internal to the screener program; the engine (engine.h) knows
 * nothing of any of this.
 *
 * Threads: libmilter runs one thread per MTA connection.  A CONN and the
 * MSG it holds are touched only by that thread; the SCONF is shared
 * read-only and kept alive by the reference each MSG holds.
 */
#ifndef RS_MILTER_H
#define RS_MILTER_H

#include <stddef.h>
#include <stdint.h>
#include <libmilter/mfapi.h>

#include "engine.h"
#include "sconf.h"
#include "strlist.h"

#define QUEUE_ID_MAX 64
#define ORIG_RCPT_HEADER "X-Relayscreen-Original-Recipients"

/* One message (MAIL FROM .. end of message or abort). */
typedef struct MSG {
    SCONF  *conf;                 /* reference held until msg_free() */
    SCAN   *scan;
    DIRECTION dir;
    char    queue_id[QUEUE_ID_MAX];       /* "" until Postfix tells us */
    STRLIST rcpts_raw;            /* RCPT arguments as given (delrcpt) */
    STRLIST rcpts;                /* cleaned addresses (log, header); the
				   * engine numbers them alike */
    int     decided;              /* a terminal verdict is known */
    int     logged;               /* scan_log() done */
    int     failed;               /* internal error seen: on_error */
    int     in_flight;            /* counted by msg_active() */
    /* body spool for strip: an unlinked temp file, bounded */
    int     spool_fd;             /* -1: none */
    uint64_t spool_len;
    int     spool_overflow;       /* exceeded milter.spool_max */
    int     spool_error;          /* write failed */
    uint64_t body_len;            /* bytes received */
} MSG;

/* One MTA connection (one SMTP session). */
typedef struct CONN {
    char   *client_addr;
    char   *client_name;
    char   *daemon_name;
    char   *helo;
    char   *auth_authen;
    char   *tls_version;
    int     skip_ok;              /* MTA understands SMFIS_SKIP */
    int     nr_conn, nr_hdr;      /* no reply to connect / each header */
    MSG    *msg;                  /* current message or NULL */
} CONN;

/* milter_conn.c */
CONN   *conn_get(SMFICTX *ctx);      /* creates it on first use */
void    conn_connect(CONN *conn, SMFICTX *ctx, const char *hostname,
		     const struct sockaddr *addr);
void    conn_free(CONN *conn);
void    conn_set(char **field, const char *value);
const char *conn_macro(SMFICTX *ctx, const char *name);

/* milter_msg.c */
MSG    *msg_new(CONN *conn, SMFICTX *ctx);
void    msg_free(MSG *msg);
void    msg_queue_id(MSG *msg, SMFICTX *ctx);
/* Append body bytes to the spool; 0 ok, -1 spool full or error. */
int     msg_spool(MSG *msg, const unsigned char *buf, size_t len);
int     msg_active(void);         /* messages in flight, all threads */
/* The message has its final answer (it may linger until abort/close):
 * it no longer holds up a SIGTERM drain. */
void    msg_settle(MSG *msg);

/* milter_actions.c */
/* Where in the transaction a verdict is answered. */
typedef enum STAGE {
    STAGE_MAIL, STAGE_RCPT, STAGE_HEADER, STAGE_EOH, STAGE_BODY, STAGE_EOM,
} STAGE;

/* The reply for an early terminal verdict (reject/tempfail/discard/
 * accept) at MAIL, RCPT, header or body time.  Logs the verdict. */
sfsistat act_early(SMFICTX *ctx, CONN *conn, MSG *msg, STAGE stage);
/* Apply the verdict at end of message.  Logs the verdict. */
sfsistat act_eom(SMFICTX *ctx, CONN *conn, MSG *msg);
/* Internal error: limits.on_error, logged with why. */
sfsistat act_error(SMFICTX *ctx, CONN *conn, MSG *msg, const char *why);
/* Set an SMTP reply from "550 5.7.1 text" (defaults fill gaps). */
void    act_setreply(SMFICTX *ctx, const char *reply, const char *dflt);
sfsistat act_rcpt_refused(SMFICTX *ctx, MSG *msg, const char *rcpt);

/* milter_smtp.c */
/* Check one SMTP command argument against SCONF.smtp; 0 within limits,
 * else -1 with the reply set, the event logged. */
int     smtp_check_helo(SMFICTX *ctx, const SCONF *c, CONN *conn,
			const char *helo);
int     smtp_check_args(SMFICTX *ctx, const SCONF *c, CONN *conn, MSG *msg,
			const char *what, char **argv);
int     smtp_check_rcpt_count(SMFICTX *ctx, const SCONF *c, CONN *conn,
			      MSG *msg);

/* milter_reload.c */
void    reload_init(SCONF *conf, const char *path);
SCONF  *reload_acquire(void);     /* current rules, reference taken */
void    reload_release(SCONF *c);
int     reload_now(void);         /* 0 ok, -1 old rules kept */
void    reload_shutdown(void);
/* The signal thread: SIGHUP reloads, SIGTERM stops.  Call before any
 * other thread exists (it sets the process signal mask). */
void    signals_start(void);
void    signals_stop(void);

/* milter_sock.c */
/* Open the listening socket as root; a UNIX one gets mode, owner user
 * (the identity we drop to) and group. */
void    sock_open(const char *spec, int mode, const char *group,
		  const char *user);
/* Make accepted TCP connections acknowledge at once (TCP_QUICKACK). */
void    sock_quickack_enable(void);
/* Poke the listener so that smfi_stop() need not wait for its poll. */
void    sock_wake(void);

/* milter_cb.c */
struct smfiDesc *milter_desc(void);

#endif
