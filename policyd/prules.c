/*
 * prules.c - the relay policy: listener, client, TLS, AUTH, sender login,
 * recipient and rate checks, in that order.
 *
 * Which checks apply depends on protocol_state: before MAIL FROM
 * (CONNECT, EHLO, HELO) only the client allowlist can be judged, since
 * STARTTLS and AUTH have not happened yet.  In every later state (and in
 * any state this code does not know: fail closed) the TLS and AUTH rules
 * hold; the recipient and rate checks run at RCPT.  Messages are counted
 * at the first RCPT of each message (its "instance") that passes,
 * recipients at each RCPT that passes, so only
 * smtpd_recipient_restrictions needs the policy service - but for a bare
 * <postmaster>, which Postfix never puts through it: the shipped snippets
 * also ask at DATA, where what no RCPT counted is counted.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "kvlog.h"
#include "msg.h"
#include "prules.h"

#define R_TEMP_CONFIG   "451 4.3.5 Policy configuration problem, try again later"
#define R_CLIENT        "550 5.7.1 Client host not permitted on this port"
#define R_STARTTLS      "530 5.7.0 Must issue a STARTTLS command first"
#define R_CIPHER        "530 5.7.0 TLS cipher too weak"
#define R_TLSVER        "530 5.7.0 TLS protocol version too old"
#define R_AUTH_DENIED   "554 5.7.1 Authentication is not accepted on this port"
#define R_AUTH_REQUIRED "530 5.7.0 Authentication required"
#define R_SENDER_LOGIN  "553 5.7.1 Sender address not owned by the authenticated user"
#define R_NO_RCPT       "550 5.1.3 Bad recipient address syntax"
#define R_RATE_MSGS     "450 4.7.1 Message rate limit exceeded, try again later"
#define R_RATE_RCPTS    "452 4.7.1 Recipient rate limit exceeded, try again later"
#define R_RATE_STORE    "451 4.3.0 Rate limit store unavailable, try again later"

const PLISTENER *policy_listener(const PCONF *c, const PREQ *r)
{
    const char *ctx = preq_get(r, PA_POLICY_CONTEXT);
    const char *addr = preq_get(r, PA_SERVER_ADDRESS);
    const char *port = preq_get(r, PA_SERVER_PORT);
    char   *end;
    long    p;
    size_t  i;

    if (*ctx)
	return pconf_listener(c, ctx);
    p = strtol(port, &end, 10);
    if (*port == 0 || *end || p < 1 || p > 65535)
	return NULL;
    for (i = 0; i < c->nlisteners; i++) {
	const PLISTENER *l = &c->listeners[i];

	if (l->server_port == p
	    && (l->server_address == NULL || strcasecmp(l->server_address, addr) == 0))
	    return l;
    }
    return NULL;
}

/* Local-part bytes an ordinary address may hold: atext and '.', minus
 * the routing characters '%' and '!', plus UTF-8 (SMTPUTF8).  Anything
 * else (space, quote, backslash, '@', ':', ...) could only come from a
 * quoted local part or a route, which Postfix has already unquoted. */
static int local_char_ok(unsigned char c)
{
    if (c >= 0x80)
	return 1;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
	return 1;
    return c != 0 && strchr(".#$&'*+-/=?^_`{|}~", c) != NULL;
}

int     addr_has_routing(const char *addr)
{
    const char *at = strrchr(addr, '@');
    const char *p, *end = at ? at : addr + strlen(addr);

    if (end == addr)
	return 1;				/* "@a:b@c" or "@domain" */
    for (p = addr; p < end; p++)
	if (!local_char_ok((unsigned char) *p))
	    return 1;
    return 0;
}

int     rcpt_is_hosted(const PCONF *c, const char *rcpt)
{
    const char *at = strrchr(rcpt, '@');
    char    dom[DOMAIN_MAX + 2];
    size_t  len;

    if (at == NULL || addr_has_routing(rcpt))
	return 0;
    len = strlen(at + 1);
    if (len > 1 && at[1 + len - 1] == '.')
	len--;
    if (len == 0 || len > DOMAIN_MAX)
	return 0;
    memcpy(dom, at + 1, len);
    dom[len] = 0;
    lowercase(dom);
    return strset_find(&c->hosted, dom, len) != NULL;
}

