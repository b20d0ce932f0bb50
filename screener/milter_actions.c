/*
 * milter_actions.c - carry out a verdict through the milter protocol.
 *
 *   reject/tempfail  smfi_setreply (code + enhanced code) and REJECT/TEMPFAIL
 *   discard          DISCARD: Postfix says 250 and delivers nowhere
 *   hold             smfi_quarantine: the message lands in the hold queue
 *   redirect         smfi_delrcpt each recipient, smfi_addrcpt the target,
 *                    the original recipients in X-Relayscreen-Original-
 *                    Recipients
 *   strip            smfi_replacebody from the spool with the ranges cut
 *                    out and the engine's notice in their place
 *   tag              smfi_addheader / smfi_chgheader(Subject)
 *
 * Header fields the screener writes itself that the message brought
 * along (X-Relayscreen*, the tag headers) are deleted first, whatever
 * the verdict and direction, so nothing downstream trusts a forgery;
 * that needs the header, so an accept is answered at end of header at
 * the earliest.  A verdict some recipients are exempt from (an accept
 * rule on them) spares them where the milter protocol can: a discard
 * or redirect removes only the other recipients; reject, tempfail, hold
 * and strip act on the whole message (one reply to DATA, one queue
 * file, one body), and the verdict line says how many were exempt.
 *
 * Every verdict is logged once, with Postfix's queue id when there is one,
 * through scan_log().  Any failure of the milter library or the spool is
 * an internal error and gets limits.on_error, never a silent accept.
 */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "kvlog.h"
#include "milter.h"
#include "msg.h"
#include "mymalloc.h"
#include "stats.h"

#define REPLY_TEXT_MAX 400
#define ORIG_RCPT_MAX_BYTES 8000  /* header value cap (folded) */
#define REPLACE_CHUNK 65536

/* The default replies of reject and tempfail are the engine's. */
#define DEF_REJECT   scan_default_reply(ACT_REJECT)
#define DEF_TEMPFAIL scan_default_reply(ACT_TEMPFAIL)
#define ERR_TEMPFAIL "451 4.3.0 Temporary screening failure, try again later"
#define ERR_REJECT   "554 5.3.0 Message could not be screened"

/* Split "550 5.7.1 text" into its parts; the code must be of class cls
 * ('4' or '5').  Returns 0 when usable. */
static int parse_reply(const char *r, int cls, char code[4], char xcode[16],
		               char *text, size_t tsize)
{
    const char *p;
    size_t  n = 0, i, seg;

    if (r == NULL || r[0] != cls || !isdigit((unsigned char) r[1])
	|| !isdigit((unsigned char) r[2]) || (r[3] != ' ' && r[3] != 0))
	return -1;
    memcpy(code, r, 3);
    code[3] = 0;
    p = r + 3;
    while (*p == ' ')
	p++;
    /* Enhanced status code: class.subject.detail, class matching. */
    xcode[0] = 0;
    if (p[0] == cls && p[1] == '.') {
	const char *q = p + 2;

	for (seg = 0; seg < 2; seg++) {
	    for (i = 0; i < 3 && isdigit((unsigned char) q[i]); i++)
		;
	    if (i == 0 || (seg == 0 && q[i] != '.')
		|| (seg == 1 && q[i] != ' ' && q[i] != 0))
		break;
	    q += i + (seg == 0);
	}
	if (seg == 2 && (size_t) (q - p) < 16) {
	    memcpy(xcode, p, (size_t) (q - p));
	    xcode[q - p] = 0;
	    p = q;
	    while (*p == ' ')
		p++;
	}
    }
    /* Text: printable ASCII only, '%' doubled for libmilter. */
    for (; *p && n + 3 < tsize && n < REPLY_TEXT_MAX; p++) {
	unsigned char ch = (unsigned char) *p;

	if (ch < 0x20 || ch > 0x7e)
	    ch = ' ';
	if (ch == '%')
	    text[n++] = '%';
	text[n++] = (char) ch;
    }
    text[n] = 0;
    return 0;
}

void    act_setreply(SMFICTX *ctx, const char *reply, const char *dflt)
{
    char    code[4], xcode[16], text[2 * REPLY_TEXT_MAX + 4];
    int     cls = dflt[0];

    if (parse_reply(reply, cls, code, xcode, text, sizeof(text)) < 0
	|| text[0] == 0) {
	if (reply)
	    msg_warn("unusable reply for a %c.x.x verdict; using the default",
		     cls);
	(void) parse_reply(dflt, cls, code, xcode, text, sizeof(text));
    }
    if (smfi_setreply(ctx, code, xcode[0] ? xcode : NULL, text) != MI_SUCCESS)
	msg_warn("smfi_setreply %s %s failed", code, xcode);
}

