/*
 * sconf_rules.c - parse and check the "rules" list of screener.conf.
 *
 * Each rule is a group: name, direction, the conditions keywords /
 * attachment / sender / recipient, and the action with its settings.
 * Every list value may also come from a file ("words_file" etc., one
 * entry a line).  Regexes are compiled here (PCRE2, JIT when available),
 * literal words of all rules go into one automaton (textmatch.c).
 */
#include <config.h>

#include <ctype.h>
#include <stdio.h>
#include <strings.h>

#include "addr.h"
#include <stdlib.h>
#include <string.h>

#include "files.h"
#include "mymalloc.h"
#include "rules.h"
#include "confusables.h"
#include "detectors.h"
#include "fold.h"
#include "textmatch.h"

#define MIN_MATCHES_MAX 1000      /* distinct numbers a rule may want */

char   *keyword_normalise(const char *word)
{
    return fold_string(word);
}

/* A list key plus its KEY_file variant, appended to out. */
static void get_list(const config_setting_t *g, const char *key,
		             STRLIST *out, CFG_ERRS *e)
{
    char    fkey[64];
    config_setting_t *fs;
    STRLIST files;
    size_t  i;

    cfg_get_strings(g, key, out, e);
    snprintf(fkey, sizeof(fkey), "%s_file", key);
    if ((fs = config_setting_get_member(g, fkey)) == NULL)
	return;
    strlist_init(&files);
    if (cfg_get_strings(g, fkey, &files, e) == 1)
	for (i = 0; i < files.n; i++)
	    cfg_read_list_file(fs, files.v[i], out, e);
    strlist_free(&files);
}

void    rules_get_list(const config_setting_t *g, const char *key,
		               STRLIST *out, CFG_ERRS *e)
{
    get_list(g, key, out, e);
}

static void rule_free(RULE *r)
{
    size_t  i;

    myfree(r->name);
    myfree(r->reply);
    myfree(r->redirect_to);
    myfree(r->tag_name);
    myfree(r->tag_value);
    myfree(r->subject_prefix);
    strlist_free(&r->words);
    for (i = 0; i < r->n_regex; i++) {
	myfree(r->regex[i].text);
	pcre2_code_free(r->regex[i].code);
    }
    myfree(r->regex);
    strlist_free(&r->exts);
    strlist_free(&r->names);
    strlist_free(&r->types);
    strlist_free(&r->sha256);
    rules_free_envelope(r);
    strlist_free(&r->dtypes);
    myfree(r);
}

/* Issue 10's keys: confusables, detectors, min_matches. */
static void load_text_keys(RULE *r, const config_setting_t *g, CFG_ERRS *e)
{
    static const char *const dets[] = {"credit_card", "iban", NULL};
    STRLIST d;
    long long n;
    size_t  i, k;
    const char *why = NULL;

    if (fold_init(&why) < 0)
	cfg_err(e, g, "keywords: Unicode data unavailable (%s)", why);
    if (cfg_get_bool(g, "confusables", &r->confusables, e) == 1
	&& r->confusables && conf_init(&why) < 0)
	cfg_err(e, config_setting_get_member(g, "confusables"),
		"confusables: Unicode data unavailable (%s)", why);
    strlist_init(&d);
    if (cfg_get_strings(g, "detectors", &d, e) == 1)
	for (i = 0; i < d.n; i++) {
	    for (k = 0; dets[k]; k++)
		if (strcasecmp(d.v[i], dets[k]) == 0)
		    break;
	    if (dets[k] == NULL)
		cfg_err(e, config_setting_get_member(g, "detectors"),
			"\"detectors\": \"%s\" is not one of credit_card, iban",
			d.v[i]);
	    else
		r->detectors |= k == 0 ? DET_CARD : DET_IBAN;
	}
    strlist_free(&d);
    r->min_matches = 1;
    if (cfg_get_int(g, "min_matches", 1, MIN_MATCHES_MAX, &n, e) == 1) {
	r->min_matches = (unsigned) n;
	if (r->detectors == 0)
	    cfg_err(e, config_setting_get_member(g, "min_matches"),
		    "\"min_matches\" applies to \"detectors\" only");
    }
    if (r->confusables && r->words.n == 0)
	cfg_err(e, config_setting_get_member(g, "confusables"),
		"\"confusables\" applies to \"words\" only");
}