int     sender_login_ok(const PCONF *c, const char *login, const char *sender)
{
    char    key[RATE_KEY_MAX + 1];
    const STRSET_ENT *e;
    const char *p, *sdom;

    if (*sender == 0 || addr_has_routing(sender)
	|| (sdom = strrchr(sender, '@')) == NULL)
	return 0;
    if (strchr(login, '@') && addr_equal(login, sender))
	return 1;
    if (strlen(login) > RATE_KEY_MAX)
	return 0;
    strcpy(key, login);
    lowercase(key);
    if ((e = strset_find(&c->logins, key, strlen(key))) == NULL || !e->value)
	return 0;
    for (p = e->value; *p;) {
	size_t  n = strcspn(p, " ");
	char    tok[ADDR_MAX];

	if (n > 0 && n < sizeof(tok)) {
	    memcpy(tok, p, n);
	    tok[n] = 0;
	    if (tok[0] == '@' ? domain_equal(sdom + 1, tok + 1) : addr_equal(tok, sender))
		return 1;
	}
	p += n;
	p += strspn(p, " ");
    }
    return 0;
}

static const char *set(PDECISION *d, const char *reason, const char *action)
{
    d->reason = reason;
    snprintf(d->action, sizeof(d->action), "%s", action);
    return reason;
}

/* Expand relay_reject_text: %r is the recipient with anything outside
 * printable ASCII replaced, %% a percent sign. */
static void relay_refuse(PDECISION *d, const PCONF *c, const char *reason,
			         const char *rcpt)
{
    size_t  n = 0, i;
    const char *t;

    d->reason = reason;
    n = (size_t) snprintf(d->action, sizeof(d->action), "550 5.7.1 ");
    for (t = c->relay_reject_text; *t && n < sizeof(d->action) - 1; t++) {
	if (*t == '%' && t[1] == 'r') {
	    for (i = 0; rcpt[i] && i < 256 && n < sizeof(d->action) - 1; i++) {
		unsigned char ch = (unsigned char) rcpt[i];

		d->action[n++] = (ch > 0x20 && ch < 0x7f) ? (char) ch : '?';
	    }
	    t++;
	} else if (*t == '%' && t[1] == '%') {
	    d->action[n++] = '%';
	    t++;
	} else
	    d->action[n++] = *t;
    }
    d->action[n] = 0;
}

static int early_state(const char *state)
{
    return strcasecmp(state, "CONNECT") == 0 || strcasecmp(state, "EHLO") == 0
	|| strcasecmp(state, "HELO") == 0;
}

static int has_sender_state(const char *state)
{
    return strcasecmp(state, "MAIL") == 0 || strcasecmp(state, "RCPT") == 0
	|| strcasecmp(state, "DATA") == 0
	|| strcasecmp(state, "END-OF-MESSAGE") == 0;
}

