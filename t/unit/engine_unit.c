/*
 * engine_unit.c - unit tests of the engine's pieces: decoders, header
 * decoding, name normalisation, the literal matcher and the regex window
 * across every chunk split, and the SCAN API as the milter drives it
 * (early verdicts, tags, strip ranges and the rewrite).
 */
#include <config.h>

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"
#include "engine.h"
#include "mime_decode.h"
#include "mime_header.h"
#include "mymalloc.h"
#include "rules.h"
#include "tap.h"
#include "fold.h"
#include "textmatch.h"

/* Decode s in two pieces split at every position; all must agree. */
static void decode_splits(CTE cte, const char *in, const char *want,
			          const char *what)
{
    size_t  len = strlen(in), cut, wl = strlen(want);
    int     good = 1;

    for (cut = 0; cut <= len; cut++) {
	unsigned char out[1024];
	DECODER d;
	size_t  n;

	decoder_init(&d, cte);
	n = decoder_run(&d, (const unsigned char *) in, cut, out);
	n += decoder_run(&d, (const unsigned char *) in + cut, len - cut,
			 out + n);
	n += decoder_finish(&d, out + n);
	if (n != wl || memcmp(out, want, wl) != 0) {
	    good = 0;
	    printf("# split at %zu: got '%.*s'\n", cut, (int) n, out);
	    break;
	}
    }
    ok(good, "%s: every split decodes alike", what);
}

static void test_decoders(void)
{
    decode_splits(CTE_BASE64, "aGVsbG8g\r\nd29y\r\nbGQ=\r\n", "hello world",
		  "base64 with line breaks and padding");
    decode_splits(CTE_BASE64, "aGVsbG8gd29ybGQ", "hello world",
		  "base64 without padding");
    decode_splits(CTE_BASE64, "a G!V*s\tbG8=", "hello", "base64 with junk");
    decode_splits(CTE_BASE64, "aGk=\r\nIHRoZXJl\r\nIQ==IQ", "hi there!!",
		  "base64 goes on after a pad");
    decode_splits(CTE_QP, "wire trans=\r\nfer=20urgent=3D=\nx\r\n",
		  "wire transfer urgent=x\r\n", "QP soft breaks and escapes");
    decode_splits(CTE_QP, "a=ZZb=4", "a=ZZb=4", "QP bad escapes kept");
    decode_splits(CTE_QP, "a=  \r\nb", "ab", "QP padded soft break");
    decode_splits(CTE_UUENCODE, "begin 644 x.exe\n(9F%K92!E>&4 \n`\nend\n",
		  "fake exe", "uuencode");
    is_int(cte_by_name("BASE64"), CTE_BASE64, "CTE names caseless");
    is_int(cte_by_name("7bit"), CTE_IDENTITY, "7bit is identity");
}

static void param_cb(void *ctx, const char *name, const char *value)
{
    char   *acc = ctx;

    snprintf(acc + strlen(acc), 1024 - strlen(acc), "[%s=%s]", name, value);
}

static void params_how(const char *value, int flags, const char *want_tok,
		               const char *want, const char *what)
{
    char    tok[64], acc[1024] = "";

    mime_parse_params(value, tok, sizeof(tok), flags, param_cb, acc);
    is_str(tok, want_tok, "%s: token", what);
    is_str(acc, want, "%s: parameters", what);
}

static void params(const char *value, const char *want_tok,
		           const char *want, const char *what)
{
    params_how(value, 0, want_tok, want, what);
}

#define T1 "=?utf-8?q?Project_Fal?= \r\n =?UTF-8?B?Y29u?= x"
#define T2 "=?utf-8?B?w7w=?==?utf-8?B?w7w=?="
#define T3 "=?utf-8?B?4oI=?= =?utf-8?B?rA==?="
#define T4 "a =?iso-8859-1?q?caf=E9?= b"
#define T5 "=?bogus?x?abc?= =?nosuch-charset?q?ok?="
#define T6 "=?utf-8?q?x"

