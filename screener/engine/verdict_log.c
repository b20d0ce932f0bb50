/*
 * verdict_log.c - verdict log lines and the --explain part listing.
 *
 * One key=value line per verdict (kvlog escapes and caps every value an
 * attacker could have chosen), plus one line per log/tag rule that fired;
 * each ends with the envelope, the client address and the Message-ID.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "kvlog.h"
#include "msg.h"
#include "scan_int.h"

static void common_fields(KVLOG *kv, const SCAN *s, const char *queue_id)
{
    kv_add(kv, "queue_id", queue_id);
    kv_add(kv, "direction", direction_name(s->dir));
}

static void envelope_fields(KVLOG *kv, const SCAN *s)
{
    kv_add(kv, "sender", s->sender ? (*s->sender ? s->sender : "<>") : NULL);
    kv_addf(kv, "rcpts", "%zu", s->nrcpt);
    if (s->controls_logged)           /* parts with hidden name characters */
	kv_addf(kv, "hidden_names", "%zu", s->controls_logged);
    kv_add(kv, "client", s->client_addr);
    kv_add(kv, "message_id", s->message_id);   /* escaped, capped */
}

/* A verdict that cannot spare the recipients an accept exempts: say so,
 * so that the log explains why they did not get the message. */
static void exempt_note(const SCAN *s, const char *queue_id)
{
    const char *why;
    KVLOG   kv;

    if (s->v.exempt == 0)
	return;
    switch (s->v.action) {
    case ACT_REJECT:
    case ACT_TEMPFAIL:
	why = "one reply to DATA covers every recipient";
	break;
    case ACT_HOLD:
	why = "one queue file holds every recipient";
	break;
    case ACT_STRIP:
	why = "one body goes to every recipient";
	break;
    default:
	return;                           /* discard, redirect spare them */
    }
    kv_init(&kv);
    common_fields(&kv, s, queue_id);
    kv_add(&kv, "rule", s->v.rule);
    kv_addf(&kv, "exempt_rcpts", "%zu", s->v.exempt);
    kv_add(&kv, "note", "the verdict applies to the exempt recipients too");
    kv_add(&kv, "why", why);
    msg_info("%s", kv_str(&kv));
}

void    scan_log(const SCAN *s, const char *queue_id)
{
    KVLOG   kv;
    size_t  i;

    /* audit rules: what they would have done */
    for (i = 0; i < s->naudited; i++) {
	const RULE *r = s->conf->rules[s->audited[i]];
	const RULE_HIT *h = scan_rule_hit(&s->rs[s->audited[i]]);

	kv_init(&kv);
	common_fields(&kv, s, queue_id);
	kv_add(&kv, "action", action_name(r->action));
	kv_add(&kv, "rule", r->name);
	kv_add(&kv, "audit", "1");
	kv_add_whole(&kv, "part", *h->part ? h->part : NULL);
	kv_add(&kv, "file", *h->filename ? h->filename : NULL);
	kv_add(&kv, "match", *h->matched ? h->matched : NULL);
	envelope_fields(&kv, s);
	msg_info("%s", kv_str(&kv));
    }
    for (i = 0; i < s->nlogged; i++) {
	const RULE *r = s->conf->rules[s->logged[i]];
	const RULE_HIT *h = scan_rule_hit(&s->rs[s->logged[i]]);

	kv_init(&kv);
	common_fields(&kv, s, queue_id);
	kv_add(&kv, "action", action_name(r->action));
	kv_add(&kv, "rule", r->name);
	kv_add_whole(&kv, "part", *h->part ? h->part : NULL);
	kv_add(&kv, "file", *h->filename ? h->filename : NULL);
	kv_add(&kv, "match", *h->matched ? h->matched : NULL);
	envelope_fields(&kv, s);
	msg_info("%s", kv_str(&kv));
    }
    if (s->v.action == ACT_NONE && s->nlogged)
	return;
    kv_init(&kv);
    common_fields(&kv, s, queue_id);
    kv_add(&kv, "action", s->v.action == ACT_NONE ? "pass"
	   : action_name(s->v.action));
    kv_add(&kv, "rule", s->v.rule);
    kv_add_whole(&kv, "part", *s->v.part ? s->v.part : NULL);
    kv_add(&kv, "file", *s->v.filename ? s->v.filename : NULL);
    kv_add(&kv, "match", *s->v.matched ? s->v.matched : NULL);
    if (s->v.action == ACT_REDIRECT)
	kv_add(&kv, "redirect_to", s->v.redirect_to);
    if (s->v.action == ACT_STRIP)
	kv_addf(&kv, "stripped", "%zu", s->nranges);
    if (s->v.exempt)
	kv_addf(&kv, "exempt_rcpts", "%zu", s->v.exempt);
    envelope_fields(&kv, s);
    msg_info("%s", kv_str(&kv));
    exempt_note(s, queue_id);
}

