/*
 * macros.c - what an OLE2 compound file tells a rule: VBA (a VBA or
 * _VBA_PROJECT_CUR storage, a _VBA_PROJECT stream), Excel 4.0 macro
 * sheets (a BOUNDSHEET record of type 1 in the Workbook stream),
 * encryption (encrypted OOXML: EncryptionInfo + EncryptedPackage; Excel's
 * FilePass record; Word's fEncrypted bit; PowerPoint's EncryptedSummary),
 * and files packaged inside (an Ole10Native stream: OLE "Package"
 * objects, the usual way to put an .exe into a document), reported one
 * level down like archive members.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "files_int.h"
#include "mymalloc.h"
#include "ole.h"

static int named(const OLE_ENTRY *e, const char *name)
{
    return strcasecmp(e->name, name) == 0;
}

/* BIFF records of the workbook globals, up to their EOF record. */
static void workbook(FILES *f, OLE *o, const OLE_ENTRY *e)
{
    unsigned char *b = mymalloc(OLE_STREAM_MAX);
    long    n = ole_read(o, e, b, OLE_STREAM_MAX);
    size_t  off = 0;

    if (n < 0)
	files_flag(f, FF_UNREADABLE, "OLE2 Workbook stream");
    while (n > 0 && off + 4 <= (size_t) n) {
	unsigned type = (unsigned) b[off] | (unsigned) b[off + 1] << 8;
	size_t  len = (size_t) b[off + 2] | (size_t) b[off + 3] << 8;

	if (off + 4 + len > (size_t) n)
	    break;
	if (type == 0x002F)
	    files_flag(f, FF_ENCRYPTED, NULL);		/* FilePass */
	else if (type == 0x0085 && len >= 6 && b[off + 4 + 5] == 1)
	    files_flag(f, FF_MACROS, NULL);		/* macro sheet */
	else if (type == 0x000A)
	    break;				/* EOF of the globals */
	off += 4 + len;
    }
    myfree(b);
}

static void word(FILES *f, OLE *o, const OLE_ENTRY *e)
{
    unsigned char fib[12];

    if (ole_read(o, e, fib, sizeof(fib)) == (long) sizeof(fib)
	&& fib[0] == 0xec && fib[1] == 0xa5 && (fib[11] & 0x01))
	files_flag(f, FF_ENCRYPTED, NULL);		/* fEncrypted */
}

/* Ole10Native: size, flags, label\0, path\0, 2 words, temp path\0,
 * data size, data.  The packaged file's name is the label. */
static void package(FILES *f, int d, OLE *o, const OLE_ENTRY *e)
{
    unsigned char *b = mymalloc(OLE_STREAM_MAX);
    long    n = ole_read(o, e, b, OLE_STREAM_MAX);
    size_t  off = 6, z, k, label, len;

    if (n < 6)
	goto out;
    label = off;
    for (k = 0; k < 3; k++) {			/* label, path, temp path */
	z = off;
	while (z < (size_t) n && b[z])
	    z++;
	if (z >= (size_t) n)
	    goto out;
	off = z + 1 + (k == 1 ? 8 : 0);
    }
    if (off + 4 > (size_t) n)
	goto out;
    len = (size_t) b[off] | (size_t) b[off + 1] << 8
	| (size_t) b[off + 2] << 16 | (size_t) b[off + 3] << 24;
    off += 4;
    if (len > (size_t) n - off)
	len = (size_t) n - off;
    if (files_member(f) < 0)
	goto out;
    ent_begin(f, d + 1, (const char *) b + label);
    ent_declared(f, d + 1, len);
    ent_data(f, d + 1, b + off, len);
    f->ent[d + 1].all = 1;
    ent_end(f, d + 1);
out:
    myfree(b);
}

void    ole_walk(FILES *f, int d, int fd, uint64_t size)
{
    const char *err = NULL;
    OLE    *o = ole_open(fd, size, &err);
    size_t  i;
    int     info = 0, pkg = 0;

    if (o == NULL) {
	files_flag(f, FF_UNREADABLE, err);
	return;
    }
    for (i = 0; i < ole_count(o) && !f->limit; i++) {
	const OLE_ENTRY *e = ole_entry(o, i);

	if (e->type == 0)
	    continue;
	if (named(e, "VBA") || named(e, "_VBA_PROJECT_CUR")
	    || named(e, "_VBA_PROJECT"))
	    files_flag(f, FF_MACROS, NULL);
	else if (named(e, "EncryptionInfo") || named(e, "EncryptedPackage"))
	    info++;
	else if (named(e, "EncryptedSummary"))
	    files_flag(f, FF_ENCRYPTED, NULL);
	else if (e->type == OLE_STREAM
		 && (named(e, "Workbook") || named(e, "Book")))
	    workbook(f, o, e);
	else if (e->type == OLE_STREAM && named(e, "WordDocument"))
	    word(f, o, e);
	else if (e->type == OLE_STREAM && named(e, "\001Ole10Native")
		 && pkg++ < 16)
	    package(f, d, o, e);
    }
    if (info == 2)
	files_flag(f, FF_ENCRYPTED, NULL);
    ole_close(o);
}
