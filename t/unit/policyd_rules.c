/*
 * policyd_rules.c - unit tests of policyd.conf loading and of every relay
 * rule: listener selection, hosted-domain matching, routing in recipient
 * addresses, AUTH, TLS, client lists, sender login (the rate limits
 * are in policyd_rates.c).
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mymalloc.h"
#include "pconf.h"
#include "preq.h"
#include "prules.h"
#include "tap.h"

static char tmpdir[] = "/tmp/policyd_rules.XXXXXX";

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

/* Load text as policyd.conf; on failure the errors are in *e. */
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

static const char *BASECONF =
"policyd = { listen = \"inet:127.0.0.1:10040\"; };\n"
"hosted_domains = [ \"example.com\", \"Example.NET.\" ];\n"
"sender_login_maps_file = \"logins\";\n"
"rate_limits = { window = 60; table_size = 16;\n"
"  sasl_user = { messages = 2; recipients = 5; };\n"
"  client = { messages = 4; recipients = 0; }; };\n"
"listeners = {\n"
"  public = { relay = \"hosted\"; auth = \"deny\"; };\n"
"  submission = { relay = \"authenticated\"; auth = \"require\"; tls = \"require\";\n"
"    min_cipher_bits = 128; min_tls_version = \"TLSv1.2\"; sender_login = \"match\"; };\n"
"  internal = { relay = \"anywhere\"; clients = [ \"10.1.1.25\", \"192.0.2.0/24\" ];\n"
"    rate_limit = false; };\n"
"  mixed = { relay = \"authenticated\"; auth = \"allow\"; server_port = 2600; };\n"
"};\n";

static PCONF *conf;
static PRATES rates;
static PSESSION sess;
static PDECISION dec;

/* Decide a request built from "name=value" strings (NULL-terminated). */
static const char *decide_at(int64_t now, const char *first, ...)
{
    char    buf[8192];
    PPARSER p;
    PREQ    r;
    const char *why, *s;
    va_list ap;
    int     rc;

    strcpy(buf, "request=smtpd_access_policy\n");
    va_start(ap, first);
    for (s = first; s; s = va_arg(ap, const char *)) {
	strcat(buf, s);
	strcat(buf, "\n");
    }
    va_end(ap);
    strcat(buf, "\n");
    preq_init(&p);
    preq_feed(&p, buf, strlen(buf));
    rc = preq_next(&p, &r, &why);
    if (rc != 1) {
	preq_free(&p);
	return "PARSE ERROR";
    }
    policy_decide(conf, &rates, &sess, &r, now * 1000, &dec);
    preq_free(&p);
    return dec.action;
}

/* decide() starts from empty rate tables, so rate limits stay out of
 * the way of the other rules; the rate tests call decide_at(). */
static void reset_rates(void)
{
    prates_free(&rates);
    prates_init(&rates, conf->rate_table_size);
    memset(&sess, 0, sizeof(sess));
}

#define decide(...) (reset_rates(), decide_at(1000, __VA_ARGS__, (const char *) 0))
#define PUB  "policy_context=public", "protocol_state=RCPT", "client_address=198.51.100.7"
#define SUB  "policy_context=submission", "protocol_state=RCPT", "client_address=198.51.100.8"
#define TLS  "encryption_protocol=TLSv1.3", "encryption_cipher=TLS_AES_256_GCM_SHA384", \
	"encryption_keysize=256"

