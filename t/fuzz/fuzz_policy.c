/*
 * fuzz_policy.c - libFuzzer target: the policy protocol parser and the
 * relay rules, fed what a hostile client on the policy socket could send.
 *
 * The first input byte selects the read size (1-256 bytes), as network
 * reads would split the stream; every complete request is decided against
 * a config with all three listener kinds, rate limits and sender login,
 * as policyd's event loop does, until the parser calls the stream
 * malformed.
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "pconf.h"
#include "preq.h"
#include "prules.h"

int     LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char conf_text[] =
"policyd = { listen = \"inet:127.0.0.1:10040\"; };\n"
"hosted_domains = [ \"example.com\", \"example.net\" ];\n"
"listeners = {\n"
"  public = { relay = \"hosted\"; auth = \"deny\"; };\n"
"  submission = { relay = \"authenticated\"; auth = \"require\"; tls = \"require\";\n"
"               min_cipher_bits = 128; min_tls_version = \"TLSv1.2\";\n"
"               sender_login = \"match\"; };\n"
"  internal = { relay = \"anywhere\"; clients = [ \"10.1.1.25\", \"2001:db8::/32\" ]; };\n"
"};\n";

static PCONF *conf;
static PRATES rates;
static PSESSION sess;

static void setup(void)
{
    char    path[] = "/tmp/fuzz_policy_XXXXXX";
    int     fd = mkstemp(path);
    CFG_ERRS e;

    if (fd < 0 || write(fd, conf_text, sizeof(conf_text) - 1) < 0)
	abort();
    close(fd);
    msg_init("fuzz", 0, 0);
    cfg_errs_init(&e, path);
    if ((conf = pconf_load(path, &e)) == NULL) {
	cfg_errs_print(&e);
	abort();
    }
    cfg_errs_free(&e);
    unlink(path);
    prates_init(&rates, 64);
}

int     LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    PPARSER p;
    PREQ    req;
    PDECISION d;
    const char *why;
    size_t  step, off;
    int64_t now = 1000000000;
    int     r = 0;

    if (conf == NULL)
	setup();
    if (size == 0)
	return 0;
    step = (size_t) data[0] + 1;
    data++;
    size--;
    preq_init(&p);
    for (off = 0; off < size && r >= 0; off += step) {
	size_t  n = size - off < step ? size - off : step;

	if (preq_feed(&p, (const char *) data + off, n) < 0)
	    break;
	while ((r = preq_next(&p, &req, &why)) == 1) {
	    memset(&d, 0, sizeof(d));
	    policy_decide(conf, &rates, &sess, &req, now++, &d);
	    /* one reply line, always set: no injected second line */
	    if (d.action[0] == 0 || strpbrk(d.action, "\r\n") != NULL)
		abort();
	    preq_consume(&p);
	}
    }
    preq_free(&p);
    return 0;
}
