/*
 * milter_smtp.c - SMTP command screening, as ISA Server's SMTP filter
 * did it: maximum lengths of the HELO/EHLO, MAIL FROM and RCPT TO
 * arguments and a maximum number of recipients per message (SCONF.smtp;
 * 0 means no limit).  Over a limit the command gets a clear 5xx and the
 * event is logged with what is known (there is often no queue id yet).
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "kvlog.h"
#include "milter.h"
#include "msg.h"

static void log_limit(const CONN *conn, const MSG *msg, const char *what,
		              size_t got, size_t max, const char *arg)
{
    KVLOG   kv;
    char    rule[64];

    snprintf(rule, sizeof(rule), "smtp:max_%s", what);
    kv_init(&kv);
    kv_add(&kv, "queue_id", msg && msg->queue_id[0] ? msg->queue_id : NULL);
    kv_add(&kv, "client", conn->client_addr);
    kv_add(&kv, "daemon", conn->daemon_name);
    kv_add(&kv, "action", "reject");
    kv_add(&kv, "rule", rule);
    kv_addf(&kv, "length", "%zu", got);
    kv_addf(&kv, "limit", "%zu", max);
    kv_add(&kv, "arg", arg);
    msg_info("%s", kv_str(&kv));
}

static void limit_reply(SMFICTX *ctx, const SCONF *c, const char *dflt)
{
    act_setreply(ctx, c->smtp.reply, dflt);
}

int     smtp_check_helo(SMFICTX *ctx, const SCONF *c, CONN *conn,
			        const char *helo)
{
    size_t  len = helo ? strlen(helo) : 0;

    if (c->smtp.max_helo_length == 0 || len <= c->smtp.max_helo_length)
	return 0;
    log_limit(conn, NULL, "helo_length", len, c->smtp.max_helo_length, helo);
    limit_reply(ctx, c, "501 5.5.2 HELO/EHLO argument too long");
    return -1;
}

/* The argument as the client sent it: address plus ESMTP parameters. */
static size_t args_length(char **argv)
{
    size_t  len = 0;
    int     i;

    for (i = 0; argv && argv[i]; i++)
	len += strlen(argv[i]) + (i > 0);
    return len;
}

int     smtp_check_args(SMFICTX *ctx, const SCONF *c, CONN *conn, MSG *msg,
			        const char *what, char **argv)
{
    int     is_mail = strcmp(what, "mail") == 0;
    size_t  max = is_mail ? c->smtp.max_mail_length : c->smtp.max_rcpt_length;
    size_t  len = args_length(argv);

    if (max == 0 || len <= max)
	return 0;
    log_limit(conn, msg, is_mail ? "mail_length" : "rcpt_length", len, max,
	      argv[0]);
    limit_reply(ctx, c, is_mail ? "501 5.5.2 MAIL FROM argument too long"
		: "501 5.5.2 RCPT TO argument too long");
    return -1;
}

int     smtp_check_rcpt_count(SMFICTX *ctx, const SCONF *c, CONN *conn,
			              MSG *msg)
{
    size_t  max = c->smtp.max_recipients;

    if (max == 0 || msg->rcpts.n < max)
	return 0;
    log_limit(conn, msg, "recipients", msg->rcpts.n + 1, max, NULL);
    /* 5xx as the ISA filter did; RFC 5321 4.5.3.1.10 allows 552. */
    act_setreply(ctx, NULL, "552 5.5.3 Too many recipients");
    return -1;
}
