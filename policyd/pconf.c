/*
 * pconf.c - load and check policyd.conf.
 *
 * Every key is checked for type and range, unknown keys are errors (a
 * typo must not silently weaken a rule), and combinations that would make
 * an open relay are refused.  See policyd.conf(5) for the keys.
 */
#include <config.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "msg.h"
#include "mymalloc.h"
#include "pconf.h"

#define DEF_LISTEN        "inet:127.0.0.1:10040"
#define DEF_RELAY_TEXT    "Unable to relay for <%r>"

TLS_VERSION tls_version_parse(const char *s)
{
    static const struct {
	const char *name;
	TLS_VERSION v;
    } tab[] = {
	{"SSLv3", TLSV_SSL3}, {"TLSv1", TLSV_1_0}, {"TLSv1.0", TLSV_1_0},
	{"TLSv1.1", TLSV_1_1}, {"TLSv1.2", TLSV_1_2}, {"TLSv1.3", TLSV_1_3},
    };
    size_t  i;

    if (s == NULL || *s == 0)
	return TLSV_NONE;
    for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
	if (strcasecmp(s, tab[i].name) == 0)
	    return tab[i].v;
    return TLSV_UNKNOWN;
}

/* A DNS name: letters, digits, '-', '_' in dot-separated labels. */
static int domain_ok(const char *d)
{
    size_t  len = strlen(d), label = 0, i;

    if (len == 0 || len > DOMAIN_MAX)
	return 0;
    for (i = 0; i < len; i++) {
	unsigned char c = (unsigned char) d[i];

	if (c == '.') {
	    if (label == 0)
		return 0;
	    label = 0;
	} else if (isalnum(c) || c == '-' || c == '_') {
	    if (++label > 63)
		return 0;
	} else
	    return 0;
    }
    return label > 0;
}

/* Lowercase copy without one trailing dot. */
static char *domain_norm(const char *d)
{
    char   *s = lowercase(mystrdup(d));
    size_t  len = strlen(s);

    if (len > 1 && s[len - 1] == '.')
	s[len - 1] = 0;
    return s;
}

static void add_domains(PCONF *c, const config_setting_t *s,
			        const STRLIST *l, CFG_ERRS *e)
{
    size_t  i;

    for (i = 0; i < l->n; i++) {
	char   *d = domain_norm(l->v[i]);

	if (!domain_ok(d))
	    cfg_err(e, s, "bad hosted domain \"%.100s\"", l->v[i]);
	else
	    strset_add(&c->hosted, d, NULL);
	myfree(d);
    }
}

/* Entries "login addr addr,addr": addresses or "@domain". */
static void add_logins(PCONF *c, const config_setting_t *s,
		               const STRLIST *l, CFG_ERRS *e)
{
    size_t  i;

    for (i = 0; i < l->n; i++) {
	char   *line = mystrdup(l->v[i]), *save = NULL, *tok, *login;
	int     n = 0;

	login = strtok_r(line, " \t,", &save);
	if (login)
	    lowercase(login);
	while (login && (tok = strtok_r(NULL, " \t,", &save)) != NULL) {
	    const char *at = strrchr(tok, '@');

	    if (at == NULL || !domain_ok(at + 1) || strlen(tok) >= ADDR_MAX) {
		cfg_err(e, s, "sender_login_maps_file: login \"%.100s\": "
			"bad address \"%.100s\"", login, tok);
		continue;
	    }
	    strset_add(&c->logins, login, lowercase(tok));
	    n++;
	}
	if (login && n == 0)
	    cfg_err(e, s, "sender_login_maps_file: login \"%.100s\" "
		    "has no address", login);
	myfree(line);
    }
}

static int relay_text_ok(const char *t)
{
    for (; *t; t++) {
	if ((unsigned char) *t < 0x20 || (unsigned char) *t > 0x7e)
	    return 0;
	if (*t == '%' && t[1] != 'r' && t[1] != '%')
	    return 0;
	if (*t == '%')
	    t++;
    }
    return 1;
}

