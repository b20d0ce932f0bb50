/*
 * scan_files.c - the SCAN's side of the files layer (files/files.h): it
 * feeds each leaf part to FILES, matches every file found inside against
 * the rules' attachment conditions as if it were the attachment itself
 * (the first hit per rule is kept with its path, "docs.zip/x.exe"), and
 * at the part's end decides with the part's own facts (detected type,
 * implied extension) and the attachment-wide flags (encrypted,
 * unreadable, macros).  A limit hit inside a container makes the part
 * unreadable; when no rule decides on that, limits.on_limit applies.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "attach.h"
#include "addr.h"
#include "files.h"
#include "kvlog.h"
#include "msg.h"
#include "mymalloc.h"
#include "scan_int.h"

/* A rule a file of the current part matched (few per part: kept apart
 * from the per-rule index, which is cleared for every part). */
typedef struct FHIT {
    char    file[MATCH_TEXT_MAX];
    char    why[300];
} FHIT;

struct SFILES {
    FILES  *files;
    uint32_t *hit_of;             /* per rule: 1 + its index in hits[],
				   * 0: none */
    FHIT   *hits;                 /* current part */
    size_t  nhits, caphits;
    int     on;                   /* the current part goes to FILES */
    int     ended;                /* res is the current part's */
    int     members;              /* files were found inside it */
    char    path[MIME_PATH_MAX];
    FILES_RESULT res;
    STRLIST explain;              /* --explain lines */
    size_t  nexplain;
};

static void on_file(void *ctx, const FILE_FACTS *ff)
{
    SCAN   *s = ctx;
    SFILES *sf = s->files;
    char    norm[NAME_VARIANTS][ATTACH_NAME_MAX], why[300];
    const char *raw[NAME_VARIANTS], *file;
    ATTACH_VIEW v;
    size_t  i, nn;
    int     controls;

    sf->members = 1;
    nn = filename_variants(ff->name, norm, &controls);
    for (i = 0; i < nn; i++)
	raw[i] = ff->name;
    memset(&v, 0, sizeof(v));
    v.norm = (const char (*)[ATTACH_NAME_MAX]) norm;
    v.raw = raw;
    v.nn = nn;
    v.dtype = ff->dtype;
    v.dtype_alias = ff->dtype_alias;
    v.ext = ff->ext;
    v.size = ff->size;
    v.size_known = ff->size_known;
    v.digest[0] = ff->digest;
    v.path = ff->path;
    scan_explain_file(s, sf->path, ff);
    if (ff->name && (s->conf->needs & NEED_FILENAME_TEXT))
	scan_text_string(s, IN_FILENAMES, sf->path, ff->name);
    for (i = 0; i < s->conf->n_rules; i++) {
	const RULE *r = s->conf->rules[i];
	const RULE_STATE *st = &s->rs[i];

	if (!rule_needs_files(r) || !st->active || sf->hit_of[i]
	    || (r->exts.n + r->names.n + r->dtypes.n + r->sha256.n == 0
		&& !RULE_HAS_SIZE(r))
	    || (st->fired && r->action != ACT_STRIP))
	    continue;
	if (attach_view_match(r, &v, &file, why, sizeof(why))) {
	    FHIT   *h;

	    if (sf->nhits == sf->caphits)
		sf->hits = mygrow(sf->hits, &sf->caphits, sf->nhits + 1,
				  sizeof(*sf->hits));
	    h = &sf->hits[sf->nhits++];
	    sf->hit_of[i] = (uint32_t) sf->nhits;
	    scan_copy_text(h->file, sizeof(h->file), file);
	    scan_copy_text(h->why, sizeof(h->why), why);
	}
    }
}

static void on_text_begin(void *ctx, int html)
{
    SCAN   *s = ctx;

    scan_extra_text_begin(s, s->files->path, html ? TEXT_HTML : TEXT_PLAIN);
}

static void on_text(void *ctx, const char *buf, size_t len)
{
    SCAN   *s = ctx;

    scan_extra_text(s, s->files->path, buf, len);
}

