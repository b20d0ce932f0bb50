/*
 * policyd_proto.c - unit tests of the policy protocol parser (preq.c):
 * complete and incremental requests, pipelining, every limit and every
 * kind of malformed input.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "mymalloc.h"
#include "preq.h"
#include "tap.h"

#define BASE "request=smtpd_access_policy\nprotocol_state=RCPT\n"

/* Feed text in chunks of `step' bytes; return the last preq_next result. */
static int parse(const char *text, size_t len, size_t step, PPARSER *p,
		         PREQ *r, const char **why)
{
    size_t  off = 0;
    int     rc = 0;

    preq_init(p);
    *why = NULL;
    while (off < len) {
	size_t  n = len - off < step ? len - off : step;

	if (preq_feed(p, text + off, n) < 0) {
	    rc = preq_next(p, r, why);
	    return rc == 1 ? 1 : -2;
	}
	off += n;
	if ((rc = preq_next(p, r, why)) != 0)
	    return rc;
    }
    return rc;
}

/* The request points into the parser's buffer: keep it until the next
 * call (or parse_str(NULL) at the end). */
static int parse_str(const char *text, PREQ *r, const char **why)
{
    static PPARSER p;

    preq_free(&p);
    if (text == NULL)
	return 0;
    return parse(text, strlen(text), strlen(text) + 1, &p, r, why);
}

static void test_basic(void)
{
    PPARSER p;
    PREQ    r;
    const char *why;
    const char *t = BASE "recipient=a@example.com\nsender=\nfuture_attr=x=y\n"
    "client_address=192.0.2.1\n\n";
    size_t  step;

    ok(parse(t, strlen(t), 4096, &p, &r, &why) == 1, "complete request parses");
    is_str(preq_get(&r, PA_RECIPIENT), "a@example.com", "recipient value");
    is_str(preq_get(&r, PA_SENDER), "", "empty value reads as empty");
    is_str(preq_get(&r, PA_SASL_USERNAME), "", "absent value reads as empty");
    ok(r.attr[PA_SASL_USERNAME] == NULL, "absent attribute is NULL");
    is_str(preq_get(&r, PA_CLIENT_ADDRESS), "192.0.2.1", "value after unknown attribute");
    is_int(r.nattr, 6, "attribute count includes unknown ones");
    preq_consume(&p);
    ok(p.len == 0, "consume empties the buffer");
    preq_free(&p);

    for (step = 1; step <= 7; step += 3) {
	ok(parse(t, strlen(t), step, &p, &r, &why) == 1,
	   "request fed %zu byte(s) at a time parses", step);
	is_str(preq_get(&r, PA_CLIENT_ADDRESS), "192.0.2.1", "same values (step %zu)", step);
	preq_free(&p);
    }
}

static void test_pipeline(void)
{
    PPARSER p;
    PREQ    r;
    const char *why;
    const char *t = BASE "recipient=one@x.example\n\n" BASE "recipient=two@x.example\n\n"
    BASE "recipient=thr";

    preq_init(&p);
    ok(preq_feed(&p, t, strlen(t)) == 0, "feed three requests");
    ok(preq_next(&p, &r, &why) == 1, "first of pipelined requests");
    is_str(preq_get(&r, PA_RECIPIENT), "one@x.example", "first recipient");
    preq_consume(&p);
    ok(preq_next(&p, &r, &why) == 1, "second of pipelined requests");
    is_str(preq_get(&r, PA_RECIPIENT), "two@x.example", "second recipient");
    preq_consume(&p);
    ok(preq_next(&p, &r, &why) == 0, "third is incomplete");
    ok(preq_partial(&p), "partial request is reported (EOF now = cut off)");
    preq_feed(&p, "ee@x.example\n\n", 14);
    ok(preq_next(&p, &r, &why) == 1, "third completes");
    is_str(preq_get(&r, PA_RECIPIENT), "three@x.example", "third recipient");
    preq_consume(&p);
    ok(!preq_partial(&p), "nothing left");
    preq_free(&p);
}

