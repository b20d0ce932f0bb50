/*
 * sconf.c - load screener.conf: top level, direction, limits, milter,
 * smtp and log sections (rules are in sconf_rules.c).
 *
 * Every problem is recorded as "FILE:LINE: message" and loading goes on,
 * so that "screener -t" reports them all; an SCONF is returned only when
 * there were none.  Defaults are those documented in screener.conf(5).
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "addr.h"
#include "msg.h"
#include "mymalloc.h"
#include "rules.h"
#include "sconf.h"
#include "textmatch.h"

#define DEF_SOCKET	"unix:/var/spool/postfix/relayscreen/screener.sock"
#define DEF_USER	"relayscreen"
#define DEF_PIDFILE	"/run/relayscreen/screener.pid"
#define DEF_SOCK_GROUP	"postfix"
#define DEF_SPOOL_DIR	"/var/tmp"
#define DEF_SMTP_REPLY	"554 5.5.2 Invalid SMTP command parameters"

const char *direction_name(DIRECTION d)
{
    return d == DIR_OUTBOUND ? "outbound" : "inbound";
}

static void set_str(char **dst, const char *val)
{
    myfree(*dst);
    *dst = val ? mystrdup(val) : NULL;
}

static void load_direction(SCONF *c, const config_setting_t *g, CFG_ERRS *e)
{
    static const char *const keys[] = {"outbound_daemons",
	"outbound_authenticated", "outbound_networks", NULL};
    STRLIST nets;
    size_t  i;
    config_setting_t *s;

    if (g == NULL)
	return;
    cfg_check_keys(g, keys, e);
    cfg_get_strings(g, "outbound_daemons", &c->direction.outbound_daemons, e);
    cfg_get_bool(g, "outbound_authenticated",
		 &c->direction.outbound_authenticated, e);
    strlist_init(&nets);
    if (cfg_get_strings(g, "outbound_networks", &nets, e) == 1) {
	s = config_setting_get_member(g, "outbound_networks");
	c->direction.outbound_networks = mycalloc(nets.n ? nets.n : 1,
						  sizeof(CIDR));
	for (i = 0; i < nets.n; i++) {
	    if (cidr_parse(nets.v[i], &c->direction.outbound_networks[
				  c->direction.n_outbound_networks]) < 0)
		cfg_err(e, s, "bad network \"%s\" (want address or "
			"address/prefix, host bits clear)", nets.v[i]);
	    else
		c->direction.n_outbound_networks++;
	}
    }
    strlist_free(&nets);
}

/* on_limit / on_error: a terminal action that needs no extra settings. */
static void get_limit_action(const config_setting_t *g, const char *key,
			             ACTION *out, CFG_ERRS *e)
{
    const char *v;
    int     a;

    if (cfg_get_string(g, key, &v, e) != 1)
	return;
    a = action_by_name(v);
    if (a != ACT_ACCEPT && a != ACT_REJECT && a != ACT_TEMPFAIL
	&& a != ACT_DISCARD && a != ACT_HOLD)
	cfg_err(e, config_setting_get_member(g, key), "\"%s\": \"%s\" is "
		"not one of accept, reject, tempfail, discard, hold", key, v);
    else
	*out = (ACTION) a;
}

static void load_limits(SCONF *c, const config_setting_t *g, CFG_ERRS *e)
{
    static const char *const keys[] = {"max_depth", "max_parts",
	"max_header_size", "max_headers", "max_line_length", "on_limit",
	"on_error", "max_archive_depth", "max_archive_members",
	"max_archive_size", "max_archive_expansion", "max_archive_ratio",
	"max_archive_dictionary",
    NULL};
    SCONF_LIMITS *l = &c->limits;
    long long v;
    unsigned long long sz;

    l->max_depth = 20;
    l->max_parts = 1000;
    l->max_header_size = 64 * 1024;
    l->max_headers = 1000;
    l->max_line_length = 1024 * 1024;
    l->on_limit = ACT_TEMPFAIL;
    l->on_error = ACT_TEMPFAIL;
    sconf_archive_limits(l, g, e);
    if (g == NULL)
	return;
    cfg_check_keys(g, keys, e);
    if (cfg_get_int(g, "max_depth", 1, 100, &v, e) == 1)
	l->max_depth = (int) v;
    if (cfg_get_int(g, "max_parts", 1, 100000, &v, e) == 1)
	l->max_parts = (int) v;
    if (cfg_get_size(g, "max_header_size", 16 * 1024 * 1024, &sz, e) == 1) {
	if (sz < 256)
	    cfg_err(e, config_setting_get_member(g, "max_header_size"),
		    "\"max_header_size\" must be at least 256");
	else
	    l->max_header_size = (size_t) sz;
    }
    if (cfg_get_int(g, "max_headers", 1, 1000000, &v, e) == 1)
	l->max_headers = (size_t) v;
    if (cfg_get_size(g, "max_line_length", 1ULL << 40, &sz, e) == 1) {
	if (sz < 1000)
	    cfg_err(e, config_setting_get_member(g, "max_line_length"),
		    "\"max_line_length\" must be at least 1000 (RFC 5322)");
	else
	    l->max_line_length = (size_t) sz;
    }
    get_limit_action(g, "on_limit", &l->on_limit, e);
    get_limit_action(g, "on_error", &l->on_error, e);
}

