/*
 * mime_readings.c - unit tests of the pieces that read a message the way
 * clients (and Python) do: both decoder readings at every split, the
 * parameter readings, address lists as clients show them, the saved
 * forms of a file name, and the WHATWG charset labels.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "charset.h"
#include "filename.h"
#include "mime_decode.h"
#include "mime_header.h"
#include "tap.h"

/* Decode in two pieces split at every position, in the client reading
 * (python 0) or Python's (1); all splits must agree with want. */
static void splits(CTE cte, int python, const char *in, const char *want,
		           const char *what)
{
    size_t  len = strlen(in), cut, wl = strlen(want);
    int     good = 1;

    for (cut = 0; cut <= len && good; cut++) {
	unsigned char out[1024];
	DECODER d;
	size_t  n;

	if (python)
	    decoder_init_python(&d, cte);
	else
	    decoder_init(&d, cte);
	n = decoder_run(&d, (const unsigned char *) in, cut, out);
	n += decoder_run(&d, (const unsigned char *) in + cut, len - cut,
			 out + n);
	n += decoder_finish(&d, out + n);
	if (n != wl || memcmp(out, want, wl) != 0) {
	    good = 0;
	    printf("# split at %zu: got '%.*s'\n", cut, (int) n, out);
	}
    }
    ok(good, "%s: every split decodes alike", what);
}

static void test_decoders(void)
{
    splits(CTE_QP, 0, "abc  \r\ndef\t\r\nx=20\r\ny \t", "abc\r\ndef\r\nx \r\ny",
	   "QP: trailing white space deleted, an encoded space kept");
    splits(CTE_QP, 1, "abc  \r\ndef\t\r\nx=20\r\ny \t", "abc  \r\ndef\t\r\nx \r\ny \t",
	   "QP, Python's reading: trailing white space kept");
    splits(CTE_QP, 0, "a  =\r\nb", "a  b", "QP: white space before a soft break kept");
    splits(CTE_QP, 0, "end=", "end", "QP: '=' at the very end is a soft break");
    splits(CTE_QP, 1, "a= b==41", "a= b=41", "QP, Python's reading: '= ' and '=='");
    splits(CTE_BASE64, 0, "SGk=SGk=", "HiHi", "base64: decoding goes on after a pad");
    splits(CTE_BASE64, 1, "SGk=SGk=", "Hi", "base64, Python's reading: ends at the pad");
    splits(CTE_BASE64, 1, "YW=Jj\r\nZA==", "abcd",
	   "base64, Python's reading: an early pad is skipped");
}

static void acc_cb(void *ctx, const char *name, const char *value)
{
    char   *acc = ctx;

    snprintf(acc + strlen(acc), 512 - strlen(acc), "[%s=%s]", name, value);
}

static void params(const char *value, int flags, const char *want,
		           const char *what)
{
    char    tok[64], acc[512] = "";

    mime_parse_params(value, tok, sizeof(tok), flags, acc_cb, acc);
    is_str(acc, want, "%s", what);
}

static void test_params(void)
{
    params("attachment; filename=\"a.txt\" .exe", PARAM_RAW,
	   "[filename=\"a.txt\" .exe]", "compat32 reading: the whole segment");
    params("attachment; filename=\"a\\\\b.exe\"", PARAM_RAW,
	   "[filename=a\\b.exe]", "compat32 reading: quoted at both ends");
    params("attachment; x=1, filename=e.exe", PARAM_COMMA,
	   "[x=1][filename=e.exe]", "comma reading");
    params("attachment; filename=a(1).exe; name=\"q\" (c)", 0,
	   "[filename=a(1).exe][name=q]", "client reading");
}

static void addr_cb(void *ctx, const char *a)
{
    char   *acc = ctx;

    snprintf(acc + strlen(acc), 512 - strlen(acc), "[%s]", a);
}

static void addrs(const char *value, const char *want)
{
    char    acc[512] = "";

    hdr_addresses(value, addr_cb, acc);
    is_str(acc, want, "addresses of '%s'", value);
}

static void test_addresses(void)
{
    addrs("Bob <bob@ evil.example>", "[bob@evil.example]");
    addrs("bob@(comment)evil.example", "[bob@evil.example]");
    addrs("bob@evil(x).example", "[bob@evil.example]");
    addrs("Team: bob@evil.example, c@d.example;", "[bob@evil.example][c@d.example]");
    addrs("\"bob\"@evil.example", "[\"bob\"@evil.example]");
    addrs("\"bob@evil.example\" <ok@good.example>",
	  "[bob@evil.example][ok@good.example]");
    addrs("=?utf-8?q?bob=40evil.example?= <ok@good.example>",
	  "[ok@good.example][bob@evil.example][ok@good.example]");
    addrs("<@relay.example:bob@evil.example>", "[bob@evil.example]");
    addrs("Undisclosed recipients: ;", "");
    addrs("x)u, a)b@c.example ))", "[b@c.example]");      /* fuzzer */
}

static void forms(const char *name, const char *want)
{
    char    out[NAME_VARIANTS][ATTACH_NAME_MAX], acc[1024] = "";
    size_t  n, i;
    int     ctl;

    n = filename_variants(name, out, &ctl);
    for (i = 0; i < n; i++)
	snprintf(acc + strlen(acc), sizeof(acc) - strlen(acc), "[%s]", out[i]);
    is_str(acc, want, "saved forms of '%s'", name);
}

static void test_filenames(void)
{
    forms("Evil.exe\xc2\xa0", "[evil.exe]");
    forms("evil.exe\xe3\x80\x80", "[evil.exe]");
    forms("evil.exe\xe2\x80\x82.\xe2\x80\x8a", "[evil.exe]");
    forms("evil.exe\xc2\x85", "[evil.exe]");
    forms("evil.exe*?\"<>|", "[evil.exe]");
    forms("evil.exe::$DATA", "[evil.exe][evil.exe__$data]");
    forms("notes.txt:evil.exe", "[notes.txt][notes.txt_evil.exe]");
    forms("a<b>.exe", "[a<b>.exe][a_b_.exe]");
    /* a name cut inside U+2000-200A's lead bytes: not white space, and
     * nothing read past its end (found by fuzz_mime in a long run) */
    forms("evil.exe\xe2\x80", "[evil.exe\xe2\x80]");
    forms("invoice \xc2\xa0 2024.pdf", "[invoice \xc2\xa0 2024.pdf][invoice 2024.pdf]");
}

static void label(const char *l, const char *want)
{
    const char *got = charset_iconv_name(l);

    is_str(got ? got : "(none)", want, "charset label '%s'", l);
}

static void test_labels(void)
{
    label("unicodeFEFF", "UTF-16LE");
    label("iso-10646-ucs-2", "UTF-16LE");
    label(" Latin1 ", "CP1252");
    label("unicode-1-1-utf-7", "UTF-7");
    label("ks_c_5601-1987", "CP949");
    label("x-mac-roman", "MACINTOSH");
    label("no-such-label", "(none)");
    ok(charset_is_utf8("unicode-1-1-utf-8"), "a UTF-8 label passes through");
}

int     main(void)
{
    test_decoders();
    test_params();
    test_addresses();
    test_filenames();
    test_labels();
    return tap_done();
}
