/*
 * scan.c - the SCAN object: life cycle and rule evaluation (the envelope
 * and recipient exemptions are in scan_envelope.c, the message content
 * is looked at in scan_content.c).
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

#include "msg.h"
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
	"limit:archive_depth", "limit:archive_members", "limit:archive_size",
	"limit:archive_expansion", "limit:archive_ratio",
	"limit:archive_dictionary",
    NULL};
    size_t  i;

    for (i = 0; names[i] && strcmp(names[i], what) != 0; i++)
	 /* void */ ;
    if (names[i] == NULL)                 /* a caller's bug, not input */
	msg_panic("scan_set_special: unknown verdict name \"%s\"", what);
    if (s->final)
	return;
    memset(&s->v, 0, sizeof(s->v));
    s->v.action = a;
    s->v.rule = names[i];
    s->v.reply = scan_default_reply(a);
    s->v_index = -1;                      /* spares no recipient */
    s->final = 1;
    s->strip_rule = -1;
    scan_stop_parsing(s, strncmp(what, "limit:", 6) == 0);
}

void    scan_stop_parsing(SCAN *s, int now)
{
    if (!now && s->explain)
	return;
    if (!now && s->mode != 1 && !s->top_done) {
	s->stop_at_top = 1;               /* scan_data: see scan_top.c */
	return;
    }
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
    s->v_index = (int) i;
    s->v.exempt = s->nrcpt - scan_affected(s, (int) i);
    s->v.reply = r->reply ? r->reply : scan_default_reply(r->action);
    s->v.redirect_to = r->redirect_to;
    scan_copy_text(s->v.part, sizeof(s->v.part), scan_rule_hit(st)->part);
    scan_copy_text(s->v.filename, sizeof(s->v.filename),
		   scan_rule_hit(st)->filename);
    scan_copy_text(s->v.matched, sizeof(s->v.matched),
		   scan_rule_hit(st)->matched);
    if (r->action == ACT_STRIP) {
	s->strip_rule = (int) i;
	return;
    }
    s->final = 1;
    scan_stop_parsing(s, 0);
}

/* A rule that holds: fire it, skip it (every recipient is exempt from
 * it), or let it wait (the recipients that could be exempt are still to
 * come). */
static void holds(SCAN *s, size_t i)
{
    const RULE *r = s->conf->rules[i];
    RULE_STATE *st = &s->rs[i];

    if (r->audit) {
	/* evaluated and logged with what it would do; never acted on */
	st->fired = st->audited = 1;
	s->audited[s->naudited++] = i;
	return;
    }
    if (scan_affected(s, (int) i) > 0) {
	fire(s, i);
    } else if (s->nrcpt > 0 && s->env_done) {
	st->fired = 1;
    } else if (!s->env_done && scan_exempt_possible(s, (int) i)) {
	st->deferred = (r->action == ACT_REJECT || r->action == ACT_TEMPFAIL)
	    && (r->conds & ~COND_ENVELOPE) == 0 ? DEFER_REFUSE : DEFER_WAIT;
    } else {
	fire(s, i);
    }
}