/* A long field full of "=?" openers without a close, or of plain bytes,
 * must decode in linear time (it took seconds: one scan to the end of
 * the field per "=?", one strlen of the output per plain byte). */
static void test_2047_linear(void)
{
    size_t  n = 512 * 1024, i;
    char   *in = mymalloc(n + 1), *out = mymalloc(4 * n + 16);
    clock_t t0;
    double  secs;

    for (i = 0; i < n; i++)
	in[i] = "=?x?q?a"[i % 7];
    in[n] = 0;
    t0 = clock();
    rfc2047_decode(in, n, out, 4 * n + 16);
    memset(in, 'a', n);
    rfc2047_decode(in, n, out, 4 * n + 16);
    secs = (double) (clock() - t0) / CLOCKS_PER_SEC;
    ok(secs < 1.0 && strlen(out) == n, "2047: 512 KB of unclosed words and "
       "of plain text decode in linear time (%.3f s)", secs);
    myfree(in);
    myfree(out);
}

static void test_headers(void)
{
    char    out[256], buf[256];

    rfc2047_decode(T1, strlen(T1),
		   out, sizeof(out));
    is_str(out, "Project Falcon x", "2047: adjacent words joined");
    rfc2047_decode(T2, strlen(T2), out, sizeof(out));
    is_str(out, "\xc3\xbc\xc3\xbc", "2047: words without space between");
    rfc2047_decode(T3, strlen(T3), out, sizeof(out));
    is_str(out, "\xe2\x82\xac", "2047: character split across two words");
    rfc2047_decode(T4, strlen(T4), out, sizeof(out));
    is_str(out, "a caf\xc3\xa9 b", "2047: latin-1 to UTF-8, spaces kept");
    rfc2047_decode(T5, strlen(T5), out, sizeof(out));
    is_str(out, "=?bogus?x?abc?= ok", "2047: bad encoding kept, unknown "
	   "charset passed through");
    rfc2047_decode(T6, strlen(T6), out, sizeof(out));
    is_str(out, "=?utf-8?q?x", "2047: unterminated word kept");
    /* Charset names of 63 and 64 bytes: the longest kept, the other
     * left as text (it overran the charset buffer by one byte). */
    snprintf(buf, sizeof(buf), "=?%.63s?q?ok?=", "utf-8" "*"
	     "en-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    rfc2047_decode(buf, strlen(buf), out, sizeof(out));
    is_str(out, "ok", "2047: 63-byte charset label decoded");
    snprintf(buf, sizeof(buf), "=?%.64s?q?ok?=", "utf-8" "*"
	     "en-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    rfc2047_decode(buf, strlen(buf), out, sizeof(out));
    is_str(out, buf, "2047: 64-byte charset label kept as text");

    params("Application/PDF; NAME=\"a b.pdf\"; Charset=x", "application/pdf",
	   "[name=a b.pdf][charset=x]", "names any case, quoted value");
    params_how("attachment (c; filename=no) ; filename=\"a;\\\"b\\\".exe\" (x)",
	       PARAM_RFC822, "attachment", "[filename=a;\"b\".exe]",
	       "RFC 822 reading: comments and escapes");
    params("attachment (c; filename=no) ; filename=\"a;\\\"b\\\".exe\" (x)",
	   "attachment", "[filename=no)][filename=a;\"b\".exe]",
	   "client reading: no comments, junk after a quoted value ignored");
    params("application/x; name=invoice(1).exe", "application/x",
	   "[name=invoice(1).exe]", "client reading: '(' in an unquoted value");
    params_how("application/x; name=invoice(1).exe", PARAM_RFC822,
	       "application/x", "[name=invoice]", "RFC 822 reading: a comment");
    params("attachment; filename=Invoice (2).exe", "attachment",
	   "[filename=Invoice (2).exe]", "client reading: runs to ';'");
    params("attachment; (a; filename=evil.exe; b)", "attachment",
	   "[filename=evil.exe]", "client reading: '(' is no comment");
    params("attachment, filename=evil.exe", "attachment,", "",
	   "client reading: ',' is no separator");
    params_how("attachment, filename=evil.exe", PARAM_COMMA, "attachment",
	       "[filename=evil.exe]", "comma reading");
    params("multipart/mixed; boundary=\"=?us-ascii?Q?q1?=\"",
	   "multipart/mixed", "[boundary==?us-ascii?Q?q1?=]",
	   "encoded words left to the caller (a boundary is literal)");
    params("attachment; filename*=UTF-8''%C3%BCber%2Eexe", "attachment",
	   "[filename=\xc3\xbc" "ber.exe]", "2231 charset and percent");
    params("attachment; filename*1=\"b.e\"; filename*0=\"a\"; "
	   "filename*2*=%78e", "attachment", "[filename=ab.exe]",
	   "2231 continuations out of order, mixed");
    params("attachment; filename*0*=iso-8859-1'de'%FC; filename*1=x.exe",
	   "attachment", "[filename=\xc3\xbcx.exe]", "2231 charset from "
	   "segment 0");
    params("inline; filename=a.txt; filename=b.exe", "inline",
	   "[filename=a.txt][filename=b.exe]", "repeated parameter: both");
    params("x; name=\"=?utf-8?B?w7wuZXhl?=\"", "x",
	   "[name==?utf-8?B?w7wuZXhl?=]",
	   "encoded word inside a quoted name: decoded by the caller");
    params("text/plain; name=my file.exe", "text/plain",
	   "[name=my file.exe]", "unquoted value with a space");

    strcpy(buf, "a\r\n b\n\tc");
    hdr_unfold(buf);
    is_str(buf, "a b\tc", "unfolding");
}

static void addr_cb(void *ctx, const char *a)
{
    char   *acc = ctx;

    snprintf(acc + strlen(acc), 256 - strlen(acc), "[%s]", a);
}

static void test_addresses(void)
{
    char    acc[256] = "";

    hdr_addresses("\"Doe, John\" <j@x.example>, plain@y.example (c, d), "
		  "Group Name z@z.example", addr_cb, acc);
    is_str(acc, "[j@x.example][plain@y.example][z@z.example]",
	   "From addresses: display names, comments");
}

static void norm(const char *in, const char *want, int want_ctl)
{
    char    out[ATTACH_NAME_MAX];
    int     ctl;

    attach_normalise(in, out, &ctl);
    is_str(out, want, "normalise '%s'", in);
    is_int(ctl, want_ctl, "control characters reported for '%s'", in);
}

static void test_names(void)
{
    norm("C:\\Temp\\EVIL.Exe. . ", "evil.exe", 0);
    norm("../../x/a.js", "a.js", 0);
    norm("d:a.scr", "a.scr", 0);
    norm("invoice\xe2\x80\xae" "fdp.exe", "invoicefdp.exe", 1);
    norm("a.e\xe2\x80\x8bxe", "a.exe", 1);
    norm("\xef\xbb\xbf" "b.bat", "b.bat", 1);
    {
	/* Longer than ATTACH_NAME_MAX: start and extension both kept,
	 * cut at character boundaries (here three-byte characters). */
	char    longn[1200], out[ATTACH_NAME_MAX];
	int     ctl, i;

	longn[0] = 0;
	strcat(longn, "Invoice ");
	for (i = 0; i < 300; i++)
	    strcat(longn, "\xe6\x96\x87");
	strcat(longn, ".EXE. ");
	attach_normalise(longn, out, &ctl);
	is_str(attach_ext(out), "exe", "long name: extension kept");
	ok(strncmp(out, "invoice ", 8) == 0 && strlen(out) < ATTACH_NAME_MAX
	   && strlen(out) > 200, "long name: start kept, length bounded");
	/* Valid UTF-8 after "invoice ": whole three-byte characters. */
	for (i = 8; out[i] && out[i] != '.'; i += 3)
	    if ((unsigned char) out[i] != 0xe6 || (out[i + 1] & 0xc0) != 0x80
		|| (out[i + 2] & 0xc0) != 0x80)
		break;
	is_str(out + i, ".exe", "long name: cut at character boundaries");
    }
    is_str(attach_ext("a.tar.gz"), "gz", "extension is after the last dot");
    is_str(attach_ext("noext"), "", "no extension");
}

static int hits;

static void count_hit(void *ctx, uint32_t id)
{
    hits++;
}

/* Text through the folding stage, then the automaton (as scan_text.c). */
static const AC_AUTOMATON *fold_ac;
static AC_STREAM fold_st;

static void fold_to_ac(void *ctx, const char *b, size_t n)
{
    (void) ctx;
    ac_feed(fold_ac, &fold_st, b, n, count_hit, NULL);
}

static void fold_split(const AC_AUTOMATON *ac, const char *t, size_t tl,
		               size_t a)
{
    FOLD_SINK sink = {NULL, fold_to_ac, NULL};
    FOLD_STREAM f;

    fold_ac = ac;
    ac_stream_init(&fold_st);
    fold_begin(&f, &sink);
    fold_feed(&f, t, a);
    fold_feed(&f, t + a, tl - a);
    fold_end(&f);
}

static void test_matcher(void)
{
    char   *w[3];
    size_t  owner[3] = {0, 0, 1};
    AC_AUTOMATON *ac;
    const char *text = "We discuss PROJECT\r\n   falcon and wire  transfers";
    size_t  len = strlen(text), a, b;
    int     good = 1;

    w[0] = keyword_normalise("  Project \t Falcon ");
    w[1] = keyword_normalise("falcon and");
    w[2] = keyword_normalise("wire transfer");
    is_str(w[0], "project falcon", "keyword normalised");
    ac = ac_build(w, owner, 3);
    /* Every split into three chunks finds all three words. */
    for (a = 0; a <= len && good; a++)
	for (b = a; b <= len && good; b++) {
	    AC_STREAM st;

	    hits = 0;
	    ac_stream_init(&st);
	    ac_feed(ac, &st, text, a, count_hit, NULL);
	    ac_feed(ac, &st, text + a, b - a, count_hit, NULL);
	    ac_feed(ac, &st, text + b, len - b, count_hit, NULL);
	    if (hits != 3) {
		good = 0;
		printf("# split %zu/%zu: %d hits\n", a, b, hits);
	    }
	}
    ok(good, "literal matcher: every 3-way split finds every word");
    hits = 0;
    {
	AC_STREAM st;

	ac_stream_init(&st);
	ac_feed(ac, &st, "projectfalcon project-falcon", 28, count_hit, NULL);
    }
    is_int(hits, 0, "no match without the space");
    {
	/* A no-break space (C2 A0) is white space, also cut in two. */
	const char *t = "PROJECT\xc2\xa0 \xc2\xa0" "falcon";
	size_t  tl = strlen(t);

	good = 1;
	for (a = 0; a <= tl; a++) {
	    hits = 0;
	    fold_split(ac, t, tl, a);
	    good &= hits == 1;
	}
	ok(good, "no-break space is white space at every split");
    }
    ac_free(ac);

    /* Non-ASCII letters fold too, also with the character cut in two. */
    {
	char   *u[1];
	size_t  o[1] = {0};
	const char *t = "x \xc3\x89T\xc3\x89 \xd0\x9f\xd0\xa0\xd0\x98 y";
	size_t  tl = strlen(t);

	u[0] = keyword_normalise("\xc3\xa9t\xc3\xa9 \xd0\xbf\xd1\x80\xd0\xb8");
	is_str(u[0], "e\xcc\x81te\xcc\x81 \xd0\xbf\xd1\x80\xd0\xb8",
	       "keyword folded and decomposed");
	ac = ac_build(u, o, 1);
	good = 1;
	for (a = 0; a <= tl; a++) {
	    hits = 0;
	    fold_split(ac, t, tl, a);
	    if (hits != 1)
		good = 0;
	}
	ok(good, "ÉTÉ ПРИ matches été при at every split");
	ac_free(ac);
	myfree(u[0]);
	u[0] = keyword_normalise("\xc5\xbb\xc3\x93\xc5\x81\xce\xa3");
	is_str(u[0], "z\xcc\x87o\xcc\x81\xc5\x82\xcf\x83",
	       "ŻÓŁΣ folds to żółσ (decomposed)");
	myfree(u[0]);
    }
    myfree(w[0]);
    myfree(w[1]);
    myfree(w[2]);
}

static int rx_found;
static size_t rx_calls;

static void rx_run(void *ctx, const char *buf, size_t len)
{
    rx_calls++;
    if (len >= 6 && memmem(buf, len, "NEEDLE", 6))
	rx_found = 1;
}

static void test_window(void)
{
    size_t  pos, good = 1;
    char   *text = mymalloc(3 * RX_WINDOW);

    /* A short match placed across each window edge is seen. */
    for (pos = RX_WINDOW - 8; pos < RX_WINDOW + 2 && good; pos++) {
	RX_WIN w;
	size_t  i;

	memset(text, 'x', 3 * RX_WINDOW);
	memcpy(text + pos, "NEEDLE", 6);
	rxw_init(&w);
	rx_found = 0;
	for (i = 0; i < 3 * RX_WINDOW; i += 1000)
	    rxw_feed(&w, text + i, 3 * RX_WINDOW - i < 1000 ? 3 * RX_WINDOW - i
		     : 1000, rx_run, NULL);
	rxw_flush(&w, rx_run, NULL);
	rxw_free(&w);
	if (!rx_found)
	    good = 0;
    }
    ok(good, "regex window: match across the window edge found");
    myfree(text);
}

/* The SCAN API as the milter drives it. */

static const char *conf_text =
"rules = (\n"
" { name = \"snd\"; sender = { domains = [ \"bad.example\" ]; }; action = \"reject\"; },\n"
" { name = \"rc\"; recipient = { addresses = [ \"x@y.example\" ]; }; action = \"hold\"; },\n"
" { name = \"t\"; keywords = { words = [ \"hello\" ]; }; action = \"tag\";\n"
"   tag_header = \"X-T: yes\"; subject_prefix = \"[T]\"; },\n"
" { name = \"st\"; attachment = { extensions = [ \"zip\" ]; }; action = \"strip\"; },\n"
" { name = \"kw\"; keywords = { words = [ \"stop now\" ]; }; action = \"discard\"; },\n"
" { name = \"exe\"; attachment = { extensions = [ \"exe\" ]; }; action = \"reject\"; }\n"
");\n";

static SCONF *load_conf(void)
{
    char    path[] = "/tmp/engine_unit_XXXXXX";
    int     fd = mkstemp(path);
    CFG_ERRS e;
    SCONF  *c;

    if (write(fd, conf_text, strlen(conf_text)) < 0)
	return NULL;
    close(fd);
    cfg_errs_init(&e, path);
    c = sconf_load(path, &e);
    if (c == NULL)
	cfg_errs_print(&e);
    cfg_errs_free(&e);
    unlink(path);
    return c;
}

static const char *body =
"--b\r\n"
"Content-Type: text/plain\r\n\r\n"
"hello there\r\n"
"--b\r\n"
"Content-Type: application/zip; name=\"a.zip\"\r\n"
"Content-Transfer-Encoding: base64\r\n\r\n"
"UEsDBA==\r\n"
"--b\r\n"
"Content-Type: application/zip; name=\"b.ZIP\"\r\n\r\n"
"PK\r\n"
"--b--\r\n";

/* A name rule decides when the part's header is complete: the caller is
 * told before a byte of the 8 MB attachment body is fed. */
static void test_early_attachment(SCONF *c)
{
    static const char head[] =
	"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
	"--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
	"--b\r\nContent-Type: application/octet-stream; name=\"setup.exe\"\r\n"
	"Content-Transfer-Encoding: base64\r\n\r\n";
    char    line[78];
    SCAN   *s = scan_new(c, DIR_INBOUND);
    size_t  fed = 0;
    int     r = 0;

    memset(line, 'A', 76);
    line[76] = '\r';
    line[77] = '\n';
    r = scan_data(s, head, sizeof(head) - 1);
    while (!r && fed < 8u * 1024 * 1024) {
	r = scan_data(s, line, sizeof(line));
	fed += sizeof(line);
    }
    ok(r == 1 && fed <= sizeof(line), "exe rule decides at the part header "
       "(%zu body bytes fed)", fed);
    is_str(scan_verdict(s)->rule, "exe", "verdict names the exe rule");
    is_str(scan_verdict(s)->part, "1.2", "verdict names the part");
    scan_free(s);
}

static void test_scan(SCONF *c)
{
    SCAN   *s;
    const VERDICT *v;
    size_t  n, i;
    const TAG_HEADER *t;
    const STRIP_RANGE *r;
    FILE   *in, *out;
    char    res[2048];
    size_t  got;

    s = scan_new(c, DIR_INBOUND);
    is_int(scan_sender(s, "<a@mail.bad.example>"), 1, "sender rule decides at MAIL");
    v = scan_verdict(s);
    is_str(v->rule, "snd", "sender rule name");
    is_str(v->reply, "550 5.7.1 Message rejected by policy", "default reject reply");
    scan_free(s);

    s = scan_new(c, DIR_INBOUND);
    is_int(scan_sender(s, "a@notbad.example"), 0, "label boundary: notbad.example no match");
    is_int(scan_rcpt(s, "z@y.example"), 0, "other recipient: no verdict");
    is_int(scan_rcpt(s, "X@Y.example"), 1, "recipient rule decides at RCPT");
    is_int(scan_verdict(s)->action, ACT_HOLD, "hold");
    scan_free(s);

    /* Milter API, body cut at every byte: tags, then strip at EOM. */
    s = scan_new(c, DIR_OUTBOUND);
    scan_sender(s, "");
    scan_rcpt(s, "a@b.example");
    scan_header(s, "Subject", "hi");
    scan_header(s, "Content-Type", "multipart/mixed;\r\n boundary=b");
    is_int(scan_eoh(s), 0, "eoh: nothing yet");
    for (i = 0; i < strlen(body); i++)
	if (scan_body(s, body + i, 1))
	    break;
    is_int(i, strlen(body), "strip does not end the body early");
    is_int(scan_eom(s), 1, "eom: terminal");
    v = scan_verdict(s);
    is_int(v->action, ACT_STRIP, "strip verdict");
    is_str(v->filename, "a.zip", "strip verdict names the first file");
    t = scan_tag_headers(s, &n);
    ok(n == 1 && strcmp(t[0].name, "X-T") == 0 && strcmp(t[0].value, "yes") == 0,
       "tag header recorded");
    is_str(scan_subject_prefix(s), "[T]", "subject prefix");
    is_str(scan_subject(s), "hi", "raw subject");
    r = scan_strip_ranges(s, &n);
    is_int(n, 2, "two strip ranges");
    ok(n == 2 && strncmp(body + r[0].start, "Content-Type: application/zip; name=\"a.zip\"", 40) == 0
       && strncmp(body + r[0].end, "\r\n--b\r\n", 7) == 0, "range 1 covers part 1.2 exactly");
    ok(n == 2 && strncmp(body + r[1].end, "\r\n--b--", 7) == 0, "range 2 ends before the close delimiter");
    scan_strip_headers(s, &n);
    is_int(n, 0, "no header changes for a multipart strip");
    in = tmpfile();
    out = tmpfile();
    fputs(body, in);
    rewind(in);
    is_int(strip_rewrite(s, in, out), 0, "strip_rewrite ok");
    rewind(out);
    got = fread(res, 1, sizeof(res) - 1, out);
    res[got] = 0;
    ok(strstr(res, "UEsDBA") == NULL && strstr(res, "PK\r\n") == NULL
       && strstr(res, "hello there") && strstr(res, "--b--\r\n"),
       "rewritten body: parts gone, rest kept");
    fclose(in);
    fclose(out);
    /* A body cut short inside a stripped part is not the one scanned. */
    in = tmpfile();
    out = tmpfile();
    fwrite(body, 1, (size_t) r[1].end - 1, in);
    rewind(in);
    is_int(strip_rewrite(s, in, out), -1, "strip_rewrite: short input fails");
    fclose(in);
    fclose(out);
    scan_log(s, "ABC123");
    scan_free(s);

    /* scan_data: keyword split across chunks; early return. */
    s = scan_new(c, DIR_INBOUND);
    {
	const char *m = "Subject: x\r\n\r\nplease stop\r\n   NOW and then more\r\n";
	int     rc = 0;

	for (i = 0; m[i] && !rc; i++)
	    rc = scan_data(s, m + i, 1);
	is_int(rc, 1, "keyword across lines decides during the body");
	ok(m[i] != 0, "decided before the end of the message");
	is_int(scan_verdict(s)->action, ACT_DISCARD, "discard");
    }
    scan_free(s);

    /* Single-part attachment: whole-body strip and header changes. */
    s = scan_new(c, DIR_INBOUND);
    scan_header(s, "Content-Type", "application/zip; name=all.zip");
    scan_eoh(s);
    scan_body(s, "PK..", 4);
    scan_eom(s);
    r = scan_strip_ranges(s, &n);
    ok(n == 1 && r[0].start == 0 && r[0].end == 4, "whole body range");
    t = scan_strip_headers(s, &n);
    ok(n == 3 && strcmp(t[0].name, "Content-Type") == 0 && t[2].value == NULL,
       "whole body: Content-Type replaced, Content-Disposition deleted");
    scan_free(s);
}

/* A 50 MB message must not cost 50 MB: sample the heap after each chunk
 * (glibc's mallinfo2; under ASan this sees nothing and passes). */
static void test_memory(SCONF *c)
{
    SCAN   *s = scan_new(c, DIR_INBOUND);
    char   *chunk = mymalloc(65536);
    size_t  i, total = 0, base, peak = 0;
    const char *hdr = "Content-Type: multipart/mixed; boundary=m\r\n\r\n"
	"--m\r\nContent-Type: text/plain\r\n\r\n";
    const char *mid = "\r\n--m\r\nContent-Type: application/zip; name=a.zip\r\n"
	"Content-Transfer-Encoding: base64\r\n\r\n";

    for (i = 0; i < 65536; i++)
	chunk[i] = (i % 78 == 76) ? '\r' : (i % 78 == 77) ? '\n' : "ab cd"[i % 5];
    base = mallinfo2().uordblks;
    scan_data(s, hdr, strlen(hdr));
    for (i = 0; i < 160; i++, total += 65536) {
	scan_data(s, chunk, 65536);
	if (mallinfo2().uordblks > base && mallinfo2().uordblks - base > peak)
	    peak = mallinfo2().uordblks - base;
    }
    scan_data(s, mid, strlen(mid));
    for (i = 0; i < 640; i++, total += 65536) {
	scan_data(s, chunk, 65536);
	if (mallinfo2().uordblks > base && mallinfo2().uordblks - base > peak)
	    peak = mallinfo2().uordblks - base;
    }
    scan_eom(s);
    ok(total >= 50 * 1000 * 1000 && peak < 1024 * 1024,
       "50 MB message: heap growth %zu bytes (< 1 MB)", peak);
    is_int(scan_verdict(s)->action, ACT_STRIP, "and the zip is found at the end");
    scan_free(s);
    myfree(chunk);
}

int     main(void)
{
    SCONF  *c;

    test_decoders();
    test_headers();
    test_2047_linear();
    test_addresses();
    test_names();
    test_matcher();
    test_window();
    c = load_conf();
    ok(c != NULL, "config loads");
    if (c) {
	test_scan(c);
	test_early_attachment(c);
	test_memory(c);
	sconf_unref(c);
    }
    return tap_done();
}
