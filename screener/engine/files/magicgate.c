/*
 * magicgate.c - the signatures without which libmagic cannot name a file
 * one of the types of the extension table (filetype.c), so that a file
 * with none of the watched ones is not looked up.
 *
 * A libmagic lookup of a file it does not know costs ~0.3 ms (it tries
 * every entry of its database), text and random data included; a rule
 * set that blocks MSI and LNK files would pay that for every text file
 * inside every zip.  libmagic names a file T only when an entry carrying
 * "!:mime T" matches, and an entry matches only when its top-level test
 * does (for a named entry: the top-level test of each entry that uses
 * it), or when a built-in reader names it (readcdf.c: the CDF header),
 * or through an entry that runs the database again further into the
 * file ("indirect": those pass whatever is watched).
 * The rows below are those top-level tests, taken from file 5.44's
 * Magdir (tools/magic-roots.py prints them; the file:line of each is
 * given), widened where our own signature check (filetype.c own_type(),
 * which may replace libmagic's name) is broader, so that a file one of
 * them could name T always reaches libmagic.  The rule outcomes are
 * therefore the same as with a lookup for every file.
 *
 * Another libmagic version may name other files T: then the gate stays
 * open.  A type whose entries need no signature (zip: "-2 uleshort 0";
 * tar: its checksum) opens it too, as do globs and types not listed.
 */
#include <config.h>

#include <magic.h>
#include <string.h>
#include <strings.h>

#include "filetype.h"
#include "magicgate.h"

#define GATE_MAGIC_VERSION 544    /* the database the rows come from */

typedef struct GATE_SIG {
    size_t  off;                  /* first offset it may start at */
    size_t  span;                 /* offsets it may start at (search/N) */
    size_t  len;
    const char *bytes;
} GATE_SIG;

#define SIG(off, s) {off, 1, sizeof(s) - 1, s}
#define END {0, 0, 0, NULL}

static const GATE_SIG sig_mz[] = {SIG(0, "MZ"), END};    /* msdos:53 */
static const GATE_SIG sig_dosexec[] = {
    SIG(0, "MZ"), SIG(0, "\x8c"), SIG(0, "\xeb"), SIG(0, "\xe9"),
    SIG(0, "\xb8"), SIG(0, "\x81\xfc"),   /* msdos:852-1100, COM */
    SIG(252, "Must have DOS version"),    /* msdos:1120 */
    SIG(2, "\xcd\x21"), SIG(4, "\xcd\x21"), SIG(5, "\xcd\x21"),
    SIG(7, "\xcd\x21"), SIG(10, "\xcd\x21"), SIG(13, "\xcd\x21"),
    SIG(18, "\xcd\x21"), SIG(23, "\xcd\x21"), SIG(30, "\xcd\x21"),
    SIG(70, "\xcd\x21"),                  /* msdos:1126-1168 */
    {6, 11, 5, "\xfc\x57\xf3\xa5\xc3"}, {6, 11, 5, "\xfc\x57\xf3\xa4\xc3"},
    SIG(0x3c, "W Collis\0\0"),            /* msdos:1179 */
    SIG(0x171, "MICROSOFT PIFEX\0"),      /* msdos:1652 */
END};
static const GATE_SIG sig_cdf[] = {      /* ole2compounddocs:9, readcdf.c */
    SIG(0, "\320\317\021\340\241\261\032\341"), END};
static const GATE_SIG sig_lnk[] = {      /* windows:493 (its first 8) */
    SIG(0, "L\0\0\0\001\024\002\0"), END};
static const GATE_SIG sig_cab[] = {SIG(0, "MSCF\0\0\0\0"), END};
static const GATE_SIG sig_iso[] = {      /* filesystems:1958-1981 */
    SIG(32769, "CD001"), SIG(34817, "CD001"), SIG(37633, "CD001"),
SIG(339969, "CD001"), END};
static const GATE_SIG sig_udf[] = {      /* own_type() only */
    SIG(32769, "CD001"), SIG(32769, "BEA01"), SIG(32769, "NSR02"),
SIG(32769, "NSR03"), END};
static const GATE_SIG sig_pk[] = {SIG(0, "PK\003\004"), END};
static const GATE_SIG sig_elf[] = {SIG(0, "\177ELF"), END};  /* elf:341 */
static const GATE_SIG sig_object[] = {   /* + xenix:20 */
SIG(0, "\177ELF"), SIG(0, "\x80"), END};
static const GATE_SIG sig_7z[] = {SIG(0, "7z\274\257\047\034"), END};
static const GATE_SIG sig_rar[] = {      /* archive:1474-1492 */
SIG(0, "Rar!\032\007"), SIG(0, "RE\x7e\x5e"), END};
static const GATE_SIG sig_gz[] = {SIG(0, "\037\213"), END};
static const GATE_SIG sig_bz2[] = {SIG(0, "BZh"), END};
static const GATE_SIG sig_xz[] = {SIG(0, "\3757zXZ\0"), END};
static const GATE_SIG sig_lzma[] = {SIG(0, "\x5d"), END};    /* compress:273 */
static const GATE_SIG sig_zstd[] = {     /* compress:334-353 */
    SIG(0, "\x22\xb5\x2f\xfd"), SIG(0, "\x23\xb5\x2f\xfd"),
    SIG(0, "\x24\xb5\x2f\xfd"), SIG(0, "\x25\xb5\x2f\xfd"),
    SIG(0, "\x26\xb5\x2f\xfd"), SIG(0, "\x27\xb5\x2f\xfd"),
SIG(0, "\x28\xb5\x2f\xfd"), END};
static const GATE_SIG sig_tnef[] = {SIG(0, "\x78\x9f\x3e\x22"), END};
static const GATE_SIG sig_none[] = {END};  /* libmagic never names it */