static void load_keywords(SCONF *c, RULE *r, const config_setting_t *g,
			          CFG_ERRS *e)
{
    static const char *const keys[] = {"words", "words_file", "regex",
    "regex_file", "in", "confusables", "detectors", "min_matches", NULL};
    static const char *const ins[] = {"subject", "headers", "body",
    "filenames", NULL};
    STRLIST raw, rx, in;
    config_setting_t *where;
    size_t  i, k;

    cfg_check_keys(g, keys, e);
    strlist_init(&raw);
    strlist_init(&rx);
    strlist_init(&in);
    get_list(g, "words", &raw, e);
    for (i = 0; i < raw.n; i++) {
	char   *w = keyword_normalise(raw.v[i]);

	if (*w == 0)
	    cfg_err(e, config_setting_get_member(g, "words"),
		    "empty keyword");
	else
	    strlist_add(&r->words, w);
	myfree(w);
    }
    get_list(g, "regex", &rx, e);
    where = config_setting_get_member(g, "regex");
    if (where == NULL)
	where = config_setting_get_member(g, "regex_file");
    r->regex = mycalloc(rx.n ? rx.n : 1, sizeof(RULE_REGEX));
    for (i = 0; i < rx.n; i++) {
	int     err;
	PCRE2_SIZE off;
	pcre2_code *code;

	code = pcre2_compile((PCRE2_SPTR) rx.v[i], PCRE2_ZERO_TERMINATED,
			     PCRE2_CASELESS | PCRE2_UTF | PCRE2_UCP
			     | PCRE2_MATCH_INVALID_UTF, &err, &off, NULL);
	if (code == NULL) {
	    PCRE2_UCHAR buf[256];

	    pcre2_get_error_message(err, buf, sizeof(buf));
	    cfg_err(e, where, "bad regex \"%s\": %s at offset %zu",
		    rx.v[i], (char *) buf, (size_t) off);
	    continue;
	}
	(void) pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	r->regex[r->n_regex].text = mystrdup(rx.v[i]);
	r->regex[r->n_regex].code = code;
	r->n_regex++;
	c->n_regex++;
    }
    if (cfg_get_strings(g, "in", &in, e) == 1) {
	for (i = 0; i < in.n; i++) {
	    for (k = 0; ins[k]; k++)
		if (strcasecmp(in.v[i], ins[k]) == 0)
		    break;
	    if (ins[k] == NULL)
		cfg_err(e, config_setting_get_member(g, "in"),
			"\"in\": \"%s\" is not one of subject, headers, body,"
			" filenames", in.v[i]);
	    else
		r->kw_in |= 1u << k;
	}
    } else {
	r->kw_in = IN_SUBJECT | IN_BODY;
    }
    load_text_keys(r, g, e);
    if (r->words.n == 0 && rx.n == 0 && r->detectors == 0)
	cfg_err(e, g, "keywords: needs \"words\", \"regex\" or \"detectors\"");
    if (r->kw_in & IN_SUBJECT)
	c->needs |= NEED_SUBJECT_TEXT;
    if (r->kw_in & IN_HEADERS)
	c->needs |= NEED_HEADER_TEXT;
    if (r->kw_in & IN_BODY)
	c->needs |= NEED_BODY_TEXT;
    if (r->kw_in & IN_FILENAMES)
	c->needs |= NEED_FILENAME_TEXT;
    if (r->n_regex)
	c->needs |= NEED_REGEX;
    strlist_free(&raw);
    strlist_free(&rx);
    strlist_free(&in);
}

