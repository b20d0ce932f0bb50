/*
 * scan_content.c - the message content as the SCAN sees it: the MIME
 * parser's callbacks (header fields, parts, decoded text and data,
 * limits) and keyword matching (literal automaton and regexes) over
 * header fields and body text.  Rule evaluation is in scan.c.
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


/* Keyword matching. */

void    scan_ac_hit(void *ctx, uint32_t id)
{
    SCAN   *s = ctx;
    const AC_AUTOMATON *ac = s->conf->automaton;
    uint32_t k;

    for (k = 0; k < ac->own_count[id]; k++) {
	size_t  ri = ac->own_rules[ac->own_start[id] + k];

	if (scan_open_rule(s, ri, COND_KEYWORDS)
	    && (s->conf->rules[ri]->kw_in & s->stream))
	    scan_hit(&s->rs[ri], COND_KEYWORDS, s->stream_part, NULL,
		ac->pats.v[id]);
    }
}

void    scan_run_regex(void *ctx, const char *buf, size_t len)
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
	    || !scan_open_rule(s, i, COND_KEYWORDS))
	    continue;
	for (j = 0; j < r->n_regex; j++) {
	    int     rc;

	    if (skip_pf && r->regex[j].in_prefilter)
		continue;
	    rc = pcre2_match(r->regex[j].code, (PCRE2_SPTR) buf, len, 0, 0,
			     s->md, s->mctx);
	    if (rc >= 0) {
		scan_hit(&s->rs[i], COND_KEYWORDS, s->stream_part, NULL,
		    r->regex[j].text);
		break;
	    }
	    if (rc != PCRE2_ERROR_NOMATCH) {
		msg_warn("rule %s: regex error %d", r->name, rc);
		scan_set_special(s, s->conf->limits.on_error, "error:regex");
		return;
	    }
	}
    }
}

static void match_string(SCAN *s, unsigned stream, const char *part,
			         const char *text)
{
    scan_text_string(s, stream, part, text);
}

/* Is any rule still waiting for a keyword in this stream? */
static int keywords_open(const SCAN *s, unsigned stream)
{
    size_t  i;

    for (i = 0; i < s->conf->n_rules; i++)
	if ((s->conf->rules[i]->kw_in & stream)
	    && scan_open_rule(s, i, COND_KEYWORDS))
	    return 1;
    return 0;
}

int     scan_regex_open(const SCAN *s, unsigned stream)
{
    size_t  i;

    for (i = 0; i < s->conf->n_rules; i++)
	if (s->conf->rules[i]->n_regex && (s->conf->rules[i]->kw_in & stream)
	    && scan_open_rule(s, i, COND_KEYWORDS))
	    return 1;
    return 0;
}

/* MIME callbacks. */

