/*
 * policyd_rates.c - unit tests of the rate limits: the rate_limits
 * group (store, redis, on_store_error, sender_domain) and its errors,
 * messages counted once per message (Postfix's "instance", as Postfix
 * sends recipient_count=0 at every RCPT), keys normalised (case),
 * postmaster counted, refused recipients not counted, the sliding
 * window (no window-long interval over the limit, under a random
 * stream), LRU bounds, and the Redis call the store would make.
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mymalloc.h"
#include "pconf.h"
#include "predis_script.h"
#include "preq.h"
#include "prules.h"
#include "tap.h"

static char tmpdir[] = "/tmp/policyd_rates.XXXXXX";

static void write_file(const char *name, const char *text)
{
    char    path[256];
    FILE   *fp;

    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    if ((fp = fopen(path, "w")) == NULL) {
	perror(path);
	exit(1);
    }
    fputs(text, fp);
    fclose(fp);
}

static PCONF *load(const char *text, CFG_ERRS *e)
{
    char    path[256];

    write_file("policyd.conf", text);
    snprintf(path, sizeof(path), "%s/policyd.conf", tmpdir);
    cfg_errs_init(e, path);
    return pconf_load(path, e);
}

static int has_error(const CFG_ERRS *e, const char *needle)
{
    size_t  i;

    for (i = 0; i < e->msgs.n; i++)
	if (strstr(e->msgs.v[i], needle))
	    return 1;
    return 0;
}

#define LISTENERS \
"listeners = {\n" \
"  public = { relay = \"hosted\"; auth = \"deny\"; };\n" \
"  submission = { relay = \"authenticated\"; auth = \"require\"; };\n" \
"  internal = { relay = \"anywhere\"; clients = [ \"10.1.1.25\" ]; rate_limit = false; };\n" \
"};\n"

static const char *BASECONF =
"hosted_domains = [ \"example.com\" ];\n"
"rate_limits = { window = 60; table_size = 16;\n"
"  sasl_user = { messages = 2; recipients = 5; };\n"
"  client = { messages = 4; }; };\n" LISTENERS;

static PCONF *conf;
static PRATES rates;
static PSESSION sess;
static PDECISION dec;

/* Decide a request built from "name=value" strings (NULL-terminated) at
 * now seconds, on the session of one policy connection. */
static const char *decide_at(int64_t now, const char *first, ...)
{
    char    buf[8192];
    PPARSER p;
    PREQ    r;
    const char *why, *s;
    va_list ap;

    strcpy(buf, "request=smtpd_access_policy\n");
    va_start(ap, first);
    for (s = first; s; s = va_arg(ap, const char *)) {
	strcat(buf, s);
	strcat(buf, "\n");
    }
    va_end(ap);
    if (strstr(buf, "protocol_state=") == NULL)
	strcat(buf, "protocol_state=RCPT\n");
    strcat(buf, "\n");
    preq_init(&p);
    preq_feed(&p, buf, strlen(buf));
    if (preq_next(&p, &r, &why) != 1) {
	preq_free(&p);
	return "PARSE ERROR";
    }
    policy_decide(conf, &rates, &sess, &r, now * 1000, &dec);
    preq_free(&p);
    return dec.action;
}

#define R_MSGS  "450 4.7.1 Message rate limit exceeded, try again later"
#define R_RCPTS "452 4.7.1 Recipient rate limit exceeded, try again later"
/* A RCPT on the submission listener, as Postfix sends it: recipient_count=0. */
#define SUBMIT(now, user, inst) decide_at(now, "policy_context=submission", \
	"client_address=198.51.100.8", "sasl_username=" user, "sender=ann@example.com", \
	"recipient=r@outside.example", "recipient_count=0", "instance=" inst, \
	(const char *) 0)

