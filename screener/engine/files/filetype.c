/*
 * filetype.c - file kinds from signatures, MIME types from libmagic, and
 * the documented table of extensions that detected types imply.
 *
 * libmagic handles are not thread-safe.  The rule set holds one handle,
 * loaded when the rule set is (so a missing database is a config error,
 * not a per-message one), used under a mutex, so that one database image
 * is shared instead of one per milter thread.  A lookup costs 0.04 ms
 * (an ELF) to 0.3 ms (text, random data: every entry is tried), so a
 * file is looked up only when a rule could see the answer (magicgate.c).
 */
#include <config.h>

#include <magic.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "files_limits.h"
#include "filetype.h"
#include "magicgate.h"
#include "mymalloc.h"

struct FILES_CONF {
    unsigned needs;
    magic_t magic;                /* NULL: the rules need no types */
    MAGIC_GATE gate;              /* which files libmagic is asked about */
    pthread_mutex_t lock;         /* magic, lookups */
    unsigned long lookups;
};

static int at(const unsigned char *h, size_t n, size_t off, const char *sig,
	              size_t len);
static int iso_at(const unsigned char *h, size_t n, size_t off);
static int lzma_alone_at(const unsigned char *h, size_t n);

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
    {"application/x-lzma", "lzma", NULL},
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

const char *filetype_alias(const char *dtype)
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
    magic_gate_init(&fc->gate);
    pthread_mutex_init(&fc->lock, NULL);
    if (!(needs & FN_MAGIC))
	return fc;
    /* No decompression (the containers are ours to open, bounded), no
     * text encoding guess (the MIME type is all we want), and no text
     * classification unless a rule asks for text types: it costs 1 ms
     * per 4 KB of text, five times a binary lookup (bench/engine_bench),
     * and no implied extension comes from it.  Scripts (#!) are still
     * named by their magic. */
    fc->magic = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS
			   | MAGIC_NO_CHECK_ENCODING | MAGIC_ERROR
			   | (needs & FN_TEXT_TYPES ? 0 : MAGIC_NO_CHECK_TEXT));
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

void    files_conf_watch_type(FILES_CONF *fc, const char *pattern)
{
    magic_gate_type(&fc->gate, pattern);
}

void    files_conf_watch_ext(FILES_CONF *fc, const char *ext)
{
    magic_gate_ext(&fc->gate, ext);
}

unsigned long files_conf_lookups(FILES_CONF *fc)
{
    unsigned long n;

    pthread_mutex_lock(&fc->lock);
    n = fc->lookups;
    pthread_mutex_unlock(&fc->lock);
    return n;
}

/* The types of the table (and a few that must not imply one) from
 * signatures: cheap, exact, and what decides the implied extensions when
 * no rule needs libmagic's names (a libmagic lookup of an unknown binary
 * costs ~0.8 ms).  NULL: none of these. */
