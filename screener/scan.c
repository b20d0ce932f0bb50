/*
 * scan.c - the SCAN object: envelope, MIME events, rule evaluation.
 *
 * Each rule keeps a mask of the conditions known to hold; whenever an
 * event may have changed a mask (envelope address, header field, keyword
 * hit, end of a part) the rules are checked in file order and those
 * whose conditions all hold fire.  The first terminal action is final:
 * parsing stops there, except for strip, which needs every matching part
 * and so reads on to the end (scan_eom() then returns 1).
 */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "attach.h"
#include "mime_header.h"
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
    return s->final && s->strip_rule < 0;
}

static void copy_text(char *dst, size_t size, const char *src)
{
    size_t  n = src ? strlen(src) : 0;

    if (n >= size)
	n = size - 1;
    if (n)
	memcpy(dst, src, n);
    dst[n] = 0;
}

/* A terminal verdict not owed to a rule: limit or internal error. */
static void set_special(SCAN *s, ACTION a, const char *what)
{
    static const char *const names[] = {"limit:depth", "limit:parts",
	"limit:header_size", "limit:headers", "limit:line_length",
	"limit:boundary", "limit:parameters",
	"limit:names", "limit:ambiguous", "error:regex", NULL};
    size_t  i;

    if (s->final && s->strip_rule < 0)
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
    s->v.action = r->action;
    s->v.rule = r->name;
    s->v.reply = r->reply ? r->reply : scan_default_reply(r->action);
    s->v.redirect_to = r->redirect_to;
    copy_text(s->v.part, sizeof(s->v.part), st->hit.part);
    copy_text(s->v.filename, sizeof(s->v.filename), st->hit.filename);
    copy_text(s->v.matched, sizeof(s->v.matched), st->hit.matched);
    s->final = 1;
    if (r->action == ACT_STRIP)
	s->strip_rule = (int) i;
    else if (!s->explain)
	mime_stop(s->mp);
}

static void check_rules(SCAN *s)
{
    size_t  i;

    for (i = 0; i < s->conf->n_rules && !s->final; i++) {
	RULE_STATE *st = &s->rs[i];
	unsigned need = s->conf->rules[i]->conds;

	if (st->active && !st->fired && (st->sat & need) == need)
	    fire(s, i);
    }
}

static int open_rule(const SCAN *s, size_t i, unsigned cond)
{
    const RULE_STATE *st = &s->rs[i];

    return st->active && !st->fired && (s->conf->rules[i]->conds & cond)
	&& !(st->sat & cond);
}

