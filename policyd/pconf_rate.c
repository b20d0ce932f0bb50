/*
 * pconf_rate.c - load and check the rate_limits group of policyd.conf:
 * the limits, the store ("memory" or "redis"), the Redis connection and
 * what a decision does when Redis cannot answer (on_store_error).
 *
 * The Redis server must be an IP literal or a UNIX socket: hiredis
 * resolves host names with a blocking getaddrinfo(), which would stall
 * the event loop on every reconnect.  The password is read from its own
 * file at load time (so it never sits in policyd.conf, which is often
 * world-readable) and must be readable by the run user for SIGHUP.
 */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mymalloc.h"
#include "pconf.h"

/* Every default of the group, in one place. */
#define DEF_WINDOW        3600
#define DEF_TABLE_SIZE    100000
#define DEF_REDIS_SERVER  "127.0.0.1:6379"
#define DEF_REDIS_TIMEOUT 50
#define DEF_REDIS_PREFIX  "relayscreen:"

static void load_rate(PRATE *r, const config_setting_t *parent,
		              const char *key, CFG_ERRS *e)
{
    static const char *const keys[] = {"messages", "recipients", NULL};
    config_setting_t *g = NULL;
    long long n;

    if (cfg_get_group(parent, key, &g, e) <= 0)
	return;
    cfg_check_keys(g, keys, e);
    if (cfg_get_int(g, "messages", 0, 100000000, &n, e) > 0)
	r->messages = (long) n;
    if (cfg_get_int(g, "recipients", 0, 100000000, &n, e) > 0)
	r->recipients = (long) n;
}

/* "A.B.C.D:PORT", "[v6]:PORT" or "unix:/path"; 0 when malformed. */
static int parse_server(PREDIS_CONF *rc, const char *s)
{
    char    host[INET6_ADDRSTRLEN + 2];
    unsigned char buf[16];
    const char *colon;
    char   *end;
    long    port;
    size_t  hl;

    if (strncmp(s, "unix:", 5) == 0) {
	if (s[5] != '/' || strlen(s + 5) >= 108)
	    return 0;
	rc->unix_path = mystrdup(s + 5);
	return 1;
    }
    if ((colon = strrchr(s, ':')) == NULL || (hl = (size_t) (colon - s)) >= sizeof(host))
	return 0;
    port = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || port < 1 || port > 65535)
	return 0;
    memcpy(host, s, hl);
    host[hl] = 0;
    if (hl > 2 && host[0] == '[' && host[hl - 1] == ']') {
	host[hl - 1] = 0;
	if (inet_pton(AF_INET6, host + 1, buf) != 1)
	    return 0;
	rc->host = mystrdup(host + 1);
    } else {
	if (inet_pton(AF_INET, host, buf) != 1)
	    return 0;
	rc->host = mystrdup(host);
    }
    rc->port = (int) port;
    return 1;
}

/* The password: the file's first line, printable, without its newline.
 * A relative path is relative to policyd.conf's directory. */
static void read_password(PREDIS_CONF *rc, const config_setting_t *s,
			          const char *path, CFG_ERRS *e)
{
    char    full[PATH_MAX], buf[REDIS_PASSWORD_MAX + 2];
    const char *base = config_setting_source_file(s), *slash;
    size_t  len, i;
    FILE   *fp;

    if (path[0] != '/' && base && (slash = strrchr(base, '/')) != NULL)
	snprintf(full, sizeof(full), "%.*s/%s", (int) (slash - base), base, path);
    else
	snprintf(full, sizeof(full), "%s", path);
    if ((fp = fopen(full, "r")) == NULL) {
	cfg_err(e, s, "redis.password_file: cannot read \"%.200s\": %s",
		full, strerror(errno));
	return;
    }
    if (fgets(buf, sizeof(buf), fp) == NULL)
	buf[0] = 0;
    fclose(fp);
    len = strcspn(buf, "\r\n");
    buf[len] = 0;
    for (i = 0; i < len; i++)
	if ((unsigned char) buf[i] < 0x21 || (unsigned char) buf[i] > 0x7e)
	    break;
    if (len == 0 || len > REDIS_PASSWORD_MAX || i < len) {
	cfg_err(e, s, "redis.password_file \"%.200s\": want one line of 1-%d "
		"printable characters without spaces", full, REDIS_PASSWORD_MAX);
	return;
    }
    rc->password = mystrdup(buf);
}

