/*
 * pstats_cli.c - policyd --stats: print the figures the running policyd
 * last wrote to its stats file (pstats.c), as a table, or --raw as
 * written (Prometheus text format).
 *
 *   policyd --stats [-c FILE] [--raw]
 *
 * The file is read as untrusted input (promtext.c bounds lines and their
 * count, rows are bounded here); names are printed through printable().
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "msg.h"
#include "mymalloc.h"
#include "pconf.h"
#include "printable.h"
#include "promtext.h"
#include "pstats.h"

typedef struct ROW {
    char    listener[PSTATS_NAME_MAX], decision[8], reason[PSTATS_NAME_MAX];
    unsigned long long count;
} ROW;

typedef struct FIGS {
    double  started, updated;
    unsigned long long by[3], dropped;    /* pass, reject, defer */
    char    drops[256];
    ROW    *rows;
    size_t  n, cap;
} FIGS;

static void take(void *ctx, const char *metric, const char *labels, double v)
{
    FIGS   *f = ctx;
    unsigned long long u = v > 0 ? (unsigned long long) v : 0;
    char    why[16];
    ROW     r;
    size_t  len;

    memset(&r, 0, sizeof(r));
    if (strcmp(metric, "relayscreen_policyd_start_time_seconds") == 0) {
	f->started = v;
    } else if (strcmp(metric, "relayscreen_policyd_updated_time_seconds") == 0) {
	f->updated = v;
    } else if (strcmp(metric, "relayscreen_policyd_dropped_total") == 0
	       && promtext_get_label(labels, "why", why, sizeof(why))) {
	f->dropped += u;
	len = strlen(f->drops);
	snprintf(f->drops + len, sizeof(f->drops) - len, "%s%s %llu",
		 len ? ", " : "", why, u);
    } else if (strcmp(metric, "relayscreen_policyd_decisions_total") == 0
	       && promtext_get_label(labels, "listener", r.listener, sizeof(r.listener))
	       && promtext_get_label(labels, "decision", r.decision, sizeof(r.decision))
	       && promtext_get_label(labels, "reason", r.reason, sizeof(r.reason))
	       && f->n < PSTATS_MAX_ROWS) {
	r.count = u;
	f->by[strcmp(r.decision, "reject") == 0 ? 1
	      : strcmp(r.decision, "defer") == 0 ? 2 : 0] += u;
	f->rows = mygrow(f->rows, &f->cap, f->n + 1, sizeof(ROW));
	f->rows[f->n++] = r;
    }
}

static void when(char *buf, size_t size, double t)
{
    time_t  tt = (time_t) t;
    struct tm tm;

    if (t <= 0 || gmtime_r(&tt, &tm) == NULL)
	snprintf(buf, size, "-");
    else
	strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static void print_figs(const FIGS *f, const char *path, int interval)
{
    char    s[64], u[64], l[PSTATS_NAME_MAX * 4 + 1], r[PSTATS_NAME_MAX * 4 + 1];
    double  age = f->updated > 0 ? difftime(time(NULL), (time_t) f->updated) : 0;
    size_t  i;

    when(s, sizeof(s), f->started);
    when(u, sizeof(u), f->updated);
    printf("policyd statistics from %s\n", path);
    printf("started   %s, updated %s (%.0f s ago)%s\n", s, u, age,
	   age > 3.0 * interval + 2 ? ": stale, is policyd running?" : "");
    printf("requests  %llu: pass %llu, reject %llu, defer %llu; "
	   "connections dropped %llu%s%s%s\n", f->by[0] + f->by[1] + f->by[2],
	   f->by[0], f->by[1], f->by[2], f->dropped, f->drops[0] ? " (" : "",
	   f->drops, f->drops[0] ? ")" : "");
    printf("\n%-20s %-8s %-28s %10s\n", "listener", "decision", "reason",
	   "count");
    for (i = 0; i < f->n; i++) {
	printable(l, sizeof(l), f->rows[i].listener,
		  strlen(f->rows[i].listener), PSTATS_NAME_MAX);
	printable(r, sizeof(r), f->rows[i].reason,
		  strlen(f->rows[i].reason), PSTATS_NAME_MAX);
	printf("%-20s %-8s %-28s %10llu\n", l, f->rows[i].decision, r,
	       f->rows[i].count);
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: policyd --stats [-c FILE] [--raw]\n");
    exit(2);
}

int     pstats_cli_main(int argc, char **argv, const char *def_conf)
{
    static const struct option opts[] = {
	{"stats", no_argument, NULL, 's'}, {"raw", no_argument, NULL, 'r'},
	{NULL, 0, NULL, 0},
    };
    const char *path = def_conf;
    int     ch, raw = 0, interval, rc;
    CFG_ERRS e;
    PCONF  *conf;
    FIGS    f;
    char   *file;

    msg_init("policyd", 1, 0);
    while ((ch = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
	if (ch == 'c')
	    path = optarg;
	else if (ch == 'r')
	    raw = 1;
	else if (ch != 's')
	    usage();
    }
    if (optind != argc)
	usage();
    cfg_errs_init(&e, path);
    conf = pconf_load(path, &e);
    cfg_errs_print(&e);
    cfg_errs_free(&e);
    if (conf == NULL)
	return 1;
    if (conf->stats.file == NULL) {
	fprintf(stderr, "policyd: %s: stats.file is not set: policyd keeps "
		"no statistics file\n", path);
	pconf_free(conf);
	return 1;
    }
    file = mystrdup(conf->stats.file);
    interval = conf->stats.interval;
    pconf_free(conf);
    memset(&f, 0, sizeof(f));
    rc = promtext_show("policyd", "policyd", file, raw, take, &f);
    if (rc == 0 && !raw)
	print_figs(&f, file, interval);
    myfree(f.rows);
    myfree(file);
    return rc;
}
