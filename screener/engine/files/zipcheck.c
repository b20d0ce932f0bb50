/*
 * zipcheck.c - the zip central directory checked before libarchive reads
 * the members: its end record must be there (Windows and most unzip
 * tools refuse a zip without it, where libarchive would read the local
 * headers as a stream) and no two entries may share bytes.  Overlapping
 * entries are how "non-recursive" zip bombs reach huge sizes (every
 * entry reusing one deflate stream), and never occur in a zip a tool
 * wrote.  zip64 end records and extra fields are followed.  Bounded by
 * the member limit and FILE_CHUNK reads.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "files_int.h"
#include "mymalloc.h"
#include "spool.h"

typedef struct SPAN {
    uint64_t start, end;
} SPAN;

static uint32_t le16(const unsigned char *p)
{
    return (uint32_t) p[0] | (uint32_t) p[1] << 8;
}

static uint32_t le32(const unsigned char *p)
{
    return le16(p) | le16(p + 2) << 16;
}

static uint64_t le64(const unsigned char *p)
{
    return (uint64_t) le32(p) | (uint64_t) le32(p + 4) << 32;
}

/* The end record in the last FILE_CHUNK bytes: its offset, or -1. */
static int64_t find_end(FILES *f, int fd, uint64_t size)
{
    uint64_t n = size < FILE_CHUNK ? size : FILE_CHUNK;
    long    got = spool_pread(fd, f->buf, (size_t) n, size - n), i;

    for (i = got - 22; i >= 0; i--)
	if (memcmp(f->buf + i, "PK\005\006", 4) == 0)
	    return (int64_t) (size - n) + i;
    return -1;
}

/* zip64: the entry count and directory offset from the zip64 end record
 * its locator (just before the end record) points at. */
static int zip64_end(int fd, uint64_t end, uint64_t size, uint64_t *count,
		             uint64_t *cd_off)
{
    unsigned char loc[20], rec[56];
    uint64_t off;

    if (end < 20 || spool_pread(fd, loc, 20, end - 20) != 20
	|| memcmp(loc, "PK\006\007", 4) != 0)
	return -1;
    off = le64(loc + 8);
    if (off > size - 56 || spool_pread(fd, rec, 56, off) != 56
	|| memcmp(rec, "PK\006\006", 4) != 0)
	return -1;
    *count = le64(rec + 32);
    *cd_off = le64(rec + 48);
    return 0;
}

static int by_start(const void *a, const void *b)
{
    const SPAN *x = a, *y = b;

    return x->start < y->start ? -1 : x->start > y->start;
}

/* zip64 extra field: the 64-bit values for the 32-bit fields at ~0. */
static void extra64(const unsigned char *ex, size_t len, uint64_t *csize,
		            uint64_t *usize, uint64_t *loff)
{
    size_t  i = 0, k;

    while (i + 4 <= len) {
	size_t  l = le16(ex + i + 2);

	if (le16(ex + i) == 1) {
	    k = i + 4;
	    if (*usize == 0xffffffffu && k + 8 <= i + 4 + l && k + 8 <= len)
		*usize = le64(ex + k), k += 8;
	    if (*csize == 0xffffffffu && k + 8 <= i + 4 + l && k + 8 <= len)
		*csize = le64(ex + k), k += 8;
	    if (*loff == 0xffffffffu && k + 8 <= i + 4 + l && k + 8 <= len)
		*loff = le64(ex + k);
	    return;
	}
	i += 4 + l;
    }
}

/* Read the central directory into spans; 0, or -1 with *why. */
static int spans(FILES *f, int fd, uint64_t size, uint64_t count,
		         uint64_t off, SPAN *sp, const char **why)
{
    unsigned char h[46], *var = f->buf;
    uint64_t i;

    for (i = 0; i < count; i++) {
	uint64_t csize, usize, loff;
	size_t  nl, el, cl;

	if (off > size - 46 || spool_pread(fd, h, 46, off) != 46
	    || memcmp(h, "PK\001\002", 4) != 0) {
	    *why = "zip central directory entry missing";
	    return -1;
	}
	nl = le16(h + 28);
	el = le16(h + 30);
	cl = le16(h + 32);
	csize = le32(h + 20);
	usize = le32(h + 24);
	loff = le32(h + 42);
	if (el && spool_pread(fd, var, el, off + 46 + nl) == (long) el)
	    extra64(var, el, &csize, &usize, &loff);
	/* the local header: 30 bytes, name, extra; then the data */
	sp[i].start = loff;
	sp[i].end = loff + 30 + nl + csize;
	if (loff > size || sp[i].end < loff) {
	    *why = "zip entry beyond the file";
	    return -1;
	}
	off += 46 + nl + el + cl;
    }
    return 0;
}

/* 0 fine; -1 unreadable (files_flag done). */
int     zip_check(FILES *f, int fd, uint64_t size)
{
    unsigned char e[22];
    int64_t end = find_end(f, fd, size);
    uint64_t count, cd_off, i;
    const char *why = NULL;
    SPAN   *sp;

    if (end < 0 || spool_pread(fd, e, 22, (uint64_t) end) != 22) {
	files_flag(f, FF_UNREADABLE, "zip without its central directory end");
	return -1;
    }
    count = le16(e + 10);
    cd_off = le32(e + 16);
    if ((count == 0xffff || cd_off == 0xffffffffu)
	&& zip64_end(fd, (uint64_t) end, size, &count, &cd_off) < 0) {
	files_flag(f, FF_UNREADABLE, "zip64 end record missing");
	return -1;
    }
    if (count > f->lim->max_archive_members) {
	files_limit(f, "archive_members");
	return -1;
    }
    if (count == 0)
	return 0;
    sp = mymalloc((size_t) count * sizeof(*sp));
    if (spans(f, fd, size, count, cd_off, sp, &why) == 0) {
	qsort(sp, (size_t) count, sizeof(*sp), by_start);
	for (i = 1; i < count && why == NULL; i++)
	    if (sp[i].start < sp[i - 1].end)
		why = "overlapping zip entries";
    }
    myfree(sp);
    if (why) {
	files_flag(f, FF_UNREADABLE, why);
	return -1;
    }
    return 0;
}