static void test_config(void)
{
    CFG_ERRS e;
    PCONF  *c;

    c = load("policyd = { listen = \"inet:127.0.0.1:1\"; }\n"
	     "listeners = { a = { relay = \"hosted\"; }; };\n"
	     "bogus = 1;\n", &e);
    ok(c == NULL && has_error(&e, "policyd.conf:3: unknown key \"bogus\""),
       "unknown top-level key: FILE:LINE error");
    cfg_errs_free(&e);

    c = load("listeners = { open = { relay = \"anywhere\"; }; };\n", &e);
    ok(c == NULL && has_error(&e, "open relay"), "relay anywhere without clients refused");
    cfg_errs_free(&e);

    c = load("listeners = { a = { clients = [ \"10.0.0.1/8\" ]; relay = \"sideways\"; "
	     "min_tls_version = \"TLSv2\"; }; };\n", &e);
    ok(c == NULL && e.count == 3, "bad cidr, bad enum, bad TLS version: 3 errors (got %d)",
       e.count);
    cfg_errs_free(&e);

    c = load("policyd = { listen = \"inet:192.0.2.1:10040\"; };\n"
	     "listeners = { a = { relay = \"hosted\"; }; };\n", &e);
    ok(c == NULL && has_error(&e, "loopback only"), "non-loopback listen refused");
    cfg_errs_free(&e);

    c = load("policyd = { listen = \"unix:/run/x/policyd.sock\"; };\n"
	     "listeners = { a = { relay = \"hosted\"; }; };\n", &e);
    ok(c != NULL, "unix listen accepted");
    pconf_free(c);
    cfg_errs_free(&e);

    c = load("hosted_domains = [ \"bad domain\" ];\nlisteners = { a = {}; };\n", &e);
    ok(c == NULL && has_error(&e, "policyd.conf:1: bad hosted domain"), "bad hosted domain");
    cfg_errs_free(&e);

    c = load("relay_reject_text = \"no %s\";\nlisteners = { a = {}; };\n", &e);
    ok(c == NULL && has_error(&e, "relay_reject_text"), "relay_reject_text with %%s refused");
    cfg_errs_free(&e);

    c = load("hosted_domains_file = \"missing-file\";\nlisteners = { a = {}; };\n", &e);
    ok(c == NULL && e.count >= 1, "missing hosted_domains_file is an error");
    cfg_errs_free(&e);

    c = load("listeners = { a = {}; };\nlisteners2 = 1;\n", &e);
    ok(c == NULL && has_error(&e, ":2:"), "error on line 2 reported with its line");
    cfg_errs_free(&e);

    c = load("listeners = {};\n", &e);
    ok(c == NULL && has_error(&e, "empty"), "no listeners is an error");
    cfg_errs_free(&e);

    write_file("domains", "# hosted\nexample.org\n\nEXAMPLE.INFO\n");
    c = load("hosted_domains_file = \"domains\";\nlisteners = { a = {}; };\n", &e);
    ok(c != NULL && c->hosted.count == 2, "hosted_domains_file, relative to the config");
    if (c) {
	ok(rcpt_is_hosted(c, "u@example.info"), "domain from file, lowercased");
	pconf_free(c);
    }
    cfg_errs_free(&e);

    write_file("logins", "bad-login\n");
    c = load("sender_login_maps_file = \"logins\";\nlisteners = { a = {}; };\n", &e);
    ok(c == NULL && has_error(&e, "has no address"), "login without address refused");
    cfg_errs_free(&e);
}

static void test_listener(void)
{
    is_str(decide(PUB, "recipient=u@example.com"), "DUNNO", "public: hosted recipient passes");
    is_str(dec.listener, "public", "listener chosen by policy_context");
    ok(dec.reason == NULL, "a pass has no reason");
    is_str(decide("policy_context=nosuch", "protocol_state=RCPT", "recipient=u@example.com"),
	   "451 4.3.5 Policy configuration problem, try again later",
	   "unknown listener: deferred");
    is_str(dec.reason, "unknown_listener", "unknown listener reason");
    ok(dec.warn, "unknown listener logged as a warning");
    is_str(decide("protocol_state=RCPT", "recipient=u@example.com"),
	   "451 4.3.5 Policy configuration problem, try again later",
	   "no context, no port: deferred");
    is_str(decide("protocol_state=RCPT", "server_port=2600", "server_address=127.0.0.1",
		  "recipient=u@elsewhere.example", "sasl_username=bob"),
	   "DUNNO", "listener chosen by server_port");
    is_str(dec.listener, "mixed", "server_port maps to its listener");
    is_str(decide("protocol_state=RCPT", "server_port=2601", "recipient=u@example.com"),
	   "451 4.3.5 Policy configuration problem, try again later",
	   "unmapped server_port: deferred");
}

static void test_hosted(void)
{
    static const char *const yes[] = {"u@example.com", "U@EXAMPLE.COM", "u@Example.Net",
	"u@example.net.", "first.last+tag@example.com", NULL};
    static const char *const no[] = {"u@outside.example", "u@sub.example.com",
	"u@example.com.evil.example", "u@xexample.com", "u@example.comx",
	"u@example.co", "u@[127.0.0.1]", "u@", "u@example", NULL};
    const char *const *p;
    char    arg[300];

    for (p = yes; *p; p++) {
	snprintf(arg, sizeof(arg), "recipient=%s", *p);
	is_str(decide(PUB, arg), "DUNNO", "hosted: %s", *p);
    }
    for (p = no; *p; p++) {
	snprintf(arg, sizeof(arg), "recipient=%s", *p);
	ok(strncmp(decide(PUB, arg), "550 5.7.1 Unable to relay for <", 31) == 0,
	   "not hosted, refused: %s (%s)", *p, dec.action);
    }
    is_str(decide(PUB, "recipient=u@outside.example"),
	   "550 5.7.1 Unable to relay for <u@outside.example>", "relay refusal text");
    is_str(dec.reason, "relay_denied", "relay refusal reason");
    is_str(decide(PUB, "recipient=postmaster"), "DUNNO", "bare postmaster passes");
    is_str(decide(PUB, "recipient="), "550 5.1.3 Bad recipient address syntax",
	   "empty recipient at RCPT refused");
    is_str(decide(PUB, "recipient=u\xc3\xa9@outside.example"),
	   "550 5.7.1 Unable to relay for <u??@outside.example>",
	   "non-ASCII in the reply is replaced");
}