static void test_crlf(void)
{
    PREQ    r;
    const char *why;

    ok(parse_str("request=smtpd_access_policy\r\nrecipient=a@b.example\r\n\r\n",
		 &r, &why) == 1, "CRLF line ends are tolerated");
    is_str(preq_get(&r, PA_RECIPIENT), "a@b.example", "CR stripped from value");
}

static void expect_bad(const char *text, size_t len, const char *want, const char *name)
{
    PPARSER p;
    PREQ    r;
    const char *why = NULL;
    int     rc = parse(text, len, len + 1, &p, &r, &why);

    ok(rc == -1 || rc == -2, "%s is malformed", name);
    if (want)
	is_str(why, want, "%s: reason", name);
    preq_free(&p);
}

static void test_malformed(void)
{
    static const char nul[] = "request=smtpd_access_policy\nrecipient=a\0b\n\n";
    char   *big;
    size_t  i;
    PREQ    r;
    const char *why;

    expect_bad("recipient=a@b.example\n\n", 23, "no request=smtpd_access_policy",
	       "request without request=");
    expect_bad("request=junk\n\n", 14, "no request=smtpd_access_policy",
	       "wrong request type");
    expect_bad("\n", 1, "empty request", "empty line only");
    expect_bad("hello\n\n", 7, "line without '='", "line without =");
    expect_bad("=value\n\n", 8, "bad attribute name length", "empty name");
    expect_bad("na me=v\n\n", 9, "bad attribute name", "space in name");
    expect_bad(nul, sizeof(nul) - 1, "control character in value", "NUL in value");
    expect_bad("request=smtpd_access_policy\nsender=a\033b\n\n", 41,
	       "control character in value", "escape in value");
    expect_bad("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n\n", 13, NULL,
	       "binary garbage (TLS hello)");
    expect_bad(BASE "recipient=a@b\nrecipient=c@d\n\n", strlen(BASE) + 30,
	       "duplicate attribute", "duplicate known attribute");
    ok(parse_str(BASE "x_unknown=1\nx_unknown=2\n\n", &r, &why) == 1,
       "duplicate unknown attribute is ignored");

    /* Line length: PREQ_LINE_MAX bytes with the newline pass, one more fails. */
    big = mymalloc(PREQ_REQ_MAX * 2);
    strcpy(big, "request=smtpd_access_policy\nxx=");
    i = strlen(big);
    memset(big + i, 'a', PREQ_LINE_MAX - 4);
    strcpy(big + i + PREQ_LINE_MAX - 4, "\n\n");
    ok(parse_str(big, &r, &why) == 1, "line of exactly PREQ_LINE_MAX bytes passes");
    memset(big + i, 'a', PREQ_LINE_MAX - 3);
    strcpy(big + i + PREQ_LINE_MAX - 3, "\n\n");
    expect_bad(big, strlen(big), "line too long", "line of PREQ_LINE_MAX+1 bytes");
    /* Without any newline at all, the limit still holds. */
    memset(big, 'a', PREQ_REQ_MAX);
    expect_bad(big, PREQ_REQ_MAX, "line too long", "endless line without newline");

    /* Attribute count. */
    strcpy(big, "request=smtpd_access_policy\n");
    for (i = 1; i < PREQ_ATTR_MAX; i++)
	strcat(big, "a=1\n");
    strcat(big, "\n");
    ok(parse_str(big, &r, &why) == 1, "PREQ_ATTR_MAX attributes pass");
    big[strlen(big) - 1] = 0;
    strcat(big, "a=1\n\n");
    expect_bad(big, strlen(big), "too many attributes", "PREQ_ATTR_MAX+1 attributes");

    /* Request size: long but legal lines that add up past the limit. */
    strcpy(big, "request=smtpd_access_policy\n");
    for (i = 0; i < 10; i++) {
	size_t  n = strlen(big);

	memcpy(big + n, "pad=", 4);
	memset(big + n + 4, 'p', 4000);
	strcpy(big + n + 4004, "\n");
    }
    strcat(big, "\n");
    expect_bad(big, strlen(big), "request too large", "request over PREQ_REQ_MAX");
    myfree(big);
}

int     main(void)
{
    test_basic();
    test_pipeline();
    test_crlf();
    test_malformed();
    parse_str(NULL, NULL, NULL);
    return tap_done();
}