static void load_attachment(SCONF *c, RULE *r, const config_setting_t *g,
			            CFG_ERRS *e)
{
    static const char *const keys[] = {"extensions", "extensions_file",
	"names", "names_file", "types", "types_file", "min_size", "sha256",
	"sha256_file", "detected_types", "detected_types_file", "encrypted",
	"max_size",
    "unreadable", "macros", NULL};
    STRLIST tmp;
    size_t  i;

    cfg_check_keys(g, keys, e);
    strlist_init(&tmp);
    get_list(g, "extensions", &tmp, e);
    for (i = 0; i < tmp.n; i++) {
	char   *x = tmp.v[i];

	while (*x == '.' || *x == '*')
	    x++;
	if (*x == 0 || strchr(x, '/') || strchr(x, '\\'))
	    cfg_err(e, config_setting_get_member(g, "extensions"),
		    "bad extension \"%s\"", tmp.v[i]);
	else
	    strlist_add(&r->exts, lowercase(x));
    }
    strlist_free(&tmp);
    strlist_init(&tmp);
    get_list(g, "names", &tmp, e);
    for (i = 0; i < tmp.n; i++)
	strlist_add(&r->names, lowercase(tmp.v[i]));
    strlist_free(&tmp);
    strlist_init(&tmp);
    get_list(g, "types", &tmp, e);
    for (i = 0; i < tmp.n; i++)
	strlist_add(&r->types, lowercase(tmp.v[i]));
    strlist_free(&tmp);
    strlist_init(&tmp);
    get_list(g, "sha256", &tmp, e);
    for (i = 0; i < tmp.n; i++) {
	size_t  k;

	for (k = 0; tmp.v[i][k] && isxdigit((unsigned char) tmp.v[i][k]); k++)
	     /* void */ ;
	if (k != 64 || tmp.v[i][k])
	    cfg_err(e, config_setting_get_member(g, "sha256"),
		    "bad sha256 \"%s\": want 64 hex digits", tmp.v[i]);
	else
	    strlist_add(&r->sha256, lowercase(tmp.v[i]));
    }
    strlist_free(&tmp);
    if (cfg_get_size(g, "min_size", 1ULL << 50, &r->min_size, e) == 1) {
	r->has_min_size = 1;
	c->needs |= NEED_SIZE;
    }
    if (cfg_get_size(g, "max_size", 1ULL << 50, &r->max_size, e) == 1) {
	r->has_max_size = 1;
	c->needs |= NEED_SIZE;
    }
    if (r->sha256.n)
	c->needs |= NEED_SHA256;
    sconf_files_keys(c, r, g, e);
    if (r->exts.n + r->names.n + r->types.n + r->sha256.n + r->dtypes.n == 0
	&& !RULE_HAS_SIZE(r) && !r->want_flags)
	cfg_err(e, g, "attachment: needs extensions, names, types, "
		"detected_types, min_size, max_size, sha256, encrypted, "
		"unreadable or macros");
    c->needs |= NEED_ATTACH;
}