static void log_verdict(MSG *msg)
{
    if (msg->logged)
	return;
    msg->logged = 1;
    scan_log(msg->scan, msg->queue_id[0] ? msg->queue_id : NULL);
    stats_msg_end(msg->scan, msg->conf, msg->dir, msg->body_len);
}

sfsistat act_error(SMFICTX *ctx, CONN *conn, MSG *msg, const char *why)
{
    ACTION  a = msg ? msg->conf->limits.on_error : ACT_TEMPFAIL;
    KVLOG   kv;

    kv_init(&kv);
    kv_add(&kv, "queue_id", msg && msg->queue_id[0] ? msg->queue_id : NULL);
    kv_add(&kv, "client", conn ? conn->client_addr : NULL);
    kv_add(&kv, "error", why);
    kv_add(&kv, "action", action_name(a));
    msg_error("%s", kv_str(&kv));
    stats_error(msg ? msg->conf : NULL, msg ? msg->dir : DIR_INBOUND, a,
		msg != NULL && !msg->logged);
    if (msg) {
	msg->failed = 1;
	msg->logged = 1;
	msg_settle(msg);
    }
    switch (a) {
    case ACT_REJECT:
	act_setreply(ctx, NULL, ERR_REJECT);
	return SMFIS_REJECT;
    case ACT_DISCARD:
	return SMFIS_DISCARD;
    case ACT_ACCEPT:
    case ACT_NONE:
	/* Configured so; logged above as an error, so not silent. */
	return SMFIS_ACCEPT;
    default:
	act_setreply(ctx, NULL, ERR_TEMPFAIL);
	return SMFIS_TEMPFAIL;
    }
}

/* Anything to change at end of message besides the verdict? */
static int has_effects(const SCAN *s)
{
    size_t  n = 0, own = 0;

    (void) scan_tag_headers(s, &n);
    (void) scan_own_headers(s, &own);
    return n > 0 || own > 0 || scan_subject_prefix(s) != NULL;
}

/* A recipient refused on its own (scan_rcpt_refused): that RCPT only. */
sfsistat act_rcpt_refused(SMFICTX *ctx, MSG *msg, const char *rcpt)
{
    const VERDICT *v = scan_rcpt_refused(msg->scan);

    act_setreply(ctx, v->reply, v->action == ACT_TEMPFAIL ? DEF_TEMPFAIL
		 : DEF_REJECT);
    scan_log_refused(msg->scan, *msg->queue_id ? msg->queue_id : NULL, rcpt);
    stats_rcpt_refused(msg->scan, msg->dir);
    return v->action == ACT_TEMPFAIL ? SMFIS_TEMPFAIL : SMFIS_REJECT;
}

sfsistat act_early(SMFICTX *ctx, CONN *conn, MSG *msg, STAGE stage)
{
    const VERDICT *v = scan_verdict(msg->scan);

    msg->decided = 1;
    switch (v->action) {
    case ACT_REJECT:
	act_setreply(ctx, v->reply, DEF_REJECT);
	log_verdict(msg);
	msg_settle(msg);
	return SMFIS_REJECT;
    case ACT_TEMPFAIL:
	act_setreply(ctx, v->reply, DEF_TEMPFAIL);
	log_verdict(msg);
	msg_settle(msg);
	return SMFIS_TEMPFAIL;
    case ACT_DISCARD:
	/* Exempt recipients (now or still to come): at end of message. */
	if (!scan_verdict_whole(msg->scan))
	    return SMFIS_CONTINUE;
	log_verdict(msg);
	msg_settle(msg);
	return SMFIS_DISCARD;
    case ACT_ACCEPT:
	/* Nothing left to do at end of message: let go at once (once the
	 * header has shown there is no forged field to delete). */
	if (stage >= STAGE_EOH && !has_effects(msg->scan)) {
	    log_verdict(msg);
	    msg_settle(msg);
	    return SMFIS_ACCEPT;
	}
	return SMFIS_CONTINUE;
    default:
	/* hold, redirect, strip: only possible at end of message. */
	return SMFIS_CONTINUE;
    }
}

/* Header values we build from envelope data: printable ASCII only. */
static void append_clean(char *buf, size_t *len, size_t size, const char *s)
{
    for (; *s && *len + 1 < size; s++)
	buf[(*len)++] = (*s >= 0x21 && *s <= 0x7e) ? *s : '?';
    buf[*len] = 0;
}

