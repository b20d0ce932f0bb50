/*
 * scan_envelope.c - what the SCAN knows before the content: the client,
 * the envelope sender and the recipients, and which recipients an
 * accept rule exempts.
 *
 * An accept rule with a recipient condition does not accept the
 * message: it exempts the recipients it matches, each at its own RCPT
 * TO, from the rules after it in the file.  Those rules still decide for
 * the other recipients.  So every rule that holds asks first whom it
 * applies to (scan_affected): nobody, and it is skipped; nobody *yet*,
 * while an earlier accept could still exempt the recipients to come,
 * and it waits (a reject or tempfail on the envelope alone then refuses
 * each recipient that is not exempt, at its RCPT TO; anything else
 * decides when the envelope is complete).
 *
 * Accept rules never rest on the From: header: anyone can write it.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "mymalloc.h"
#include "scan_int.h"

typedef enum RCPT_FATE {
    RCPT_GOES_ON,                 /* an ordinary recipient */
    RCPT_REFUSED,                 /* refused alone, at its RCPT TO */
    RCPT_EXEMPT,                  /* exempt by an accept rule */
} RCPT_FATE;

static int addr_in(const STRLIST *addrs, const STRLIST *domains,
		           const char *addr)
{
    const char *dom = addr_domain(addr);
    size_t  i;

    for (i = 0; i < addrs->n; i++)
	if (*addrs->v[i] == 0 ? *addr == 0 : addr_equal(addrs->v[i], addr))
	    return 1;
    if (dom && *dom)
	for (i = 0; i < domains->n; i++)
	    if (domain_within(dom, domains->v[i]))
		return 1;
    return 0;
}

/* The address Postfix delivers to, for matching: a quoted local part
 * unquoted ("ceo"@x is ceo@x), one trailing dot of the domain dropped. */
void    scan_addr_canon(char *a)
{
    char   *at = strrchr(a, '@'), *o, *p;
    size_t  n;

    if (at && a[0] == '"' && at > a + 1 && at[-1] == '"') {
	for (o = a, p = a + 1; p < at - 1; p++) {
	    if (*p == '\\' && p + 1 < at - 1)
		p++;
	    *o++ = *p;
	}
	memmove(o, at, strlen(at) + 1);
	at = o;
    }
    if (at && (n = strlen(at)) > 1 && at[n - 1] == '.')
	at[n - 1] = 0;
}

void    scan_sender_check(SCAN *s, const char *addr, int from_header)
{
    size_t  i;

    for (i = 0; i < s->conf->n_rules; i++) {
	RULE   *r = s->conf->rules[i];

	if (from_header && r->sender_envelope_only > 0)
	    continue;
	if (scan_open_rule(s, i, COND_SENDER)
	    && addr_in(&r->sender_addrs, &r->sender_domains, addr))
	    scan_hit(&s->rs[i], COND_SENDER, "", NULL, *addr ? addr : "<>");
    }
}

void    scan_client(SCAN *s, const char *addr, int authenticated)
{
    size_t  i;

    scan_order_envelope(s, "scan_client");
    myfree(s->client_addr);
    s->client_addr = addr && *addr ? mystrndup(addr, 64) : NULL;
    s->client_auth = authenticated != 0;
    for (i = 0; i < s->conf->n_rules; i++) {
	const RULE *r = s->conf->rules[i];

	if (!scan_open_rule(s, i, COND_CLIENT))
	    continue;
	if (r->n_client_nets && (s->client_addr == NULL
				 || !cidr_match_any(r->client_nets,
				      r->n_client_nets, s->client_addr)))
	    continue;
	if (r->client_auth >= 0 && r->client_auth != s->client_auth)
	    continue;
	scan_hit(&s->rs[i], COND_CLIENT, "", NULL,
		 s->client_addr ? s->client_addr : "unknown");
    }
}

int     scan_sender(SCAN *s, const char *addr)
{
    char    buf[ADDR_MAX + 1];

    scan_order_envelope(s, "scan_sender");
    if (addr_clean(addr ? addr : "", buf, sizeof(buf)) < 0)
	snprintf(buf, sizeof(buf), "%.*s", ADDR_MAX, addr);
    myfree(s->sender);
    s->sender = mystrdup(buf);
    scan_addr_canon(buf);
    if (!s->final) {
	scan_sender_check(s, buf, 0);
	scan_check_rules(s);
    }
    return s->final;
}

/* Recipients and exemptions. */

size_t  scan_affected(const SCAN *s, int i)
{
    size_t  k, n = 0, kept = s->nrcpt < RCPT_TRACK_MAX ? s->nrcpt
	: RCPT_TRACK_MAX;

    for (k = 0; k < kept; k++)
	if (s->rexempt[k] < 0 || i < 0 || s->rexempt[k] > i)
	    n++;
    return n + (s->nrcpt - kept);
}

int     scan_exempt_possible(const SCAN *s, int i)
{
    int     e;

    if (s->env_done)
	return 0;
    for (e = 0; e < i && (size_t) e < s->conf->n_rules; e++) {
	const RULE *r = s->conf->rules[e];

	if (RULE_EXEMPTS(r) && s->rs[e].active
	    && (s->rs[e].sat | COND_RCPT) == r->conds)
	    return 1;
    }
    return 0;
}

/* Does rule i hold for this recipient, all else it asks being known? */
static int holds_for(const SCAN *s, size_t i, const char *addr)
{
    const RULE *r = s->conf->rules[i];

    return scan_open_rule(s, i, COND_RCPT)
	&& (s->rs[i].sat | COND_RCPT) == r->conds
	&& addr_in(&r->rcpt_addrs, &r->rcpt_domains, addr);
}

