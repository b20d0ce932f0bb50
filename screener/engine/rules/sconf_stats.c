/*
 * sconf_stats.c - the "stats" group of screener.conf, and the one
 * question the statistics ask of the rule set (a rule's action by name).
 *
 *   stats = {
 *     file = "/run/relayscreen/screener.stats";  # what screener --stats reads
 *     prometheus = "/var/lib/prometheus/node-exporter/screener.prom";
 *     interval = 5;                              # seconds between rewrites
 *   };
 *
 * Both files hold the same Prometheus text exposition, rewritten
 * atomically (temporary file, rename) by the running milter; neither is
 * written unless set.  They take effect at the next start, like the
 * socket.
 */
#include <config.h>

#include <string.h>

#include "mymalloc.h"
#include "rules.h"
#include "sconf.h"

#define STATS_INTERVAL_DEF 5
#define STATS_INTERVAL_MAX 3600

static int get_path(const config_setting_t *g, const char *key, char **out,
		            CFG_ERRS *e)
{
    const char *s;

    if (cfg_get_string(g, key, &s, e) != 1 || *s == 0)
	return 0;
    if (*s != '/' || strlen(s) > 1000) {
	cfg_err(e, config_setting_get_member(g, key),
		"\"%s\" must be an absolute path", key);
	return -1;
    }
    *out = mystrdup(s);
    return 1;
}

void    sconf_stats_load(SCONF *c, const config_setting_t *g, CFG_ERRS *e)
{
    static const char *const keys[] = {"file", "prometheus", "interval",
    NULL};
    long long v;
    size_t  len;

    c->stats.interval = STATS_INTERVAL_DEF;
    if (g == NULL)
	return;
    cfg_check_keys(g, keys, e);
    (void) get_path(g, "file", &c->stats.file, e);
    if (get_path(g, "prometheus", &c->stats.prometheus, e) == 1
	&& ((len = strlen(c->stats.prometheus)) < 5
	    || strcmp(c->stats.prometheus + len - 5, ".prom") != 0))
	cfg_err(e, config_setting_get_member(g, "prometheus"),
		"\"prometheus\" must end in .prom (node_exporter's "
		"textfile collector reads only those)");
    if (cfg_get_int(g, "interval", 1, STATS_INTERVAL_MAX, &v, e) == 1)
	c->stats.interval = (int) v;
}

void    sconf_stats_free(SCONF *c)
{
    myfree(c->stats.file);
    myfree(c->stats.prometheus);
}

ACTION  sconf_rule_action(const SCONF *c, const char *name)
{
    size_t  i;

    for (i = 0; name && i < c->n_rules; i++)
	if (strcmp(c->rules[i]->name, name) == 0)
	    return c->rules[i]->action;
    return ACT_NONE;
}