static int apply_tags(SMFICTX *ctx, MSG *msg)
{
    const TAG_HEADER *t;
    size_t  n, i;
    char   *val;
    int     rc, add;

    t = scan_tag_headers(msg->scan, &n);
    for (i = 0; i < n; i++)
	if (smfi_addheader(ctx, (char *) t[i].name, (char *) t[i].value)
	    != MI_SUCCESS)
	    return -1;
    if ((val = scan_tagged_subject(msg->scan, &add)) == NULL)
	return 0;
    rc = (add ? smfi_addheader(ctx, "Subject", val)
	  : smfi_chgheader(ctx, "Subject", 1, val)) == MI_SUCCESS ? 0 : -1;
    myfree(val);
    return rc;
}

/* Delete every copy of the fields the screener writes itself, last
 * first so the indexes of the others hold. */
static int delete_own_headers(SMFICTX *ctx, MSG *msg)
{
    const HEADER_COUNT *h;
    size_t  n, i, k;

    h = scan_own_headers(msg->scan, &n);
    for (i = 0; i < n; i++)
	for (k = h[i].count; k > 0; k--)
	    if (smfi_chgheader(ctx, (char *) h[i].name, (int) k, NULL)
		!= MI_SUCCESS)
		return -1;
    return 0;
}

/* Remove the recipients the verdict applies to (not the exempt ones). */
static int delete_affected(SMFICTX *ctx, MSG *msg)
{
    size_t  k;

    for (k = 0; k < msg->rcpts_raw.n; k++)
	if (scan_rcpt_affected(msg->scan, k)
	    && smfi_delrcpt(ctx, msg->rcpts_raw.v[k]) != MI_SUCCESS)
	    return -1;
    return 0;
}

static int apply_redirect(SMFICTX *ctx, MSG *msg, const VERDICT *v)
{
    char    hdr[ORIG_RCPT_MAX_BYTES + 64], *to;
    size_t  len = 0, line = 0, i;

    if (v->redirect_to == NULL || *v->redirect_to == 0)
	return -1;
    for (i = 0; i < msg->rcpts.n; i++) {
	size_t  need = strlen(msg->rcpts.v[i]) + 3;

	if (!scan_rcpt_affected(msg->scan, i))
	    continue;                     /* exempt: keeps its copy */
	if (len + need > ORIG_RCPT_MAX_BYTES) {
	    len += (size_t) snprintf(hdr + len, sizeof(hdr) - len,
				     ", ... (%zu more)", msg->rcpts.n - i);
	    break;
	}
	if (len > 0) {
	    /* fold long lists: Postfix accepts LF+TAB continuations */
	    if (line + need > 76) {
		append_clean(hdr, &len, sizeof(hdr), ",");
		hdr[len++] = '\n';
		hdr[len++] = '\t';
		hdr[len] = 0;
		line = 1;
	    } else {
		append_clean(hdr, &len, sizeof(hdr), ",");
		hdr[len++] = ' ';
		hdr[len] = 0;
		line += 2;
	    }
	}
	append_clean(hdr, &len, sizeof(hdr), msg->rcpts.v[i]);
	line += need - 3;
    }
    if (delete_affected(ctx, msg) < 0)
	return -1;
    to = mymalloc(strlen(v->redirect_to) + 3);
    sprintf(to, "<%s>", v->redirect_to);
    i = smfi_addrcpt(ctx, to) == MI_SUCCESS;
    myfree(to);
    if (!i)
	return -1;
    if (len > 0 && smfi_addheader(ctx, ORIG_RCPT_HEADER, hdr) != MI_SUCCESS)
	return -1;
    return 0;
}

/* strip_rewrite() writes the new body to a stdio stream; this one hands
 * what it is given straight to smfi_replacebody, so there is no second
 * copy of the body on disk. */
static ssize_t replace_write(void *cookie, const char *buf, size_t len)
{
    size_t  done = 0, n;

    while (done < len) {
	n = len - done > REPLACE_CHUNK ? REPLACE_CHUNK : len - done;
	if (smfi_replacebody((SMFICTX *) cookie, (unsigned char *) buf + done,
			     (int) n) != MI_SUCCESS)
	    return 0;                     /* stdio: 0 means error */
	done += n;
    }
    return (ssize_t) len;
}

/* Header changes of a whole-message strip: NULL value deletes every
 * field of that name, else the first is replaced (or one added) and any
 * others deleted.  Indexes count fields of that name as Postfix got them. */
