/*
 * engine_bench.c - decode-and-scan throughput of the screening engine on
 * one core, and its peak heap while scanning one 50 MB message.
 *
 * Corpus (generated, deterministic): plain text, HTML, and multipart
 * messages with base64 attachments of 50-500 KB; a second corpus with
 * every second attachment a zip (made by libarchive's writer).  Rules:
 * 100 keywords, 20 regexes, 50 extensions (none of which match, so every
 * byte is looked at), then with the container and type rules on.  Heap is measured by counting malloc/calloc/realloc/free
 * (glibc's __libc_* underneath) while the 50 MB message is scanned.
 * Times are the thread's CPU time, so a busy host does not skew them.
 */
#include <config.h>

#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "engine.h"
#include "msg.h"
#include "mymalloc.h"

/* --- heap counting --------------------------------------------------- */

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

static int counting;
static long long heap_cur, heap_peak;

static void count(long long delta)
{
    heap_cur += delta;
    if (heap_cur > heap_peak)
	heap_peak = heap_cur;
}

void   *malloc(size_t n)
{
    void   *p = __libc_malloc(n);

    if (p && counting)
	count((long long) malloc_usable_size(p));
    return p;
}

void   *calloc(size_t n, size_t s)
{
    void   *p = __libc_calloc(n, s);

    if (p && counting)
	count((long long) malloc_usable_size(p));
    return p;
}

void   *realloc(void *old, size_t n)
{
    long long was = old && counting ? (long long) malloc_usable_size(old) : 0;
    void   *p = __libc_realloc(old, n);

    if (p && counting)
	count((long long) malloc_usable_size(p) - was);
    return p;
}

void    free(void *p)
{
    if (p && counting)
	count(-(long long) malloc_usable_size(p));
    __libc_free(p);
}

/* --- corpus ------------------------------------------------------------ */

static uint64_t rng = 88172645463325252ULL;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t) rng;
}

typedef struct BUF {
    char   *p;
    size_t  len, cap;
} BUF;

