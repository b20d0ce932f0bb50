/*
 * entity.c - the life cycle of one file at one nesting level: its first
 * bytes kept for the type, its digest, an "/Encrypt" watch for PDFs, and,
 * when its signature names a container, a spool from which the matching
 * reader opens it at ent_end().  Every limit is checked here or in the
 * readers through files_member() and files_expand().
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "files_int.h"
#include "msg.h"
#include "mymalloc.h"
#include "spool.h"

/* Containers may always expand to this much before the ratio counts:
 * small documents compress far better than 1000:1 sometimes. */
#define RATIO_FLOOR (1ULL << 20)

/* The flag's first finding, with the innermost open file's path. */
void    files_flag(FILES *f, unsigned flag, const char *why)
{
    int     b = flag == FF_ENCRYPTED ? 0 : flag == FF_UNREADABLE ? 1 : 2, d;

    if (flag == FF_UNREADABLE && !(f->flags & FF_UNREADABLE) && why)
	snprintf(f->why, sizeof(f->why), "%s", why);
    if (!(f->flags & flag)) {
	for (d = f->nent - 1; d > 0 && !f->ent[d].open; d--)
	     /* void */ ;
	memcpy(f->flag_path[b], f->ent[d].path, sizeof(f->flag_path[b]));
    }
    f->flags |= flag;
}

void    files_limit(FILES *f, const char *what)
{
    if (f->limit == NULL) {
	f->limit = what;
	files_flag(f, FF_UNREADABLE, what);
    }
}

int     files_member(FILES *f)
{
    if (f->limit)
	return -1;
    if (++f->members > f->lim->max_archive_members) {
	files_limit(f, "archive_members");
	return -1;
    }
    return 0;
}

int     files_ratio_bad(const FILES *f, uint64_t size, uint64_t csize)
{
    return size > RATIO_FLOOR
	&& size / (csize ? csize : 1) >= f->lim->max_archive_ratio;
}

int     files_expand(FILES *f, uint64_t n, uint64_t *total, uint64_t csize)
{
    if (f->limit)
	return -1;
    f->expanded += n;
    *total += n;
    if (f->expanded > f->lim->max_archive_expansion) {
	files_limit(f, "archive_expansion");
	return -1;
    }
    if (files_ratio_bad(f, *total, csize)) {
	files_limit(f, "archive_ratio");
	return -1;
    }
    return 0;
}

/* Names that may hold an ISO image: sniff only after FILE_HEAD_MAX. */
static int iso_name(const char *name)
{
    const char *dot = strrchr(name, '.');

    return dot && (strcasecmp(dot, ".iso") == 0 || strcasecmp(dot, ".img") == 0
		   || strcasecmp(dot, ".udf") == 0);
}

/* "outer/inner", cut to FILE_PATH_MAX (the inner name's end kept). */
static void join_path(char *out, const char *outer, const char *inner)
{
    size_t  lo = strlen(outer), li = strlen(inner), o = 0;

    if (lo > FILE_PATH_MAX / 2)
	lo = FILE_PATH_MAX / 2;
    memcpy(out, outer, lo);
    o = lo;
    if (lo)
	out[o++] = '/';
    if (li > FILE_PATH_MAX - 1 - o) {
	inner += li - (FILE_PATH_MAX - 1 - o);
	li = FILE_PATH_MAX - 1 - o;
    }
    memcpy(out + o, inner, li);
    out[o + li] = 0;
}

void    ent_begin(FILES *f, int d, const char *name)
{
    ENT    *e = &f->ent[d];

    memset(e, 0, sizeof(*e));
    e->open = 1;
    e->spool_fd = -1;
    snprintf(e->name, sizeof(e->name), "%s", name ? name : "");
    join_path(e->path, d > 0 ? f->ent[d - 1].path : "", e->name);
    e->long_head = d == 0 || iso_name(e->name);
    e->head = mymalloc(e->long_head ? FILE_HEAD_MAX : FILE_HEAD_SNIFF);
    if (d > 0 && (f->needs & FN_DIGEST)) {
	if ((e->sha = EVP_MD_CTX_new()) != NULL
	    && EVP_DigestInit_ex(e->sha, EVP_sha256(), NULL) == 1)
	    e->sha_on = 1;
    }
}

void    ent_declared(FILES *f, int d, uint64_t size)
{
    f->ent[d].declared = size;
    f->ent[d].declared_known = 1;
}

static void pdf_scan(ENT *e, const unsigned char *p, size_t n)
{
    static const char pat[] = "/Encrypt";
    size_t  i;

    for (i = 0; i < n && e->pdf_on == 1; i++) {
	if (p[i] == (unsigned char) pat[e->pdf_k])
	    e->pdf_k++;
	else
	    e->pdf_k = p[i] == '/';
	if (pat[e->pdf_k] == 0)
	    e->pdf_on = 2;			/* found */
    }
}

static void spool_more(FILES *f, ENT *e, const void *buf, size_t len)
{
    if (e->spool_fd < 0)
	return;
    if (e->spooled + len > f->lim->max_archive_size) {
	files_limit(f, "archive_size");
	close(e->spool_fd);
	e->spool_fd = -1;
	return;
    }
    if (spool_write(e->spool_fd, buf, len) < 0) {
	msg_warn("container spool: %s", strerror(errno));
	files_flag(f, FF_UNREADABLE, "spool write failed");
	close(e->spool_fd);
	e->spool_fd = -1;
	return;
    }
    e->spooled += len;
}