int     policy_check(const PCONF *c, const PSESSION *s, const PREQ *r,
		             PDECISION *d, RATE_QUERY *q)
{
    const PLISTENER *l;
    const char *state = preq_get(r, PA_PROTOCOL_STATE);
    const char *user = preq_get(r, PA_SASL_USERNAME);
    const char *tlsproto = preq_get(r, PA_ENCRYPTION_PROTOCOL);
    const char *rcpt;
    int     relay_ok;

    memset(d, 0, sizeof(*d));
    strcpy(d->action, "DUNNO");

    /* Fail closed: a listener we do not know gets a temporary error. */
    memset(q, 0, sizeof(*q));
    if ((l = policy_listener(c, r)) == NULL) {
	d->warn = 1;
	set(d, "unknown_listener", R_TEMP_CONFIG);
	return 0;
    }
    d->listener = l->name;
    if (l->nclients
	&& !cidr_match_any(l->clients, l->nclients, preq_get(r, PA_CLIENT_ADDRESS))) {
	set(d, "client_not_allowed", R_CLIENT);
	return 0;
    }
    if (early_state(state))
	return 0;

    /* TLS before anything else: TLS-before-AUTH holds even if smtpd's
     * own smtpd_tls_auth_only was edited away. */
    if (*tlsproto == 0) {
	if (l->tls == TLS_REQUIRE) {
	    if (*user) {
		d->warn = 1;
		set(d, "auth_without_tls", R_STARTTLS);
	    } else
		set(d, "tls_required", R_STARTTLS);
	    return 0;
	}
    } else {
	if (l->min_cipher_bits
	    && atoi(preq_get(r, PA_ENCRYPTION_KEYSIZE)) < l->min_cipher_bits) {
	    set(d, "cipher_too_weak", R_CIPHER);
	    return 0;
	}
	if (l->min_tls_version != TLSV_NONE) {
	    TLS_VERSION v = tls_version_parse(tlsproto);

	    if (v == TLSV_UNKNOWN || v < l->min_tls_version) {
		set(d, "tls_version_too_old", R_TLSVER);
		return 0;
	    }
	}
    }
    if (*user && l->auth == AUTH_DENY) {
	set(d, "auth_denied", R_AUTH_DENIED);
	return 0;
    }
    if (!*user && l->auth == AUTH_REQUIRE) {
	set(d, "auth_required", R_AUTH_REQUIRED);
	return 0;
    }
    if (*user && l->sender_login == SLOGIN_MATCH && has_sender_state(state)
	&& !sender_login_ok(c, user, preq_get(r, PA_SENDER))) {
	set(d, "sender_login_mismatch", R_SENDER_LOGIN);
	return 0;
    }
    /* At DATA (when Postfix asks there too), count what no RCPT did: a
     * bare <postmaster> never reaches the recipient restrictions. */
    if (strcasecmp(state, "DATA") == 0)
	return l->rate_limit && rate_query_build(c, s, r, q) > 0;
    if (strcasecmp(state, "RCPT") != 0)
	return 0;

    rcpt = preq_get(r, PA_RECIPIENT);
    if (*rcpt == 0) {
	set(d, "recipient_missing", R_NO_RCPT);
	return 0;
    }
    /* RFC 5321 4.5.1: <postmaster> without a domain must be accepted;
     * smtpd's own restrictions still apply to it, and so do the rate
     * limits: it is no way around them. */
    if (strcasecmp(rcpt, "postmaster") == 0)
	relay_ok = 1;
    else if (addr_has_routing(rcpt)) {
	relay_refuse(d, c, "recipient_routing", rcpt);
	return 0;
    } else {
	switch (l->relay) {
	case RELAY_ANYWHERE:
	    relay_ok = 1;
	    break;
	case RELAY_AUTHENTICATED:
	    relay_ok = *user || rcpt_is_hosted(c, rcpt);
	    break;
	default:
	    relay_ok = rcpt_is_hosted(c, rcpt);
	    break;
	}
    }
    if (!relay_ok) {
	relay_refuse(d, c, "relay_denied", rcpt);
	return 0;
    }
    return l->rate_limit && rate_query_build(c, s, r, q) > 0;
}

void    policy_rate_result(PSESSION *s, const PREQ *r, const RATE_QUERY *q,
			           RATE_RESULT res, PDECISION *d)
{
    switch (res.status) {
    case RATE_PASS:
	rate_session_counted(s, r, q);
	break;
    case RATE_OVER:
	set(d, rate_reason(q, res), res.dim == RATE_MSGS ? R_RATE_MSGS : R_RATE_RCPTS);
	break;
    default:
	/* Not a warning per request: the store logs its state changes. */
	set(d, "rate_store_error", R_RATE_STORE);
	break;
    }
}

void    policy_decide(const PCONF *c, PRATES *rates, PSESSION *s,
		              const PREQ *r, int64_t now_ms, PDECISION *d)
{
    RATE_QUERY q;

    if (policy_check(c, s, r, d, &q))
	policy_rate_result(s, r, &q, rate_mem_decide(rates, &q, now_ms), d);
}

void    policy_log(const PREQ *r, const PDECISION *d)
{
    KVLOG   kv;

    if (d->reason == NULL)
	return;
    kv_init(&kv);
    kv_add(&kv, "action", d->action[0] == '4' ? "defer" : "reject");
    kv_add(&kv, "reason", d->reason);
    kv_add(&kv, "listener", d->listener ? d->listener : preq_get(r, PA_POLICY_CONTEXT));
    kv_add(&kv, "state", preq_get(r, PA_PROTOCOL_STATE));
    kv_add(&kv, "queue_id", preq_get(r, PA_QUEUE_ID));
    kv_add(&kv, "client", preq_get(r, PA_CLIENT_ADDRESS));
    kv_add(&kv, "client_name", preq_get(r, PA_CLIENT_NAME));
    kv_add(&kv, "sasl_user", preq_get(r, PA_SASL_USERNAME));
    kv_add(&kv, "sender", preq_get(r, PA_SENDER));
    kv_add(&kv, "recipient", preq_get(r, PA_RECIPIENT));
    kv_add(&kv, "tls", preq_get(r, PA_ENCRYPTION_PROTOCOL));
    kv_add(&kv, "reply", d->action);
    if (d->warn)
	msg_warn("%s%s", d->reason && strcmp(d->reason, "auth_without_tls") == 0 ?
		 "misconfiguration: AUTH without TLS; " : "", kv_str(&kv));
    else
	msg_info("%s", kv_str(&kv));
}