static void test_config(void)
{
    CFG_ERRS e;
    PCONF  *c;

    c = load("rate_limits = { store = \"redis\"; on_store_error = \"memory\";\n"
	     "  redis = { server = \"127.0.0.1:6390\"; timeout_ms = 20; key_prefix = \"rs:\"; };\n"
	     "  sender_domain = { recipients = 7; }; };\n" LISTENERS, &e);
    ok(c && c->rate_store == STORE_REDIS && c->on_store_error == STORE_ERR_MEMORY
       && c->redis.port == 6390 && strcmp(c->redis.host, "127.0.0.1") == 0
       && c->redis.timeout_ms == 20 && strcmp(c->redis.key_prefix, "rs:") == 0
       && c->rate_domain.recipients == 7, "redis store settings load");
    pconf_free(c);
    cfg_errs_free(&e);

    c = load("rate_limits = { store = \"redis\"; redis = { server = \"unix:/run/redis/r.sock\"; }; };\n"
	     LISTENERS, &e);
    ok(c && c->redis.unix_path && strcmp(c->redis.unix_path, "/run/redis/r.sock") == 0,
       "redis over a UNIX socket");
    pconf_free(c);
    cfg_errs_free(&e);

    c = load("rate_limits = { store = \"redis\";\n"
	     "  redis = { server = \"redis.example:6379\"; }; };\n" LISTENERS, &e);
    ok(c == NULL && has_error(&e, "policyd.conf:2: redis.server"),
       "a host name as redis.server: FILE:LINE error");
    cfg_errs_free(&e);

    c = load("rate_limits = { store = \"redis\";\n  redis = { timeout_ms = 0;\n"
	     "  password_file = \"nope\"; bogus = 1; }; on_store_error = \"open\"; };\n"
	     LISTENERS, &e);
    ok(c == NULL && e.count == 4 && has_error(&e, ":3: redis.password_file")
       && has_error(&e, "unknown key \"bogus\""),
       "timeout 0, missing password file, unknown key, bad on_store_error: 4 errors (%d)",
       e.count);
    cfg_errs_free(&e);

    write_file("redis.pass", "s3cret-pw\n");
    c = load("rate_limits = { store = \"redis\"; redis = { password_file = \"redis.pass\"; }; };\n"
	     LISTENERS, &e);
    ok(c && c->redis.password && strcmp(c->redis.password, "s3cret-pw") == 0,
       "password read from password_file (relative to the config)");
    pconf_free(c);
    cfg_errs_free(&e);

    write_file("redis.pass", "two words\n");
    c = load("rate_limits = { store = \"redis\"; redis = { password_file = \"redis.pass\"; }; };\n"
	     LISTENERS, &e);
    ok(c == NULL && has_error(&e, "printable"), "password with a space refused");
    cfg_errs_free(&e);

    c = load("rate_limits = { redis = { server = \"127.0.0.1:1\"; }; };\n" LISTENERS, &e);
    ok(c == NULL && has_error(&e, "store is not"), "redis block without store = redis refused");
    cfg_errs_free(&e);
}

static void test_messages(void)
{
    int     i;

    /* Item 7: one message with 3 recipients is one message. */
    for (i = 0; i < 3; i++)
	is_str(SUBMIT(2000, "ann@example.com", "a1"), "DUNNO",
	       "message 1, recipient %d passes", i + 1);
    is_str(SUBMIT(2000, "ann@example.com", "a2"), "DUNNO", "message 2 passes (4 recipients)");
    is_str(SUBMIT(2000, "ann@example.com", "a3"), R_MSGS, "message 3 deferred (messages = 2)");
    is_str(dec.reason, "rate_user_messages", "reason rate_user_messages");
    is_str(SUBMIT(2000, "ann@example.com", "a2"), "DUNNO",
	   "another RCPT of message 2 passes (recipient 5)");
    is_str(SUBMIT(2000, "ann@example.com", "a2"), R_RCPTS, "recipient 6 deferred");
    is_str(dec.reason, "rate_user_recipients", "reason rate_user_recipients");
    /* Item 8: case does not make a new counter. */
    memset(&sess, 0, sizeof(sess));
    is_str(SUBMIT(2001, "ANN@Example.COM", "b1"), R_MSGS, "ANN@Example.COM shares ann's counter");
    is_str(SUBMIT(2001, "Ann@example.com", "b1"), R_MSGS, "Ann@example.com too");
    is_str(SUBMIT(2001, "ben@example.com", "b1"), "DUNNO", "another user unaffected");
    /* Sliding window of 60 s in 3 s slots: ann's counts of t=2000 s
     * leave once their slot is a whole window old. */
    is_str(SUBMIT(2059, "ann@example.com", "c1"), R_MSGS, "59 s later still deferred");
    is_str(SUBMIT(2064, "ann@example.com", "c1"), "DUNNO", "a window and a slot later it passes");
    /* Refused recipients are not counted. */
    for (i = 0; i < 3; i++)
	decide_at(3000, "policy_context=submission", "client_address=198.51.100.9",
		  "sasl_username=cat@example.com", "recipient=a%b@outside.example",
		  "instance=x", (const char *) 0);
    is_str(dec.reason, "recipient_routing", "routing recipient refused");
    for (i = 0; i < 5; i++)
	is_str(decide_at(3000, "policy_context=submission", "client_address=198.51.100.9",
			 "sasl_username=cat@example.com", "recipient=r@outside.example",
			 "instance=y", (const char *) 0), "DUNNO",
	       "refused recipients did not count: recipient %d passes", i + 1);
}