void    scan_check_rules(SCAN *s)
{
    size_t  i;

    for (i = 0; i < s->conf->n_rules && !s->final; i++) {
	RULE_STATE *st = &s->rs[i];
	unsigned need = s->conf->rules[i]->conds;

	if (st->active && !st->fired && st->deferred == DEFER_NO
	    && (st->sat & need) == need)
	    holds(s, i);
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
    if (st->hit == NULL)
	st->hit = mycalloc(1, sizeof(*st->hit));
    scan_copy_text(st->hit->part, sizeof(st->hit->part), part);
    if (file)
	scan_copy_text(st->hit->filename, sizeof(st->hit->filename), file);
    scan_copy_text(st->hit->matched, sizeof(st->hit->matched), matched);
}

const RULE_HIT *scan_rule_hit(const RULE_STATE *st)
{
    static const RULE_HIT none;

    return st->hit ? st->hit : &none;
}

/* Life cycle. */

SCAN   *scan_new(const SCONF *conf, DIRECTION dir)
{
    SCAN   *s = mycalloc(1, sizeof(*s));
    size_t  i, n = conf->n_rules;

    s->conf = conf;
    s->dir = dir;
    s->strip_rule = -1;
    s->v_index = -1;
    s->rcpt_exempt = -1;
    s->rs = mycalloc(n ? n : 1, sizeof(*s->rs));
    for (i = 0; i < n; i++)
	s->rs[i].active = (conf->rules[i]->dirs & (unsigned) dir) != 0;
    s->tags = mycalloc(n ? n : 1, sizeof(*s->tags));
    s->logged = mycalloc(n ? n : 1, sizeof(*s->logged));
    s->audited = mycalloc(n ? n : 1, sizeof(*s->audited));
    s->mp = mime_parser_new(&conf->limits, &scan_callbacks, s);
    if (conf->n_regex) {
	s->md = pcre2_match_data_create(1, NULL);
	s->mctx = pcre2_match_context_create(NULL);
	pcre2_set_match_limit(s->mctx, MATCH_LIMIT);
    }
    if (conf->needs & NEED_SHA256) {
	s->sha = EVP_MD_CTX_new();
	s->sha_alt = EVP_MD_CTX_new();
    }
    scan_files_new(s);
    /* Nothing can fire before the envelope: a rule set of pure content
     * rules waits for scan_eoh/scan_data. */
    return s;
}

/* Calls in an order the API does not allow are bugs of the caller:
 * invariant failures (abort), which tests and fuzzers catch, never
 * silently ignored. */
static void order(const SCAN *s, const char *call, int content_mode)
{
    if (s->eom)
	msg_panic("%s after scan_eom", call);
    if (content_mode && s->mode && s->mode != content_mode)
	msg_panic("%s mixed with %s in one SCAN", call, s->mode == 2 ?
		  "scan_data" : "scan_header/scan_eoh/scan_body");
}

void    scan_order_envelope(const SCAN *s, const char *call)
{
    order(s, call, 0);
    if (s->env_done)
	msg_panic("%s after the content started", call);
}

void    scan_set_explain(SCAN *s, int on)
{
    if (s->mode || s->eom)
	msg_panic("scan_set_explain after the content started");
    s->explain = on;
    scan_files_explain_on(s, on);
    if (on && s->parts == NULL)
	s->parts = mycalloc((size_t) s->conf->limits.max_parts,
			    sizeof(*s->parts));
}

void    scan_free(SCAN *s)
{
    size_t  i;

    if (s == NULL)
	return;
    if (s->controls_logged > CONTROLS_LOG_MAX)
	msg_info("%zu more part%s with hidden control characters in their "
		 "names (not logged one by one)",
		 s->controls_logged - CONTROLS_LOG_MAX,
		 s->controls_logged - CONTROLS_LOG_MAX == 1 ? "" : "s");
    mime_parser_free(s->mp);
    scan_files_free(s);
    scan_text_free(s);
    for (i = 0; i < s->conf->n_rules; i++) {
	myfree(s->rs[i].cands);
	myfree(s->rs[i].hit);
    }
    myfree(s->rs);
    myfree(s->sender);
    scan_envelope_free(s);
    scan_top_free(s);
    myfree(s->tags);
    myfree(s->logged);
    myfree(s->audited);
    myfree(s->ranges);
    if (s->md)
	pcre2_match_data_free(s->md);
    if (s->mctx)
	pcre2_match_context_free(s->mctx);
    if (s->sha)
	EVP_MD_CTX_free(s->sha);
    if (s->sha_alt)
	EVP_MD_CTX_free(s->sha_alt);
    for (i = 0; i < s->nparts; i++) {
	myfree(s->parts[i].names);
	myfree(s->parts[i].path);
    }
    myfree(s->parts);
    myfree(s);
}

/* The header is always given to the SCAN, final verdict or not: the
 * milter's header changes need it (scan_top.c). */
int     scan_header(SCAN *s, const char *name, const char *value)
{
    order(s, "scan_header", 1);
    s->mode = 1;
    scan_envelope_done(s);
    scan_top_field(s, name, value ? value : "");
    if (!s->final)
	mime_header_field(s->mp, name, value ? value : "");
    return status(s);
}

int     scan_eoh(SCAN *s)
{
    order(s, "scan_eoh", 1);
    s->mode = 1;
    scan_envelope_done(s);
    mime_end_headers(s->mp);
    s->top_done = 1;
    return status(s);
}

int     scan_body(SCAN *s, const void *buf, size_t len)
{
    order(s, "scan_body", 1);
    scan_envelope_done(s);
    if (s->mode == 0) {
	s->mode = 1;
	mime_end_headers(s->mp);
	s->top_done = 1;
    }
    if (!status(s) || s->explain)
	mime_feed(s->mp, buf, len);
    return status(s);
}

int     scan_data(SCAN *s, const void *buf, size_t len)
{
    order(s, "scan_data", 2);
    s->mode = 2;
    scan_envelope_done(s);
    if (!status(s) || s->explain || s->stop_at_top)
	mime_feed(s->mp, buf, len);
    return status(s);
}

int     scan_eom(SCAN *s)
{
    if (s->eom)
	return s->final;
    s->eom = 1;
    scan_envelope_done(s);
    if (s->mode == 1)
	mime_end_headers(s->mp);
    mime_finish(s->mp);
    scan_check_rules(s);
    scan_envelope_eom(s);
    if (s->strip_rule >= 0) {
	strip_build_ranges(s);
	s->final = 1;
    }
    return s->final;
}