/* Entries that run the whole database again at an offset ("indirect":
 * a type found there may be named), each by a test it needs. */
static const GATE_SIG sig_indirect[] = {
    {1, 48, 8, "SZDD\x88\xf0\x27\x33"},    /* archive:735 */
    SIG(0, "xar!"), SIG(0, "\xfe\xef"),      /* archive:1992, 2083 */
    SIG(0, "ID3"), SIG(0, "AUDIMG"),          /* audio:301, 840 */
    SIG(0, "\xca\xfe\xba\xbe"),              /* cafebabe:87 */
    SIG(1, "\x2a\x4d\x18"),                   /* compress:308 */
    SIG(0, "SBMBAKUP_"), SIG(0, "DOSEMU\0"), SIG(0, "PNCIHISK\0"),
    SIG(0, "ClamAV-VDB:"), SIG(0, "PACK"), SIG(0, "BA"),
    SIG(0, "\xb1\x68\xde\x3a"), SIG(0, "IIO2H"),   /* images:2140, 2454 */
    SIG(0, "\xff\xd8\xff"),                   /* jpeg:12, 17 */
    SIG(0, "\0"),                             /* macintosh:108, msdos:1517 */
    SIG(0, "KpGr"), SIG(0x52, "\0"),          /* map:322, msdos:2164 */
    SIG(0, "\320\317\021\340\241\261\032\341"), SIG(0, "PSDB\0"),
    SIG(1, "\0\0\0"),                        /* tplink:10 (ulelong < 3) */
    SIG(0, "$SDI"), SIG(0, "1giM"),           /* windows:172, 1354 */
END};

static const struct {
    const char *type;
    const GATE_SIG *sigs;
} gate_table[] = {                       /* sigs NULL: no signature needed */
    {"application/vnd.microsoft.portable-executable", sig_mz},
    {"application/x-dosexec", sig_dosexec},
    {"application/x-msdownload", sig_none},
    {"application/x-msi", sig_cdf},
    {"application/vnd.ms-msi", sig_cdf},
    {"application/x-ole-storage", sig_cdf},
    {"application/x-ms-shortcut", sig_lnk},
    {"application/vnd.ms-cab-compressed", sig_cab},
    {"application/x-iso9660-image", sig_iso},
    {"application/x-udf-image", sig_udf},
    {"application/java-archive", sig_pk},
    {"application/x-java-archive", sig_none},
    {"application/x-executable", sig_elf},
    {"application/x-pie-executable", sig_none},
    {"application/x-sharedlib", sig_elf},
    {"application/x-object", sig_object},
    {"application/x-coredump", sig_elf},
    {"application/zip", NULL},
    {"application/x-7z-compressed", sig_7z},
    {"application/x-rar", sig_rar},
    {"application/vnd.rar", sig_none},
    {"application/x-rar-compressed", sig_none},
    {"application/gzip", sig_gz},
    {"application/x-gzip", sig_gz},
    {"application/x-bzip2", sig_bz2},
    {"application/x-xz", sig_xz},
    {"application/x-lzma", sig_lzma},
    {"application/zstd", sig_zstd},
    {"application/x-tar", NULL},
    {"application/vnd.ms-tnef", sig_tnef},
};

#define GATE_ROWS (sizeof(gate_table) / sizeof(gate_table[0]))

void    magic_gate_init(MAGIC_GATE *g)
{
    g->open = magic_version() != GATE_MAGIC_VERSION;
    g->watch = 0;
}

static void watch_row(MAGIC_GATE *g, size_t i)
{
    if (gate_table[i].sigs == NULL)
	g->open = 1;
    g->watch |= (uint64_t) 1 << i;
}

void    magic_gate_type(MAGIC_GATE *g, const char *pattern)
{
    const char *alias;
    size_t  i;
    int     known = 0;

    if (strpbrk(pattern, "*?[\\") != NULL) {
	g->open = 1;
	return;
    }
    /* The type itself, and the types a rule sees it in as their alias. */
    for (i = 0; i < GATE_ROWS; i++)
	if (strcasecmp(gate_table[i].type, pattern) == 0
	    || ((alias = filetype_alias(gate_table[i].type)) != NULL
		&& strcasecmp(alias, pattern) == 0)) {
	    watch_row(g, i);
	    known = 1;
	}
    if (!known)
	g->open = 1;
}

void    magic_gate_ext(MAGIC_GATE *g, const char *ext)
{
    const char *implied;
    size_t  i;

    for (i = 0; i < GATE_ROWS; i++)
	if ((implied = filetype_ext(gate_table[i].type)) != NULL
	    && strcasecmp(implied, ext) == 0)
	    watch_row(g, i);
}

static int sig_in(const GATE_SIG *s, const unsigned char *h, size_t n)
{
    size_t  at;

    for (at = s->off; at < s->off + s->span && at + s->len <= n; at++)
	if (memcmp(h + at, s->bytes, s->len) == 0)
	    return 1;
    return 0;
}

static int any_sig(const GATE_SIG *s, const unsigned char *h, size_t n)
{
    for (; s->bytes; s++)
	if (sig_in(s, h, n))
	    return 1;
    return 0;
}

int     magic_gate_pass(const MAGIC_GATE *g, const unsigned char *head,
			        size_t n)
{
    size_t  i;

    if (g->open)
	return 1;
    if (g->watch == 0)
	return 0;
    if (any_sig(sig_indirect, head, n))
	return 1;
    for (i = 0; i < GATE_ROWS; i++)
	if ((g->watch & ((uint64_t) 1 << i)) && any_sig(gate_table[i].sigs, head, n))
	    return 1;
    return 0;
}