static const FILES_OUT files_out = {on_file, on_text_begin, on_text};

void    scan_files_new(SCAN *s)
{
    SFILES *sf;

    if (!(s->conf->needs & NEED_FILES))
	return;
    sf = s->files = mycalloc(1, sizeof(*sf));
    sf->files = files_new(s->conf, &files_out, s);
    sf->hit_of = mycalloc(s->conf->n_rules ? s->conf->n_rules : 1,
			  sizeof(*sf->hit_of));
}

void    scan_files_explain_on(SCAN *s, int on)
{
    if (s->files)
	files_set_exact_types(s->files->files, on);
}

void    scan_files_free(SCAN *s)
{
    if (s->files == NULL)
	return;
    files_free(s->files->files);
    if (s->files->nexplain)
	strlist_free(&s->files->explain);
    myfree(s->files->hit_of);
    myfree(s->files->hits);
    myfree(s->files);
    s->files = NULL;
}

void    scan_files_begin(SCAN *s, MIME_PART *p)
{
    SFILES *sf = s->files;
    int     file, text;

    if (sf == NULL)
	return;
    sf->on = sf->ended = sf->members = 0;
    /* A dual part's content is parsed as a message: its parts come on
     * their own. */
    if (!p->is_leaf || p->encoded_message || p->dual || s->final)
	return;
    file = attach_is_attachment(p);
    text = p->is_text;
    if (!file && !text)
	return;
    memset(sf->hit_of, 0, s->conf->n_rules * sizeof(*sf->hit_of));
    sf->nhits = 0;
    scan_copy_text(sf->path, sizeof(sf->path), p->path);
    files_part_begin(sf->files, p->names.n ? p->names.v[0] : NULL, file,
		     text);
    sf->on = 1;
    p->want_data = 1;
}

void    scan_files_data(SCAN *s, MIME_PART *p, const char *buf, size_t len)
{
    if (s->files == NULL || !s->files->on || s->final)
	return;
    files_part_data(s->files->files, buf, len);
    /* The first bytes told all: decode no further unless the digest
     * needs them. */
    if (!files_part_wants(s->files->files) && !s->sha_on)
	p->want_data = 0;
}

static void log_part(const char *part, const char *file, const char *what,
		             const char *why)
{
    KVLOG   kv;

    kv_init(&kv);
    kv_add(&kv, "part", part);
    kv_add(&kv, "file", file && *file ? file : NULL);
    kv_add(&kv, "status", what);
    kv_add(&kv, "reason", why);
    msg_info("%s", kv_str(&kv));
}

void    scan_files_end(SCAN *s, const MIME_PART *p)
{
    SFILES *sf = s->files;

    if (sf == NULL || !sf->on)
	return;
    sf->on = 0;
    files_part_end(sf->files, &sf->res);
    sf->ended = 1;
    if (sf->res.flags & FF_UNREADABLE)
	log_part(p->path, sf->res.own.path, "unreadable", sf->res.why);
    if (sf->res.flags & FF_ENCRYPTED)
	log_part(p->path, sf->res.own.path, "encrypted", NULL);
}

int     scan_files_members(const SCAN *s)
{
    return s->files && s->files->ended && s->files->members;
}

static const char *flag_names(unsigned f, char *buf, size_t size)
{
    snprintf(buf, size, "%s%s%s", f & FF_ENCRYPTED ? "encrypted " : "",
	     f & FF_UNREADABLE ? "unreadable " : "",
	     f & FF_MACROS ? "macros " : "");
    if (*buf)
	buf[strlen(buf) - 1] = 0;
    return buf;
}

/* The file a flags-only rule names: where its first flag was found. */
static const char *flag_file(const FILES_RESULT *res, unsigned want,
			             const MIME_PART *p)
{
    int     b;

    for (b = 0; b < 3; b++)
	if ((want & (1u << b)) && res->flag_path[b] && *res->flag_path[b])
	    return res->flag_path[b];
    return p->names.n ? p->names.v[0] : NULL;
}