void    scan_log_refused(const SCAN *s, const char *queue_id,
			         const char *rcpt)
{
    KVLOG   kv;

    if (!s->rcpt_refused)
	return;
    kv_init(&kv);
    common_fields(&kv, s, queue_id);
    kv_add(&kv, "action", action_name(s->rv.action));
    kv_add(&kv, "rule", s->rv.rule);
    kv_add(&kv, "recipient", rcpt);
    kv_add(&kv, "sender", s->sender ? (*s->sender ? s->sender : "<>") : NULL);
    kv_add(&kv, "client", s->client_addr);
    msg_info("%s", kv_str(&kv));
}

const VERDICT *scan_rcpt_refused(const SCAN *s)
{
    return s->rcpt_refused ? &s->rv : NULL;
}

void    scan_explain(const SCAN *s, void (*out)(void *ctx, const char *line),
		             void *ctx)
{
    size_t  i;

    for (i = 0; i < s->nparts; i++) {
	const PART_INFO *pi = &s->parts[i];
	KVLOG   kv;
	const char *n, *nl;

	if (!pi->done)
	    continue;
	kv_init(&kv);
	kv_add_whole(&kv, "part", pi->path);
	kv_add(&kv, "type", pi->type);
	if (*pi->disposition)
	    kv_add(&kv, "disposition", pi->disposition);
	for (n = pi->names; n && *n; n = nl ? nl + 1 : NULL) {
	    nl = strchr(n, '\n');
	    kv_addn(&kv, "name", n, nl ? (size_t) (nl - n) : strlen(n));
	}
	if (pi->controls)
	    kv_add(&kv, "controls", "yes");
	kv_addf(&kv, "size", "%llu", (unsigned long long) pi->size);
	kv_addf(&kv, "text", "%llu", (unsigned long long) pi->text_len);
	if (pi->shown_len)                /* as matched: rendered, folded */
	    kv_addn(&kv, "shown", pi->shown, pi->shown_len
		    - (pi->shown[pi->shown_len - 1] == ' '));
	out(ctx, kv_str(&kv));
    }
    scan_files_explain(s, out, ctx);
}

/* Accessors. */

const VERDICT *scan_verdict(const SCAN *s)
{
    return &s->v;
}

const TAG_HEADER *scan_tag_headers(const SCAN *s, size_t *n)
{
    *n = s->ntags;
    return s->tags;
}

const char *scan_subject_prefix(const SCAN *s)
{
    return s->subject_prefix;
}

size_t  scan_audited(const SCAN *s, const char **names, ACTION *acts,
		             size_t max)
{
    size_t  i;

    for (i = 0; i < s->naudited && i < max; i++) {
	names[i] = s->conf->rules[s->audited[i]]->name;
	acts[i] = s->conf->rules[s->audited[i]]->action;
    }
    return s->naudited;
}

const char *scan_first_fired(const SCAN *s, ACTION a)
{
    size_t  i;

    for (i = 0; i < s->nlogged; i++)
	if (s->conf->rules[s->logged[i]]->action == a)
	    return s->conf->rules[s->logged[i]]->name;
    return NULL;
}

size_t  scan_fired(const SCAN *s, const char **names, size_t max)
{
    size_t  i;

    for (i = 0; i < s->nlogged && i < max; i++)
	names[i] = s->conf->rules[s->logged[i]]->name;
    return s->nlogged;
}