/* "inet:HOST:PORT" (HOST a loopback address, [v6] allowed) or "unix:/p". */
static int listen_ok(const char *l)
{
    char    host[64];
    const char *p, *colon;
    unsigned char buf[16];
    long    port;
    char   *end;

    if (strncmp(l, "unix:", 5) == 0)
	return l[5] == '/' && strlen(l + 5) < 100;
    if (strncmp(l, "inet:", 5) != 0)
	return 0;
    p = l + 5;
    if ((colon = strrchr(p, ':')) == NULL || (size_t) (colon - p) >= sizeof(host))
	return 0;
    memcpy(host, p, colon - p);
    host[colon - p] = 0;
    port = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || port < 1 || port > 65535)
	return 0;
    if (host[0] == '[') {
	size_t  hl = strlen(host);

	if (hl < 3 || host[hl - 1] != ']')
	    return 0;
	memmove(host, host + 1, hl - 2);
	host[hl - 2] = 0;
	return inet_pton(AF_INET6, host, buf) == 1
	    && memcmp(buf, &in6addr_loopback, 16) == 0;
    }
    return inet_pton(AF_INET, host, buf) == 1 && buf[0] == 127;
}

static void load_daemon(PCONF *c, const config_setting_t *root, CFG_ERRS *e)
{
    static const char *const keys[] = {"listen", "user", "group", "pidfile",
	"socket_mode", "max_connections", "idle_timeout", "request_timeout",
    "syslog_facility", NULL};
    config_setting_t *g = NULL;
    const char *s;
    long long n;

    c->listen = mystrdup(DEF_LISTEN);
    c->pidfile = mystrdup(RUNSTATEDIR "/relayscreen/policyd.pid");
    c->socket_mode = 0660;
    c->max_connections = 1000;
    c->idle_timeout = 600;
    c->request_timeout = 30;
    c->facility = msg_facility("mail");
    if (cfg_get_group(root, "policyd", &g, e) <= 0)
	return;
    cfg_check_keys(g, keys, e);
    if (cfg_get_string(g, "listen", &s, e) > 0) {
	if (!listen_ok(s))
	    cfg_err(e, config_setting_get_member(g, "listen"),
		    "listen: want \"inet:127.x.x.x:PORT\", \"inet:[::1]:PORT\" "
		    "or \"unix:/path\" (the policy protocol has no "
		    "authentication: loopback only)");
	myfree(c->listen);
	c->listen = mystrdup(s);
    }
    if (cfg_get_string(g, "user", &s, e) > 0 && *s)
	c->user = mystrdup(s);
    if (cfg_get_string(g, "group", &s, e) > 0 && *s)
	c->group = mystrdup(s);
    if (cfg_get_string(g, "pidfile", &s, e) > 0) {
	myfree(c->pidfile);
	c->pidfile = *s ? mystrdup(s) : NULL;
	c->pidfile_set = 1;
    }
    if (cfg_get_string(g, "socket_mode", &s, e) > 0) {
	char   *end;
	long    m = strtol(s, &end, 8);

	if (*s == 0 || *end || m < 0 || m > 0777)
	    cfg_err(e, config_setting_get_member(g, "socket_mode"),
		    "socket_mode: want an octal mode such as \"0660\"");
	else
	    c->socket_mode = (int) m;
    }
    if (cfg_get_int(g, "max_connections", 1, 100000, &n, e) > 0)
	c->max_connections = (int) n;
    if (cfg_get_int(g, "idle_timeout", 1, 86400, &n, e) > 0)
	c->idle_timeout = (int) n;
    if (cfg_get_int(g, "request_timeout", 1, 3600, &n, e) > 0)
	c->request_timeout = (int) n;
    if (cfg_get_string(g, "syslog_facility", &s, e) > 0) {
	if ((c->facility = msg_facility(s)) < 0)
	    cfg_err(e, config_setting_get_member(g, "syslog_facility"),
		    "syslog_facility: unknown facility \"%.40s\"", s);
    }
}

