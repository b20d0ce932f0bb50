/*
 * magic_gate.c - skipping libmagic (magicgate.c) never changes what a
 * rule sees: for every type of the extension table, watched alone (a
 * detected_types rule naming it) and through the extension it implies
 * (an extensions rule), the gated lookup and the full one agree on
 * whether the rule matches, over heads of every format the table knows,
 * their truncations and one-byte mutations, text and random data.  And
 * the gate does skip: a rule set watching MSI and LNK looks nothing up
 * for text or (nearly any) random data, one with a glob looks up
 * everything.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "files.h"
#include "filetype.h"
#include "msg.h"
#include "tap.h"

#define HEAD 40960

typedef struct SAMPLE {
    const char *what;
    unsigned char *p;
    size_t  n;
} SAMPLE;

static SAMPLE samples[4096];
static size_t nsamples;

static unsigned long rnd_state = 4242;

static unsigned rnd(unsigned n)
{
    rnd_state = rnd_state * 6364136223846793005UL + 1442695040888963407UL;
    return (unsigned) (rnd_state >> 33) % n;
}

static void add(const char *what, const void *p, size_t n)
{
    SAMPLE *s = &samples[nsamples++];

    s->what = what;
    s->p = malloc(n ? n : 1);
    memcpy(s->p, p, n);
    s->n = n;
}

/* A head: sig at off in a buffer of n bytes of filler (0 or random). */
static void add_sig(const char *what, size_t off, const void *sig,
		            size_t len, size_t n, int random_fill)
{
    unsigned char *b = calloc(1, n);
    size_t  i;

    if (random_fill)
	for (i = 0; i < n; i++)
	    b[i] = (unsigned char) rnd(256);
    memcpy(b + off, sig, len);
    add(what, b, n);
    free(b);
}

