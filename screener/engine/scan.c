/*
 * scan.c - the SCAN object: life cycle, envelope, rule evaluation (the
 * message content is looked at in scan_content.c).
 *
 * Each rule keeps a mask of the conditions known to hold; whenever an
 * event may have changed a mask (envelope address, header field, keyword
 * hit, end of a part) the rules are checked in file order and those
 * whose conditions all hold fire.  The first terminal action is final:
 * parsing stops there, except for strip.  A strip is only pending until
 * the end of the message: it needs every matching part, and what it
 * leaves must still pass every other rule.  So evaluation goes on; every
 * strip rule that fires adds its parts, and any other terminal rule that
 * fires meanwhile replaces the strip (but an accept placed after the strip
 * rule in the file does not un-strip).  scan_eom() then returns 1.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "mymalloc.h"
#include "scan_int.h"

#define MATCH_LIMIT 1000000       /* PCRE2 backtracking bound per window */

const char *scan_default_reply(ACTION a)
{
    if (a == ACT_REJECT)
	return "550 5.7.1 Message rejected by policy";
    if (a == ACT_TEMPFAIL)
	return "451 4.7.1 Message deferred by policy, try again later";
    return NULL;
}

static int status(const SCAN *s)
{
    return s->final;
}

void    scan_copy_text(char *dst, size_t size, const char *src)
{
    size_t  n = src ? strlen(src) : 0;

    if (n >= size)
	n = size - 1;
    if (n)
	memcpy(dst, src, n);
    dst[n] = 0;
}

void    scan_set_special(SCAN *s, ACTION a, const char *what)
{
    static const char *const names[] = {"limit:depth", "limit:parts",
	"limit:header_size", "limit:headers", "limit:line_length",
	"limit:boundary", "limit:parameters",
	"limit:names", "limit:ambiguous", "error:regex", "error:sha256",
    NULL};
    size_t  i;

    if (s->final)
	return;
    for (i = 0; names[i] && strcmp(names[i], what) != 0; i++)
	 /* void */ ;
    memset(&s->v, 0, sizeof(s->v));
    s->v.action = a;
    s->v.rule = names[i] ? names[i] : "error:internal";
    s->v.reply = scan_default_reply(a);
    s->final = 1;
    s->strip_rule = -1;
    if (!s->explain || strncmp(what, "limit:", 6) == 0)
	mime_stop(s->mp);
}

static void fire(SCAN *s, size_t i)
{
    RULE   *r = s->conf->rules[i];
    RULE_STATE *st = &s->rs[i];

    st->fired = 1;
    if (r->action == ACT_TAG || r->action == ACT_LOG) {
	if (r->tag_name) {
	    s->tags[s->ntags].name = r->tag_name;
	    s->tags[s->ntags].value = r->tag_value;
	    s->ntags++;
	}
	if (r->subject_prefix && s->subject_prefix == NULL)
	    s->subject_prefix = r->subject_prefix;
	s->logged[s->nlogged++] = i;
	return;
    }
    if (s->strip_rule >= 0) {
	/* a strip is pending: another strip adds its parts; an accept
	 * after the strip rule leaves it; anything else replaces it */
	if (r->action == ACT_STRIP
	    || (r->action == ACT_ACCEPT && (int) i > s->strip_rule))
	    return;
	s->strip_rule = -1;
    }
    s->v.action = r->action;
    s->v.rule = r->name;
    s->v.reply = r->reply ? r->reply : scan_default_reply(r->action);
    s->v.redirect_to = r->redirect_to;
    scan_copy_text(s->v.part, sizeof(s->v.part), st->hit.part);
    scan_copy_text(s->v.filename, sizeof(s->v.filename), st->hit.filename);
    scan_copy_text(s->v.matched, sizeof(s->v.matched), st->hit.matched);
    if (r->action == ACT_STRIP) {
	s->strip_rule = (int) i;
	return;
    }
    s->final = 1;
    if (!s->explain)
	mime_stop(s->mp);
}

