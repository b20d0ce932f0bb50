/*
 * container.c - archives and compressed files through libarchive: zip
 * (zip64, data descriptors, ZipCrypto and AES flagged as encrypted), 7z,
 * rar 4 and 5, tar, cab, ISO 9660/UDF, and gzip/bzip2/xz/zstd single
 * files (libarchive's raw format) and their combinations.
 *
 * Only library decoders are enabled: support_filter_all() would also run
 * external programs (lrzip, lzop...) on attacker data.  Every byte read
 * out counts against the expansion and ratio limits; a member is read
 * only as far as the rules need, and where skipping it would make
 * libarchive decompress it unseen (solid 7z, compressed tar) it is read
 * through here, counted, instead.  The LZMA decoders libarchive starts
 * are held to limits.max_archive_dictionary (lzmaguard.c); a refusal is
 * that limit, not an unreadable file.
 */
#include <config.h>

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "files_int.h"
#include "lzmaguard.h"
#include "spool.h"
#include "mymalloc.h"

/* raw: a compressed single file.  Its content may look like a tar (an
 * all-zero block is a complete empty tar to libarchive), so when the tar
 * reading finds nothing the walk is redone with the raw format alone. */
enum { R_ARCHIVE, R_COMPRESSED, R_RAW_ONLY };

static struct archive *reader(int mode)
{
    struct archive *a = archive_read_new();

    archive_read_support_filter_gzip(a);
    archive_read_support_filter_bzip2(a);
    archive_read_support_filter_xz(a);
    archive_read_support_filter_lzma(a);
    archive_read_support_filter_zstd(a);
    if (mode != R_RAW_ONLY) {
	archive_read_support_format_zip(a);
	archive_read_support_format_7zip(a);
	archive_read_support_format_rar(a);
	archive_read_support_format_rar5(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_cab(a);
	archive_read_support_format_iso9660(a);
    }
    if (mode != R_ARCHIVE)
	archive_read_support_format_raw(a);
    return a;
}

/* Skipping costs a seek, not a decompression. */
static int cheap_skip(struct archive *a)
{
    int     fmt = archive_format(a) & ARCHIVE_FORMAT_BASE_MASK;

    return archive_filter_code(a, 0) == ARCHIVE_FILTER_NONE
	&& (fmt == ARCHIVE_FORMAT_ZIP || fmt == ARCHIVE_FORMAT_ISO9660
	    || fmt == ARCHIVE_FORMAT_TAR);
}

/* A compressed single file has no name of its own (or gzip's): the
 * container's name without its suffix, as a recipient's unpacker does. */
static void raw_name(const char *outer, const char *given, char *out,
		             size_t size)
{
    const char *dot;

    if (given && *given && strcmp(given, "data") != 0) {
	snprintf(out, size, "%s", given);
	return;
    }
    snprintf(out, size, "%s", outer);
    if ((dot = strrchr(out, '.')) != NULL && strchr(dot, '/') == NULL)
	out[dot - out] = 0;
}

/* libarchive failed: over the dictionary limit, or unreadable. */
static void read_failed(FILES *f, struct archive *a)
{
    if (lzma_guard_refused())
	files_limit(f, "archive_dictionary");
    else
	files_flag(f, FF_UNREADABLE, archive_error_string(a));
}

/* Read one member as far as wanted; returns 0, or -1 to stop the walk. */
static int read_member(FILES *f, int d, struct archive *a, uint64_t *total,
		               uint64_t csize)
{
    la_ssize_t n;
    int     skip = cheap_skip(a);

    for (;;) {
	if (!ent_wants(f, d + 1) && skip)
	    return 0;
	n = archive_read_data(a, f->buf, FILE_CHUNK);
	if (n == 0) {
	    f->ent[d + 1].all = 1;
	    return 0;
	}
	if (n < 0) {
	    read_failed(f, a);
	    return -1;
	}
	if (files_expand(f, (uint64_t) n, total, csize) < 0)
	    return -1;
	if (ent_wants(f, d + 1))
	    ent_data(f, d + 1, f->buf, (size_t) n);
    }
}

static int entry_ok(FILES *f, struct archive *a, int r)
{
    if (r == ARCHIVE_OK || r == ARCHIVE_WARN)
	return 1;
    if (r == ARCHIVE_EOF)
	return 0;
    /* 7z with encrypted headers, rar5 encryption: the names are hidden
     * too; that is encrypted, not unreadable. */
    if (archive_read_has_encrypted_entries(a) > 0)
	files_flag(f, FF_ENCRYPTED, NULL);
    else
	read_failed(f, a);
    return 0;
}

/* One pass; returns the number of entries seen, or -1 if it could not
 * be opened. */
static int walk(FILES *f, int d, int fd, uint64_t csize, int mode)
{
    const ENT *outer = &f->ent[d];
    struct archive *a = reader(mode);
    struct archive_entry *ae;
    uint64_t total = 0;
    char    name[FILE_PATH_MAX];
    const char *pn;
    int     r, enc, entries = 0;

    lzma_guard_enter(f->lim->max_archive_dictionary);
    if (lseek(fd, 0, SEEK_SET) < 0
	|| archive_read_open_fd(a, fd, FILE_CHUNK) != ARCHIVE_OK) {
	read_failed(f, a);
	archive_read_free(a);
	lzma_guard_leave();
	return -1;
    }
    while (entry_ok(f, a, archive_read_next_header(a, &ae))) {
	entries++;
	if (archive_entry_filetype(ae) != AE_IFREG && archive_entry_filetype(ae))
	    continue;				/* directories, links */
	if (files_member(f) < 0)
	    break;
	if ((pn = archive_entry_pathname_utf8(ae)) == NULL)
	    pn = archive_entry_pathname(ae);
	if (mode != R_ARCHIVE && archive_format(a) == ARCHIVE_FORMAT_RAW)
	    raw_name(outer->name, pn, name, sizeof(name));
	else
	    snprintf(name, sizeof(name), "%s", pn ? pn : "");
	ent_begin(f, d + 1, name);
	if (archive_entry_size_is_set(ae) && archive_entry_size(ae) >= 0) {
	    ent_declared(f, d + 1, (uint64_t) archive_entry_size(ae));
	    if (files_ratio_bad(f, (uint64_t) archive_entry_size(ae), csize))
		files_limit(f, "archive_ratio");
	}
	enc = archive_entry_is_data_encrypted(ae)
	    || archive_entry_is_metadata_encrypted(ae);
	if (enc)
	    files_flag(f, FF_ENCRYPTED, NULL);
	r = enc || f->limit ? 0 : read_member(f, d, a, &total, csize);
	ent_end(f, d + 1);
	if (r < 0 || f->limit)
	    break;
    }
    archive_read_free(a);
    lzma_guard_leave();
    return entries;
}

void    container_walk(FILES *f, int d, int fd, uint64_t csize)
{
    unsigned char sig[4];

    /* A zip that fails the directory check is unreadable, and is still
     * read as far as libarchive can: some tools extract what they find. */
    if (spool_pread(fd, sig, 4, 0) == 4 && memcmp(sig, "PK", 2) == 0
	&& zip_check(f, fd, csize) < 0 && f->limit)
	return;
    if (rar_check(f, fd, csize))
	return;
    int     compressed = f->ent[d].kind == FK_COMPRESSED;

    if (walk(f, d, fd, csize, compressed ? R_COMPRESSED : R_ARCHIVE) == 0
	&& compressed && !(f->flags & FF_UNREADABLE))
	(void) walk(f, d, fd, csize, R_RAW_ONLY);
}