static void test_routing(void)
{
    /* Postfix hands the policy service addresses in internal (unquoted)
     * form: "user@outside.example"@hosted arrives as user@outside@hosted. */
    static const char *const bad[] = {
	"user%outside.example@[127.0.0.1]", "user@outside.example",
	"user%outside.example", "user@outside.example@example.com",
	"\"user@outside.example\"@example.com", "@example.com:user@outside.example",
	"outside.example!user", "outside.example!user@example.com",
	"user%outside.example@example.com", "\"user\"@example.com",
	"us er@example.com", "user\\@example.com", "user:x@example.com",
	"@example.com", NULL};
    const char *const *p;
    char    arg[300];

    for (p = bad; *p; p++) {
	snprintf(arg, sizeof(arg), "recipient=%s", *p);
	ok(strncmp(decide(PUB, arg), "550 5.7.1 Unable to relay", 25) == 0,
	   "routing/outside refused on public: %s", *p);
	snprintf(arg, sizeof(arg), "recipient=%s", *p);
	ok(strncmp(decide(SUB, TLS, "sasl_username=alice@example.com",
			  "sender=alice@example.com", arg),
		   "550 5.7.1 Unable to relay", 25) == 0 || strchr(*p, '%') == NULL,
	   "routing refused even for an authenticated user: %s", *p);
    }
    ok(addr_has_routing("a%b@example.com"), "percent hack detected");
    ok(addr_has_routing("a!b"), "bang path detected");
    ok(addr_has_routing("@a:b@c"), "source route detected");
    ok(addr_has_routing("a@b@c"), "second @ detected");
    ok(!addr_has_routing("o'brien+x=y@example.com"), "ordinary atext is not routing");
    ok(!addr_has_routing("j\xc3\xb6rg@example.com"), "UTF-8 local part is not routing");
}

static void test_auth_tls(void)
{
    is_str(decide(PUB, "sasl_username=alice", "recipient=u@example.com"),
	   "554 5.7.1 Authentication is not accepted on this port", "public: auth denied");
    is_str(dec.reason, "auth_denied", "auth_denied reason");
    is_str(decide(SUB, "recipient=u@outside.example", "sender=alice@example.com"),
	   "530 5.7.0 Must issue a STARTTLS command first", "submission: no TLS refused");
    is_str(dec.reason, "tls_required", "tls_required reason");
    ok(!dec.warn, "plain missing TLS is not a misconfiguration");
    is_str(decide(SUB, "sasl_username=alice@example.com", "sender=alice@example.com",
		  "recipient=u@outside.example"),
	   "530 5.7.0 Must issue a STARTTLS command first", "AUTH without TLS refused");
    is_str(dec.reason, "auth_without_tls", "auth_without_tls reason");
    ok(dec.warn, "AUTH without TLS logged as a misconfiguration");
    is_str(decide(SUB, TLS, "recipient=u@outside.example", "sender=alice@example.com"),
	   "530 5.7.0 Authentication required", "submission: TLS without AUTH refused");
    is_str(decide(SUB, "encryption_protocol=TLSv1.3", "encryption_keysize=112",
		  "sasl_username=alice@example.com", "sender=alice@example.com",
		  "recipient=u@outside.example"),
	   "530 5.7.0 TLS cipher too weak", "cipher below min_cipher_bits refused");
    is_str(decide(SUB, "encryption_protocol=TLSv1.3", "encryption_keysize=",
		  "sasl_username=alice@example.com", "sender=alice@example.com",
		  "recipient=u@outside.example"),
	   "530 5.7.0 TLS cipher too weak", "missing keysize counts as 0 bits");
    is_str(decide(SUB, "encryption_protocol=TLSv1.1", "encryption_keysize=256",
		  "sasl_username=alice@example.com", "sender=alice@example.com",
		  "recipient=u@outside.example"),
	   "530 5.7.0 TLS protocol version too old", "TLSv1.1 below TLSv1.2 refused");
    is_str(decide(SUB, "encryption_protocol=FancyTLS", "encryption_keysize=256",
		  "sasl_username=alice@example.com", "sender=alice@example.com",
		  "recipient=u@outside.example"),
	   "530 5.7.0 TLS protocol version too old", "unknown protocol fails the minimum");
    is_str(decide(SUB, "encryption_protocol=TLSv1.2", "encryption_keysize=128",
		  "sasl_username=alice@example.com", "sender=alice@example.com",
		  "recipient=u@outside.example"),
	   "DUNNO", "TLSv1.2, 128 bits, AUTH: relays anywhere");
    is_str(decide("policy_context=submission", "protocol_state=CONNECT",
		  "client_address=198.51.100.8"),
	   "DUNNO", "CONNECT state on a TLS listener: nothing to judge yet");
    is_str(decide("policy_context=submission", "protocol_state=EHLO"), "DUNNO",
	   "EHLO state passes");
    is_str(decide("policy_context=submission", "protocol_state=MAIL", "sender=x@example.com"),
	   "530 5.7.0 Must issue a STARTTLS command first", "MAIL state needs TLS");
    is_str(decide("policy_context=submission", "protocol_state=SOMETHING_NEW"),
	   "530 5.7.0 Must issue a STARTTLS command first", "unknown state: rules apply");
}

