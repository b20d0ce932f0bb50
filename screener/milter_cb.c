/*
 * milter_cb.c - the libmilter callbacks.  They only translate: milter
 * events become CONN/MSG updates and engine calls, engine answers become
 * milter replies (milter_actions.c).  Decisions are made as early as the
 * rules allow: an engine call that returns 1 has a terminal verdict, and
 * the callback answers at once instead of reading more of the message.
 */
#include <config.h>

#include <string.h>

#include "addr.h"
#include "milter.h"
#include "milter_want.h"
#include "msg.h"
#include "mymalloc.h"

#define CONN_OF(ctx) conn_get(ctx)

static sfsistat cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
			             unsigned long f2, unsigned long f3,
			             unsigned long *pf0, unsigned long *pf1,
			             unsigned long *pf2, unsigned long *pf3)
{
    unsigned long steps = 0;
    size_t  i;

    if ((f0 & WANT_ACTIONS) != WANT_ACTIONS)
	msg_warn("MTA does not offer every action needed (offered 0x%lx, "
		 "need 0x%lx): some verdicts will fail to apply",
		 f0, (unsigned long) WANT_ACTIONS);
    *pf0 = f0 & (WANT_ACTIONS | SMFIF_SETSYMLIST);
    steps = f1 & WANT_NO_STEPS;         /* milter_want.h says why */
    *pf1 = steps;
    *pf2 = *pf3 = 0;
    if (f0 & SMFIF_SETSYMLIST)
	for (i = 0; i < WANT_MACRO_STAGES; i++)
	    if (smfi_setsymlist(ctx, want_macros[i].stage,
				(char *) want_macros[i].macros) != MI_SUCCESS)
		msg_warn("smfi_setsymlist(%d) failed", want_macros[i].stage);
    conn_get(ctx)->skip_ok = (steps & SMFIP_SKIP) != 0;
    conn_get(ctx)->nr_conn = (steps & SMFIP_NR_CONN) != 0;
    conn_get(ctx)->nr_hdr = (steps & SMFIP_NR_HDR) != 0;
    return SMFIS_CONTINUE;
}

static sfsistat cb_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
    CONN   *conn = conn_get(ctx);

    conn_connect(conn, ctx, host, (const struct sockaddr *) sa);
    return conn->nr_conn ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat cb_helo(SMFICTX *ctx, char *helo)
{
    CONN   *conn = CONN_OF(ctx);
    SCONF  *c;
    int     bad;

    conn_set(&conn->helo, helo);
    conn_set(&conn->tls_version, conn_macro(ctx, "{tls_version}"));
    c = reload_acquire();
    bad = smtp_check_helo(ctx, c, conn, helo);
    reload_release(c);
    return bad ? SMFIS_REJECT : SMFIS_CONTINUE;
}

static sfsistat cb_envfrom(SMFICTX *ctx, char **argv)
{
    CONN   *conn = CONN_OF(ctx);
    char    addr[ADDR_MAX + 1];
    MSG    *msg;

    if (conn->msg) {                      /* no abort seen: be safe */
	msg_free(conn->msg);
	conn->msg = NULL;
    }
    /* {daemon_name} may come only now if the MTA sent no connect macros */
    if (conn->daemon_name == NULL)
	conn_set(&conn->daemon_name, conn_macro(ctx, "{daemon_name}"));
    conn_set(&conn->auth_authen, conn_macro(ctx, "{auth_authen}"));
    msg = conn->msg = msg_new(conn, ctx);
    if (smtp_check_args(ctx, msg->conf, conn, msg, "mail", argv) < 0) {
	msg_settle(msg);
	return SMFIS_REJECT;
    }
    if (addr_clean(argv[0] ? argv[0] : "", addr, sizeof(addr)) < 0) {
	act_setreply(ctx, NULL, "501 5.1.7 Sender address too long");
	msg_settle(msg);
	return SMFIS_REJECT;
    }
    if (scan_sender(msg->scan, addr))
	return act_early(ctx, conn, msg, STAGE_MAIL);
    return SMFIS_CONTINUE;
}

