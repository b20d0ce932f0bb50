/*
 * common_test.c - unit tests of common/: printable, kvlog, addresses,
 * CIDR, sizes, strict config access and list files.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "cfgutil.h"
#include "cidr.h"
#include "kvlog.h"
#include "mymalloc.h"
#include "printable.h"
#include "tap.h"

static void test_printable(void)
{
    char    out[64];

    is_str(printable(out, sizeof(out), "a\r\nb", 4, 100), "a\\x0d\\x0ab",
	   "CR LF escaped");
    is_str(printable(out, sizeof(out), "q\"\\", 3, 100), "q\\\"\\\\",
	   "quote and backslash escaped");
    is_str(printable(out, sizeof(out), "abcdef", 6, 3), "abc...", "capped");
    is_str(printable(out, 8, "abcdefghij", 10, 100), "abcd...",
	   "small buffer cut with marker");
    is_str(printable(out, sizeof(out), "\xc3\xa9", 2, 100), "\\xc3\\xa9",
	   "8-bit escaped");
}

static void test_kvlog(void)
{
    KVLOG   kv;
    char    big[5000];
    int     i;

    kv_init(&kv);
    kv_add(&kv, "a", "x");
    kv_add(&kv, "b", "two words");
    kv_add(&kv, "c", "");
    kv_add(&kv, "d", NULL);
    kv_add(&kv, "e", "evil\nfake=1");
    is_str(kv_str(&kv), "a=x b=\"two words\" c=\"\" d=- e=\"evil\\x0afake=1\"",
	   "kv line escaped and quoted");
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    kv_init(&kv);
    for (i = 0; i < 20; i++)
	kv_add(&kv, "k", big);
    ok(strlen(kv_str(&kv)) < KV_LINE_MAX, "kv line bounded");
    ok(strstr(kv_str(&kv), "truncated=yes") != NULL, "kv truncation marked");
}

static void test_addr(void)
{
    char    out[ADDR_MAX + 1];

    is_int(addr_clean(" <a@b.example> ", out, sizeof(out)), 11, "clean length");
    is_str(out, "a@b.example", "clean strips <> and space");
    is_str(addr_domain("x@y@z.example"), "z.example", "domain after last @");
    ok(addr_domain("nodomain") == NULL, "no domain");
    ok(domain_within("mail.bad.example", "bad.example"), "subdomain matches");
    ok(domain_within("BAD.example.", "bad.EXAMPLE"), "caseless, trailing dot");
    ok(!domain_within("notbad.example", "bad.example"), "label boundary only");
    ok(!domain_within("example", "bad.example"), "shorter does not match");
    ok(domain_equal("Example.COM", "example.com."), "domain_equal caseless");
    ok(!domain_equal("example.com.au", "example.com"), "no suffix equality");
}

static void test_cidr(void)
{
    CIDR    c;

    ok(cidr_parse("10.0.0.0/8", &c) == 0, "parse v4 net");
    ok(cidr_match(&c, "10.200.3.4"), "v4 inside");
    ok(!cidr_match(&c, "11.0.0.1"), "v4 outside");
    ok(cidr_match(&c, "::ffff:10.1.1.1"), "v4-mapped v6 inside");
    ok(cidr_parse("10.1.2.3/8", &c) < 0, "host bits set refused");
    ok(cidr_parse("10.1.1.25", &c) == 0 && c.bits == 32, "bare address /32");
    ok(cidr_match(&c, "10.1.1.25") && !cidr_match(&c, "10.1.1.26"), "/32 exact");
    ok(cidr_parse("2001:db8::/32", &c) == 0, "parse v6 net");
    ok(cidr_match(&c, "2001:db8:1::5"), "v6 inside");
    ok(cidr_match(&c, "IPv6:2001:db8::1"), "IPv6: prefix accepted");
    ok(!cidr_match(&c, "2001:db9::1"), "v6 outside");
    ok(cidr_parse("10.0.0.0/33", &c) < 0, "prefix too long");
    ok(cidr_parse("garbage", &c) < 0, "garbage refused");
    ok(cidr_parse("10.0.0.0/", &c) < 0, "empty prefix refused");
    ok(cidr_parse("0.0.0.0/0", &c) == 0 && cidr_match(&c, "192.0.2.1"),
       "0/0 matches all v4");
    ok(!cidr_match(&c, "nonsense"), "unparsable address never matches");
}

static void test_size(void)
{
    unsigned long long v;

    ok(parse_size("10M", ~0ULL, &v) == 0 && v == 10485760, "10M");
    ok(parse_size("512k", ~0ULL, &v) == 0 && v == 524288, "512k");
    ok(parse_size("7", ~0ULL, &v) == 0 && v == 7, "plain number");
    ok(parse_size("1G", 1000, &v) < 0, "over max refused");
    ok(parse_size("10X", ~0ULL, &v) < 0, "bad suffix refused");
    ok(parse_size("-1", ~0ULL, &v) < 0, "negative refused");
    ok(parse_size("99999999999999999999999", ~0ULL, &v) < 0, "overflow refused");
}

static char *write_tmp(const char *text)
{
    char   *path = mystrdup("/tmp/rs-common-test-XXXXXX");
    int     fd = mkstemp(path);

    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t) strlen(text))
	abort();
    close(fd);
    return path;
}

static void test_cfg(void)
{
    static const char *const keys[] = {"name", "count", "on", "size", "list",
	"mode", "file", NULL};
    static const char *const modes[] = {"fast", "slow", NULL};
    char   *list = write_tmp("# comment\n  exe  \n\nscr # trailing\n");
    char    text[1024];
    char   *path;
    config_t cf;
    CFG_ERRS e;
    const char *s;
    long long n;
    int     b, m;
    unsigned long long sz;
    STRLIST sl;

    snprintf(text, sizeof(text),
	     "name = \"x\";\ncount = 5;\non = true;\nsize = \"2K\";\n"
	     "list = [\"a\", \"b\"];\nmode = \"slow\";\nfile = \"%s\";\n", list);
    path = write_tmp(text);
    config_init(&cf);
    cfg_errs_init(&e, path);
    ok(cfg_load(&cf, path, &e) == 0, "config parses");
    ok(cfg_check_keys(config_root_setting(&cf), keys, &e) == 0, "keys ok");
    ok(cfg_get_string(config_root_setting(&cf), "name", &s, &e) == 1
       && strcmp(s, "x") == 0, "string");
    ok(cfg_get_int(config_root_setting(&cf), "count", 0, 10, &n, &e) == 1
       && n == 5, "int");
    ok(cfg_get_bool(config_root_setting(&cf), "on", &b, &e) == 1 && b, "bool");
    ok(cfg_get_size(config_root_setting(&cf), "size", ~0ULL, &sz, &e) == 1
       && sz == 2048, "size");
    ok(cfg_get_enum(config_root_setting(&cf), "mode", modes, &m, &e) == 1
       && m == 1, "enum");
    strlist_init(&sl);
    ok(cfg_get_strings(config_root_setting(&cf), "list", &sl, &e) == 1
       && sl.n == 2, "string list");
    ok(cfg_get_string(config_root_setting(&cf), "file", &s, &e) == 1
       && cfg_read_list_file(config_setting_get_member(config_root_setting(&cf),
						       "file"), s, &sl, &e) == 1
       && sl.n == 4 && strcmp(sl.v[2], "exe") == 0 && strcmp(sl.v[3], "scr") == 0,
       "list file: comments, blanks and spaces dropped");
    ok(cfg_get_string(config_root_setting(&cf), "absent", &s, &e) == 0,
       "absent key");
    is_int(e.count, 0, "no errors so far");
    strlist_free(&sl);
    config_destroy(&cf);
    cfg_errs_free(&e);
    unlink(path);
    myfree(path);

    /* every problem reported, each with its line */
    path = write_tmp("nmae = \"x\";\ncount = \"5\";\nmode = \"medium\";\n"
		     "count2 = 1;\nsize = \"5Q\";\nfile = \"/nonexistent/list\";\n");
    config_init(&cf);
    cfg_errs_init(&e, path);
    cfg_load(&cf, path, &e);
    cfg_check_keys(config_root_setting(&cf), keys, &e);
    cfg_get_int(config_root_setting(&cf), "count", 0, 10, &n, &e);
    cfg_get_enum(config_root_setting(&cf), "mode", modes, &m, &e);
    cfg_get_size(config_root_setting(&cf), "size", ~0ULL, &sz, &e);
    strlist_init(&sl);
    cfg_read_list_file(config_setting_get_member(config_root_setting(&cf), "file"),
		       "/nonexistent/list", &sl, &e);
    is_int(e.count, 6, "six errors");
    snprintf(text, sizeof(text), "%s:1: unknown key \"nmae\"", path);
    is_str(e.msgs.n > 0 ? e.msgs.v[0] : NULL, text, "unknown key at line 1");
    snprintf(text, sizeof(text), "%s:2: \"count\" must be an integer, not a string", path);
    is_str(e.msgs.n > 2 ? e.msgs.v[2] : NULL, text, "wrong type at line 2");
    ok(e.msgs.n > 3 && strstr(e.msgs.v[3], ":3: \"mode\": unknown value") != NULL,
       "bad enum at line 3");
    ok(e.msgs.n > 5 && strstr(e.msgs.v[5], ":6: cannot read list file") != NULL,
       "unreadable list file at its setting's line");
    strlist_free(&sl);
    config_destroy(&cf);
    cfg_errs_free(&e);
    unlink(path);
    myfree(path);

    path = write_tmp("a = 1;\nb = [1, \n");
    config_init(&cf);
    cfg_errs_init(&e, path);
    ok(cfg_load(&cf, path, &e) < 0 && e.count == 1, "syntax error reported");
    snprintf(text, sizeof(text), "%s:3:", path);
    ok(e.msgs.n == 1 && strncmp(e.msgs.v[0], text, strlen(text)) == 0,
       "syntax error carries file:line (%s)", e.msgs.n ? e.msgs.v[0] : "");
    config_destroy(&cf);
    cfg_errs_free(&e);
    unlink(path);
    myfree(path);
    unlink(list);
    myfree(list);
}

int     main(void)
{
    test_printable();
    test_kvlog();
    test_addr();
    test_cidr();
    test_size();
    test_cfg();
    return tap_done();
}