static void load_action(RULE *r, const config_setting_t *g, CFG_ERRS *e)
{
    const char *s;
    int     a;

    if (cfg_get_string(g, "action", &s, e) == 0) {
	cfg_err(e, g, "rule \"%s\": missing \"action\"", r->name);
	return;
    }
    if (s == NULL || (a = action_by_name(s)) < 0) {
	if (s)
	    cfg_err(e, config_setting_get_member(g, "action"),
		    "unknown action \"%s\" (accept, reject, tempfail, discard,"
		    " hold, redirect, strip, tag, log)", s);
	return;
    }
    r->action = (ACTION) a;
    if (cfg_get_string(g, "reply", &s, e) == 1) {
	int     klass = r->action == ACT_TEMPFAIL ? '4' : '5';

	if (r->action != ACT_REJECT && r->action != ACT_TEMPFAIL)
	    cfg_err(e, config_setting_get_member(g, "reply"),
		    "\"reply\" applies to reject and tempfail only");
	else if (!sconf_reply_ok(s, klass))
	    cfg_err(e, config_setting_get_member(g, "reply"),
		    "bad reply \"%s\": want \"%c50 %c.7.1 text\"", s, klass,
		    klass);
	else
	    r->reply = mystrdup(s);
    }
    if (cfg_get_string(g, "redirect_to", &s, e) == 1) {
	char    buf[ADDR_MAX + 1];

	if (r->action != ACT_REDIRECT)
	    cfg_err(e, config_setting_get_member(g, "redirect_to"),
		    "\"redirect_to\" applies to redirect only");
	else if (addr_clean(s, buf, sizeof(buf)) <= 0 || !strchr(buf, '@'))
	    cfg_err(e, config_setting_get_member(g, "redirect_to"),
		    "bad redirect_to address \"%s\"", s);
	else
	    r->redirect_to = mystrdup(buf);
    } else if (r->action == ACT_REDIRECT) {
	cfg_err(e, config_setting_get_member(g, "action"),
		"rule \"%s\": redirect needs \"redirect_to\"", r->name);
    }
    if (cfg_get_string(g, "tag_header", &s, e) == 1) {
	const char *colon = strchr(s, ':'), *p;
	const char *v;

	for (p = s; p < (colon ? colon : s); p++)
	    if (*p <= ' ' || *p >= 127)
		break;
	if (r->action != ACT_TAG)
	    cfg_err(e, config_setting_get_member(g, "tag_header"),
		    "\"tag_header\" applies to tag only");
	else if (colon == NULL || colon == s || p != colon
		 || strpbrk(s, "\r\n"))
	    cfg_err(e, config_setting_get_member(g, "tag_header"),
		    "bad tag_header \"%s\": want \"X-Name: value\"", s);
	else {
	    r->tag_name = mystrndup(s, (size_t) (colon - s));
	    for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		 /* void */ ;
	    r->tag_value = mystrdup(v);
	}
    }
    if (cfg_get_string(g, "subject_prefix", &s, e) == 1) {
	if (r->action != ACT_TAG)
	    cfg_err(e, config_setting_get_member(g, "subject_prefix"),
		    "\"subject_prefix\" applies to tag only");
	else if (strpbrk(s, "\r\n") || *s == 0)
	    cfg_err(e, config_setting_get_member(g, "subject_prefix"),
		    "bad subject_prefix");
	else
	    r->subject_prefix = mystrdup(s);
    }
    if (r->action == ACT_TAG && !r->tag_name && !r->subject_prefix)
	cfg_err(e, config_setting_get_member(g, "action"), "rule \"%s\": tag "
		"needs \"tag_header\" and/or \"subject_prefix\"", r->name);
}

static RULE *load_rule(SCONF *c, const config_setting_t *g, size_t idx,
		               CFG_ERRS *e)
{
    static const char *const keys[] = {"name", "direction", "keywords",
	"attachment", "sender", "recipient", "client", "action", "reply", "redirect_to",
    "tag_header", "subject_prefix", "mode", NULL};
    static const char *const dirs[] = {"inbound", "outbound", "both", NULL};
    static const char *const modes[] = {"enforce", "audit", NULL};
    RULE   *r = mycalloc(1, sizeof(*r));
    config_setting_t *sub;
    const char *s;
    int     d;
    size_t  i;

    r->line = (int) config_setting_source_line(g);
    cfg_check_keys(g, keys, e);
    if (cfg_get_string(g, "name", &s, e) == 1 && *s) {
	r->name = mystrdup(s);
    } else {
	char    buf[32];

	snprintf(buf, sizeof(buf), "rule%zu", idx + 1);
	r->name = mystrdup(buf);
    }
    for (i = 0; i < idx; i++)
	if (c->rules[i] && strcmp(c->rules[i]->name, r->name) == 0)
	    cfg_err(e, g, "duplicate rule name \"%s\"", r->name);
    r->dirs = DIR_INBOUND | DIR_OUTBOUND;
    if (cfg_get_enum(g, "direction", dirs, &d, e) == 1)
	r->dirs = d == 0 ? DIR_INBOUND : d == 1 ? DIR_OUTBOUND
	    : DIR_INBOUND | DIR_OUTBOUND;
    strlist_init(&r->words);
    strlist_init(&r->exts);
    strlist_init(&r->names);
    strlist_init(&r->types);
    strlist_init(&r->sha256);
    strlist_init(&r->dtypes);
    strlist_init(&r->sender_addrs);
    strlist_init(&r->sender_domains);
    strlist_init(&r->rcpt_addrs);
    strlist_init(&r->rcpt_domains);
    if (cfg_get_group(g, "keywords", &sub, e) == 1) {
	r->conds |= COND_KEYWORDS;
	load_keywords(c, r, sub, e);
    }
    if (cfg_get_group(g, "attachment", &sub, e) == 1) {
	r->conds |= COND_ATTACHMENT;
	load_attachment(c, r, sub, e);
    }
    if (cfg_get_group(g, "sender", &sub, e) == 1) {
	r->conds |= COND_SENDER;
	rules_load_sender(r, sub, e);
    }
    if (cfg_get_group(g, "recipient", &sub, e) == 1) {
	r->conds |= COND_RCPT;
	rules_load_rcpt(r, sub, e);
    }
    if (cfg_get_group(g, "client", &sub, e) == 1) {
	r->conds |= COND_CLIENT;
	rules_load_client(r, sub, e);
    }
    load_action(r, g, e);
    rules_check_accept(r, g, e);
    r->audit = c->audit;
    if (cfg_get_enum(g, "mode", modes, &d, e) == 1)
	r->audit = d == 1;
    if (r->conds == 0)
	cfg_err(e, g, "rule \"%s\": no condition (keywords, attachment, "
		"sender, recipient or client)", r->name);
    if (r->action == ACT_STRIP && !(r->conds & COND_ATTACHMENT))
	cfg_err(e, config_setting_get_member(g, "action"), "rule \"%s\": "
		"strip needs an attachment condition", r->name);
    if (r->action == ACT_STRIP)
	c->needs |= NEED_STRIP;
    return r;
}

