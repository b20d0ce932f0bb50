/*
 * sconf_files.c - the parts of screener.conf that look inside files:
 * the container limits (limits group; defaults in files_limits.h) and
 * the attachment keys detected_types, encrypted, unreadable and macros;
 * then, once every rule is loaded, what the files layer must do for this
 * rule set (FILES_CONF, with libmagic loaded once here).
 */
#include <config.h>

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "files.h"
#include "files_limits.h"
#include "mymalloc.h"
#include "rules.h"

void    sconf_archive_limits(SCONF_LIMITS *l, const config_setting_t *g,
			             CFG_ERRS *e)
{
    long long v;
    unsigned long long sz;

    l->max_archive_depth = DEF_ARCHIVE_DEPTH;
    l->max_archive_members = DEF_ARCHIVE_MEMBERS;
    l->max_archive_size = DEF_ARCHIVE_SIZE;
    l->max_archive_expansion = DEF_ARCHIVE_EXPANSION;
    l->max_archive_ratio = DEF_ARCHIVE_RATIO;
    l->max_archive_dictionary = DEF_ARCHIVE_DICTIONARY;
    if (g == NULL)
	return;
    if (cfg_get_int(g, "max_archive_depth", 0, MAX_ARCHIVE_DEPTH, &v, e) == 1)
	l->max_archive_depth = (int) v;
    if (cfg_get_int(g, "max_archive_members", 1, MAX_ARCHIVE_MEMBERS, &v,
		    e) == 1)
	l->max_archive_members = (unsigned long) v;
    if (cfg_get_size(g, "max_archive_size", 1ULL << 40, &sz, e) == 1)
	l->max_archive_size = sz;
    if (cfg_get_size(g, "max_archive_expansion", 1ULL << 44, &sz, e) == 1)
	l->max_archive_expansion = sz;
    if (cfg_get_int(g, "max_archive_ratio", 1, 1000000000, &v, e) == 1)
	l->max_archive_ratio = (unsigned long) v;
    if (cfg_get_size(g, "max_archive_dictionary", MAX_ARCHIVE_DICTIONARY, &sz,
		     e) == 1)
	l->max_archive_dictionary = sz;
}

/* encrypted / unreadable / macros = true; false means nothing, so it is
 * refused rather than silently read as "not encrypted". */
static void get_flag(const config_setting_t *g, const char *key,
		             unsigned flag, RULE *r, CFG_ERRS *e)
{
    int     on;

    if (cfg_get_bool(g, key, &on, e) != 1)
	return;
    if (!on)
	cfg_err(e, config_setting_get_member(g, key), "\"%s = false\" "
		"matches nothing; leave the key out", key);
    else
	r->want_flags |= flag;
}

void    sconf_files_keys(SCONF *c, RULE *r, const config_setting_t *g,
			         CFG_ERRS *e)
{
    STRLIST tmp;
    size_t  i;

    strlist_init(&tmp);
    rules_get_list(g, "detected_types", &tmp, e);
    for (i = 0; i < tmp.n; i++) {
	if (strchr(tmp.v[i], '/') == NULL)
	    cfg_err(e, config_setting_get_member(g, "detected_types"),
		    "bad detected type \"%s\": want type/subtype, as "
		    "\"file --mime-type\" prints it (globs allowed)", tmp.v[i]);
	else
	    strlist_add(&r->dtypes, lowercase(tmp.v[i]));
    }
    strlist_free(&tmp);
    get_flag(g, "encrypted", FF_ENCRYPTED, r, e);
    get_flag(g, "unreadable", FF_UNREADABLE, r, e);
    get_flag(g, "macros", FF_MACROS, r, e);
    (void) c;
}

int     rule_needs_files(const RULE *r)
{
    return ((r->conds & COND_ATTACHMENT)
	    && (r->exts.n || r->names.n || r->sha256.n || r->dtypes.n
		|| RULE_HAS_SIZE(r) || r->want_flags))
	|| (r->kw_in & IN_FILENAMES);     /* member names are matched */
}

void    sconf_files_setup(SCONF *c, const config_setting_t *where,
			          CFG_ERRS *e)
{
    unsigned fn = 0;
    size_t  i, k;
    char    err[256];

    for (i = 0; i < c->n_rules; i++) {
	const RULE *r = c->rules[i];

	if (!rule_needs_files(r))
	    continue;
	c->needs |= NEED_FILES;
	if (r->exts.n || r->dtypes.n)
	    fn |= FN_TYPES;
	if (r->dtypes.n)
	    fn |= FN_MAGIC;
	if (r->sha256.n)
	    fn |= FN_DIGEST;
	if (RULE_HAS_SIZE(r))
	    fn |= FN_SIZE;
	if (r->want_flags & FF_ENCRYPTED)
	    fn |= FN_ENCRYPTED;
	for (k = 0; k < r->dtypes.n; k++)
	    if (fnmatch(r->dtypes.v[k], "text/plain", 0) == 0
		|| fnmatch(r->dtypes.v[k], "text/html", 0) == 0
		|| strncmp(r->dtypes.v[k], "text", 4) == 0
		|| r->dtypes.v[k][0] == '*' || r->dtypes.v[k][0] == '?'
		|| r->dtypes.v[k][0] == '[')
		fn |= FN_TEXT_TYPES;
    }
    if (!(c->needs & NEED_FILES))
	return;
    if ((c->files = files_conf_new(fn, err, sizeof(err))) == NULL) {
	cfg_err(e, where, "%s", err);
	return;
    }
    /* What the rules can see of a detected type: libmagic is asked
     * only about files it could name one of these (magicgate.c). */
    for (i = 0; i < c->n_rules; i++) {
	const RULE *r = c->rules[i];

	if (!rule_needs_files(r))
	    continue;
	for (k = 0; k < r->dtypes.n; k++)
	    files_conf_watch_type(c->files, r->dtypes.v[k]);
	for (k = 0; k < r->exts.n; k++)
	    files_conf_watch_ext(c->files, r->exts.v[k]);
    }
}
