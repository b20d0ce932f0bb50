/*
 * tnef.c - TNEF (winmail.dat, application/ms-tnef; MS-OXTNEF), the
 * format Exchange and Outlook wrap attachments and rich text in.
 *
 * A bounded parser of our own (libytnef reads the whole file into memory
 * and trusts its length fields).  Two passes over the spool: the first
 * walks the attribute list and records, per attachment, where its names
 * and data lie (Outlook writes the long file name after the data); the
 * second reports each attachment as a file one level down, read straight
 * from the spool, and the message's text bodies (attBody, PR_BODY,
 * PR_BODY_HTML, PR_RTF_COMPRESSED decompressed) go to body keyword rules.
 * Every length is checked against what is left of its attribute and of
 * the file; a lie makes the TNEF unreadable.
 */
#include <config.h>

#include <string.h>

#include "files_int.h"
#include "mymalloc.h"
#include "rtf.h"
#include "spool.h"
#include "tnef_int.h"

#define TNEF_SIG 0x223E9F78u
#define U8_MAX (FILE_CHUNK / 2 * 3 + 8)       /* a UTF-16 chunk as UTF-8 */

/* Attribute ids (low 16 bits) and levels. */
#define LVL_MESSAGE 1
#define LVL_ATTACH  2
#define ATT_BODY       0x800C
#define ATT_MSG_PROPS  0x9003
#define ATT_REND_DATA  0x9002
#define ATT_TITLE      0x8010
#define ATT_DATA       0x800F
#define ATT_ATTACHMENT 0x9005

static void att_add(TNEF *t)
{
    if (t->natt >= TNEF_ATTACH_MAX) {
	t->bad = "too many attachments";
	return;
    }
    t->att = mygrow(t->att, &t->capatt, t->natt + 1, sizeof(*t->att));
    memset(&t->att[t->natt], 0, sizeof(*t->att));
    t->natt++;
}

static TNEF_ATT *att_cur(TNEF *t)
{
    if (t->natt == 0)
	att_add(t);			/* data before any RendData */
    return t->bad ? NULL : &t->att[t->natt - 1];
}

static void set_loc(TNEF_LOC *l, uint64_t off, uint64_t len, int uni)
{
    l->off = off;
    l->len = len;
    l->uni = uni;
    l->set = 1;
}

/* Pass 1: the attribute list. */
static void attributes(TNEF *t)
{
    unsigned char h[9];
    uint64_t off = 6;

    while (off < t->size && !t->bad) {
	unsigned lvl, id;
	uint32_t len;
	TNEF_ATT *a;

	if (t->size - off < 9 + 2 || tnef_read(t, off, h, 9) < 0) {
	    t->bad = "truncated attribute";
	    return;
	}
	lvl = h[0];
	id = (unsigned) h[1] | (unsigned) h[2] << 8;
	len = (uint32_t) h[5] | (uint32_t) h[6] << 8 | (uint32_t) h[7] << 16
	    | (uint32_t) h[8] << 24;
	off += 9;
	if (len > t->size - off || t->size - off - len < 2) {
	    t->bad = "attribute length beyond the file";
	    return;
	}
	if (lvl == LVL_MESSAGE && id == ATT_BODY)
	    set_loc(&t->body, off, len, 0);
	else if (lvl == LVL_MESSAGE && id == ATT_MSG_PROPS)
	    tnef_props(t, off, len, NULL);
	else if (lvl == LVL_ATTACH && id == ATT_REND_DATA)
	    att_add(t);
	else if (lvl == LVL_ATTACH && id == ATT_TITLE && (a = att_cur(t)))
	    set_loc(&a->title, off, len, 0);
	else if (lvl == LVL_ATTACH && id == ATT_DATA && (a = att_cur(t)))
	    set_loc(&a->data, off, len, 0);
	else if (lvl == LVL_ATTACH && id == ATT_ATTACHMENT && (a = att_cur(t)))
	    tnef_props(t, off, len, a);
	else if (lvl != LVL_MESSAGE && lvl != LVL_ATTACH)
	    t->bad = "bad attribute level";
	off += (uint64_t) len + 2;		/* data, checksum */
    }
}

/* A name attribute as UTF-8, its end (the extension) kept when long. */
static void read_name(TNEF *t, const TNEF_LOC *l, char *out, size_t size)
{
    unsigned char raw[TNEF_NAME_MAX];
    uint64_t len = l->len, off = l->off;

    out[0] = 0;
    if (len > sizeof(raw)) {
	off += len - sizeof(raw);
	len = sizeof(raw);
    }
    if (tnef_read(t, off, raw, (size_t) len) < 0)
	return;
    if (l->uni)
	tnef_utf16(raw, (size_t) len, out, size);
    else {
	size_t  n = len < size ? (size_t) len : size - 1, i;

	for (i = 0; i < n && raw[i]; i++)
	    out[i] = (char) raw[i];
	out[i] = 0;
    }
}