int     scan_files_match(SCAN *s, size_t i, const MIME_PART *p,
			         const ATTACH_NAMES *an,
			         const char *const digest[2], const char **file,
			         char *why, size_t whysize)
{
    const RULE *r = s->conf->rules[i];
    SFILES *sf = s->files;
    ATTACH_VIEW v;
    char    fl[64];
    int     own = attach_is_attachment(p);
    const FHIT *h;

    if (sf == NULL || !sf->ended || !rule_needs_files(r))
	return own && attach_rule_match(r, p, an, digest, file, why, whysize);
    if ((r->want_flags & ~sf->res.flags) != 0)
	return 0;
    if (r->exts.n + r->names.n + r->types.n + r->dtypes.n + r->sha256.n == 0
	&& !RULE_HAS_SIZE(r)) {
	*file = flag_file(&sf->res, r->want_flags, p);
	snprintf(why, whysize, "%s", flag_names(r->want_flags, fl,
						sizeof(fl)));
	return 1;
    }
    memset(&v, 0, sizeof(v));
    v.norm = an->norm;
    v.raw = an->orig;
    v.nn = an->n;
    v.type = p->type;
    v.dtype = sf->res.own.dtype;
    v.dtype_alias = sf->res.own.dtype_alias;
    v.ext = sf->res.own.ext;
    v.size = p->is_leaf ? p->size : p->end - p->start;
    v.size_known = 1;
    v.digest[0] = digest ? digest[0] : NULL;
    v.digest[1] = digest ? digest[1] : NULL;
    if (own && attach_view_match(r, &v, file, why, whysize))
	return 1;
    if (sf->hit_of[i] == 0)
	return 0;
    h = &sf->hits[sf->hit_of[i] - 1];
    *file = h->file;
    snprintf(why, whysize, "%s", h->why);
    return 1;
}

/* After the part's rules were checked: a limit hit inside it that no
 * rule decided on is limits.on_limit. */
void    scan_files_after(SCAN *s, const MIME_PART *p)
{
    SFILES *sf = s->files;
    char    what[64];

    if (sf == NULL || !sf->ended)
	return;
    sf->ended = 0;
    if (sf->res.limit == NULL)
	return;
    scan_check_rules(s);
    if (s->final)
	return;
    snprintf(what, sizeof(what), "limit:%s", sf->res.limit);
    log_part(p->path, sf->res.own.path, what, NULL);
    scan_set_special(s, s->conf->limits.on_limit, what);
    if (s->v.action != ACT_NONE)
	scan_copy_text(s->v.part, sizeof(s->v.part), p->path);
    if (s->v.action != ACT_NONE)
	scan_copy_text(s->v.filename, sizeof(s->v.filename),
		       sf->res.own.path);
}

/* --explain: one line per file found inside a part. */
#define EXPLAIN_FILES_MAX 1000

void    scan_explain_file(SCAN *s, const char *part, const FILE_FACTS *ff)
{
    SFILES *sf = s->files;
    KVLOG   kv;

    if (!s->explain || sf->nexplain >= EXPLAIN_FILES_MAX)
	return;
    if (sf->explain.n == 0)
	strlist_init(&sf->explain);
    kv_init(&kv);
    kv_add(&kv, "part", part);
    kv_add(&kv, "file", ff->path);
    if (ff->dtype && *ff->dtype)
	kv_add(&kv, "detected", ff->dtype);
    if (ff->size_known)
	kv_addf(&kv, "size", "%llu", (unsigned long long) ff->size);
    if (ff->digest)
	kv_add(&kv, "sha256", ff->digest);
    strlist_add(&sf->explain, kv_str(&kv));
    sf->nexplain++;
}

void    scan_files_explain(const SCAN *s, void (*out)(void *ctx,
						          const char *line),
			           void *ctx)
{
    size_t  i;

    if (s->files == NULL)
	return;
    for (i = 0; i < s->files->nexplain; i++)
	out(ctx, s->files->explain.v[i]);
}
