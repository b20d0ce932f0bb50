/*
 * filetype.c - file kinds from signatures, MIME types from libmagic, and
 * the documented table of extensions that detected types imply.
 *
 * libmagic handles are not thread-safe.  The rule set holds one handle,
 * loaded when the rule set is (so a missing database is a config error,
 * not a per-message one), used under a mutex: a lookup on FILE_HEAD_MAX
 * bytes costs tens of microseconds, far below a message's other costs
 * (bench/run-engine-bench measures it), and one database image is shared
 * instead of one per milter thread.
 */
#include <config.h>

#include <magic.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "files_limits.h"
#include "filetype.h"
#include "mymalloc.h"

struct FILES_CONF {
    unsigned needs;
    magic_t magic;                /* NULL: the rules need no types */
    pthread_mutex_t lock;
};

/* Detected type -> the extension it implies (screener.conf(5) lists it).
 * A rule on "exe" fires on an MZ file whatever its name. */
static const struct {
    const char *type, *ext, *alias;
} type_table[] = {
    {"application/vnd.microsoft.portable-executable", "exe",
    "application/x-dosexec"},
    {"application/x-dosexec", "exe", NULL},
    {"application/x-msdownload", "exe", "application/x-dosexec"},
    {"application/x-msi", "msi", NULL},
    {"application/vnd.ms-msi", "msi", "application/x-msi"},
    {"application/x-ms-shortcut", "lnk", NULL},
    {"application/vnd.ms-cab-compressed", "cab", NULL},
    {"application/x-iso9660-image", "iso", NULL},
    {"application/x-udf-image", "iso", NULL},
    {"application/java-archive", "jar", NULL},
    {"application/x-java-archive", "jar", "application/java-archive"},
    {"application/x-executable", "elf", NULL},
    {"application/x-pie-executable", "elf", NULL},
    {"application/x-sharedlib", "elf", NULL},
    {"application/x-object", "elf", NULL},
    {"application/x-coredump", "elf", NULL},
    {"application/zip", "zip", NULL},
    {"application/x-7z-compressed", "7z", NULL},
    {"application/x-rar", "rar", "application/vnd.rar"},
    {"application/vnd.rar", "rar", "application/x-rar"},
    {"application/x-rar-compressed", "rar", "application/x-rar"},
    {"application/gzip", "gz", NULL},
    {"application/x-gzip", "gz", "application/gzip"},
    {"application/x-bzip2", "bz2", NULL},
    {"application/x-xz", "xz", NULL},
    {"application/zstd", "zst", NULL},
    {"application/x-tar", "tar", NULL},
    {NULL, NULL, NULL},
};

const char *filetype_ext(const char *dtype)
{
    size_t  i;

    for (i = 0; type_table[i].type; i++)
	if (strcmp(type_table[i].type, dtype) == 0)
	    return type_table[i].ext;
    return NULL;
}

static const char *type_alias(const char *dtype)
{
    size_t  i;

    for (i = 0; type_table[i].type; i++)
	if (strcmp(type_table[i].type, dtype) == 0)
	    return type_table[i].alias;
    return NULL;
}

FILES_CONF *files_conf_new(unsigned needs, char *err, size_t errsize)
{
    FILES_CONF *fc = mycalloc(1, sizeof(*fc));

    fc->needs = needs;
    pthread_mutex_init(&fc->lock, NULL);
    if (!(needs & FN_TYPES))
	return fc;
    /* No decompression (the containers are ours to open, bounded), no
     * text encoding guess (the MIME type is all we want). */
    fc->magic = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS
			   | MAGIC_NO_CHECK_ENCODING | MAGIC_ERROR);
    if (fc->magic == NULL || magic_load(fc->magic, NULL) != 0) {
	snprintf(err, errsize, "cannot load the libmagic database: %s",
		 fc->magic && magic_error(fc->magic) ? magic_error(fc->magic)
		 : "out of memory");
	files_conf_free(fc);
	return NULL;
    }
    return fc;
}

void    files_conf_free(FILES_CONF *fc)
{
    if (fc == NULL)
	return;
    if (fc->magic)
	magic_close(fc->magic);
    pthread_mutex_destroy(&fc->lock);
    myfree(fc);
}

unsigned files_conf_needs(const FILES_CONF *fc)
{
    return fc ? fc->needs : 0;
}

void    filetype_detect(FILES_CONF *fc, const unsigned char *head, size_t n,
			        char *out, size_t outsize, const char **alias)
{
    const char *t = NULL;
    size_t  i;

    out[0] = 0;
    *alias = NULL;
    if (fc == NULL || fc->magic == NULL || n == 0)
	return;
    pthread_mutex_lock(&fc->lock);
    t = magic_buffer(fc->magic, head, n);
    if (t)
	snprintf(out, outsize, "%s", t);
    pthread_mutex_unlock(&fc->lock);
    for (i = 0; out[i]; i++)
	if (out[i] >= 'A' && out[i] <= 'Z')
	    out[i] = (char) (out[i] + 32);
    *alias = type_alias(out);
}

/* Signatures. */

static int at(const unsigned char *h, size_t n, size_t off, const char *sig,
	              size_t len)
{
    return n >= off + len && memcmp(h + off, sig, len) == 0;
}

static int iso_at(const unsigned char *h, size_t n, size_t off)
{
    return at(h, n, off, "CD001", 5) || at(h, n, off, "BEA01", 5)
	|| at(h, n, off, "NSR02", 5) || at(h, n, off, "NSR03", 5);
}

FKIND   filetype_sniff(const unsigned char *h, size_t n)
{
    size_t  i;

    if (at(h, n, 0, "PK\003\004", 4) || at(h, n, 0, "PK\005\006", 4)
	|| at(h, n, 0, "PK\007\010", 4)
	|| at(h, n, 0, "7z\274\257\047\034", 6)
	|| at(h, n, 0, "Rar!\032\007", 6)
	|| at(h, n, 0, "MSCF\0\0\0\0", 8)
	|| at(h, n, 257, "ustar", 5))
	return FK_ARCHIVE;
    if (at(h, n, 0, "\037\213", 2) || at(h, n, 0, "BZh", 3)
	|| at(h, n, 0, "\375" "7zXZ\0", 6) || at(h, n, 0, "\050\265\057\375", 4))
	return FK_COMPRESSED;
    if (at(h, n, 0, "\170\237\076\042", 4))
	return FK_TNEF;
    if (at(h, n, 0, "\320\317\021\340\241\261\032\341", 8))
	return FK_OLE;
    for (i = 0; i < 1024 && i + 5 <= n; i++)
	if (h[i] == '%' && memcmp(h + i, "%PDF-", 5) == 0)
	    return FK_PDF;
    if (iso_at(h, n, 32769) || iso_at(h, n, 34817) || iso_at(h, n, 36865))
	return FK_ARCHIVE;
    return FK_NONE;
}

int     filetype_sniff_done(size_t n, int long_head)
{
    return n >= (long_head ? FILE_HEAD_MAX : FILE_HEAD_SNIFF);
}