static void make_samples(void)
{
    static const unsigned char pe[] = "MZ\x90\0\3\0\0\0\4\0\0\0\xff\xff";
    static const unsigned char cdf[] = "\320\317\021\340\241\261\032\341";
    static const unsigned char lnk[] = "L\0\0\0\001\024\002\0\0\0\0\0\300\0\0\0\0\0\0F";
    static const struct {
	const char *what;
	size_t  off;
	const char *sig;
	size_t  len;
    } sigs[] = {
	{"com e9", 0, "\xe9\x10\x01", 3}, {"com cd21", 7, "\xcd\x21", 2},
	{"cab", 0, "MSCF\0\0\0\0", 8}, {"iso", 32769, "CD001", 5},
	{"udf", 32769, "NSR02", 5}, {"zip", 0, "PK\003\004\024\0\0\0", 8},
	{"jar", 0, "PK\003\004\024\0\0\0\010\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
	"\011\0\0\0META-INF/", 39},
	{"ooxml", 0, "PK\003\004\024\0\0\0\010\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
	"\0\0\023\0\0\0[Content_Types].xml", 49},
	{"elf", 0, "\177ELF\002\001\001\0\0\0\0\0\0\0\0\0\002\0>\0", 20},
	{"elf so", 0, "\177ELF\002\001\001\0\0\0\0\0\0\0\0\0\003\0>\0", 20},
	{"7z", 0, "7z\274\257\047\034\0\004", 8},
	{"rar4", 0, "Rar!\032\007\0", 7}, {"rar5", 0, "Rar!\032\007\001\0", 8},
	{"gz", 0, "\037\213\010\0\0\0\0\0\0\003", 10},
	{"bz2", 0, "BZh91AY&SY", 10}, {"xz", 0, "\3757zXZ\0\0\004", 8},
	{"lzma", 0, "\x5d\0\0\x80\0\xff\xff\xff\xff\xff\xff\xff\xff", 13},
	{"zstd", 0, "\x28\xb5\x2f\xfd\x04\x00", 6},
	{"tar", 257, "ustar\00000", 8}, {"tnef", 0, "\x78\x9f\x3e\x22\0\0", 6},
	{"pdf", 0, "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", 15},
	{"png", 0, "\x89PNG\r\n\032\n", 8},
	/* entries that look again further in ("indirect") at an MZ */
	{"jpeg+mz", 0, "\xff\xd8\xff\xe0\0\020JFIF\0\001MZ\x90\0", 16},
	{"os2 array+mz", 0, "BA\034\0\0\0\0\0\0\0\0\0\0\0MZ\x90\0", 19},
	{"xar", 0, "xar!\0\034\0\001", 8},
    };
    unsigned char pebuf[512] = {0}, msi[4096] = {0}, b[HEAD];
    static const char text[] = "Dear team,\r\nplease find the quarterly "
	"report attached.\r\nRegards\r\n";
    size_t  i, k, n, base;

    /* A PE (e_lfanew at 0x80), a DOS program, an MSI (root CLSID). */
    memcpy(pebuf, pe, sizeof(pe) - 1);
    pebuf[0x3c] = 0x80;
    memcpy(pebuf + 0x80, "PE\0\0", 4);
    add("pe", pebuf, sizeof(pebuf));
    pebuf[0x3c] = 0;
    add("dos", pebuf, sizeof(pebuf));
    memcpy(msi, cdf, 8);
    msi[30] = 9;                          /* 512-byte sectors */
    msi[48] = 0;                          /* directory in sector 0 */
    memcpy(msi + 512 + 0x50, "\x84\x10\x0c\0\0\0\0\0\xc0\0\0\0\0\0\0\x46", 16);
    add("msi", msi, sizeof(msi));
    msi[512 + 0x50] = 0x99;
    add("ole", msi, sizeof(msi));
    add("lnk", lnk, sizeof(lnk) - 1);
    add("lnk short", lnk, 8);
    for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
	n = sigs[i].off + sigs[i].len + 600;
	add_sig(sigs[i].what, sigs[i].off, sigs[i].sig, sigs[i].len, n, 0);
	add_sig(sigs[i].what, sigs[i].off, sigs[i].sig, sigs[i].len, n, 1);
    }
    add("text", text, sizeof(text) - 1);
    for (i = 0; i < 400; i++) {           /* random data */
	n = 1 + rnd(i % 10 ? 4096 : HEAD);
	for (k = 0; k < n; k++)
	    b[k] = (unsigned char) rnd(256);
	add("random", b, n);
    }
    /* Truncations and one-byte mutations of every format head. */
    base = nsamples;
    for (i = 0; i < base && nsamples + 8 < sizeof(samples) / sizeof(samples[0]); i++) {
	SAMPLE  s = samples[i];

	if (strcmp(s.what, "random") == 0)
	    continue;
	for (k = 0; k < 3; k++) {
	    n = s.n > 1 ? 1 + rnd((unsigned) s.n - 1) : 1;
	    add("truncated", s.p, n);
	}
	for (k = 0; k < 3; k++) {
	    memcpy(b, s.p, s.n);
	    b[rnd(s.n < 64 ? (unsigned) s.n : 64)] = (unsigned char) rnd(256);
	    add("mutated", b, s.n);
	}
    }
}

static FILES_CONF *conf_watching(const char *type, const char *ext)
{
    char    err[256];
    FILES_CONF *fc = files_conf_new(FN_TYPES | FN_MAGIC, err, sizeof(err));

    if (fc == NULL) {
	fprintf(stderr, "%s\n", err);
	exit(1);
    }
    if (type)
	files_conf_watch_type(fc, type);
    if (ext)
	files_conf_watch_ext(fc, ext);
    return fc;
}

/* What a rule sees: type (or alias) equal to want, or the implied ext. */
static int seen(FILES_CONF *fc, const SAMPLE *s, int exact,
		        const char *type, const char *ext)
{
    char    out[128];
    const char *alias, *implied;

    filetype_detect(fc, s->p, s->n, exact, out, sizeof(out), &alias);
    if (type)
	return strcmp(out, type) == 0 || (alias && strcmp(alias, type) == 0);
    implied = filetype_ext(out);
    return implied && strcmp(implied, ext) == 0;
}

