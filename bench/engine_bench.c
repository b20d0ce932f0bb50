/*
 * engine_bench.c - decode-and-scan throughput of the screening engine on
 * one core, and its peak heap while scanning one 50 MB message.
 *
 * Corpus (generated, deterministic): plain text, HTML, and multipart
 * messages with base64 attachments of 50-500 KB.  Rules: 100 keywords,
 * 20 regexes, 50 extensions (none of which match, so every byte is
 * looked at).  Heap is measured by counting malloc/calloc/realloc/free
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

#include "engine.h"
#include "msg.h"

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
    fprintf(fp, "]; in = [ \"subject\", \"body\" ]; }; action = \"hold\"; },\n");
    fprintf(fp, " { name = \"rx\"; keywords = { regex = [");
    for (i = 0; i < 20; i++)
	fprintf(fp, "%s\"account\\\\s+number\\\\s+%d\\\\d{6}\"", i ? ", " : "", i);
    fprintf(fp, "]; in = [ \"body\" ]; }; action = \"reject\"; },\n");
    fprintf(fp, " { name = \"ext\"; attachment = { extensions = [");
    for (i = 0; i < 50; i++)
	fprintf(fp, "%s\"x%02d\"", i ? ", " : "", i);
    fprintf(fp, "]; }; action = \"reject\"; }%s\n);\n", decode ?
	    ",\n { name = \"size\"; attachment = { min_size = \"1G\"; }; "
	    "action = \"reject\"; }" : "");
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
    int     i, r, fired = 0;
    double  t0, t;

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
    SCONF  *c, *cd;
    BUF     corpus = {0}, big = {0};
    size_t *offs = calloc((size_t) nmsg + 1, sizeof(size_t));
    int     i, r, pass;
    double  t0, t;

    msg_init("engine_bench", 1, 0);
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
    throughput(c, &corpus, offs, nmsg, rounds, "(attachments not decoded: "
	       "no rule needs their content)");
    throughput(cd, &corpus, offs, nmsg, rounds, "(+ a min_size rule: every "
	       "attachment base64-decoded)");
    {
	/* Worst case for the matchers: text and HTML only. */
	BUF     tc = {0};
	size_t *to = calloc((size_t) nmsg + 1, sizeof(size_t));

	for (i = 0; i < nmsg; i++) {
	    to[i] = tc.len;
	    message(&tc, i - i % 4 + i % 2);
	}
	to[nmsg] = tc.len;
	throughput(c, &tc, to, nmsg, rounds, "(text and HTML messages only)");
	free(tc.p);
	free(to);
    }

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
    sconf_unref(c);
    sconf_unref(cd);
    free(corpus.p);
    free(big.p);
    free(offs);
    return 0;
}
