/*
 * attach.c - attachment matching: extensions and globs on every form of
 * every name (filename.c), types, sizes and digests.
 */
#include <config.h>

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "attach.h"
#include "mymalloc.h"
#include "rules.h"

void    attach_normalise(const char *name, char *out, int *controls)
{
    char    v[NAME_VARIANTS][ATTACH_NAME_MAX];

    filename_variants(name, v, controls);
    memcpy(out, v[0], ATTACH_NAME_MAX);
}

void    attach_names_build(const MIME_PART *p, ATTACH_NAMES *an)
{
    size_t  i, k, nv;
    int     c;

    an->n = 0;
    an->controls = 0;
    for (i = 0; i < p->names.n && i < MIME_NAMES_MAX; i++) {
	nv = filename_variants(p->names.v[i], an->norm + an->n, &c);
	an->controls |= c;
	for (k = 0; k < nv; k++)
	    an->orig[an->n + k] = p->names.v[i];
	an->n += nv;
    }
}

const char *attach_ext(const char *norm)
{
    const char *dot = strrchr(norm, '.');

    return dot ? dot + 1 : "";
}

int     attach_glob_any(const STRLIST *pats, const char *s)
{
    size_t  i;

    for (i = 0; i < pats->n; i++)
	if (fnmatch(pats->v[i], s, 0) == 0)
	    return 1;
    return 0;
}

/* An attachment: a non-multipart part with a name, an attachment
 * disposition, or a non-text type (attached messages included). */
int     attach_is_attachment(const MIME_PART *p)
{
    if (p->is_multipart)
	return 0;
    return p->names.n > 0 || strcmp(p->disposition, "attachment") == 0
	|| (!p->is_text && !p->is_message)
	|| (p->is_message && p->depth > 1);
}

/* Does a rule's attachment condition hold for this part? */
int     attach_rule_match(const RULE *r, const MIME_PART *p,
			          const ATTACH_NAMES *an,
			          const char *const digest[2],
			          const char **file, char *why, size_t whysize)
{
    size_t  i, j, nn = an->n;
    int     ok;

    *file = p->names.n ? p->names.v[0] : NULL;
    why[0] = 0;
    if (r->exts.n) {
	for (ok = 0, i = 0; i < nn && !ok; i++)
	    for (j = 0; j < r->exts.n && !ok; j++)
		if (strcmp(attach_ext(an->norm[i]), r->exts.v[j]) == 0) {
		    ok = 1;
		    *file = an->orig[i];
		    snprintf(why, whysize, "extension=%s", r->exts.v[j]);
		}
	if (!ok)
	    return 0;
    }
    if (r->names.n) {
	for (ok = 0, i = 0; i < nn && !ok; i++)
	    if (attach_glob_any(&r->names, an->norm[i])) {
		ok = 1;
		*file = an->orig[i];
		snprintf(why, whysize, "name=%s", an->norm[i]);
	    }
	if (!ok)
	    return 0;
    }
    if (r->types.n) {
	if (!attach_glob_any(&r->types, p->type))
	    return 0;
	snprintf(why, whysize, "type=%s", p->type);
    }
    if (RULE_HAS_SIZE(r)) {
	uint64_t size = p->is_leaf ? p->size : p->end - p->start;

	if ((r->has_min_size && size < r->min_size)
	    || (r->has_max_size && size > r->max_size))
	    return 0;
	snprintf(why, whysize, "size=%llu", (unsigned long long) size);
    }
    if (r->sha256.n) {
	/* Either reading's digest: what a client saves, what Python does. */
	for (ok = 0, i = 0; i < 2 && !ok; i++)
	    if (digest && digest[i]
		&& strlist_contains_case(&r->sha256, digest[i])) {
		ok = 1;
		snprintf(why, whysize, "sha256=%s", digest[i]);
	    }
	if (!ok)
	    return 0;
    }
    return 1;
}

static int view_ext(const RULE *r, const ATTACH_VIEW *v, const char **file,
		            char *why, size_t whysize)
{
    size_t  i, j;

    for (i = 0; i < v->nn; i++)
	for (j = 0; j < r->exts.n; j++)
	    if (strcmp(attach_ext(v->norm[i]), r->exts.v[j]) == 0) {
		*file = v->path ? v->path : v->raw[i];
		snprintf(why, whysize, "extension=%s", r->exts.v[j]);
		return 1;
	    }
    /* The detected type implies an extension: an MZ file is an exe
     * whatever it is called. */
    if (v->ext)
	for (j = 0; j < r->exts.n; j++)
	    if (strcmp(v->ext, r->exts.v[j]) == 0) {
		snprintf(why, whysize, "extension=%s detected=%s",
			 r->exts.v[j], v->dtype);
		return 1;
	    }
    return 0;
}

int     attach_view_match(const RULE *r, const ATTACH_VIEW *v,
			          const char **file, char *why, size_t whysize)
{
    size_t  i;
    int     ok;

    *file = v->path ? v->path : v->nn ? v->raw[0] : NULL;
    why[0] = 0;
    if (r->exts.n && !view_ext(r, v, file, why, whysize))
	return 0;
    if (r->names.n) {
	for (ok = 0, i = 0; i < v->nn && !ok; i++)
	    if (attach_glob_any(&r->names, v->norm[i])) {
		ok = 1;
		*file = v->path ? v->path : v->raw[i];
		snprintf(why, whysize, "name=%s", v->norm[i]);
	    }
	if (!ok)
	    return 0;
    }
    if (r->types.n) {
	if (v->type == NULL || !attach_glob_any(&r->types, v->type))
	    return 0;
	snprintf(why, whysize, "type=%s", v->type);
    }
    if (r->dtypes.n) {
	if (v->dtype == NULL || *v->dtype == 0
	    || !(attach_glob_any(&r->dtypes, v->dtype)
		 || (v->dtype_alias
		     && attach_glob_any(&r->dtypes, v->dtype_alias))))
	    return 0;
	snprintf(why, whysize, "detected=%s", v->dtype);
    }
    if (RULE_HAS_SIZE(r)) {
	if (!v->size_known || (r->has_min_size && v->size < r->min_size)
	    || (r->has_max_size && v->size > r->max_size))
	    return 0;
	snprintf(why, whysize, "size=%llu", (unsigned long long) v->size);
    }
    if (r->sha256.n) {
	for (ok = 0, i = 0; i < 2 && !ok; i++)
	    if (v->digest[i] && strlist_contains_case(&r->sha256, v->digest[i])) {
		ok = 1;
		snprintf(why, whysize, "sha256=%s", v->digest[i]);
	    }
	if (!ok)
	    return 0;
    }
    return 1;
}