static const char *own_type(const unsigned char *h, size_t n)
{
    static const unsigned char msi[16] = {0x84, 0x10, 0x0c, 0x00, 0, 0, 0,
    0, 0xc0, 0, 0, 0, 0, 0, 0, 0x46};
    uint32_t pe;

    /* MZ and a whole DOS header: a PE where e_lfanew points at "PE",
     * else a DOS program when its relocation table starts inside the
     * header (as libmagic decides); two letters alone are text. */
    if (at(h, n, 0, "MZ", 2) && n >= 0x40) {
	pe = (uint32_t) h[0x3c] | (uint32_t) h[0x3d] << 8
	    | (uint32_t) h[0x3e] << 16 | (uint32_t) h[0x3f] << 24;
	if (pe >= 0x40 && at(h, n, pe, "PE\0\0", 4))
	    return "application/vnd.microsoft.portable-executable";
	if (((uint32_t) h[0x18] | (uint32_t) h[0x19] << 8) < 0x40)
	    return "application/x-dosexec";
    }
    if (at(h, n, 0, "\177ELF", 4))
	return n > 16 && h[16] == 1 ? "application/x-object"
	    : n > 16 && h[16] == 3 ? "application/x-sharedlib"
	    : n > 16 && h[16] == 4 ? "application/x-coredump"
	    : "application/x-executable";
    if (at(h, n, 0, "L\0\0\0\001\024\002\0", 8))
	return "application/x-ms-shortcut";
    if (at(h, n, 0, "MSCF\0\0\0\0", 8))
	return "application/vnd.ms-cab-compressed";
    if (at(h, n, 0, "\320\317\021\340\241\261\032\341", 8)) {
	/* MSI: the root entry's class id, {000C1084-...-46} (and the
	 * patch and transform ids 1086, 1082), in the first directory
	 * sector */
	uint64_t ds = n >= 52 ? (uint64_t) h[48] | (uint64_t) h[49] << 8
	    | (uint64_t) h[50] << 16 | (uint64_t) h[51] << 24 : 0;
	uint64_t off = (ds + 1) * (n > 30 && h[30] == 12 ? 4096 : 512) + 0x50;

	if (off + 16 <= n && memcmp(h + off + 1, msi + 1, 15) == 0
	    && (h[off] == 0x84 || h[off] == 0x86 || h[off] == 0x82))
	    return "application/x-msi";
	return "application/x-ole-storage";
    }
    if (at(h, n, 0, "PK\003\004", 4)) {
	if (at(h, n, 30, "META-INF/", 9))
	    return "application/java-archive";
	if (at(h, n, 30, "[Content_Types].xml", 19) || at(h, n, 30, "_rels/", 6)
	    || at(h, n, 30, "mimetype", 8))
	    return "application/vnd.openxmlformats-officedocument";
	return "application/zip";
    }
    if (at(h, n, 0, "7z\274\257\047\034", 6))
	return "application/x-7z-compressed";
    if (at(h, n, 0, "Rar!\032\007", 6))
	return "application/x-rar";
    if (at(h, n, 0, "\037\213", 2))
	return "application/gzip";
    if (at(h, n, 0, "BZh", 3))
	return "application/x-bzip2";
    if (at(h, n, 0, "\375" "7zXZ\0", 6))
	return "application/x-xz";
    if (at(h, n, 0, "\050\265\057\375", 4))
	return "application/zstd";
    if (lzma_alone_at(h, n))
	return "application/x-lzma";
    if (at(h, n, 257, "ustar", 5))
	return "application/x-tar";
    if (at(h, n, 0, "\170\237\076\042", 4))
	return "application/vnd.ms-tnef";
    if (at(h, n, 32769, "CD001", 5) || at(h, n, 34817, "CD001", 5))
	return "application/x-iso9660-image";
    if (iso_at(h, n, 32769))
	return "application/x-udf-image";
    return NULL;
}

void    filetype_detect(FILES_CONF *fc, const unsigned char *head, size_t n,
			        int exact, char *out, size_t outsize,
			        const char **alias)
{
    const char *t = NULL;
    size_t  i;

    out[0] = 0;
    *alias = NULL;
    if (fc == NULL || !(fc->needs & FN_TYPES) || n == 0)
	return;
    if (fc->magic == NULL) {
	if ((t = own_type(head, n)) != NULL)
	    snprintf(out, outsize, "%s", t);
	*alias = filetype_alias(out);
	return;
    }
    /* Where no rule could see libmagic's name (magicgate.c), no lookup:
     * the file goes on as one libmagic names nothing in the table. */
    if (exact || magic_gate_pass(&fc->gate, head, n)) {
	pthread_mutex_lock(&fc->lock);
	fc->lookups++;
	t = magic_buffer(fc->magic, head, n);
	if (t)
	    snprintf(out, outsize, "%s", t);
	pthread_mutex_unlock(&fc->lock);
    }
    /* Without text classification, text reads as octet-stream: unknown. */
    if (!(fc->needs & FN_TEXT_TYPES)
	&& strcmp(out, "application/octet-stream") == 0
	&& memchr(head, 0, n) == NULL)
	out[0] = 0;
    for (i = 0; out[i]; i++)
	if (out[i] >= 'A' && out[i] <= 'Z')
	    out[i] = (char) (out[i] + 32);
    /* libmagic gives up on some (an MSI whose summary it cannot parse is
     * "application/cdfv2"): the signature table's exact name wins over a
     * name that implies nothing. */
    if (filetype_ext(out) == NULL && (t = own_type(head, n)) != NULL
	&& filetype_ext(t) != NULL)
	snprintf(out, outsize, "%s", t);
    *alias = filetype_alias(out);
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

/* A legacy .lzma header (lzma_alone: 7-Zip and WinRAR open it) as the
 * tools write it: properties lc=3 lp=0 pb=2, a power-of-two dictionary
 * of 4K to 1G, an unknown size or one below 2^48. */
static int lzma_alone_at(const unsigned char *h, size_t n)
{
    uint32_t dict;

    if (n < 13 || h[0] != 0x5d)
	return 0;
    dict = (uint32_t) h[1] | (uint32_t) h[2] << 8 | (uint32_t) h[3] << 16
	| (uint32_t) h[4] << 24;
    if (dict < 4096 || dict > (1U << 30) || (dict & (dict - 1)) != 0)
	return 0;
    return at(h, n, 5, "\377\377\377\377\377\377\377\377", 8)
	|| (h[11] == 0 && h[12] == 0);
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
	|| at(h, n, 0, "\375" "7zXZ\0", 6) || at(h, n, 0, "\050\265\057\375", 4)
	|| lzma_alone_at(h, n))
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