static void put(BUF *b, const char *s, size_t n)
{
    if (b->len + n > b->cap) {
	b->cap = (b->len + n) * 2;
	b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void puts_(BUF *b, const char *s)
{
    put(b, s, strlen(s));
}

static const char *words[] = {"the", "meeting", "report", "budget", "plan",
    "customer", "project", "review", "please", "attached", "schedule", "team",
    "update", "quarter", "results", "thanks", "regards", "office", "monday",
"deadline", "draft", "contract", "invoice", "shipping", "order"};

/* Issue 10: text with accents, other scripts and HTML entities. */
static const char *intl[] = {"r\xc3\xa9union", "Stra\xc3\x9f" "e", "\xc3\xa9quipe",
    "\xd0\xbe\xd1\x82\xd1\x87\xd1\x91\xd1\x82", "caf\xc3\xa9", "&nbsp;", "&eacute;t&eacute;",
"\xce\xb5\xcf\x81\xce\xb3\xce\xb1\xcf\x83\xce\xaf\xce\xb1", "na\xc3\xafve", "&#8212;"};

static void text_intl(BUF *b, size_t bytes)
{
    size_t  start = b->len, col = 0;

    puts_(b, "<html><body><p>");
    while (b->len - start < bytes) {
	const char *w = rnd() % 10 < 3
	    ? intl[rnd() % (sizeof(intl) / sizeof(intl[0]))]
	    : words[rnd() % (sizeof(words) / sizeof(words[0]))];

	puts_(b, w);
	col += strlen(w) + 1;
	if (col > 70) {
	    puts_(b, rnd() % 4 == 0 ? "</p>\r\n<p>" : "<br>\r\n");
	    col = 0;
	} else {
	    puts_(b, rnd() % 8 == 0 ? " <b>" : rnd() % 8 == 0 ? "</b> " : " ");
	}
    }
    puts_(b, "</p></body></html>\r\n");
}

static void text(BUF *b, size_t bytes, int html)
{
    size_t  start = b->len, col = 0;

    if (html)
	puts_(b, "<html><body><p>");
    while (b->len - start < bytes) {
	const char *w = words[rnd() % (sizeof(words) / sizeof(words[0]))];

	puts_(b, w);
	col += strlen(w) + 1;
	if (col > 70) {
	    puts_(b, html && rnd() % 4 == 0 ? "</p>\r\n<p>" : "\r\n");
	    col = 0;
	} else {
	    puts_(b, " ");
	}
    }
    if (html)
	puts_(b, "</p></body></html>");
    puts_(b, "\r\n");
}

static void base64(BUF *b, size_t bytes)
{
    static const char a[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t  i, col = 0;

    for (i = 0; i < bytes; i += 3) {
	uint32_t v = rnd();
	char    q[4] = {a[v & 63], a[(v >> 6) & 63], a[(v >> 12) & 63],
	a[(v >> 18) & 63]};

	put(b, q, 4);
	if ((col += 4) == 76) {
	    puts_(b, "\r\n");
	    col = 0;
	}
    }
    puts_(b, "\r\n");
}

static void header(BUF *b, int i, const char *ctype)
{
    char    h[512];

    snprintf(h, sizeof(h), "From: sender%d@example.org\r\nTo: rcpt@example.com\r\n"
	     "Subject: message %d about the quarterly plan\r\nMessage-ID: <%d@example.org>\r\n"
	     "MIME-Version: 1.0\r\nContent-Type: %s\r\n\r\n", i, i, i, ctype);
    puts_(b, h);
}

static void message_intl(BUF *b, int i)
{
    if (i % 2 == 0) {
	header(b, i, "text/plain; charset=utf-8");
	text(b, 2000 + rnd() % 20000, 0);
	return;
    }
    header(b, i, "text/html; charset=utf-8");
    text_intl(b, 5000 + rnd() % 30000);
}

static void message(BUF *b, int i)
{
    int     kind = i % 4;

    if (kind == 0) {
	header(b, i, "text/plain; charset=utf-8");
	text(b, 2000 + rnd() % 20000, 0);
	if (i % 100 == 0)			/* proves the regexes run */
	    puts_(b, "your account\r\n number 3123456 is\r\n");
    } else if (kind == 1) {
	header(b, i, "multipart/alternative; boundary=\"alt\"");
	puts_(b, "--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n");
	text(b, 2000 + rnd() % 10000, 0);
	puts_(b, "--alt\r\nContent-Type: text/html; charset=utf-8\r\n"
	      "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	text(b, 5000 + rnd() % 30000, 1);
	puts_(b, "--alt--\r\n");
    } else {
	int     n = 1 + (int) (rnd() % 2), k;
	char    h[256];

	header(b, i, "multipart/mixed; boundary=\"mix\"");
	puts_(b, "--mix\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n");
	text(b, 1000 + rnd() % 5000, 0);
	for (k = 0; k < n; k++) {
	    snprintf(h, sizeof(h), "--mix\r\nContent-Type: application/pdf; "
		     "name=\"doc%d.pdf\"\r\nContent-Disposition: attachment; "
		     "filename=\"doc%d.pdf\"\r\nContent-Transfer-Encoding: base64"
		     "\r\n\r\n", k, k);
	    puts_(b, h);
	    base64(b, 50 * 1024 + rnd() % (450 * 1024));
	}
	puts_(b, "--mix--\r\n");
    }
}

/* --- containers (for the files layer) ------------------------------- */

static la_ssize_t buf_write(struct archive *a, void *ctx, const void *p,
			            size_t n)
{
    (void) a;
    put(ctx, p, n);
    return (la_ssize_t) n;
}

/* A deflated zip in memory: nfiles text files and one random blob. */
static void make_zip(BUF *z, int nfiles, size_t text_bytes, size_t blob)
{
    struct archive *a = archive_write_new();
    struct archive_entry *e = archive_entry_new();
    BUF     t = {0};
    char    name[64];
    int     k;

    archive_write_set_format_zip(a);
    archive_write_open(a, z, NULL, buf_write, NULL);
    for (k = 0; k <= nfiles; k++) {
	t.len = 0;
	if (k < nfiles)
	    text(&t, text_bytes, 0);
	else
	    while (t.len < blob) {
		uint32_t v = rnd();

		put(&t, (const char *) &v, 4);
	    }
	snprintf(name, sizeof(name), k < nfiles ? "docs/file%d.txt"
		 : "docs/blob%d.bin", k);
	archive_entry_clear(e);
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t) t.len);
	archive_write_header(a, e);
	archive_write_data(a, t.p, t.len);
    }
    archive_write_close(a);
    archive_write_free(a);
    archive_entry_free(e);
    free(t.p);
}

static void base64_of(BUF *b, const unsigned char *p, size_t n)
{
    static const char a[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t  i, col = 0;

    for (i = 0; i < n; i += 3) {
	uint32_t v = (uint32_t) p[i] << 16 | (i + 1 < n ? (uint32_t) p[i + 1]
		<< 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
	char    q[4] = {a[v >> 18], a[(v >> 12) & 63],
	i + 1 < n ? a[(v >> 6) & 63] : '=', i + 2 < n ? a[v & 63] : '='};

	put(b, q, 4);
	if ((col += 4) == 76) {
	    puts_(b, "\r\n");
	    col = 0;
	}
    }
    puts_(b, "\r\n");
}

/* The mixed corpus with every second attachment a zip. */
static void message_zip(BUF *b, int i)
{
    BUF     z = {0};

    if (i % 4 < 2 || i % 8 < 4) {
	message(b, i);
	return;
    }
    header(b, i, "multipart/mixed; boundary=\"mix\"");
    puts_(b, "--mix\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n");
    text(b, 1000 + rnd() % 5000, 0);
    puts_(b, "--mix\r\nContent-Type: application/zip; name=\"docs.zip\"\r\n"
	  "Content-Transfer-Encoding: base64\r\n\r\n");
    make_zip(&z, 1 + (int) (rnd() % 20), 2000 + rnd() % 20000,
	     20 * 1024 + rnd() % (200 * 1024));
    base64_of(b, (const unsigned char *) z.p, z.len);
    puts_(b, "--mix--\r\n");
    free(z.p);
}

/* --- config ----------------------------------------------------------- */

static SCONF *make_conf(int decode)
{
    char    path[] = "/tmp/engine_bench_XXXXXX";
    int     fd = mkstemp(path), i;
    FILE   *fp = fdopen(fd, "w");
    CFG_ERRS e;
    SCONF  *c;

    fprintf(fp, "rules = (\n { name = \"kw\"; keywords = { words = [");
    /* Varied words (different first letters, lengths, some phrases), so
     * the automaton is as big and branchy as a real list's. */
    for (i = 0; i < 100; i++)
	fprintf(fp, "%s\"%c%s%s %s%d\"", i ? ", " : "", 'a' + (i * 7) % 26,
		words[i % 25] + 1, i % 3 ? "x" : "", words[(i * 11) % 25], i);
    fprintf(fp, "]; in = [ \"subject\", \"body\" ];%s }; action = \"hold\"; },\n",
	    decode == 3 ? " confusables = true;" : "");
    if (decode == 4)
	fprintf(fp, " { name = \"numbers\"; keywords = { detectors = [ "
		"\"credit_card\", \"iban\" ]; min_matches = 3; }; "
		"action = \"hold\"; },\n");
    fprintf(fp, " { name = \"rx\"; keywords = { regex = [");
    for (i = 0; i < 20; i++)
	fprintf(fp, "%s\"account\\\\s+number\\\\s+%d\\\\d{6}\"", i ? ", " : "", i);
    fprintf(fp, "]; in = [ \"body\" ]; }; action = \"reject\"; },\n");
    fprintf(fp, " { name = \"ext\"; attachment = { extensions = [");
    for (i = 0; i < 50; i++)
	fprintf(fp, "%s\"x%02d\"", i ? ", " : "", i);
    fprintf(fp, "]; }; action = \"reject\"; }%s%s\n);\n", decode == 1 ?
	    ",\n { name = \"size\"; attachment = { min_size = \"1G\"; }; "
	    "action = \"reject\"; }" : "", decode == 2 ?
	    ",\n { name = \"types\"; attachment = { detected_types = [ "
	    "\"application/x-msi\", \"application/x-ms-shortcut\" ]; }; "
	    "action = \"reject\"; },\n { name = \"flags\"; attachment = { "
	    "encrypted = true; }; action = \"hold\"; },\n { name = \"m\"; "
	    "attachment = { macros = true; }; action = \"hold\"; },\n"
	    " { name = \"u\"; attachment = { unreadable = true; }; "
	    "action = \"hold\"; }" : "");
    fclose(fp);
    cfg_errs_init(&e, path);
    c = sconf_load(path, &e);
    if (c == NULL) {
	cfg_errs_print(&e);
	exit(1);
    }
    cfg_errs_free(&e);
    unlink(path);
    return c;
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);	/* CPU time: robust on a busy host */
    return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

static int scan_buf(const SCONF *c, const char *p, size_t len)
{
    SCAN   *s = scan_new(c, DIR_OUTBOUND);
    size_t  off;
    int     a;

    scan_sender(s, "sender@example.org");
    scan_rcpt(s, "rcpt@example.com");
    for (off = 0; off < len; off += 65536)
	if (scan_data(s, p + off, len - off < 65536 ? len - off : 65536))
	    break;
    scan_eom(s);
    a = scan_verdict(s)->action;
    scan_free(s);
    return a;
}

static void throughput(const SCONF *c, const BUF *corpus, const size_t *offs,
		               int nmsg, int rounds, const char *what)
{
    static int nth;
    const char *only = getenv("BENCH_ONLY");  /* run the Nth figure only */
    int     i, r, fired = 0;
    double  t0, t;

    if (only && atoi(only) != ++nth)
	return;
    scan_buf(c, corpus->p, offs[1]);		/* warm up */
    t0 = now();
    for (r = 0; r < rounds; r++)
	for (i = 0; i < nmsg; i++)
	    fired += scan_buf(c, corpus->p + offs[i], offs[i + 1] - offs[i])
		!= ACT_NONE;
    t = now() - t0;
    printf("throughput %s: %.0f MB/s, %.0f messages/s (one core, %d rounds, "
	   "%d verdicts)\n", what, rounds * corpus->len / 1048576.0 / t,
	   rounds * nmsg / t, rounds, fired);
}

int     main(int argc, char **argv)
{
    int     nmsg = argc > 1 ? atoi(argv[1]) : 400, rounds = argc > 2 ? atoi(argv[2]) : 3;
    /* "text1": the first text figure alone, for a profiler. */
    int     only_text1 = argc > 3 && strcmp(argv[3], "text1") == 0;
    int     only_text = only_text1 || (argc > 3 && strcmp(argv[3], "text") == 0);
    SCONF  *c, *cd;
    BUF     corpus = {0}, big = {0};
    size_t *offs = calloc((size_t) nmsg + 1, sizeof(size_t));
    int     i, r, pass;
    double  t0, t;

    msg_init("engine_bench", 1, 0);
    mymalloc_tune();                      /* as the screener does */
    c = make_conf(0);
    cd = make_conf(1);
    for (i = 0; i < nmsg; i++) {
	offs[i] = corpus.len;
	message(&corpus, i);
    }
    offs[nmsg] = corpus.len;
    printf("corpus: %d messages, %.1f MB (plain, HTML, multipart with "
	   "50-500 KB base64 attachments)\n", nmsg, corpus.len / 1048576.0);
    printf("rules: 100 keywords, 20 regexes, 50 extensions "
	   "(1%% of messages match a regex)\n");
    if (only_text)
	goto text_only;
    throughput(c, &corpus, offs, nmsg, rounds, "(attachments decoded only "
	       "as far as their type needs: the first 40 KB)");
    throughput(cd, &corpus, offs, nmsg, rounds, "(+ a min_size rule: every "
	       "attachment base64-decoded)");
    {
	/* Archives: every second attachment a zip, container and type
	 * rules on (every member listed, typed, nested ones opened). */
	BUF     zc = {0};
	size_t *zo = calloc((size_t) nmsg + 1, sizeof(size_t));
	SCONF  *cz = make_conf(2);

	for (i = 0; i < nmsg; i++) {
	    zo[i] = zc.len;
	    message_zip(&zc, i);
	}
	zo[nmsg] = zc.len;
	printf("corpus with zips: %.1f MB\n", zc.len / 1048576.0);
	throughput(c, &zc, zo, nmsg, rounds, "(with zips; extension rules: "
		   "members listed and typed)");
	throughput(cz, &zc, zo, nmsg, rounds, "(with zips; + detected_types, "
		   "encrypted, macros, unreadable rules)");
	free(zc.p);
	free(zo);
	sconf_unref(cz);
    }
text_only:
    {
	/* Worst case for the matchers: text and HTML only. */
	BUF     tc = {0};
	size_t *to = calloc((size_t) nmsg + 1, sizeof(size_t));

	for (i = 0; i < nmsg; i++) {
	    to[i] = tc.len;
	    message(&tc, i - i % 4 + i % 2);
	}
	to[nmsg] = tc.len;
	SCONF  *cc = make_conf(3), *cn = make_conf(4);

	throughput(c, &tc, to, nmsg, rounds, "(text and HTML messages only)");
	if (only_text1)
	    goto text_done;
	/* Issue 10: rendering and folding are always on; confusable
	 * skeletons and the number detectors only where a rule asks. */
	throughput(cc, &tc, to, nmsg, rounds, "(text and HTML only; "
		   "keywords with confusables = true)");
	throughput(cn, &tc, to, nmsg, rounds, "(text and HTML only; "
		   "+ detectors credit_card, iban)");
	tc.len = 0;
	for (i = 0; i < nmsg; i++) {
	    to[i] = tc.len;
	    message_intl(&tc, i);
	}
	to[nmsg] = tc.len;
	throughput(c, &tc, to, nmsg, rounds, "(plain and HTML with 30% "
		   "accented/Cyrillic/Greek words and entities)");
	throughput(cc, &tc, to, nmsg, rounds, "(the same; keywords with "
		   "confusables = true)");
text_done:
	sconf_unref(cc);
	sconf_unref(cn);
	free(tc.p);
	free(to);
    }

    if (only_text)
	goto done;
    /* One 50 MB message: 10 MB of text, 40 MB of base64 attachments. */
    header(&big, 0, "multipart/mixed; boundary=\"big\"");
    puts_(&big, "--big\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n");
    text(&big, 10 * 1024 * 1024, 0);
    for (i = 0; big.len < 50 * 1024 * 1024; i++) {
	puts_(&big, "--big\r\nContent-Type: application/octet-stream; name=\"blob.bin\"\r\n"
	      "Content-Transfer-Encoding: base64\r\n\r\n");
	base64(&big, 5 * 1024 * 1024);
    }
    puts_(&big, "--big--\r\n");
    for (pass = 0; pass < 2; pass++) {
	heap_cur = heap_peak = 0;
	counting = 1;
	t0 = now();
	r = scan_buf(pass ? cd : c, big.p, big.len);
	t = now() - t0;
	counting = 0;
	printf("50 MB message%s: %.1f MB in %.2f s (%.0f MB/s), peak heap "
	       "during the scan %.1f KB (verdict %s)\n", pass ? " (decoded)" : "",
	       big.len / 1048576.0, t, big.len / 1048576.0 / t,
	       heap_peak / 1024.0, action_name((ACTION) r));
    }
    {
	/* One 40 MB zip attachment: spooled, never held in memory. */
	BUF     zb = {0}, z = {0};
	SCONF  *cz = make_conf(2);

	make_zip(&z, 200, 100 * 1024, 20 * 1024 * 1024);
	header(&zb, 0, "multipart/mixed; boundary=\"big\"");
	puts_(&zb, "--big\r\nContent-Type: application/zip; name=\"big.zip\"\r\n"
	      "Content-Transfer-Encoding: base64\r\n\r\n");
	base64_of(&zb, (const unsigned char *) z.p, z.len);
	puts_(&zb, "--big--\r\n");
	heap_cur = heap_peak = 0;
	counting = 1;
	t0 = now();
	r = scan_buf(cz, zb.p, zb.len);
	t = now() - t0;
	counting = 0;
	printf("%.1f MB zip attachment (%.1f MB message, container rules): "
	       "%.2f s CPU, peak heap during the scan %.1f KB (verdict %s)\n",
	       z.len / 1048576.0, zb.len / 1048576.0, t, heap_peak / 1024.0,
	       action_name((ACTION) r));
	free(z.p);
	free(zb.p);
	sconf_unref(cz);
    }
done:
    sconf_unref(c);
    sconf_unref(cd);
    free(corpus.p);
    free(big.p);
    free(offs);
    return 0;
}