static sfsistat cb_envrcpt(SMFICTX *ctx, char **argv)
{
    CONN   *conn = CONN_OF(ctx);
    MSG    *msg = conn->msg;
    char    addr[ADDR_MAX + 1];
    int     terminal = 0;

    if (msg == NULL)
	return act_error(ctx, conn, NULL, "RCPT without MAIL");
    msg_queue_id(msg, ctx);
    if (smtp_check_args(ctx, msg->conf, conn, msg, "rcpt", argv) < 0
	|| smtp_check_rcpt_count(ctx, msg->conf, conn, msg) < 0)
	return SMFIS_REJECT;
    if (addr_clean(argv[0] ? argv[0] : "", addr, sizeof(addr)) < 0) {
	act_setreply(ctx, NULL, "501 5.1.3 Recipient address too long");
	return SMFIS_REJECT;
    }
    /* Given to the engine even after a verdict: an accept may exempt
     * this recipient from it, and redirect removes every recipient. */
    terminal = scan_rcpt(msg->scan, addr);
    if (!terminal && scan_rcpt_refused(msg->scan))
	return act_rcpt_refused(ctx, msg, addr);
    strlist_add(&msg->rcpts_raw, argv[0] ? argv[0] : "");
    strlist_add(&msg->rcpts, addr);
    if (msg->decided || terminal)
	return act_early(ctx, conn, msg, STAGE_RCPT);
    return SMFIS_CONTINUE;
}

static sfsistat cb_header(SMFICTX *ctx, char *name, char *value)
{
    CONN   *conn = CONN_OF(ctx);
    MSG    *msg = conn->msg;
    int     terminal;

    if (msg == NULL)                      /* eoh answers then */
	return conn->nr_hdr ? SMFIS_NOREPLY
	    : act_error(ctx, conn, NULL, "header without MAIL");
    /* Every field goes to the engine, verdict or not: it keeps (bounded)
     * what the header changes at end of message need. */
    terminal = scan_header(msg->scan, name, value);
    if (conn->nr_hdr)                     /* answered at end of header */
	return SMFIS_NOREPLY;
    if (msg->decided || terminal)
	return act_early(ctx, conn, msg, STAGE_HEADER);
    return SMFIS_CONTINUE;
}

static sfsistat cb_eoh(SMFICTX *ctx)
{
    CONN   *conn = CONN_OF(ctx);
    MSG    *msg = conn->msg;

    if (msg == NULL)
	return act_error(ctx, conn, NULL, "end of header without MAIL");
    msg_queue_id(msg, ctx);
    if (scan_eoh(msg->scan) || msg->decided)
	return act_early(ctx, conn, msg, STAGE_EOH);
    return SMFIS_CONTINUE;
}

static sfsistat cb_body(SMFICTX *ctx, unsigned char *buf, size_t len)
{
    CONN   *conn = CONN_OF(ctx);
    MSG    *msg = conn->msg;
    sfsistat r;

    if (msg == NULL)
	return act_error(ctx, conn, NULL, "body without MAIL");
    msg->body_len += len;
    if (sconf_may_strip(msg->conf))
	(void) msg_spool(msg, buf, len);  /* failure matters only to strip */
    if (msg->decided) {
	/* (a strip is never decided before end of message) */
	if ((r = act_early(ctx, conn, msg, STAGE_BODY)) != SMFIS_CONTINUE)
	    return r;
	/* hold/redirect/tag: known; the rest of the body changes nothing */
	return conn->skip_ok ? SMFIS_SKIP : SMFIS_CONTINUE;
    }
    if (scan_body(msg->scan, buf, len))
	return act_early(ctx, conn, msg, STAGE_BODY);
    return SMFIS_CONTINUE;
}

static sfsistat cb_eom(SMFICTX *ctx)
{
    CONN   *conn = CONN_OF(ctx);
    MSG    *msg = conn->msg;
    sfsistat r;

    if (msg == NULL)
	return act_error(ctx, conn, NULL, "end of message without MAIL");
    if (!msg->decided)
	(void) scan_eom(msg->scan);
    r = act_eom(ctx, conn, msg);
    msg_free(msg);
    conn->msg = NULL;
    return r;
}

static sfsistat cb_abort(SMFICTX *ctx)
{
    CONN   *conn = CONN_OF(ctx);

    if (conn->msg) {
	msg_free(conn->msg);
	conn->msg = NULL;
    }
    return SMFIS_CONTINUE;
}

static sfsistat cb_close(SMFICTX *ctx)
{
    conn_free((CONN *) smfi_getpriv(ctx));
    smfi_setpriv(ctx, NULL);
    return SMFIS_CONTINUE;
}

static struct smfiDesc desc = {
    .xxfi_name = "relayscreen",
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = WANT_ACTIONS,
    .xxfi_connect = cb_connect,
    .xxfi_helo = cb_helo,
    .xxfi_envfrom = cb_envfrom,
    .xxfi_envrcpt = cb_envrcpt,
    .xxfi_header = cb_header,
    .xxfi_eoh = cb_eoh,
    .xxfi_body = cb_body,
    .xxfi_eom = cb_eom,
    .xxfi_abort = cb_abort,
    .xxfi_close = cb_close,
    .xxfi_negotiate = cb_negotiate,
};

struct smfiDesc *milter_desc(void)
{
    return &desc;
}