static int agree(const char *type, const char *ext, int *fired)
{
    FILES_CONF *fc = conf_watching(type, ext);
    size_t  i;
    int     g, x, ok = 1;

    for (i = 0; i < nsamples; i++) {
	g = seen(fc, &samples[i], 0, type, ext);
	x = seen(fc, &samples[i], 1, type, ext);
	*fired += x;
	if (g != x) {
	    fprintf(stderr, "# %s %s: %s sample %zu (%zu bytes): gated %d, libmagic %d\n",
		 type ? "type" : "ext", type ? type : ext, samples[i].what,
		 i, samples[i].n, g, x);
	    ok = 0;
	}
    }
    files_conf_free(fc);
    return ok;
}

int     main(void)
{
    static const char *types[] = {
	"application/vnd.microsoft.portable-executable",
	"application/x-dosexec", "application/x-msdownload", "application/x-msi",
	"application/vnd.ms-msi", "application/x-ole-storage",
	"application/x-ms-shortcut", "application/vnd.ms-cab-compressed",
	"application/x-iso9660-image", "application/x-udf-image",
	"application/java-archive", "application/x-java-archive",
	"application/x-executable", "application/x-pie-executable",
	"application/x-sharedlib", "application/x-object",
	"application/x-coredump", "application/x-7z-compressed",
	"application/x-rar", "application/vnd.rar", "application/gzip",
	"application/x-gzip", "application/x-bzip2", "application/x-xz",
	"application/x-lzma", "application/zstd", "application/vnd.ms-tnef",
	"application/zip", "application/x-tar",
    };
    static const char *exts[] = {"exe", "msi", "lnk", "cab", "iso", "jar",
    "elf", "zip", "7z", "rar", "gz", "bz2", "xz", "lzma", "zst", "tar"};
    size_t  i;
    int     all = 1, fired = 0;
    unsigned long before;
    FILES_CONF *fc;
    SAMPLE  text;

    msg_init("magic_gate", 0, 0);
    make_samples();
    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
	all &= agree(types[i], NULL, &fired);
    ok(all, "every detected_types literal: gated and full lookups agree "
       "on %zu heads (%d matches)", nsamples, fired);
    for (fired = 0, all = 1, i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
	all &= agree(NULL, exts[i], &fired);
    ok(all, "every implied extension: gated and full lookups agree "
       "(%d matches)", fired);

    /* The gate skips: MSI and LNK rules look nothing up for text and
     * random data, but do for an MSI; a glob looks up everything. */
    fc = conf_watching("application/x-msi", NULL);
    files_conf_watch_type(fc, "application/x-ms-shortcut");
    for (i = 0; i < nsamples; i++)
	if (strcmp(samples[i].what, "random") == 0
	    || strcmp(samples[i].what, "text") == 0)
	    (void) seen(fc, &samples[i], 0, "application/x-msi", NULL);
    ok(files_conf_lookups(fc) <= 10, "MSI and LNK rules: %lu lookups for "
       "400 random heads and a text", files_conf_lookups(fc));
    before = files_conf_lookups(fc);
    ok(seen(fc, &samples[2], 0, "application/x-msi", NULL)
       && files_conf_lookups(fc) == before + 1,
       "an MSI is looked up and named application/x-msi");
    text = samples[0];
    for (i = 0; i < nsamples; i++)
	if (strcmp(samples[i].what, "text") == 0)
	    text = samples[i];
    before = files_conf_lookups(fc);
    (void) seen(fc, &text, 1, "application/x-msi", NULL);
    ok(files_conf_lookups(fc) == before + 1, "exact (--explain) looks up "
       "the text too");
    files_conf_free(fc);
    fc = conf_watching("application/x-*", NULL);
    (void) seen(fc, &text, 0, "application/x-msi", NULL);
    ok(files_conf_lookups(fc) == 1, "a glob: every file is looked up");
    files_conf_free(fc);
    fc = conf_watching(NULL, "zip");
    (void) seen(fc, &text, 0, NULL, "zip");
    ok(files_conf_lookups(fc) == 1, "extension zip (libmagic names zips "
       "without a fixed signature): every file is looked up");
    files_conf_free(fc);
    for (i = 0; i < nsamples; i++)
	free(samples[i].p);
    return tap_done();
}