static void test_client_postmaster(void)
{
    int     i;
    char    inst[32];
    const char *last = NULL;

    memset(&sess, 0, sizeof(sess));
    /* 10 recipients of one message: one message for the client limit. */
    for (i = 0; i < 10; i++)
	last = decide_at(4000, "policy_context=public", "client_address=192.0.2.7",
			 "recipient=u@example.com", "instance=m0", (const char *) 0);
    is_str(last, "DUNNO", "one message with 10 recipients is one message (client messages = 4)");
    /* Item 9: postmaster counts too. */
    for (i = 1; i <= 4; i++) {
	snprintf(inst, sizeof(inst), "instance=m%d", i);
	last = decide_at(4000, "policy_context=public", "client_address=192.0.2.7",
			 "recipient=postmaster", inst, (const char *) 0);
    }
    is_str(last, R_MSGS, "messages to <postmaster> are counted: the 5th message is deferred");
    is_str(decide_at(4000, "policy_context=public", "client_address=192.0.2.8",
		     "recipient=postmaster", "instance=p1", (const char *) 0),
	   "DUNNO", "<postmaster> still passes the relay rules");
    is_str(decide_at(4000, "policy_context=public", "client_address=192.0.2.8",
		     "recipient=postmaster@outside.example", "instance=p1", (const char *) 0),
	   "550 5.7.1 Unable to relay for <postmaster@outside.example>",
	   "postmaster@outside is not a relay loophole");
    for (i = 0; i < 10; i++)
	last = decide_at(4000, "policy_context=internal", "client_address=10.1.1.25",
			 "recipient=u@outside.example", (const char *) 0);
    is_str(last, "DUNNO", "listener with rate_limit = false is exempt");
    /* Without an instance every RCPT counts as a message (the safe side). */
    for (i = 0; i < 5; i++)
	last = decide_at(4000, "policy_context=public", "client_address=192.0.2.9",
			 "recipient=u@example.com", (const char *) 0);
    is_str(last, R_MSGS, "no instance: each RCPT is a message");
}

/* When Postfix also asks at DATA: what no RCPT counted (recipients it
 * never submitted to the restrictions, a bare <postmaster>). */
#define DATA(user, inst, count) decide_at(4500, "protocol_state=DATA", \
	"policy_context=submission", "client_address=198.51.100.8", "sasl_username=" user, \
	"sender=x@example.com", "recipient=", "recipient_count=" count, "instance=" inst, \
	(const char *) 0)

static void test_data(void)
{
    memset(&sess, 0, sizeof(sess));
    is_str(SUBMIT(4500, "hal@example.com", "h1"), "DUNNO", "hal: RCPT 1 of message h1");
    is_str(SUBMIT(4500, "hal@example.com", "h1"), "DUNNO", "hal: RCPT 2 of message h1");
    is_str(DATA("hal@example.com", "h1", "3"), "DUNNO",
	   "DATA of h1 with 3 recipients: the uncounted one is added (3 of 5)");
    is_str(DATA("hal@example.com", "h2", "2"), "DUNNO",
	   "DATA of h2 whose 2 recipients no RCPT counted: message 2, recipients 5 of 5");
    is_str(DATA("hal@example.com", "h3", "1"), R_MSGS, "DATA of a 3rd message: 450 (messages = 2)");
    is_str(DATA("hal@example.com", "h2", "2"), "DUNNO", "DATA asked again: nothing counted twice");
    memset(&sess, 0, sizeof(sess));
    is_str(SUBMIT(4500, "ian@example.com", "i1"), "DUNNO", "ian: RCPT of message i1");
    is_str(DATA("ian@example.com", "i1", "6"), R_RCPTS,
	   "DATA with 5 recipients no RCPT counted: 452 (recipients = 5)");
    is_str(DATA("ian@example.com", "i1", "5"), "DUNNO", "with 4 uncounted: passes");
}

