/*
 * ole.c - OLE2 compound file reader (ole.h).
 *
 * Header: sector size, the first 109 FAT sector numbers (more through a
 * DIFAT chain), the directory's and the mini FAT's first sectors.  The
 * FAT is loaded whole (4 bytes per sector of the file: bounded by the
 * spool size), the directory up to OLE_DIR_MAX entries, the mini FAT
 * likewise bounded.  Streams under the cutoff (4096) live in the mini
 * stream, itself a chain of regular sectors from the root entry.
 */
#include <config.h>

#include <string.h>

#include "files_limits.h"
#include "mymalloc.h"
#include "ole.h"
#include "spool.h"
#include "tnef_int.h"

#define ENDCHAIN 0xfffffffeu
#define MAXREG   0xfffffffau
#define CUTOFF   4096

struct OLE {
    int     fd;
    uint64_t size;
    unsigned ssz;                 /* sector size */
    uint32_t nsec;                /* sectors in the file */
    uint32_t *fat;
    uint32_t nfat;
    uint32_t *minifat;
    uint32_t nminifat;
    OLE_ENTRY *dir;
    size_t  ndir;
    uint32_t *ministream;         /* the root's sector chain */
    uint32_t nmini;
};

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16
	| (uint32_t) p[3] << 24;
}

static int read_sector(OLE *o, uint32_t sec, unsigned char *buf)
{
    uint64_t off = (uint64_t) (sec + 1) * o->ssz;

    if (sec >= o->nsec || off + o->ssz > o->size + o->ssz)
	return -1;
    memset(buf, 0, o->ssz);
    /* The last sector may be short: the rest reads as zeros. */
    return spool_pread(o->fd, buf, o->ssz, off) < 0 ? -1 : 0;
}

/* The chain from start as an array of sector numbers (at most max). */
static uint32_t *chain(OLE *o, uint32_t start, uint32_t max, uint32_t *n)
{
    uint32_t *v = NULL, cap = 0, s = start;

    *n = 0;
    while (s != ENDCHAIN) {
	if (s > MAXREG || s >= o->nfat || *n >= max || *n >= o->nsec) {
	    myfree(v);
	    *n = 0;
	    return NULL;
	}
	if (*n == cap) {
	    cap = cap ? cap * 2 : 16;
	    v = myrealloc(v, cap * sizeof(*v));
	}
	v[(*n)++] = s;
	s = o->fat[s];
    }
    return v ? v : mymalloc(sizeof(*v));
}

/* The FAT: the sectors the header and the DIFAT chain name.  No more
 * FAT sectors than the file's sectors need, so its size follows the
 * file's (1/128 of it). */
static int load_fat(OLE *o, const unsigned char *hdr)
{
    uint32_t nfs = le32(hdr + 0x2c), difat = le32(hdr + 0x44);
    uint32_t per = o->ssz / 4, i, j, k, fs, steps = 0;
    unsigned char *dsec = mymalloc(o->ssz), *fb = mymalloc(o->ssz);
    int     rc = -1;

    if (nfs == 0 || nfs > o->nsec / per + 1)
	goto out;
    o->nfat = nfs * per;
    o->fat = mymalloc((size_t) o->nfat * 4);
    for (i = 0; i < nfs; i++) {
	if (i < 109) {
	    fs = le32(hdr + 0x4c + 4 * i);
	} else {
	    /* DIFAT sectors: per-1 FAT sector numbers, then the next. */
	    if ((k = (i - 109) % (per - 1)) == 0) {
		if (i > 109)
		    difat = le32(dsec + 4 * (per - 1));
		if (++steps > o->nsec || read_sector(o, difat, dsec) < 0)
		    goto out;
	    }
	    fs = le32(dsec + 4 * k);
	}
	if (read_sector(o, fs, fb) < 0)
	    goto out;
	for (j = 0; j < per; j++)
	    o->fat[i * per + j] = le32(fb + 4 * j);
    }
    rc = 0;
out:
    myfree(dsec);
    myfree(fb);
    return rc;
}

static int load_dir(OLE *o, uint32_t start)
{
    uint32_t n, i, j, *c = chain(o, start, OLE_DIR_MAX / (o->ssz / 128), &n);
    unsigned char *sec = mymalloc(o->ssz);

    if (c == NULL || n == 0) {
	myfree(c);
	myfree(sec);
	return -1;
    }
    o->ndir = (size_t) n * (o->ssz / 128);
    o->dir = mycalloc(o->ndir, sizeof(*o->dir));
    for (i = 0; i < n; i++) {
	if (read_sector(o, c[i], sec) < 0)
	    break;
	for (j = 0; j < o->ssz / 128; j++) {
	    const unsigned char *d = sec + 128 * j;
	    OLE_ENTRY *e = &o->dir[i * (o->ssz / 128) + j];
	    unsigned nl = (unsigned) d[64] | (unsigned) d[65] << 8;

	    e->type = d[66];
	    tnef_utf16(d, nl <= 64 ? nl : 64, e->name, sizeof(e->name));
	    e->start = le32(d + 116);
	    e->size = (uint64_t) le32(d + 120)
		| (o->ssz == 512 ? 0 : (uint64_t) le32(d + 124) << 32);
	}
    }
    myfree(c);
    myfree(sec);
    return i == n ? 0 : -1;
}