static void test_clients(void)
{
    is_str(decide("policy_context=internal", "protocol_state=RCPT", "client_address=10.1.1.25",
		  "recipient=u@outside.example"), "DUNNO", "internal: listed client relays out");
    is_str(decide("policy_context=internal", "protocol_state=RCPT",
		  "client_address=192.0.2.200", "recipient=u@outside.example"), "DUNNO",
	   "internal: client in listed network relays out");
    is_str(decide("policy_context=internal", "protocol_state=RCPT", "client_address=10.1.1.26",
		  "recipient=u@outside.example"),
	   "550 5.7.1 Client host not permitted on this port", "internal: other client refused");
    is_str(dec.reason, "client_not_allowed", "client_not_allowed reason");
    is_str(decide("policy_context=internal", "protocol_state=CONNECT",
		  "client_address=10.1.1.26"),
	   "550 5.7.1 Client host not permitted on this port", "refused already at CONNECT");
    is_str(decide("policy_context=internal", "protocol_state=RCPT", "client_address=",
		  "recipient=u@outside.example"),
	   "550 5.7.1 Client host not permitted on this port", "missing client refused");
    is_str(decide("policy_context=mixed", "protocol_state=RCPT", "recipient=u@outside.example"),
	   "550 5.7.1 Unable to relay for <u@outside.example>",
	   "relay=authenticated without AUTH: outside refused");
    is_str(decide("policy_context=mixed", "protocol_state=RCPT", "recipient=u@example.net"),
	   "DUNNO", "relay=authenticated without AUTH: hosted passes");
}

static void test_sender_login(void)
{
#define SL(user, sender) decide(SUB, TLS, "sasl_username=" user, "sender=" sender, \
				"recipient=u@outside.example")
    is_str(SL("alice@example.com", "alice@example.com"), "DUNNO", "login address as sender");
    is_str(SL("alice@example.com", "ALICE@Example.COM"), "DUNNO", "caseless");
    is_str(SL("alice@example.com", "bob@example.com"),
	   "553 5.7.1 Sender address not owned by the authenticated user",
	   "another user's address refused");
    is_str(dec.reason, "sender_login_mismatch", "sender_login_mismatch reason");
    is_str(SL("alice@example.com", "alice@example.com.evil"),
	   "553 5.7.1 Sender address not owned by the authenticated user", "suffix trick");
    is_str(SL("alice@example.com", ""),
	   "553 5.7.1 Sender address not owned by the authenticated user", "null sender refused");
    is_str(SL("carol", "carol.smith@example.com"), "DUNNO", "map file address");
    is_str(SL("Carol", "c.smith@example.net"), "DUNNO", "second map address, caseless login");
    is_str(SL("carol", "carol@example.com"),
	   "553 5.7.1 Sender address not owned by the authenticated user",
	   "address not in the map refused");
    is_str(SL("dave", "anyone@example.org"), "DUNNO", "@domain map entry");
    is_str(SL("dave", "anyone@sub.example.org"),
	   "553 5.7.1 Sender address not owned by the authenticated user",
	   "@domain entry does not cover subdomains");
    is_str(SL("erin", "erin@example.com"),
	   "553 5.7.1 Sender address not owned by the authenticated user",
	   "login not in map and not an address refused");
    is_str(decide("policy_context=submission", "protocol_state=MAIL", TLS,
		  "sasl_username=alice@example.com", "sender=bob@example.com"),
	   "553 5.7.1 Sender address not owned by the authenticated user",
	   "sender login checked at MAIL state too");
}

int     main(void)
{
    CFG_ERRS e;

    if (mkdtemp(tmpdir) == NULL) {
	perror("mkdtemp");
	return 1;
    }
    test_config();
    write_file("logins", "# login address...\ncarol carol.smith@example.com, c.smith@example.net\n"
	       "dave @example.org\n");
    conf = load(BASECONF, &e);
    if (!ok(conf != NULL, "base config loads")) {
	cfg_errs_print(&e);
	return tap_done();
    }
    cfg_errs_free(&e);
    prates_init(&rates, conf->rate_table_size);
    test_listener();
    test_hosted();
    test_routing();
    test_auth_tls();
    test_clients();
    test_sender_login();
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