void    scan_check_rules(SCAN *s)
{
    size_t  i;

    for (i = 0; i < s->conf->n_rules && !s->final; i++) {
	RULE_STATE *st = &s->rs[i];
	unsigned need = s->conf->rules[i]->conds;

	if (st->active && !st->fired && (st->sat & need) == need)
	    fire(s, i);
    }
}

int     scan_open_rule(const SCAN *s, size_t i, unsigned cond)
{
    const RULE_STATE *st = &s->rs[i];

    return st->active && !st->fired && (s->conf->rules[i]->conds & cond)
	&& !(st->sat & cond);
}

void    scan_hit(RULE_STATE *st, unsigned cond, const char *part,
		        const char *file, const char *matched)
{
    st->sat |= cond;
    scan_copy_text(st->hit.part, sizeof(st->hit.part), part);
    if (file)
	scan_copy_text(st->hit.filename, sizeof(st->hit.filename), file);
    scan_copy_text(st->hit.matched, sizeof(st->hit.matched), matched);
}

/* Envelope. */

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

void    scan_sender_check(SCAN *s, const char *addr)
{
    size_t  i;

    for (i = 0; i < s->conf->n_rules; i++) {
	RULE   *r = s->conf->rules[i];

	if (scan_open_rule(s, i, COND_SENDER)
	    && addr_in(&r->sender_addrs, &r->sender_domains, addr))
	    scan_hit(&s->rs[i], COND_SENDER, "", NULL, *addr ? addr : "<>");
    }
}

int     scan_sender(SCAN *s, const char *addr)
{
    char    buf[ADDR_MAX + 1];

    if (addr_clean(addr ? addr : "", buf, sizeof(buf)) < 0)
	snprintf(buf, sizeof(buf), "%.*s", ADDR_MAX, addr);
    myfree(s->sender);
    s->sender = mystrdup(buf);
    scan_addr_canon(buf);
    if (!s->final) {
	scan_sender_check(s, buf);
	scan_check_rules(s);
    }
    return status(s);
}

/* The rule that refuses this recipient alone, or -1: the first rule in
 * file order that would fire now with this recipient, when it is a reject
 * or tempfail with envelope conditions only. */
static int rcpt_refusal(const SCAN *s, const char *addr)
{
    size_t  i;

    for (i = 0; i < s->conf->n_rules; i++) {
	const RULE *r = s->conf->rules[i];
	const RULE_STATE *st = &s->rs[i];

	if (!scan_open_rule(s, i, COND_RCPT)
	    || (st->sat | COND_RCPT) != r->conds
	    || !addr_in(&r->rcpt_addrs, &r->rcpt_domains, addr)
	    || r->action == ACT_TAG || r->action == ACT_LOG)
	    continue;
	if ((r->action == ACT_REJECT || r->action == ACT_TEMPFAIL)
	    && (r->conds & ~(COND_SENDER | COND_RCPT)) == 0)
	    return (int) i;
	return -1;
    }
    return -1;
}

int     scan_rcpt(SCAN *s, const char *addr)
{
    char    buf[ADDR_MAX + 1];
    size_t  i;
    int     refuse;

    s->rcpt_refused = 0;
    s->nrcpt++;
    if (s->final || addr_clean(addr ? addr : "", buf, sizeof(buf)) < 0)
	return status(s);
    scan_addr_canon(buf);
    if ((refuse = rcpt_refusal(s, buf)) >= 0) {
	const RULE *r = s->conf->rules[refuse];

	memset(&s->rv, 0, sizeof(s->rv));
	s->rv.action = r->action;
	s->rv.rule = r->name;
	s->rv.reply = r->reply ? r->reply : scan_default_reply(r->action);
	scan_copy_text(s->rv.matched, sizeof(s->rv.matched), buf);
	s->rcpt_refused = 1;
	s->nrefused++;
	s->nrcpt--;
	return 0;
    }
    for (i = 0; i < s->conf->n_rules; i++) {
	RULE   *r = s->conf->rules[i];

	if (scan_open_rule(s, i, COND_RCPT)
	    && addr_in(&r->rcpt_addrs, &r->rcpt_domains, buf))
	    scan_hit(&s->rs[i], COND_RCPT, "", NULL, buf);
    }
    scan_check_rules(s);
    return status(s);
}