static int prefix_ok(const char *p)
{
    if (strlen(p) > REDIS_PREFIX_MAX)
	return 0;
    for (; *p; p++)
	if ((unsigned char) *p < 0x21 || (unsigned char) *p > 0x7e)
	    return 0;
    return 1;
}

static void load_redis(PREDIS_CONF *rc, const config_setting_t *parent, CFG_ERRS *e)
{
    static const char *const keys[] = {"server", "password_file", "timeout_ms",
    "key_prefix", NULL};
    config_setting_t *g = NULL;
    const char *server = DEF_REDIS_SERVER, *s;
    long long n;

    rc->timeout_ms = DEF_REDIS_TIMEOUT;
    rc->key_prefix = mystrdup(DEF_REDIS_PREFIX);
    if (parent && cfg_get_group(parent, "redis", &g, e) > 0) {
	cfg_check_keys(g, keys, e);
	if (cfg_get_string(g, "server", &s, e) > 0) {
	    server = s;
	    if (!parse_server(rc, s))
		cfg_err(e, config_setting_get_member(g, "server"),
			"redis.server: want \"IPv4:PORT\", \"[IPv6]:PORT\" or "
			"\"unix:/path\" (no host names: resolving one would block)");
	}
	if (cfg_get_string(g, "password_file", &s, e) > 0 && *s)
	    read_password(rc, config_setting_get_member(g, "password_file"), s, e);
	if (cfg_get_int(g, "timeout_ms", 1, 10000, &n, e) > 0)
	    rc->timeout_ms = (int) n;
	if (cfg_get_string(g, "key_prefix", &s, e) > 0) {
	    if (!prefix_ok(s))
		cfg_err(e, config_setting_get_member(g, "key_prefix"),
			"redis.key_prefix: up to %d printable characters "
			"without spaces", REDIS_PREFIX_MAX);
	    myfree(rc->key_prefix);
	    rc->key_prefix = mystrdup(s);
	}
    }
    rc->server = mystrdup(server);
    if (rc->host == NULL && rc->unix_path == NULL)
	(void) parse_server(rc, DEF_REDIS_SERVER);
}

void    pconf_load_rates(PCONF *c, const config_setting_t *root, CFG_ERRS *e)
{
    static const char *const keys[] = {"window", "table_size", "sasl_user",
    "client", "sender_domain", "store", "redis", "on_store_error", NULL};
    static const char *const stores[] = {"memory", "redis", NULL};
    static const char *const onerr[] = {"defer", "memory", NULL};
    config_setting_t *g = NULL;
    long long n;
    int     v;

    c->rate_window = DEF_WINDOW;
    c->rate_table_size = DEF_TABLE_SIZE;
    c->rate_store = STORE_MEMORY;
    c->on_store_error = STORE_ERR_DEFER;
    if (cfg_get_group(root, "rate_limits", &g, e) <= 0) {
	load_redis(&c->redis, NULL, e);
	return;
    }
    cfg_check_keys(g, keys, e);
    if (cfg_get_int(g, "window", 1, 7 * 86400, &n, e) > 0)
	c->rate_window = (int) n;
    if (cfg_get_int(g, "table_size", 16, 10000000, &n, e) > 0)
	c->rate_table_size = (size_t) n;
    if (cfg_get_enum(g, "store", stores, &v, e) > 0)
	c->rate_store = (RATE_STORE) v;
    if (cfg_get_enum(g, "on_store_error", onerr, &v, e) > 0)
	c->on_store_error = (STORE_ERR_MODE) v;
    load_rate(&c->rate_user, g, "sasl_user", e);
    load_rate(&c->rate_client, g, "client", e);
    load_rate(&c->rate_domain, g, "sender_domain", e);
    load_redis(&c->redis, g, e);
    if (c->rate_store != STORE_REDIS && config_setting_get_member(g, "redis"))
	cfg_err(e, config_setting_get_member(g, "redis"),
		"rate_limits.redis is set but store is not \"redis\"");
}

void    pconf_free_rates(PCONF *c)
{
    PREDIS_CONF *rc = &c->redis;

    myfree(rc->server);
    myfree(rc->host);
    myfree(rc->unix_path);
    if (rc->password)
	memset(rc->password, 0, strlen(rc->password));
    myfree(rc->password);
    myfree(rc->key_prefix);
    memset(rc, 0, sizeof(*rc));
}

static int str_same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

int     pconf_redis_same(const PREDIS_CONF *a, const PREDIS_CONF *b)
{
    return str_same(a->host, b->host) && a->port == b->port
	&& str_same(a->unix_path, b->unix_path)
	&& str_same(a->password, b->password);
}