/* The body prefilter: every body regex as one alternation, so a window
 * without any match costs one search instead of one per regex.  Only
 * patterns that cannot affect each other inside an alternation take
 * part (no back references, no backtracking verbs, no references to
 * group numbers or to the whole pattern); the rest are always
 * searched on their own.  The prefilter only decides whether the
 * individual searches are needed, never a verdict. */
static int alternation_safe(const RULE_REGEX *rx)
{
    uint32_t backrefs = 0;
    const char *p;

    pcre2_pattern_info(rx->code, PCRE2_INFO_BACKREFMAX, &backrefs);
    if (backrefs || strstr(rx->text, "(*"))
	return 0;
    /* Group numbers and the whole pattern change in the alternation:
     * no absolute subroutine calls, recursion or conditions on them. */
    if (strstr(rx->text, "(?R") || strstr(rx->text, "(?(")
	|| strstr(rx->text, "\\g<") || strstr(rx->text, "\\g'"))
	return 0;
    for (p = rx->text; (p = strstr(p, "(?")) != NULL; p += 2)
	if (isdigit((unsigned char) p[2]))
	    return 0;
    return 1;
}

static void build_prefilter(SCONF *c)
{
    size_t  i, j, len = 0, n = 0;
    char   *pat, *o;
    int     err;
    PCRE2_SIZE off;
    pcre2_code *code;

    for (i = 0; i < c->n_rules; i++)
	for (j = 0; j < c->rules[i]->n_regex; j++)
	    len += strlen(c->rules[i]->regex[j].text) + 8;
    if (len == 0)
	return;
    o = pat = mymalloc(len + 1);
    for (i = 0; i < c->n_rules; i++) {
	RULE   *r = c->rules[i];

	if (!(r->kw_in & IN_BODY))
	    continue;
	for (j = 0; j < r->n_regex; j++) {
	    r->regex[j].in_prefilter = alternation_safe(&r->regex[j]);
	    if (!r->regex[j].in_prefilter)
		continue;
	    o += sprintf(o, "%s(?:%s)", n++ ? "|" : "", r->regex[j].text);
	}
    }
    *o = 0;
    if (n > 1) {
	code = pcre2_compile((PCRE2_SPTR) pat, PCRE2_ZERO_TERMINATED,
			     PCRE2_CASELESS | PCRE2_UTF | PCRE2_UCP
			     | PCRE2_MATCH_INVALID_UTF, &err, &off, NULL);
	if (code) {
	    (void) pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	    c->rx_prefilter = code;
	}
    }
    if (c->rx_prefilter == NULL)
	for (i = 0; i < c->n_rules; i++)
	    for (j = 0; j < c->rules[i]->n_regex; j++)
		c->rules[i]->regex[j].in_prefilter = 0;
    myfree(pat);
}