static void load_milter(SCONF *c, const config_setting_t *g, CFG_ERRS *e)
{
    static const char *const keys[] = {"socket", "user", "group", "pidfile",
	"socket_mode", "socket_group", "timeout", "spool_dir", "spool_max",
    NULL};
    SCONF_MILTER *m = &c->milter;
    const char *s;
    long long v;
    config_setting_t *st;

    set_str(&m->socket, DEF_SOCKET);
    set_str(&m->user, DEF_USER);
    set_str(&m->pidfile, DEF_PIDFILE);
    set_str(&m->socket_group, DEF_SOCK_GROUP);
    set_str(&m->spool_dir, DEF_SPOOL_DIR);
    m->socket_mode = 0660;
    m->timeout = 300;
    m->spool_max = 100ULL * 1024 * 1024;
    if (g == NULL)
	return;
    cfg_check_keys(g, keys, e);
    if (cfg_get_string(g, "socket", &s, e) == 1) {
	if (strncmp(s, "unix:", 5) == 0 ? s[5] != '/'
	    : strncmp(s, "local:", 6) == 0 ? s[6] != '/'
	    : strncmp(s, "inet:", 5) != 0 && strncmp(s, "inet6:", 6) != 0)
	    cfg_err(e, config_setting_get_member(g, "socket"),
		    "\"socket\" must be unix:/absolute/path or inet:port@host");
	else
	    set_str(&m->socket, s);
    }
    if (cfg_get_string(g, "user", &s, e) == 1)
	set_str(&m->user, *s ? s : NULL);
    if (cfg_get_string(g, "group", &s, e) == 1)
	set_str(&m->group, *s ? s : NULL);
    if (cfg_get_string(g, "pidfile", &s, e) == 1) {
	if (*s && *s != '/')
	    cfg_err(e, config_setting_get_member(g, "pidfile"),
		    "\"pidfile\" must be an absolute path");
	else
	    set_str(&m->pidfile, *s ? s : NULL);
	m->pidfile_set = 1;
    }
    if ((st = config_setting_get_member(g, "socket_mode")) != NULL) {
	char   *end;
	unsigned long mode;

	if (config_setting_type(st) == CONFIG_TYPE_STRING) {
	    s = config_setting_get_string(st);
	    mode = strtoul(s, &end, 8);
	    if (*s == 0 || *end || mode > 0777)
		cfg_err(e, st, "\"socket_mode\" must be an octal mode "
			"such as \"0660\"");
	    else
		m->socket_mode = (int) mode;
	} else {
	    cfg_err(e, st, "\"socket_mode\" must be a string such as \"0660\"");
	}
    }
    if (cfg_get_string(g, "socket_group", &s, e) == 1)
	set_str(&m->socket_group, *s ? s : NULL);
    if (cfg_get_int(g, "timeout", 1, 86400, &v, e) == 1)
	m->timeout = (int) v;
    if (cfg_get_string(g, "spool_dir", &s, e) == 1) {
	if (*s != '/')
	    cfg_err(e, config_setting_get_member(g, "spool_dir"),
		    "\"spool_dir\" must be an absolute path");
	else
	    set_str(&m->spool_dir, s);
    }
    if (cfg_get_size(g, "spool_max", 1ULL << 40, &m->spool_max, e) == 1
	&& m->spool_max == 0)
	cfg_err(e, config_setting_get_member(g, "spool_max"), "\"spool_max\" "
		"must be more than 0 (a body larger than it cannot be stripped)");
}

static void load_smtp(SCONF *c, const config_setting_t *g, CFG_ERRS *e)
{
    static const char *const keys[] = {"max_helo_length", "max_mail_length",
    "max_rcpt_length", "max_recipients", "reply", NULL};
    SCONF_SMTP *p = &c->smtp;
    long long v;
    const char *s;

    p->max_helo_length = 255;
    p->max_mail_length = ADDR_MAX;
    p->max_rcpt_length = ADDR_MAX;
    p->max_recipients = 1000;
    set_str(&p->reply, DEF_SMTP_REPLY);
    if (g == NULL)
	return;
    cfg_check_keys(g, keys, e);
    if (cfg_get_int(g, "max_helo_length", 0, 65536, &v, e) == 1)
	p->max_helo_length = (size_t) v;
    if (cfg_get_int(g, "max_mail_length", 0, 65536, &v, e) == 1)
	p->max_mail_length = (size_t) v;
    if (cfg_get_int(g, "max_rcpt_length", 0, 65536, &v, e) == 1)
	p->max_rcpt_length = (size_t) v;
    if (cfg_get_int(g, "max_recipients", 0, 1000000, &v, e) == 1)
	p->max_recipients = (size_t) v;
    if (cfg_get_string(g, "reply", &s, e) == 1) {
	if (!sconf_reply_ok(s, '5') && !sconf_reply_ok(s, '4'))
	    cfg_err(e, config_setting_get_member(g, "reply"),
		    "\"reply\" must look like \"554 5.5.2 text\"");
	else
	    set_str(&p->reply, s);
    }
}