/* The head is complete (or the file ended): what is it? */
static void decide(FILES *f, int d)
{
    ENT    *e = &f->ent[d];

    e->decided = 1;
    e->kind = filetype_sniff(e->head, e->nhead);
    if (e->kind == FK_NONE || f->limit)
	return;
    if (e->kind == FK_PDF) {
	if (f->needs & FN_ENCRYPTED) {
	    e->pdf_on = 1;
	    pdf_scan(e, e->head, e->nhead);
	}
	return;
    }
    if (d >= f->lim->max_archive_depth) {
	files_limit(f, "archive_depth");
	return;
    }
    if ((e->spool_fd = spool_open(f->conf->milter.spool_dir)) < 0) {
	msg_warn("cannot create a container spool in %s: %s",
		 f->conf->milter.spool_dir ? f->conf->milter.spool_dir
		 : "/var/tmp", strerror(errno));
	files_flag(f, FF_UNREADABLE, "no spool");
	return;
    }
    spool_more(f, e, e->head, e->nhead);
}

void    ent_data(FILES *f, int d, const void *buf, size_t len)
{
    ENT    *e = &f->ent[d];
    const unsigned char *p = buf;
    size_t  cap = e->long_head ? FILE_HEAD_MAX : FILE_HEAD_SNIFF, n;

    if (!e->open || len == 0)
	return;
    e->size += len;
    if (e->sha_on && EVP_DigestUpdate(e->sha, p, len) != 1)
	e->sha_on = 0;
    if (!e->decided) {
	n = cap - e->nhead < len ? cap - e->nhead : len;
	memcpy(e->head + e->nhead, p, n);
	e->nhead += n;
	if (e->nhead < cap)
	    return;
	decide(f, d);
	p += n;
	len -= n;
    }
    if (e->pdf_on == 1)
	pdf_scan(e, p, len);
    spool_more(f, e, p, len);
}

int     ent_wants(const FILES *f, int d)
{
    const ENT *e = &f->ent[d];

    if (f->limit)
	return 0;
    /* The part itself (level 0) has its size from the MIME layer. */
    return !e->decided || e->spool_fd >= 0 || e->sha_on || e->pdf_on == 1
	|| (d > 0 && (f->needs & FN_SIZE) && !e->declared_known);
}

static void finish_digest(ENT *e)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0, i;

    if (!e->sha_on || !e->all
	|| EVP_DigestFinal_ex(e->sha, md, &mdlen) != 1 || mdlen < 32)
	return;
    for (i = 0; i < 32; i++)
	snprintf(e->digest + 2 * i, 3, "%02x", md[i]);
}

/* OOXML keeps VBA in vbaProject.bin and Excel 4.0 macros in
 * xl/macrosheets/, whatever the document's extension says. */
static int macro_member(const char *name)
{
    const char *base = strrchr(name, '/');

    base = base ? base + 1 : name;
    return strcasecmp(base, "vbaProject.bin") == 0
	|| strncasecmp(name, "xl/macrosheets/", 15) == 0;
}

static void walk(FILES *f, int d)
{
    ENT    *e = &f->ent[d];

    if (e->spool_fd < 0 || f->limit)
	return;
    if (f->buf == NULL)
	f->buf = mymalloc(FILE_CHUNK);
    if (e->kind == FK_TNEF)
	tnef_walk(f, d, e->spool_fd, e->spooled);
    else if (e->kind == FK_OLE)
	ole_walk(f, d, e->spool_fd, e->spooled);
    else
	container_walk(f, d, e->spool_fd, e->spooled);
}

/* Report the file (the part's own facts stay in ent[0] for
 * files_part_end()), then open it if it is a container. */
void    ent_end(FILES *f, int d)
{
    ENT    *e = &f->ent[d];
    FILE_FACTS ff;

    if (!e->open)
	return;
    if (!e->decided)
	decide(f, d);
    finish_digest(e);
    filetype_detect(f->fc, e->head, e->nhead, f->exact_types, e->dtype,
		    sizeof(e->dtype), &e->dtype_alias);
    if (d > 0) {
	memset(&ff, 0, sizeof(ff));
	ff.path = e->path;
	ff.name = e->name;
	ff.dtype = e->dtype;
	ff.dtype_alias = e->dtype_alias;
	ff.ext = filetype_ext(e->dtype);
	ff.size = e->declared_known ? e->declared : e->size;
	ff.size_known = e->declared_known || e->all;
	ff.digest = e->digest[0] ? e->digest : NULL;
	ff.depth = d;
	if (macro_member(e->name))
	    files_flag(f, FF_MACROS, NULL);
	f->out->file(f->ctx, &ff);
    }
    if (e->pdf_on == 2)
	files_flag(f, FF_ENCRYPTED, NULL);
    walk(f, d);
    if (e->spool_fd >= 0)
	close(e->spool_fd);
    e->spool_fd = -1;
    if (e->sha)
	EVP_MD_CTX_free(e->sha);
    e->sha = NULL;
    myfree(e->head);
    e->head = NULL;
    e->open = 0;
}