/* The first rule in file order (before rule limit) that decides for this
 * recipient alone, and how. */
static RCPT_FATE rcpt_fate(const SCAN *s, const char *addr, size_t limit,
			           int *rule)
{
    size_t  i;

    for (i = 0; i < limit && i < s->conf->n_rules; i++) {
	const RULE *r = s->conf->rules[i];
	const RULE_STATE *st = &s->rs[i];

	*rule = (int) i;
	if (!st->active || st->fired || r->audit)
	    continue;                     /* audit: an ordinary hit, logged */
	if (st->deferred == DEFER_REFUSE)
	    return RCPT_REFUSED;
	if (!holds_for(s, i, addr) || r->action == ACT_TAG
	    || r->action == ACT_LOG)
	    continue;
	if (RULE_EXEMPTS(r))
	    return RCPT_EXEMPT;
	if ((r->action == ACT_REJECT || r->action == ACT_TEMPFAIL)
	    && (r->conds & ~COND_ENVELOPE) == 0)
	    return RCPT_REFUSED;
	return RCPT_GOES_ON;
    }
    *rule = -1;
    return RCPT_GOES_ON;
}

static void rcpt_add(SCAN *s, int exempt)
{
    if (s->nrcpt < RCPT_TRACK_MAX) {
	s->rexempt = mygrow(s->rexempt, &s->caprexempt, s->nrcpt + 1,
			    sizeof(*s->rexempt));
	s->rexempt[s->nrcpt] = exempt;
    }
    s->nrcpt++;
    s->rcpt_exempt = exempt;
}

static void refuse(SCAN *s, int i, const char *addr)
{
    const RULE *r = s->conf->rules[i];

    memset(&s->rv, 0, sizeof(s->rv));
    s->rv.action = r->action;
    s->rv.rule = r->name;
    s->rv.reply = r->reply ? r->reply : scan_default_reply(r->action);
    scan_copy_text(s->rv.matched, sizeof(s->rv.matched), addr);
    s->rcpt_refused = 1;
    s->nrefused++;
}

int     scan_rcpt(SCAN *s, const char *addr)
{
    char    buf[ADDR_MAX + 1];
    RCPT_FATE fate;
    int     rule;
    size_t  i;

    scan_order_envelope(s, "scan_rcpt");
    s->rcpt_refused = 0;
    s->rcpt_exempt = -1;
    if (addr_clean(addr ? addr : "", buf, sizeof(buf)) < 0) {
	rcpt_add(s, -1);
	return s->final;
    }
    scan_addr_canon(buf);
    if (s->final) {
	/* The verdict stands; it spares a recipient an earlier accept
	 * exempts (refusals come too late now). */
	fate = rcpt_fate(s, buf, s->v_index < 0 ? 0 : (size_t) s->v_index,
			 &rule);
	if (fate == RCPT_EXEMPT && s->nrcpt < RCPT_TRACK_MAX) {
	    rcpt_add(s, rule);
	    s->v.exempt++;
	} else {
	    rcpt_add(s, -1);
	}
	return 1;
    }
    fate = rcpt_fate(s, buf, s->conf->n_rules, &rule);
    if (fate == RCPT_REFUSED) {
	refuse(s, rule, buf);
	return 0;
    }
    if (fate != RCPT_EXEMPT || s->nrcpt >= RCPT_TRACK_MAX)
	rule = -1;
    rcpt_add(s, rule);
    /* The rules after its accept do not see an exempt recipient. */
    for (i = 0; i < s->conf->n_rules && (rule < 0 || (int) i < rule); i++) {
	RULE   *r = s->conf->rules[i];

	if (!RULE_EXEMPTS(r) && scan_open_rule(s, i, COND_RCPT)
	    && addr_in(&r->rcpt_addrs, &r->rcpt_domains, buf))
	    scan_hit(&s->rs[i], COND_RCPT, "", NULL, buf);
    }
    scan_check_rules(s);
    return s->final;
}

void    scan_envelope_done(SCAN *s)
{
    size_t  i;
    int     waited = 0;

    if (s->env_done)
	return;
    s->env_done = 1;
    for (i = 0; i < s->conf->n_rules; i++)
	if (s->rs[i].deferred != DEFER_NO) {
	    s->rs[i].deferred = DEFER_NO;
	    waited = 1;
	}
    if (waited && !s->final)
	scan_check_rules(s);
}

/* Every recipient exempt and nothing else decided: the first one's
 * accept is the verdict. */
void    scan_envelope_eom(SCAN *s)
{
    if (s->final || s->strip_rule >= 0 || s->nrcpt == 0
	|| scan_affected(s, (int) s->conf->n_rules) > 0)
	return;
    s->v_index = s->rexempt[0];
    s->v.action = ACT_ACCEPT;
    s->v.rule = s->conf->rules[s->v_index]->name;
    s->final = 1;
}

const char *scan_rcpt_exempt(const SCAN *s)
{
    return s->rcpt_exempt >= 0 ? s->conf->rules[s->rcpt_exempt]->name
	: NULL;
}

int     scan_rcpt_affected(const SCAN *s, size_t k)
{
    if (k >= s->nrcpt || k >= RCPT_TRACK_MAX || s->rexempt[k] < 0
	|| s->v_index < 0)
	return 1;
    return s->rexempt[k] > s->v_index;
}

int     scan_verdict_whole(const SCAN *s)
{
    return s->v.exempt == 0 && !scan_exempt_possible(s, s->v_index);
}

void    scan_envelope_free(SCAN *s)
{
    myfree(s->client_addr);
    myfree(s->rexempt);
}