static void from_addr(void *ctx, const char *addr)
{
    SCAN   *s = ctx;
    char    buf[ADDR_MAX + 1];

    if (addr_clean(addr, buf, sizeof(buf)) >= 0) {
	scan_addr_canon(buf);
	scan_sender_check(s, buf, 1);
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

    if (p->depth == 1 && s->mode == 2)
	scan_top_field(s, name, value);   /* scan_header() does it else */
    if (s->final)
	return;
    if (p->depth == 1) {
	/* Every address a client may show as the sender's. */
	if (strcasecmp(name, "From") == 0 || strcasecmp(name, "Sender") == 0
	    || strcasecmp(name, "Reply-To") == 0) {
	    hdr_addresses(value, from_addr, s);
	    scan_check_rules(s);
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

/* A digest that cannot be computed must not read as "no rule matched". */
static void sha_failed(SCAN *s)
{
    msg_warn("SHA-256 unavailable: attachment digests cannot be checked");
    s->sha_on = 0;
    scan_set_special(s, s->conf->limits.on_error, "error:sha256");
}

/* Attachment rules that look only at names and types decide when the
 * part's header is complete, so a 40 MB .exe is refused before its body
 * is read.  Size, digest and strip rules need the whole part: part end. */
static void attach_early(SCAN *s, const MIME_PART *p)
{
    ATTACH_NAMES an;
    char    why[300];
    const char *file;
    size_t  i;

    attach_names_build(p, &an);
    for (i = 0; i < s->conf->n_rules; i++) {
	const RULE *r = s->conf->rules[i];
	RULE_STATE *st = &s->rs[i];

	if (!(r->conds & COND_ATTACHMENT) || !st->active || st->fired
	    || (st->sat & COND_ATTACHMENT) || r->action == ACT_STRIP
	    || RULE_HAS_SIZE(r) || r->sha256.n || r->dtypes.n
	    || r->want_flags)
	    continue;
	if (attach_rule_match(r, p, &an, NULL, &file, why, sizeof(why)))
	    scan_hit(st, COND_ATTACHMENT, p->path, file, why);
    }
    scan_check_rules(s);
}

static void cb_part_begin(void *ctx, MIME_PART *p)
{
    SCAN   *s = ctx;
    unsigned needs = s->conf->needs;
    int     att = attach_is_attachment(p);

    if (p->depth == 1)
	s->top_done = 1;
    if (s->stop_at_top) {
	/* final already: the top-level header was all that was needed */
	p->user = NULL;
	s->stop_at_top = 0;
	mime_stop(s->mp);
	return;
    }
    if (att && (needs & NEED_ATTACH) && !s->final)
	attach_early(s, p);
    if (needs & NEED_FILENAME_TEXT) {
	size_t  i;

	for (i = 0; i < p->names.n && !s->final; i++)
	    match_string(s, IN_FILENAMES, p->path, p->names.v[i]);
    }

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
    p->want_text = p->is_text && (s->explain || ((needs & NEED_BODY_TEXT)
						 && keywords_open(s, IN_BODY)));
    p->want_decode = s->explain || (att && (needs & NEED_SIZE));
    p->want_data = att && (needs & NEED_SHA256) && !p->dual;
    if (p->want_text)
	scan_text_begin(s, p->dual ? &s->dual_ts : &s->body_ts, IN_BODY,
			p->path, text_kind(p->type), p->user);
    s->sha_alt_on = 0;
    scan_files_begin(s, p);
    if (p->want_data && att && (needs & NEED_SHA256) && !p->dual) {
	if (s->sha == NULL || EVP_DigestInit_ex(s->sha, EVP_sha256(), NULL) != 1)
	    sha_failed(s);
	else
	    s->sha_on = 1;
    }
}

static void cb_data(void *ctx, MIME_PART *p, const char *buf, size_t len)
{
    SCAN   *s = ctx;

    if (s->sha_on && EVP_DigestUpdate(s->sha, buf, len) != 1)
	sha_failed(s);
    scan_files_data(s, p, buf, len);
}

/* Python's reading of the data: from the fork on, its own digest. */
static void cb_data_alt(void *ctx, MIME_PART *p, const char *buf, size_t len)
{
    SCAN   *s = ctx;

    if (!s->sha_on)
	return;
    if (buf == NULL) {
	if (EVP_MD_CTX_copy_ex(s->sha_alt, s->sha) != 1)
	    sha_failed(s);
	else
	    s->sha_alt_on = 1;
    } else if (s->sha_alt_on && EVP_DigestUpdate(s->sha_alt, buf, len) != 1) {
	sha_failed(s);
    }
}

static void cb_text(void *ctx, MIME_PART *p, const char *buf, size_t len)
{
    SCAN   *s = ctx;

    scan_text_feed(s, p->dual ? s->dual_ts : s->body_ts, buf, len);
    if (!s->final)
	scan_check_rules(s);
}

void    scan_extra_text_begin(SCAN *s, const char *part, TEXT_KIND kind)
{
    if (s->final || !(s->conf->needs & NEED_BODY_TEXT))
	return;
    scan_text_end(s, s->extra_ts);
    scan_text_begin(s, &s->extra_ts, IN_BODY, part, kind, NULL);
}

void    scan_extra_text(SCAN *s, const char *part, const char *buf,
			        size_t len)
{
    if (s->final || !(s->conf->needs & NEED_BODY_TEXT))
	return;
    if (buf == NULL) {
	scan_text_end(s, s->extra_ts);
	scan_check_rules(s);
	return;
    }
    if (s->extra_ts == NULL || !scan_text_active(s->extra_ts))
	scan_text_begin(s, &s->extra_ts, IN_BODY, part, TEXT_PLAIN, NULL);
    scan_text_feed(s, s->extra_ts, buf, len);
    scan_check_rules(s);
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
    scan_copy_text(c->name, sizeof(c->name), file ? file : p->type);
}

/* Finish a digest into hex (65 bytes), "" on failure. */
static void sha_hex(SCAN *s, EVP_MD_CTX *ctx, char *hex)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0, i;

    hex[0] = 0;
    if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
	sha_failed(s);
    else
	for (i = 0; i < mdlen && i < 32; i++)
	    snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

static void cb_part_end(void *ctx, MIME_PART *p)
{
    SCAN   *s = ctx;
    ATTACH_NAMES an;
    char    digest[2][65], why[300];
    const char *file, *dg[2] = {NULL, NULL};
    size_t  i, nn = p->names.n;
    int     controls;

    if (p->want_text)
	scan_text_end(s, p->dual ? s->dual_ts : s->body_ts);
    if (p->want_data && s->sha_on) {
	s->sha_on = 0;
	sha_hex(s, s->sha, digest[0]);
	dg[0] = digest[0][0] ? digest[0] : NULL;
	if (s->sha_alt_on) {
	    sha_hex(s, s->sha_alt, digest[1]);
	    dg[1] = digest[1][0] ? digest[1] : NULL;
	}
	s->sha_alt_on = 0;
    }
    attach_names_build(p, &an);
    controls = an.controls;
    /* Worth a line only where names are matched, and a few per message
     * (scan_free() counts the rest). */
    if (controls && ((s->conf->needs & NEED_ATTACH) || s->explain)
	&& s->controls_logged++ < CONTROLS_LOG_MAX)
	msg_info("part %s: attachment name with hidden control characters"
		 " (bidi or zero width) removed for matching", p->path);
    if (p->user) {
	PART_INFO *pi = p->user;
	size_t  len = 0;

	myfree(pi->path);
	pi->path = mystrdup(p->path);
	scan_copy_text(pi->type, sizeof(pi->type), p->type);
	scan_copy_text(pi->disposition, sizeof(pi->disposition), p->disposition);
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
    scan_files_end(s, p);
    if ((s->conf->needs & NEED_ATTACH) && !s->final
	&& (attach_is_attachment(p) || scan_files_members(s))) {
	for (i = 0; i < s->conf->n_rules; i++) {
	    RULE   *r = s->conf->rules[i];
	    RULE_STATE *st = &s->rs[i];

	    if (!(r->conds & COND_ATTACHMENT) || !st->active)
		continue;
	    if (st->fired && (r->action != ACT_STRIP || st->audited))
		continue;
	    if (!scan_files_match(s, i, p, &an, dg, &file, why, sizeof(why)))
		continue;
	    if (r->action == ACT_STRIP && p->in_encoded)
		st->enc_hit = 1;
	    else if (r->action == ACT_STRIP)
		strip_candidate(s, st, p, file);
	    if (!(st->sat & COND_ATTACHMENT))
		scan_hit(st, COND_ATTACHMENT, p->path, file, why);
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
    scan_files_after(s, p);
    scan_check_rules(s);
}

static void cb_limit(void *ctx, const char *what)
{
    SCAN   *s = ctx;
    char    buf[64];

    snprintf(buf, sizeof(buf), "limit:%s", what);
    scan_set_special(s, s->conf->limits.on_limit, buf);
}

const MIME_CALLBACKS scan_callbacks = {
    cb_header, cb_part_begin, cb_data, cb_text, cb_part_end, cb_limit,
    cb_data_alt,
};