static void hit(RULE_STATE *st, unsigned cond, const char *part,
		        const char *file, const char *matched)
{
    st->sat |= cond;
    copy_text(st->hit.part, sizeof(st->hit.part), part);
    if (file)
	copy_text(st->hit.filename, sizeof(st->hit.filename), file);
    copy_text(st->hit.matched, sizeof(st->hit.matched), matched);
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
static void addr_canon(char *a)
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

static void sender_check(SCAN *s, const char *addr)
{
    size_t  i;

    for (i = 0; i < s->conf->n_rules; i++) {
	RULE   *r = s->conf->rules[i];

	if (open_rule(s, i, COND_SENDER)
	    && addr_in(&r->sender_addrs, &r->sender_domains, addr))
	    hit(&s->rs[i], COND_SENDER, "", NULL, *addr ? addr : "<>");
    }
}

int     scan_sender(SCAN *s, const char *addr)
{
    char    buf[ADDR_MAX + 1];

    if (addr_clean(addr ? addr : "", buf, sizeof(buf)) < 0)
	snprintf(buf, sizeof(buf), "%.*s", ADDR_MAX, addr);
    myfree(s->sender);
    s->sender = mystrdup(buf);
    addr_canon(buf);
    if (!s->final) {
	sender_check(s, buf);
	check_rules(s);
    }
    return status(s);
}

int     scan_rcpt(SCAN *s, const char *addr)
{
    char    buf[ADDR_MAX + 1];
    size_t  i;

    s->nrcpt++;
    if (s->final || addr_clean(addr ? addr : "", buf, sizeof(buf)) < 0)
	return status(s);
    addr_canon(buf);
    for (i = 0; i < s->conf->n_rules; i++) {
	RULE   *r = s->conf->rules[i];

	if (open_rule(s, i, COND_RCPT)
	    && addr_in(&r->rcpt_addrs, &r->rcpt_domains, buf))
	    hit(&s->rs[i], COND_RCPT, "", NULL, buf);
    }
    check_rules(s);
    return status(s);
}

/* Keyword matching. */

static void ac_hit(void *ctx, uint32_t id)
{
    SCAN   *s = ctx;
    const AC_AUTOMATON *ac = s->conf->automaton;
    uint32_t k;

    for (k = 0; k < ac->own_count[id]; k++) {
	size_t  ri = ac->own_rules[ac->own_start[id] + k];

	if (open_rule(s, ri, COND_KEYWORDS)
	    && (s->conf->rules[ri]->kw_in & s->stream))
	    hit(&s->rs[ri], COND_KEYWORDS, s->stream_part, NULL,
		ac->pats.v[id]);
    }
}

static void run_regex(void *ctx, const char *buf, size_t len)
{
    SCAN   *s = ctx;
    size_t  i, j;
    int     skip_pf = 0;

    /* Body windows: one search with the prefilter first; when it finds
     * nothing, none of its member patterns can match here. */
    if (s->stream == IN_BODY && s->conf->rx_prefilter)
	skip_pf = pcre2_match(s->conf->rx_prefilter, (PCRE2_SPTR) buf, len, 0,
			      0, s->md, s->mctx) == PCRE2_ERROR_NOMATCH;
    for (i = 0; i < s->conf->n_rules; i++) {
	RULE   *r = s->conf->rules[i];

	if (r->n_regex == 0 || !(r->kw_in & s->stream)
	    || !open_rule(s, i, COND_KEYWORDS))
	    continue;
	for (j = 0; j < r->n_regex; j++) {
	    int     rc;

	    if (skip_pf && r->regex[j].in_prefilter)
		continue;
	    rc = pcre2_match(r->regex[j].code, (PCRE2_SPTR) buf, len, 0, 0,
			     s->md, s->mctx);
	    if (rc >= 0) {
		hit(&s->rs[i], COND_KEYWORDS, s->stream_part, NULL,
		    r->regex[j].text);
		break;
	    }
	    if (rc != PCRE2_ERROR_NOMATCH) {
		msg_warn("rule %s: regex error %d", r->name, rc);
		set_special(s, s->conf->limits.on_error, "error:regex");
		return;
	    }
	}
    }
}

static void match_string(SCAN *s, unsigned stream, const char *part,
			         const char *text)
{
    AC_STREAM st;

    if (s->final)
	return;
    s->stream = stream;
    s->stream_part = part;
    if (s->conf->automaton) {
	ac_stream_init(&st);
	ac_feed(s->conf->automaton, &st, text, strlen(text), ac_hit, s);
    }
    if (s->conf->n_regex)
	run_regex(s, text, strlen(text));
    check_rules(s);
}

/* Is any rule still waiting for a keyword in this stream? */
static int keywords_open(const SCAN *s, unsigned stream)
{
    size_t  i;

    for (i = 0; i < s->conf->n_rules; i++)
	if ((s->conf->rules[i]->kw_in & stream)
	    && open_rule(s, i, COND_KEYWORDS))
	    return 1;
    return 0;
}

static int regex_open(const SCAN *s, unsigned stream)
{
    size_t  i;

    for (i = 0; i < s->conf->n_rules; i++)
	if (s->conf->rules[i]->n_regex && (s->conf->rules[i]->kw_in & stream)
	    && open_rule(s, i, COND_KEYWORDS))
	    return 1;
    return 0;
}

/* MIME callbacks. */

static void from_addr(void *ctx, const char *addr)
{
    SCAN   *s = ctx;
    char    buf[ADDR_MAX + 1];

    if (addr_clean(addr, buf, sizeof(buf)) >= 0) {
	addr_canon(buf);
	sender_check(s, buf);
    }
}

static void cb_header(void *ctx, MIME_PART *p, const char *name,
		              const char *value)
{
    SCAN   *s = ctx;
    unsigned needs = s->conf->needs;
    size_t  sz = strlen(name) + strlen(value) * 4 + 16;
    char   *dec;
    int     subj = strcasecmp(name, "Subject") == 0;

    if (s->final)
	return;
    if (p->depth == 1) {
	if (subj && s->subject == NULL)
	    s->subject = mystrdup(value);
	if (strcasecmp(name, "From") == 0) {
	    hdr_addresses(value, from_addr, s);
	    check_rules(s);
	}
	if (!(needs & (NEED_SUBJECT_TEXT | NEED_HEADER_TEXT)))
	    return;
	dec = mymalloc(sz);
	if (subj && (needs & NEED_SUBJECT_TEXT)) {
	    rfc2047_decode(value, strlen(value), dec, sz);
	    match_string(s, IN_SUBJECT, "", dec);
	}
	if (needs & NEED_HEADER_TEXT) {
	    size_t  n = (size_t) snprintf(dec, sz, "%s: ", name);

	    rfc2047_decode(value, strlen(value), dec + n, sz - n);
	    match_string(s, IN_HEADERS, "", dec);
	}
	myfree(dec);
    } else if (p->in_message && (needs & NEED_BODY_TEXT)
	       && (subj || strcasecmp(name, "From") == 0
		   || strcasecmp(name, "To") == 0
		   || strcasecmp(name, "Cc") == 0)) {
	/* An attached message's own subject and addresses are part of
	 * what its reader sees: match them as body text. */
	dec = mymalloc(sz);
	rfc2047_decode(value, strlen(value), dec, sz);
	match_string(s, IN_BODY, p->path, dec);
	myfree(dec);
    }
}

static void cb_part_begin(void *ctx, MIME_PART *p)
{
    SCAN   *s = ctx;
    unsigned needs = s->conf->needs;
    int     att = attach_is_attachment(p);

    if (s->explain && s->nparts < (size_t) s->conf->limits.max_parts) {
	PART_INFO *pi = &s->parts[s->nparts];

	memset(pi, 0, sizeof(*pi));
	p->user = pi;
	s->nparts++;
    } else {
	p->user = NULL;
    }
    if (!p->is_leaf)
	return;
    p->want_text = p->is_text && (needs & NEED_BODY_TEXT)
	&& (s->explain || keywords_open(s, IN_BODY));
    p->want_decode = s->explain || (att && (needs & NEED_SIZE));
    p->want_data = att && (needs & NEED_SHA256);
    if (p->want_text) {
	ac_stream_init(&s->body_ac);
	rxw_reset(&s->body_rx);
	s->body_rx_on = s->conf->n_regex && regex_open(s, IN_BODY);
    }
    if (p->want_data) {
	EVP_DigestInit_ex(s->sha, EVP_sha256(), NULL);
	s->sha_on = 1;
    }
}

static void cb_data(void *ctx, MIME_PART *p, const char *buf, size_t len)
{
    SCAN   *s = ctx;

    if (s->sha_on)
	EVP_DigestUpdate(s->sha, buf, len);
}

static void cb_text(void *ctx, MIME_PART *p, const char *buf, size_t len)
{
    SCAN   *s = ctx;

    if (s->final)
	return;
    s->stream = IN_BODY;
    s->stream_part = p->path;
    if (s->conf->automaton)
	ac_feed(s->conf->automaton, &s->body_ac, buf, len, ac_hit, s);
    if (s->body_rx_on)
	rxw_feed(&s->body_rx, buf, len, run_regex, s);
    check_rules(s);
}

static void strip_candidate(SCAN *s, RULE_STATE *st, const MIME_PART *p,
			            const char *file)
{
    STRIP_CAND *c;

    st->cands = mygrow(st->cands, &st->capcands, st->ncands + 1,
		       sizeof(*st->cands));
    c = &st->cands[st->ncands++];
    c->start = p->start;
    c->end = p->end;
    c->is_root = p->depth == 1;
    copy_text(c->name, sizeof(c->name), file ? file : p->type);
}

static void cb_part_end(void *ctx, MIME_PART *p)
{
    SCAN   *s = ctx;
    char    norm[MIME_NAMES_MAX][ATTACH_NAME_MAX], digest[65], why[300];
    const char *file;
    size_t  i, nn = p->names.n;
    int     controls = 0, c;

    if (p->want_text && s->body_rx_on && !s->final) {
	s->stream = IN_BODY;
	s->stream_part = p->path;
	rxw_flush(&s->body_rx, run_regex, s);
    }
    digest[0] = 0;
    if (p->want_data && s->sha_on) {
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	EVP_DigestFinal_ex(s->sha, md, &mdlen);
	for (i = 0; i < mdlen && i < 32; i++)
	    snprintf(digest + 2 * i, 3, "%02x", md[i]);
	s->sha_on = 0;
    }
    for (i = 0; i < nn; i++) {
	attach_normalise(p->names.v[i], norm[i], &c);
	controls |= c;
    }
    if (controls)
	msg_info("part %s: attachment name with hidden control characters"
		 " (bidi or zero width) removed for matching", p->path);
    if (p->user) {
	PART_INFO *pi = p->user;
	size_t  len = 0;

	copy_text(pi->path, sizeof(pi->path), p->path);
	copy_text(pi->type, sizeof(pi->type), p->type);
	copy_text(pi->disposition, sizeof(pi->disposition), p->disposition);
	for (i = 0; i < nn; i++)
	    len += strlen(p->names.v[i]) + 1;
	if (nn) {
	    pi->names = mymalloc(len);
	    pi->names[0] = 0;
	    for (i = 0; i < nn; i++) {
		if (i)
		    strcat(pi->names, "\n");
		strcat(pi->names, p->names.v[i]);
	    }
	}
	pi->controls = controls;
	pi->size = p->is_leaf ? p->size : p->end - p->start;
	pi->text_len = p->text_len;
	pi->done = 1;
    }
    if ((s->conf->needs & NEED_ATTACH) && attach_is_attachment(p)
	&& (!s->final || s->strip_rule >= 0)) {
	for (i = 0; i < s->conf->n_rules; i++) {
	    RULE   *r = s->conf->rules[i];
	    RULE_STATE *st = &s->rs[i];

	    if (!(r->conds & COND_ATTACHMENT) || !st->active)
		continue;
	    if (st->fired && (int) i != s->strip_rule)
		continue;
	    if (!attach_rule_match(r, p, norm, nn, digest[0] ? digest : NULL,
			      &file, why, sizeof(why)))
		continue;
	    if (r->action == ACT_STRIP && p->in_encoded)
		st->enc_hit = 1;
	    else if (r->action == ACT_STRIP)
		strip_candidate(s, st, p, file);
	    if (!(st->sat & COND_ATTACHMENT))
		hit(st, COND_ATTACHMENT, p->path, file, why);
	}
    }
    /* Parts inside an encoded message have no body offsets of their own:
     * a strip of any of them strips the whole message part. */
    if (p->encoded_message && !p->in_encoded)
	for (i = 0; i < s->conf->n_rules; i++)
	    if (s->rs[i].enc_hit) {
		s->rs[i].enc_hit = 0;
		strip_candidate(s, &s->rs[i], p, p->names.n ? p->names.v[0]
				: NULL);
	    }
    check_rules(s);
}

static void cb_limit(void *ctx, const char *what)
{
    SCAN   *s = ctx;
    char    buf[64];

    snprintf(buf, sizeof(buf), "limit:%s", what);
    set_special(s, s->conf->limits.on_limit, buf);
}

static const MIME_CALLBACKS callbacks = {
    cb_header, cb_part_begin, cb_data, cb_text, cb_part_end, cb_limit,
};

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
    s->mp = mime_parser_new(&conf->limits, &callbacks, s);
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

void    strip_build_ranges(SCAN *s);	/* strip.c */

int     scan_eom(SCAN *s)
{
    if (s->eom)
	return s->final;
    s->eom = 1;
    if (s->mode == 1)
	mime_end_headers(s->mp);
    mime_finish(s->mp);
    check_rules(s);
    if (s->strip_rule >= 0)
	strip_build_ranges(s);
    return s->final;
}