static void test_domain(void)
{
    CFG_ERRS e;
    PCONF  *old = conf;
    int     i;
    const char *last = NULL;

    conf = load("hosted_domains = [ \"example.com\" ];\n"
		"rate_limits = { sender_domain = { recipients = 3; }; };\n" LISTENERS, &e);
    if (!ok(conf != NULL, "sender_domain config loads")) {
	cfg_errs_print(&e);
	conf = old;
	return;
    }
    cfg_errs_free(&e);
    for (i = 0; i < 3; i++)
	last = decide_at(5000, "policy_context=public", "client_address=192.0.2.1",
			 i == 1 ? "sender=x@Spam.Example." : "sender=y@spam.example",
			 "recipient=u@example.com", "instance=d", (const char *) 0);
    is_str(last, "DUNNO", "3 recipients from spam.example pass (any case, trailing dot)");
    is_str(decide_at(5000, "policy_context=public", "client_address=192.0.2.2",
		     "sender=z@SPAM.example", "recipient=u@example.com", "instance=e",
		     (const char *) 0), R_RCPTS, "the 4th from another client is deferred");
    is_str(dec.reason, "rate_sender_domain_recipients", "reason rate_sender_domain_recipients");
    is_str(decide_at(5000, "policy_context=public", "client_address=192.0.2.2",
		     "sender=", "recipient=u@example.com", "instance=f", (const char *) 0),
	   "DUNNO", "the null sender has no domain to count");
    pconf_free(conf);
    conf = old;
}

/* Random stream against one key: no closed interval of one window holds
 * more than the limit, and every refusal is justified (the limit is
 * reached within a window and a slot). */
static void test_sliding(void)
{
    enum { N = 10, W_S = 100, TRIES = 4000 };
    RATE_TABLE t;
    int64_t acc[TRIES], now = 1000000, slot = rate_slot_ms(W_S);
    int     nacc = 0, i, j, worst = 0, unjust = 0;
    unsigned seed = 12345;

    rate_init(&t, 4);
    for (i = 0; i < TRIES; i++) {
	RATE_ENT *e;
	int     in = 0;

	seed = seed * 1103515245u + 12345u;
	now += (seed >> 16) % 4000;
	e = rate_lookup(&t, "k", now, slot);
	if (rate_over(e, 0, N, 0, 1) == 0) {
	    rate_add(e, 0, 1);
	    acc[nacc++] = now;
	} else {
	    for (j = nacc - 1; j >= 0 && acc[j] > now - W_S * 1000 - slot; j--)
		in++;
	    unjust += in < N;
	}
    }
    for (i = 0; i < nacc; i++) {
	int     in = 0;

	for (j = i; j < nacc && acc[j] <= acc[i] + W_S * 1000; j++)
	    in++;
	if (in > worst)
	    worst = in;
    }
    ok(worst <= N, "no %d s interval holds more than %d (most: %d; %d accepted)",
       W_S, N, worst, nacc);
    ok(worst == N, "the limit is reachable");
    ok(unjust == 0, "every refusal had %d within a window and a slot (%d unjustified)",
       N, unjust);
    /* The fixed window's double burst: N just before a boundary, N after. */
    rate_free(&t);
    rate_init(&t, 4);
    for (i = 0, j = 0; i < 2 * N; i++) {
	RATE_ENT *e = rate_lookup(&t, "k", i < N ? 99000 : 101000, slot);

	if (rate_over(e, 0, N, 0, 1) == 0) {
	    rate_add(e, 0, 1);
	    j++;
	}
    }
    is_int(j, N, "%d at 99 s and %d at 101 s: only %d pass", N, N, N);
    rate_free(&t);
}

