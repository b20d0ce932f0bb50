/*
 * rarcheck.c - RAR encryption that libarchive does not report: RAR 5's
 * per-file encryption record (libarchive 3.6 reads a stored encrypted
 * file as if it were plain) and its archive encryption header (names
 * hidden), and RAR 4's encrypted headers.  A walk over the block headers
 * only (data areas skipped), bounded by the member limit and the file.
 */
#include <config.h>

#include <string.h>

#include "files_int.h"
#include "spool.h"

#define HDR_MAX 65536             /* a longer block header: stop looking */

/* A RAR 5 variable-length integer at p[0..n); bytes used, 0 if bad. */
static size_t vint(const unsigned char *p, size_t n, uint64_t *v)
{
    size_t  i;

    *v = 0;
    for (i = 0; i < n && i < 10; i++) {
	*v |= (uint64_t) (p[i] & 0x7f) << (7 * i);
	if (!(p[i] & 0x80))
	    return i + 1;
    }
    return 0;
}

/* The extra area of a file or service header: an encryption record? */
static int crypt_record(const unsigned char *p, size_t n)
{
    size_t  i = 0, k;
    uint64_t size, type;

    while (i < n) {
	if ((k = vint(p + i, n - i, &size)) == 0 || size > n - i - k)
	    return 0;
	if (vint(p + i + k, (size_t) size, &type) && type == 1)
	    return 1;
	i += k + (size_t) size;
    }
    return 0;
}

static int rar5(FILES *f, int fd, uint64_t size)
{
    unsigned char *h = f->buf;
    uint64_t off = 8, hsize, type, flags, extra = 0, data = 0;
    unsigned long blocks = 0;
    size_t  k, at;

    while (off + 8 < size && blocks++ <= f->lim->max_archive_members * 2 + 16) {
	long    got = spool_pread(fd, h, 16, off);

	if (got < 8 || (k = vint(h + 4, (size_t) got - 4, &hsize)) == 0
	    || hsize == 0 || hsize > HDR_MAX || off + 4 + k + hsize > size)
	    return 0;
	if (spool_pread(fd, h, (size_t) hsize, off + 4 + k) != (long) hsize)
	    return 0;
	at = vint(h, (size_t) hsize, &type);
	at += at ? vint(h + at, (size_t) hsize - at, &flags) : 0;
	if (at == 0)
	    return 0;
	extra = data = 0;
	if (flags & 1)
	    at += vint(h + at, (size_t) hsize - at, &extra);
	if (flags & 2)
	    at += vint(h + at, (size_t) hsize - at, &data);
	if (type == 4) {			/* headers encrypted */
	    files_flag(f, FF_ENCRYPTED, NULL);
	    return 1;
	}
	if ((type == 2 || type == 3) && extra > 0 && extra <= hsize
	    && crypt_record(h + hsize - extra, (size_t) extra)) {
	    files_flag(f, FF_ENCRYPTED, NULL);
	    return 0;
	}
	if (type == 5 || data > size)
	    return 0;
	off += 4 + k + hsize + data;
    }
    return 0;
}

static int rar4(FILES *f, int fd, uint64_t size)
{
    unsigned char h[11];
    uint64_t off = 7, add;
    unsigned long blocks = 0;
    unsigned flags, hsize;

    while (off + 7 <= size && blocks++ <= f->lim->max_archive_members * 2 + 16) {
	if (spool_pread(fd, h, 11, off) < 7)
	    return 0;
	flags = (unsigned) h[3] | (unsigned) h[4] << 8;
	hsize = (unsigned) h[5] | (unsigned) h[6] << 8;
	if (h[2] == 0x73 && (flags & 0x0080)) {	/* headers encrypted */
	    files_flag(f, FF_ENCRYPTED, NULL);
	    return 1;
	}
	if (h[2] == 0x74 && (flags & 0x0004)) {
	    files_flag(f, FF_ENCRYPTED, NULL);
	    return 0;
	}
	if (hsize < 7 || h[2] == 0x7b)
	    return 0;
	add = (flags & 0x8000) && off + 11 <= size ? ((uint64_t) h[7]
		| (uint64_t) h[8] << 8 | (uint64_t) h[9] << 16
		| (uint64_t) h[10] << 24) : 0;
	off += hsize + add;
    }
    return 0;
}

int     rar_check(FILES *f, int fd, uint64_t size)
{
    unsigned char sig[8];

    if (spool_pread(fd, sig, 8, 0) != 8)
	return 0;
    if (memcmp(sig, "Rar!\032\007\001\000", 8) == 0)
	return rar5(f, fd, size);
    if (memcmp(sig, "Rar!\032\007\000", 7) == 0)
	return rar4(f, fd, size);
    return 0;
}