OLE    *ole_open(int fd, uint64_t size, const char **err)
{
    unsigned char hdr[512];
    OLE    *o;
    unsigned shift;

    if (size < 512 || spool_pread(fd, hdr, 512, 0) != 512
	|| memcmp(hdr, "\320\317\021\340\241\261\032\341", 8) != 0) {
	*err = "not an OLE2 compound file";
	return NULL;
    }
    shift = (unsigned) hdr[0x1e] | (unsigned) hdr[0x1f] << 8;
    if (shift != 9 && shift != 12) {
	*err = "bad OLE2 sector size";
	return NULL;
    }
    o = mycalloc(1, sizeof(*o));
    o->fd = fd;
    o->size = size;
    o->ssz = 1u << shift;
    o->nsec = (uint32_t) ((size + o->ssz - 1) / o->ssz);
    if (o->nsec > 0)
	o->nsec--;				/* the header */
    if (load_fat(o, hdr) < 0 || load_dir(o, le32(hdr + 0x30)) < 0
	|| o->dir[0].type != OLE_ROOT) {
	*err = "bad OLE2 allocation table or directory";
	ole_close(o);
	return NULL;
    }
    if (le32(hdr + 0x3c) != ENDCHAIN && le32(hdr + 0x40) > 0)
	o->minifat = chain(o, le32(hdr + 0x3c), o->nsec, &o->nminifat);
    if (o->ndir && o->dir[0].type == OLE_ROOT && o->dir[0].start != ENDCHAIN)
	o->ministream = chain(o, o->dir[0].start, o->nsec, &o->nmini);
    return o;
}

void    ole_close(OLE *o)
{
    if (o == NULL)
	return;
    myfree(o->fat);
    myfree(o->minifat);
    myfree(o->dir);
    myfree(o->ministream);
    myfree(o);
}

size_t  ole_count(const OLE *o)
{
    return o->ndir;
}

const OLE_ENTRY *ole_entry(const OLE *o, size_t i)
{
    return i < o->ndir ? &o->dir[i] : NULL;
}

/* The mini FAT entry of mini sector m. */
static int mini_next(OLE *o, uint32_t m, uint32_t *next)
{
    uint32_t per = o->ssz / 4, idx = m / per;
    unsigned char *sec;
    int     rc;

    if (o->minifat == NULL || idx >= o->nminifat)
	return -1;
    sec = mymalloc(o->ssz);
    rc = read_sector(o, o->minifat[idx], sec);
    if (rc == 0)
	*next = le32(sec + 4 * (m % per));
    myfree(sec);
    return rc;
}

static long read_mini(OLE *o, const OLE_ENTRY *e, unsigned char *buf,
		              size_t max)
{
    uint32_t m = e->start, steps = 0, per = o->ssz / 64;
    size_t  got = 0, want = e->size < max ? (size_t) e->size : max;
    unsigned char *sec = mymalloc(o->ssz);

    while (got < want && m != ENDCHAIN) {
	size_t  n = want - got < 64 ? want - got : 64;

	if (m > MAXREG || m / per >= o->nmini || ++steps > o->nsec * per
	    || read_sector(o, o->ministream[m / per], sec) < 0)
	    break;
	memcpy(buf + got, sec + (m % per) * 64, n);
	got += n;
	if (mini_next(o, m, &m) < 0)
	    break;
    }
    myfree(sec);
    return got == want ? (long) got : -1;
}

long    ole_read(OLE *o, const OLE_ENTRY *e, unsigned char *buf, size_t max)
{
    uint32_t s = e->start, steps = 0;
    size_t  got = 0, want = e->size < max ? (size_t) e->size : max;
    unsigned char *sec;

    if (e->type != OLE_STREAM)
	return -1;
    if (e->size < CUTOFF)
	return read_mini(o, e, buf, max);
    sec = mymalloc(o->ssz);
    while (got < want && s != ENDCHAIN) {
	size_t  n = want - got < o->ssz ? want - got : o->ssz;

	if (s > MAXREG || s >= o->nfat || ++steps > o->nsec
	    || read_sector(o, s, sec) < 0)
	    break;
	memcpy(buf + got, sec, n);
	got += n;
	s = o->fat[s];
    }
    myfree(sec);
    return got == want ? (long) got : -1;
}