static void load_listener(PLISTENER *l, config_setting_t *g, CFG_ERRS *e)
{
    static const char *const keys[] = {"relay", "auth", "tls",
	"min_cipher_bits", "min_tls_version", "sender_login", "clients",
    "server_port", "server_address", "rate_limit", NULL};
    static const char *const relay[] = {"hosted", "authenticated", "anywhere", NULL};
    static const char *const auth[] = {"deny", "allow", "require", NULL};
    static const char *const tls[] = {"optional", "require", NULL};
    static const char *const slogin[] = {"any", "match", NULL};
    STRLIST clients;
    const char *s;
    long long n;
    int     v;
    size_t  i;

    l->name = mystrdup(config_setting_name(g));
    l->relay = RELAY_HOSTED;
    l->auth = AUTH_ALLOW;
    l->rate_limit = 1;
    if (!config_setting_is_group(g)) {
	cfg_err(e, g, "listener %.64s: want a group { ... }", l->name);
	return;
    }
    cfg_check_keys(g, keys, e);
    if (cfg_get_enum(g, "relay", relay, &v, e) > 0)
	l->relay = (RELAY_MODE) v;
    if (cfg_get_enum(g, "auth", auth, &v, e) > 0)
	l->auth = (AUTH_MODE) v;
    if (cfg_get_enum(g, "tls", tls, &v, e) > 0)
	l->tls = (TLS_MODE) v;
    if (cfg_get_enum(g, "sender_login", slogin, &v, e) > 0)
	l->sender_login = (SLOGIN_MODE) v;
    if (cfg_get_int(g, "min_cipher_bits", 0, 4096, &n, e) > 0)
	l->min_cipher_bits = (int) n;
    if (cfg_get_string(g, "min_tls_version", &s, e) > 0) {
	l->min_tls_version = tls_version_parse(s);
	if (l->min_tls_version == TLSV_UNKNOWN)
	    cfg_err(e, config_setting_get_member(g, "min_tls_version"),
		    "min_tls_version: want SSLv3, TLSv1, TLSv1.1, TLSv1.2 "
		    "or TLSv1.3");
    }
    if (cfg_get_int(g, "server_port", 1, 65535, &n, e) > 0)
	l->server_port = (int) n;
    if (cfg_get_string(g, "server_address", &s, e) > 0 && *s)
	l->server_address = mystrdup(s);
    if (l->server_address && !l->server_port)
	cfg_err(e, config_setting_get_member(g, "server_address"),
		"listener %.64s: server_address needs server_port", l->name);
    if (cfg_get_bool(g, "rate_limit", &v, e) > 0)
	l->rate_limit = v;
    strlist_init(&clients);
    if (cfg_get_strings(g, "clients", &clients, e) > 0) {
	l->clients = mycalloc(clients.n ? clients.n : 1, sizeof(CIDR));
	for (i = 0; i < clients.n; i++) {
	    if (cidr_parse(clients.v[i], &l->clients[l->nclients]) < 0)
		cfg_err(e, config_setting_get_member(g, "clients"),
			"clients: bad address or network \"%.64s\"",
			clients.v[i]);
	    else
		l->nclients++;
	}
	if (clients.n == 0)
	    cfg_err(e, config_setting_get_member(g, "clients"),
		    "clients: empty list would refuse every client");
    }
    strlist_free(&clients);
    /* Refuse an open relay: "anywhere" is for listed clients or users. */
    if (l->relay == RELAY_ANYWHERE && l->clients == NULL
	&& l->auth != AUTH_REQUIRE)
	cfg_err(e, config_setting_get_member(g, "relay"),
		"listener %.64s: relay = \"anywhere\" needs clients = [...] "
		"or auth = \"require\" (open relay)", l->name);
    if (l->tls == TLS_REQUIRE && l->min_tls_version == TLSV_NONE
	&& l->min_cipher_bits == 0)
	msg_debug("listener %s: tls required without minimums", l->name);
}

