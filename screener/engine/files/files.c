/*
 * files.c - the FILES object and the per-part entry points (files.h):
 * a part's content goes to level 0 of the entity machine (entity.c) and,
 * for text, through the inline block decoder, whose files are level 1.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "files_int.h"
#include "inline.h"
#include "msg.h"
#include "mymalloc.h"

FILES  *files_new(const SCONF *conf, const FILES_OUT *out, void *ctx)
{
    FILES  *f = mycalloc(1, sizeof(*f));

    f->conf = conf;
    f->lim = &conf->limits;
    f->fc = conf->files;
    f->needs = files_conf_needs(conf->files);
    f->out = out;
    f->ctx = ctx;
    /* one level per container opened, one for the files in the
     * deepest, at least one for inline blocks */
    f->nent = (conf->limits.max_archive_depth > 0
	       ? conf->limits.max_archive_depth : 1) + 1;
    f->ent = mycalloc((size_t) f->nent, sizeof(*f->ent));
    return f;
}

static void close_all(FILES *f)
{
    int     d;

    for (d = f->nent - 1; d >= 0; d--) {
	ENT    *e = &f->ent[d];

	if (!e->open)
	    continue;
	if (e->spool_fd >= 0)
	    close(e->spool_fd);
	if (e->sha)
	    EVP_MD_CTX_free(e->sha);
	myfree(e->head);
	memset(e, 0, sizeof(*e));
    }
}

void    files_set_exact_types(FILES *f, int on)
{
    f->exact_types = on;
}

void    files_free(FILES *f)
{
    if (f == NULL)
	return;
    close_all(f);
    if (f->inl)
	inline_free(f->inl);
    myfree(f->buf);
    myfree(f->ent);
    myfree(f);
}

/* Inline blocks: files at level 1 of the text part. */

static void in_begin(void *ctx, const char *name)
{
    FILES  *f = ctx;

    if (files_member(f) < 0)
	return;
    ent_begin(f, 1, name);
}

static void in_data(void *ctx, const unsigned char *buf, size_t len)
{
    FILES  *f = ctx;

    if (f->ent[1].open && ent_wants(f, 1))
	ent_data(f, 1, buf, len);
}

static void in_end(void *ctx, int complete)
{
    FILES  *f = ctx;

    if (!f->ent[1].open)
	return;
    f->ent[1].all = 1;
    if (!complete)
	files_flag(f, FF_UNREADABLE, "inline block truncated or malformed");
    ent_end(f, 1);
}

static const INLINE_OUT inline_out = {in_begin, in_data, in_end};

void    files_part_begin(FILES *f, const char *name, int is_file,
			         int is_text)
{
    close_all(f);
    f->flags = 0;
    f->limit = NULL;
    f->why[0] = 0;
    memset(f->flag_path, 0, sizeof(f->flag_path));
    f->is_text = is_text;
    ent_begin(f, 0, name);
    /* Only what a client offers as a file is opened as a container. */
    if (!is_file)
	f->ent[0].decided = 1;
    if (is_text) {
	if (f->inl == NULL)
	    f->inl = inline_new(&inline_out, f);
	else {
	    inline_free(f->inl);
	    f->inl = inline_new(&inline_out, f);
	}
    }
}

void    files_part_data(FILES *f, const void *buf, size_t len)
{
    if (!f->ent[0].open)
	return;
    ent_data(f, 0, buf, len);
    if (f->is_text && f->inl && !f->limit)
	inline_feed(f->inl, buf, len);
}

int     files_part_wants(const FILES *f)
{
    if (!f->ent[0].open || f->limit)
	return 0;
    return f->is_text || ent_wants(f, 0);
}

void    files_part_end(FILES *f, FILES_RESULT *res)
{
    ENT    *e = &f->ent[0];

    memset(res, 0, sizeof(*res));
    if (!e->open)
	return;
    if (f->is_text && f->inl)
	inline_finish(f->inl);
    e->all = 1;
    ent_end(f, 0);
    res->own.path = e->path;
    res->own.name = e->name;
    res->own.dtype = e->dtype;
    res->own.dtype_alias = e->dtype_alias;
    res->own.ext = filetype_ext(e->dtype);
    res->own.size = e->size;
    res->own.size_known = 1;
    res->flags = f->flags;
    res->limit = f->limit;
    res->why = f->why[0] ? f->why : NULL;
    res->flag_path[0] = f->flag_path[0];
    res->flag_path[1] = f->flag_path[1];
    res->flag_path[2] = f->flag_path[2];
}