static void test_table(void)
{
    RATE_TABLE t;
    RATE_ENT *e;
    char    key[32];
    int     i;

    rate_init(&t, 16);
    for (i = 0; i < 40; i++) {
	snprintf(key, sizeof(key), "k%d", i);
	rate_add(rate_lookup(&t, key, 100000, 3000), 1, 1);
    }
    is_int(t.count, 16, "table bounded at its size");
    is_int(t.evictions, 24, "oldest keys evicted");
    e = rate_lookup(&t, "k39", 100000, 3000);
    is_int(e->sum[RATE_MSGS], 1, "recent key kept its count");
    e = rate_lookup(&t, "k0", 100000, 3000);
    is_int(e->sum[RATE_MSGS], 0, "evicted key starts again");
    e = rate_lookup(&t, "k39", 50000, 3000);
    is_int(e->sum[RATE_MSGS], 1, "a clock stepping back keeps the counts");
    rate_free(&t);
}

static void test_call(void)
{
    RATE_QUERY q;
    PREDIS_CALL call;
    redisReply rep;
    RATE_RESULT res;

    memset(&q, 0, sizeof(q));
    q.n = 2;
    q.window_s = 3600;
    q.k[0].kind = RK_USER;
    strcpy(q.k[0].key, "ann@example.com");
    q.k[0].max[RATE_MSGS] = 500;
    q.k[0].add[RATE_MSGS] = 1;
    q.k[1].kind = RK_DOMAIN;
    strcpy(q.k[1].key, "example.com");
    q.k[1].max[RATE_RCPTS] = 5000;
    q.k[1].add[RATE_RCPTS] = 1;
    predis_call_build(&call, "0123456789abcdef0123456789abcdef01234567", "rs:", &q, 0);
    ok(call.argc == 6 && strcmp(call.argv[0], "EVALSHA") == 0
       && strcmp(call.argv[2], "2") == 0 && strcmp(call.argv[3], "rs:u2:ann@example.com") == 0
       && strcmp(call.argv[4], "rs:d2:example.com") == 0,
       "EVALSHA call: 2 keys with prefix, kind and layout");
    ok(call.argvlen[5] == 8 * (3 + 4 * 2)
       && memcmp(call.argv[5], "\0\0\0\0\0\0\0\0" "\x20\xbf\x02\0\0\0\0\0" "\x15\0", 18) == 0
       && memcmp(call.argv[5] + 24, "\xf4\x01\0\0\0\0\0\0", 8) == 0
       && memcmp(call.argv[5] + 24 + 32 + 8, "\x88\x13\0\0\0\0\0\0" "\0\0\0\0\0\0\0\0" "\x01\0", 18) == 0,
       "packed arguments: server clock, slot 180000 ms, ring 21, limits and counts per key");
    predis_call_eval(&call);
    ok(strcmp(call.argv[0], "EVAL") == 0 && call.argvlen[1] == strlen(predis_script),
       "NOSCRIPT: the same call as EVAL with the script");
    memset(&rep, 0, sizeof(rep));
    rep.type = REDIS_REPLY_INTEGER;
    rep.integer = 4;
    ok(predis_decision_reply(&rep, 2, &res) == PREDIS_R_OK && res.status == RATE_OVER
       && res.key == 1 && res.dim == RATE_RCPTS, "reply 4: key 2 over its recipient limit");
    rep.integer = 5;
    ok(predis_decision_reply(&rep, 2, &res) == PREDIS_R_BAD, "reply out of range is bad");
    rep.type = REDIS_REPLY_ERROR;
    rep.str = (char *) "NOSCRIPT No matching script";
    rep.len = strlen(rep.str);
    ok(predis_decision_reply(&rep, 2, &res) == PREDIS_R_NOSCRIPT, "NOSCRIPT recognised");
}

int     main(void)
{
    CFG_ERRS e;

    if (mkdtemp(tmpdir) == NULL) {
	perror("mkdtemp");
	return 1;
    }
    test_config();
    conf = load(BASECONF, &e);
    if (!ok(conf != NULL, "base config loads")) {
	cfg_errs_print(&e);
	return tap_done();
    }
    cfg_errs_free(&e);
    prates_init(&rates, conf->rate_table_size);
    test_messages();
    test_client_postmaster();
    test_data();
    test_domain();
    test_sliding();
    test_table();
    test_call();
    prates_free(&rates);
    pconf_free(conf);
    {
	char    cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
	    ok(0, "cleanup of %s", tmpdir);
    }
    return tap_done();
}