static void load_listeners(PCONF *c, const config_setting_t *root, CFG_ERRS *e)
{
    config_setting_t *g = NULL;
    int     i, n;

    if (cfg_get_group(root, "listeners", &g, e) <= 0) {
	if (g == NULL)
	    cfg_err(e, root, "listeners: missing (requests from unknown "
		    "listeners are deferred, so nothing would pass)");
	return;
    }
    n = config_setting_length(g);
    if (n == 0)
	cfg_err(e, g, "listeners: empty");
    c->listeners = mycalloc(n ? n : 1, sizeof(PLISTENER));
    for (i = 0; i < n; i++)
	load_listener(&c->listeners[c->nlisteners++],
		      config_setting_get_elem(g, i), e);
}

PCONF  *pconf_load(const char *path, CFG_ERRS *e)
{
    static const char *const top[] = {"policyd", "hosted_domains",
	"hosted_domains_file", "sender_login_maps_file", "relay_reject_text",
    "rate_limits", "listeners", "stats", NULL};
    config_t cf;
    config_setting_t *root, *sg = NULL;
    PCONF  *c;
    STRLIST l;
    const char *s;
    int     before = e->count;

    config_init(&cf);
    if (cfg_load(&cf, path, e) < 0) {
	config_destroy(&cf);
	return NULL;
    }
    root = config_root_setting(&cf);
    c = mycalloc(1, sizeof(*c));
    c->path = mystrdup(path);
    strset_init(&c->hosted);
    strset_init(&c->logins);
    cfg_check_keys(root, top, e);
    load_daemon(c, root, e);
    cfg_get_group(root, "stats", &sg, e);
    promtext_conf_load(&c->stats, sg, e);

    strlist_init(&l);
    if (cfg_get_strings(root, "hosted_domains", &l, e) > 0)
	add_domains(c, config_setting_get_member(root, "hosted_domains"), &l, e);
    strlist_free(&l);
    strlist_init(&l);
    if (cfg_get_string(root, "hosted_domains_file", &s, e) > 0) {
	config_setting_t *st = config_setting_get_member(root, "hosted_domains_file");

	if (cfg_read_list_file(st, s, &l, e) >= 0)
	    add_domains(c, st, &l, e);
    }
    strlist_free(&l);
    strlist_init(&l);
    if (cfg_get_string(root, "sender_login_maps_file", &s, e) > 0) {
	config_setting_t *st = config_setting_get_member(root, "sender_login_maps_file");

	if (cfg_read_list_file(st, s, &l, e) >= 0)
	    add_logins(c, st, &l, e);
    }
    strlist_free(&l);

    c->relay_reject_text = mystrdup(DEF_RELAY_TEXT);
    if (cfg_get_string(root, "relay_reject_text", &s, e) > 0) {
	if (!relay_text_ok(s) || strlen(s) > 200)
	    cfg_err(e, config_setting_get_member(root, "relay_reject_text"),
		    "relay_reject_text: printable ASCII up to 200 bytes, "
		    "%%r for the recipient, %%%% for %%");
	myfree(c->relay_reject_text);
	c->relay_reject_text = mystrdup(s);
    }
    pconf_load_rates(c, root, e);
    load_listeners(c, root, e);
    config_destroy(&cf);
    if (e->count > before) {
	pconf_free(c);
	return NULL;
    }
    return c;
}

void    pconf_free(PCONF *c)
{
    size_t  i;

    if (c == NULL)
	return;
    promtext_conf_free(&c->stats);
    for (i = 0; i < c->nlisteners; i++) {
	myfree(c->listeners[i].name);
	myfree(c->listeners[i].clients);
	myfree(c->listeners[i].server_address);
    }
    myfree(c->listeners);
    strset_free(&c->hosted);
    strset_free(&c->logins);
    myfree(c->relay_reject_text);
    pconf_free_rates(c);
    myfree(c->listen);
    myfree(c->user);
    myfree(c->group);
    myfree(c->pidfile);
    myfree(c->path);
    myfree(c);
}

const PLISTENER *pconf_listener(const PCONF *c, const char *name)
{
    size_t  i;

    for (i = 0; i < c->nlisteners; i++)
	if (strcmp(c->listeners[i].name, name) == 0)
	    return &c->listeners[i];
    return NULL;
}