static void load_log(SCONF *c, const config_setting_t *g, CFG_ERRS *e)
{
    static const char *const keys[] = {"facility", NULL};
    const char *s;
    int     f;

    c->log_facility = LOG_MAIL;
    if (g == NULL)
	return;
    cfg_check_keys(g, keys, e);
    if (cfg_get_string(g, "facility", &s, e) == 1) {
	if ((f = msg_facility(s)) < 0)
	    cfg_err(e, config_setting_get_member(g, "facility"),
		    "unknown syslog facility \"%s\"", s);
	else
	    c->log_facility = f;
    }
}

int     sconf_reply_ok(const char *r, int klass)
{
    /* "5xy 5.a.b text" or "5xy text": the code class must agree. */
    if (r[0] != klass || r[1] < '0' || r[1] > '9' || r[2] < '0' || r[2] > '9')
	return 0;
    if (r[3] != ' ' && r[3] != 0)
	return 0;
    return strpbrk(r, "\r\n") == NULL && strlen(r) <= 512;
}

static void sconf_free(SCONF *c)
{
    sconf_rules_free(c);
    strlist_free(&c->direction.outbound_daemons);
    myfree(c->direction.outbound_networks);
    myfree(c->milter.socket);
    myfree(c->milter.user);
    myfree(c->milter.group);
    myfree(c->milter.pidfile);
    myfree(c->milter.socket_group);
    myfree(c->milter.spool_dir);
    myfree(c->smtp.reply);
    promtext_conf_free(&c->stats);
    myfree(c->path);
    myfree(c);
}

SCONF  *sconf_load(const char *path, CFG_ERRS *e)
{
    static const char *const top[] = {"direction", "rules", "limits",
	"milter", "smtp", "log", "stats", "audit", NULL};
    config_t cf;
    config_setting_t *root, *g, *rules;
    SCONF  *c;
    int     start = e->count;

    config_init(&cf);
    if (cfg_load(&cf, path, e) < 0) {
	config_destroy(&cf);
	return NULL;
    }
    root = config_root_setting(&cf);
    cfg_check_keys(root, top, e);
    c = mycalloc(1, sizeof(*c));
    c->path = mystrdup(path);
    c->refcount = 1;
    strlist_init(&c->direction.outbound_daemons);

    g = NULL;
    cfg_get_group(root, "direction", &g, e);
    load_direction(c, g, e);
    g = NULL;
    cfg_get_group(root, "limits", &g, e);
    load_limits(c, g, e);
    g = NULL;
    cfg_get_group(root, "milter", &g, e);
    load_milter(c, g, e);
    g = NULL;
    cfg_get_group(root, "smtp", &g, e);
    load_smtp(c, g, e);
    g = NULL;
    cfg_get_group(root, "log", &g, e);
    load_log(c, g, e);
    g = NULL;
    cfg_get_group(root, "stats", &g, e);
    promtext_conf_load(&c->stats, g, e);
    /* audit = true: every rule's default mode (before the rules load) */
    cfg_get_bool(root, "audit", &c->audit, e);
    if ((rules = config_setting_get_member(root, "rules")) != NULL) {
	if (config_setting_type(rules) != CONFIG_TYPE_LIST)
	    cfg_err(e, rules, "\"rules\" must be a list: rules = ( { ... }, "
		    "{ ... } );");
	else
	    sconf_rules_load(c, rules, e);
    }
    config_destroy(&cf);
    if (e->count > start) {
	sconf_free(c);
	return NULL;
    }
    return c;
}

SCONF  *sconf_ref(SCONF *c)
{
    __atomic_add_fetch(&c->refcount, 1, __ATOMIC_SEQ_CST);
    return c;
}

void    sconf_unref(SCONF *c)
{
    if (c && __atomic_sub_fetch(&c->refcount, 1, __ATOMIC_SEQ_CST) == 0)
	sconf_free(c);
}

DIRECTION sconf_direction(const SCONF *c, const char *daemon_name,
			          const char *auth_authen, const char *client_addr)
{
    if (daemon_name && *daemon_name
	&& strlist_contains_case(&c->direction.outbound_daemons, daemon_name))
	return DIR_OUTBOUND;
    if (c->direction.outbound_authenticated && auth_authen && *auth_authen)
	return DIR_OUTBOUND;
    if (client_addr && *client_addr
	&& cidr_match_any(c->direction.outbound_networks,
			  c->direction.n_outbound_networks, client_addr))
	return DIR_OUTBOUND;
    return DIR_INBOUND;
}

int     sconf_may_strip(const SCONF *c)
{
    return (c->needs & NEED_STRIP) != 0;
}

ACTION  sconf_rule_action(const SCONF *c, const char *name)
{
    size_t  i;

    for (i = 0; name && i < c->n_rules; i++)
	if (strcmp(c->rules[i]->name, name) == 0)
	    return c->rules[i]->action;
    return ACT_NONE;
}