/* Life cycle. */

SCAN   *scan_new(const SCONF *conf, DIRECTION dir)
{
    SCAN   *s = mycalloc(1, sizeof(*s));
    size_t  i, n = conf->n_rules;

    s->conf = conf;
    s->dir = dir;
    s->strip_rule = -1;
    s->rs = mycalloc(n ? n : 1, sizeof(*s->rs));
    for (i = 0; i < n; i++)
	s->rs[i].active = (conf->rules[i]->dirs & (unsigned) dir) != 0;
    s->tags = mycalloc(n ? n : 1, sizeof(*s->tags));
    s->logged = mycalloc(n ? n : 1, sizeof(*s->logged));
    s->mp = mime_parser_new(&conf->limits, &scan_callbacks, s);
    rxw_init(&s->body_rx);
    if (conf->n_regex) {
	s->md = pcre2_match_data_create(1, NULL);
	s->mctx = pcre2_match_context_create(NULL);
	pcre2_set_match_limit(s->mctx, MATCH_LIMIT);
    }
    if (conf->needs & NEED_SHA256)
	s->sha = EVP_MD_CTX_new();
    /* Nothing can fire before the envelope: a rule set of pure content
     * rules waits for scan_eoh/scan_data. */
    return s;
}

void    scan_set_explain(SCAN *s, int on)
{
    s->explain = on;
    if (on && s->parts == NULL)
	s->parts = mycalloc((size_t) s->conf->limits.max_parts,
			    sizeof(*s->parts));
}

void    scan_free(SCAN *s)
{
    size_t  i;

    if (s == NULL)
	return;
    mime_parser_free(s->mp);
    for (i = 0; i < s->conf->n_rules; i++)
	myfree(s->rs[i].cands);
    myfree(s->rs);
    myfree(s->sender);
    myfree(s->tags);
    myfree(s->logged);
    myfree(s->subject);
    myfree(s->ranges);
    rxw_free(&s->body_rx);
    if (s->md)
	pcre2_match_data_free(s->md);
    if (s->mctx)
	pcre2_match_context_free(s->mctx);
    if (s->sha)
	EVP_MD_CTX_free(s->sha);
    for (i = 0; i < s->nparts; i++)
	myfree(s->parts[i].names);
    myfree(s->parts);
    myfree(s);
}

int     scan_header(SCAN *s, const char *name, const char *value)
{
    if (s->mode == 2 || s->eom)
	return status(s);
    s->mode = 1;
    if (!s->final)
	mime_header_field(s->mp, name, value ? value : "");
    return status(s);
}

int     scan_eoh(SCAN *s)
{
    if (s->mode == 2 || s->eom)
	return status(s);
    s->mode = 1;
    mime_end_headers(s->mp);
    return status(s);
}

int     scan_body(SCAN *s, const void *buf, size_t len)
{
    if (s->mode == 2 || s->eom)
	return status(s);
    if (s->mode == 0) {
	s->mode = 1;
	mime_end_headers(s->mp);
    }
    if (!status(s) || s->explain)
	mime_feed(s->mp, buf, len);
    return status(s);
}

int     scan_data(SCAN *s, const void *buf, size_t len)
{
    if (s->mode == 1 || s->eom)
	return status(s);
    s->mode = 2;
    if (!status(s) || s->explain)
	mime_feed(s->mp, buf, len);
    return status(s);
}

int     scan_eom(SCAN *s)
{
    if (s->eom)
	return s->final;
    s->eom = 1;
    if (s->mode == 1)
	mime_end_headers(s->mp);
    mime_finish(s->mp);
    scan_check_rules(s);
    if (s->strip_rule >= 0) {
	strip_build_ranges(s);
	s->final = 1;
    }
    return s->final;
}