static int strip_header_changes(SMFICTX *ctx, MSG *msg)
{
    const TAG_HEADER *h = NULL;
    size_t  n, i, k, count;

    h = scan_strip_headers(msg->scan, &n);
    for (i = 0; i < n; i++) {
	count = scan_top_count(msg->scan, h[i].name);
	for (k = count; k > (h[i].value ? 1 : 0); k--)
	    if (smfi_chgheader(ctx, (char *) h[i].name, (int) k, NULL)
		!= MI_SUCCESS)
		return -1;
	if (h[i].value == NULL)
	    continue;
	if (count > 0 ? smfi_chgheader(ctx, (char *) h[i].name, 1,
				       (char *) h[i].value) != MI_SUCCESS
	    : smfi_addheader(ctx, (char *) h[i].name,
			     (char *) h[i].value) != MI_SUCCESS)
	    return -1;
    }
    return 0;
}

static int apply_strip(SMFICTX *ctx, MSG *msg, const char **why)
{
    static cookie_io_functions_t io = {.write = replace_write};
    FILE   *in = NULL, *out = NULL;
    size_t  n;
    int     fd, rc = -1;

    (void) scan_strip_ranges(msg->scan, &n);
    if (n == 0)
	return 0;
    if (msg->spool_overflow || msg->spool_error || msg->spool_fd < 0
	|| msg->spool_len != msg->body_len) {
	*why = msg->spool_overflow ? "strip: body larger than milter.spool_max"
	    : "strip: body spool failed";
	return -1;
    }
    *why = "strip: replacing the body failed";
    if ((fd = dup(msg->spool_fd)) < 0 || lseek(fd, 0, SEEK_SET) < 0
	|| (in = fdopen(fd, "r")) == NULL) {
	if (fd >= 0)
	    close(fd);
	return -1;
    }
    if ((out = fopencookie(ctx, "w", io)) != NULL) {
	setvbuf(out, NULL, _IOFBF, REPLACE_CHUNK);
	rc = strip_rewrite(msg->scan, in, out);
	if (fclose(out) == EOF)
	    rc = -1;
    }
    fclose(in);
    if (rc == 0 && strip_header_changes(ctx, msg) < 0) {
	*why = "strip: changing the top-level header failed";
	rc = -1;
    }
    return rc;
}

static int apply_hold(SMFICTX *ctx, MSG *msg, const VERDICT *v)
{
    char    reason[300];
    size_t  len = 0;

    reason[0] = 0;
    append_clean(reason, &len, sizeof(reason), "relayscreen:rule=");
    append_clean(reason, &len, sizeof(reason), v->rule ? v->rule : "-");
    return smfi_quarantine(ctx, reason) == MI_SUCCESS ? 0 : -1;
}

sfsistat act_eom(SMFICTX *ctx, CONN *conn, MSG *msg)
{
    const VERDICT *v = scan_verdict(msg->scan);
    const char *why = NULL;
    int     rc = 0;

    msg_queue_id(msg, ctx);
    switch (v->action) {
    case ACT_REJECT:
    case ACT_TEMPFAIL:
	return act_early(ctx, conn, msg, STAGE_EOM);
    case ACT_DISCARD:
	if (v->exempt == 0)
	    return act_early(ctx, conn, msg, STAGE_EOM);
	break;
    default:
	break;
    }
    if (delete_own_headers(ctx, msg) < 0)
	return act_error(ctx, conn, msg, "deleting forged screener header "
			 "fields failed");
    switch (v->action) {
    case ACT_DISCARD:                     /* the exempt recipients stay */
	if ((rc = delete_affected(ctx, msg)) < 0)
	    why = "discard: removing the recipients failed";
	break;
    case ACT_HOLD:
	if ((rc = apply_hold(ctx, msg, v)) < 0)
	    why = "hold: smfi_quarantine failed";
	break;
    case ACT_REDIRECT:
	if ((rc = apply_redirect(ctx, msg, v)) < 0)
	    why = "redirect: changing the recipients failed";
	break;
    case ACT_STRIP:
	rc = apply_strip(ctx, msg, &why);
	break;
    default:
	break;
    }
    if (rc == 0 && apply_tags(ctx, msg) < 0) {
	rc = -1;
	why = "tag: changing the header failed";
    }
    if (rc < 0)
	return act_error(ctx, conn, msg, why);
    log_verdict(msg);
    return SMFIS_CONTINUE;
}