/* When a rule wants confusables: the skeletons of every rule's words in
 * one automaton, which then replaces the literal one (scan_text.c). */
static void build_conf_automaton(SCONF *c, const config_setting_t *list,
				         CFG_ERRS *e)
{
    size_t  i, j, nw = 0, any = 0;
    char  **words;
    size_t *owner;

    for (i = 0; i < c->n_rules; i++) {
	nw += c->rules[i]->words.n;
	any |= c->rules[i]->confusables && c->rules[i]->words.n;
    }
    if (!any || e->count)
	return;
    words = mycalloc(nw, sizeof(char *));
    owner = mycalloc(nw, sizeof(size_t));
    c->conf_words = mycalloc(nw, sizeof(CONF_WORD));
    nw = 0;
    for (i = 0; i < c->n_rules; i++)
	for (j = 0; j < c->rules[i]->words.n; j++) {
	    words[nw] = conf_string(c->rules[i]->words.v[j]);
	    c->conf_words[nw].rule = i;
	    c->conf_words[nw].word = c->rules[i]->words.v[j];
	    owner[nw] = nw;
	    nw++;
	}
    c->conf_automaton = ac_build(words, owner, nw);
    if (c->conf_automaton)
	conf_prepare(c->conf_automaton);
    else
	cfg_err(e, list, "keywords: too many words to build with confusables "
		"(%zu words; the automaton would exceed %u states x byte "
		"classes)", nw, (unsigned) AC_MAX_CELLS);
    for (i = 0; i < nw; i++)
	myfree(words[i]);
    myfree(words);
    myfree(owner);
}

void    sconf_rules_load(SCONF *c, const config_setting_t *list, CFG_ERRS *e)
{
    size_t  n = (size_t) config_setting_length(list), i, j, nw = 0;
    char  **words;
    size_t *owner;

    c->rules = mycalloc(n ? n : 1, sizeof(RULE *));
    for (i = 0; i < n; i++) {
	config_setting_t *g = config_setting_get_elem(list, (unsigned) i);

	if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
	    cfg_err(e, g, "rule %zu must be a group { ... }", i + 1);
	    continue;
	}
	c->rules[c->n_rules] = load_rule(c, g, c->n_rules, e);
	c->n_rules++;
    }
    for (i = 0; i < c->n_rules; i++)
	nw += c->rules[i]->words.n;
    words = mycalloc(nw ? nw : 1, sizeof(char *));
    owner = mycalloc(nw ? nw : 1, sizeof(size_t));
    nw = 0;
    for (i = 0; i < c->n_rules; i++)
	for (j = 0; j < c->rules[i]->words.n; j++) {
	    words[nw] = c->rules[i]->words.v[j];
	    owner[nw++] = i;
	}
    c->automaton = ac_build(words, owner, nw);
    if (c->automaton == NULL && nw > 0) {
	size_t  bytes = 0;

	for (i = 0; i < nw; i++)
	    bytes += strlen(words[i]);
	cfg_err(e, list, "keywords: too many to build (%zu words, %zu bytes "
		"in all; the automaton would exceed %u states x byte classes)",
		nw, bytes, (unsigned) AC_MAX_CELLS);
    }
    myfree(words);
    myfree(owner);
    build_conf_automaton(c, list, e);
    if (e->count == 0)
	build_prefilter(c);
    if (e->count == 0)
	sconf_files_setup(c, list, e);
}

void    sconf_rules_free(SCONF *c)
{
    size_t  i;

    for (i = 0; i < c->n_rules; i++)
	rule_free(c->rules[i]);
    myfree(c->rules);
    c->rules = NULL;
    c->n_rules = 0;
    ac_free(c->automaton);
    c->automaton = NULL;
    ac_free(c->conf_automaton);
    c->conf_automaton = NULL;
    myfree(c->conf_words);
    c->conf_words = NULL;
    if (c->rx_prefilter)
	pcre2_code_free(c->rx_prefilter);
    c->rx_prefilter = NULL;
    files_conf_free(c->files);
    c->files = NULL;
}