/* Stream l's bytes to the file one level down (or to sink). */
static int stream(TNEF *t, const TNEF_LOC *l, uint64_t skip,
		          void (*sink) (TNEF *, const unsigned char *, size_t))
{
    FILES  *f = t->f;
    uint64_t off = l->off + skip, left = l->len > skip ? l->len - skip : 0;

    while (left > 0 && !f->limit) {
	size_t  n = left < FILE_CHUNK ? (size_t) left : FILE_CHUNK;

	if (sink == NULL && !ent_wants(f, t->d + 1))
	    return 0;
	if (tnef_read(t, off, f->buf, n) < 0)
	    return -1;
	if (files_expand(f, n, &t->total, t->size) < 0)
	    return -1;
	if (sink)
	    sink(t, f->buf, n);
	else
	    ent_data(f, t->d + 1, f->buf, n);
	off += n;
	left -= n;
    }
    return 0;
}

static void report_att(TNEF *t, size_t i)
{
    TNEF_ATT *a = &t->att[i];
    char    name[TNEF_NAME_MAX];
    const TNEF_LOC *data = a->data.set ? &a->data : &a->obj;

    if (a->longname.set)
	read_name(t, &a->longname, name, sizeof(name));
    else if (a->title.set)
	read_name(t, &a->title, name, sizeof(name));
    else
	name[0] = 0;
    if (name[0] == 0)
	snprintf(name, sizeof(name), "attachment%zu", i + 1);
    if (!data->set && !a->title.set && !a->longname.set)
	return;
    if (files_member(t->f) < 0)
	return;
    ent_begin(t->f, t->d + 1, name);
    ent_declared(t->f, t->d + 1, data->set ? data->len - (data->uni ? 16 : 0)
		 : 0);
    /* PT_OBJECT data starts with the interface id (uni marks it). */
    if (data->set && stream(t, data, data->uni ? 16 : 0, NULL) < 0)
	files_flag(t->f, FF_UNREADABLE, "TNEF attachment data");
    else
	t->f->ent[t->d + 1].all = 1;
    ent_end(t->f, t->d + 1);
}

static void text_sink(TNEF *t, const unsigned char *buf, size_t len)
{
    if (!t->text_uni) {
	t->f->out->text(t->f->ctx, (const char *) buf, len);
	return;
    }
    /* Chunks start at even offsets: no character is cut. */
    if (t->u8 == NULL)
	t->u8 = mymalloc(U8_MAX);
    tnef_utf16(buf, len, t->u8, U8_MAX);
    t->f->out->text(t->f->ctx, t->u8, strlen(t->u8));
}

static void rtf_text(void *ctx, const char *buf, size_t len)
{
    FILES  *f = ctx;

    f->out->text(f->ctx, buf, len);
}

static void rtf_sink(TNEF *t, const unsigned char *buf, size_t len)
{
    if (rtf_feed(t->rtf, buf, len) < 0 && !t->rtf_bad) {
	t->rtf_bad = 1;
	files_flag(t->f, FF_UNREADABLE, "TNEF compressed RTF");
    }
}

static void bodies(TNEF *t)
{
    const TNEF_LOC *txt[] = {&t->body, &t->pbody, &t->html};
    size_t  i;

    for (i = 0; i < 3; i++) {
	if (!txt[i]->set)
	    continue;
	t->f->out->text_begin(t->f->ctx, txt[i] == &t->html);
	t->text_uni = txt[i]->uni;
	(void) stream(t, txt[i], 0, text_sink);
	t->f->out->text(t->f->ctx, NULL, 0);
    }
    if (t->rtfc.set) {
	t->rtf = rtf_new(rtf_text, t->f, t->f->lim->max_archive_expansion);
	t->f->out->text_begin(t->f->ctx, 0);
	(void) stream(t, &t->rtfc, 0, rtf_sink);
	(void) files_expand(t->f, rtf_produced(t->rtf), &t->total, t->size);
	rtf_free(t->rtf);
	t->rtf = NULL;
	t->f->out->text(t->f->ctx, NULL, 0);
    }
}

void    tnef_walk(FILES *f, int d, int fd, uint64_t size)
{
    TNEF    t;
    unsigned char h[6];
    size_t  i;

    memset(&t, 0, sizeof(t));
    t.f = f;
    t.d = d;
    t.fd = fd;
    t.size = size;
    if (size < 6 || tnef_read(&t, 0, h, 6) < 0
	|| ((uint32_t) h[0] | (uint32_t) h[1] << 8 | (uint32_t) h[2] << 16
	    | (uint32_t) h[3] << 24) != TNEF_SIG)
	t.bad = "no TNEF signature";
    else
	attributes(&t);
    if (t.bad)
	files_flag(f, FF_UNREADABLE, t.bad);
    /* What was found before a bad attribute is still reported. */
    for (i = 0; i < t.natt && !f->limit; i++)
	report_att(&t, i);
    if (!f->limit)
	bodies(&t);
    myfree(t.att);
    myfree(t.u8);
}
