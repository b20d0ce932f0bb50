/*
 * stats_cli.c - screener --stats: print the figures the running milter
 * last wrote to stats.file (stats.c), as a table, or --raw as written
 * (Prometheus text format).
 *
 *   screener --stats [-c FILE] [--raw]
 *
 * The file is read as untrusted input (promtext.c bounds lines and
 * their count; rows here are bounded too); names are printed through
 * printable().
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfgutil.h"
#include "msg.h"
#include "mymalloc.h"
#include "printable.h"
#include "promtext.h"
#include "sconf.h"
#include "stats.h"

#define DEF_CONF SYSCONFDIR "/relayscreen/screener.conf"
#define N_VERDICTS 8

static const char *const verdicts[N_VERDICTS] = {"pass", "accept", "reject",
"tempfail", "discard", "hold", "redirect", "strip"};
static const char *const actions[] = {"accept", "reject", "tempfail",
"discard", "hold", "redirect", "strip", "tag", "log"};
#define N_ACTIONS (sizeof(actions) / sizeof(actions[0]))

typedef struct ROW {
    char    name[STATS_NAME_MAX];
    unsigned long long dir[2], act[N_ACTIONS];
} ROW;

typedef struct FIGS {
    double  started, updated, cpu;
    unsigned long long msgs[2], bytes[2], verdict[N_VERDICTS];
    unsigned long long refused, limits, errors;
    ROW    *rows;
    size_t  n_rows, cap_rows;
} FIGS;

static int index_of(const char *const *tab, size_t n, const char *s)
{
    size_t  i;

    for (i = 0; i < n; i++)
	if (strcmp(tab[i], s) == 0)
	    return (int) i;
    return -1;
}

static ROW *row(FIGS *f, const char *name)
{
    size_t  i;

    for (i = 0; i < f->n_rows; i++)
	if (strcmp(f->rows[i].name, name) == 0)
	    return &f->rows[i];
    if (f->n_rows >= STATS_MAX_RULES)
	return NULL;
    f->rows = mygrow(f->rows, &f->cap_rows, f->n_rows + 1, sizeof(ROW));
    memset(&f->rows[f->n_rows], 0, sizeof(ROW));
    snprintf(f->rows[f->n_rows].name, STATS_NAME_MAX, "%s", name);
    return &f->rows[f->n_rows++];
}

static void take(void *ctx, const char *metric, const char *labels, double v)
{
    FIGS   *f = ctx;
    char    a[64], d[16], r[STATS_NAME_MAX];
    unsigned long long u = v > 0 ? (unsigned long long) v : 0;
    int     di = promtext_get_label(labels, "direction", d, sizeof(d))
	&& strcmp(d, "outbound") == 0;
    int     i;
    ROW    *rw;

#define IS(m) (strcmp(metric, "relayscreen_screener_" m) == 0)
    if (IS("start_time_seconds"))
	f->started = v;
    else if (IS("updated_time_seconds"))
	f->updated = v;
    else if (IS("scan_cpu_seconds_total"))
	f->cpu = v;
    else if (IS("messages_total"))
	f->msgs[di] += u;
    else if (IS("body_bytes_total"))
	f->bytes[di] += u;
    else if (IS("rcpt_refused_total"))
	f->refused += u;
    else if (IS("limits_total"))
	f->limits += u;
    else if (IS("errors_total"))
	f->errors += u;
    else if (IS("verdicts_total") && promtext_get_label(labels, "action", a, sizeof(a))
	     && (i = index_of(verdicts, N_VERDICTS, a)) >= 0)
	f->verdict[i] += u;
    else if (IS("rule_fired_total") && promtext_get_label(labels, "rule", r, sizeof(r))
	     && promtext_get_label(labels, "action", a, sizeof(a))
	     && (i = index_of(actions, N_ACTIONS, a)) >= 0
	     && (rw = row(f, r)) != NULL) {
	rw->act[i] += u;
	rw->dir[di] += u;
    }
#undef IS
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
    char    s[64], u[64], nm[STATS_NAME_MAX * 4 + 1];
    double  age = f->updated > 0 ? difftime(time(NULL), (time_t) f->updated) : 0;
    size_t  i, k;
    int     first;

    when(s, sizeof(s), f->started);
    when(u, sizeof(u), f->updated);
    printf("screener statistics from %s\n", path);
    printf("started   %s, updated %s (%.0f s ago)%s\n", s, u, age,
	   age > 3.0 * interval + 2 ? ": stale, is the screener running?" : "");
    printf("messages  %llu (inbound %llu, outbound %llu), body bytes %llu, "
	   "scan cpu %.3f s\n", f->msgs[0] + f->msgs[1], f->msgs[0],
	   f->msgs[1], f->bytes[0] + f->bytes[1], f->cpu);
    printf("verdicts ");
    for (i = 0; i < N_VERDICTS; i++)
	printf(" %s %llu%s", verdicts[i], f->verdict[i],
	       i + 1 < N_VERDICTS ? "," : "\n");
    printf("limits    %llu, errors %llu, recipients refused alone %llu\n",
	   f->limits, f->errors, f->refused);
    printf("\n%-28s %8s %8s %8s  %s\n", "rule", "fired", "inbound",
	   "outbound", "by action");
    for (i = 0; i < f->n_rows; i++) {
	const ROW *r = &f->rows[i];

	printable(nm, sizeof(nm), r->name, strlen(r->name), STATS_NAME_MAX);
	printf("%-28s %8llu %8llu %8llu ", nm, r->dir[0] + r->dir[1],
	       r->dir[0], r->dir[1]);
	for (k = 0, first = 1; k < N_ACTIONS; k++)
	    if (r->act[k]) {
		printf("%s%s %llu", first ? " " : ", ", actions[k], r->act[k]);
		first = 0;
	    }
	printf("\n");
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: screener --stats [-c FILE] [--raw]\n");
    exit(2);
}

int     stats_cli_main(int argc, char **argv)
{
    static const struct option opts[] = {
	{"stats", no_argument, NULL, 's'}, {"raw", no_argument, NULL, 'r'},
	{NULL, 0, NULL, 0},
    };
    const char *conf_path = DEF_CONF;
    int     ch, raw = 0, interval, rc;
    CFG_ERRS errs;
    SCONF  *conf;
    FIGS    f;
    char   *path;

    msg_init("screener", 1, 0);
    while ((ch = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
	if (ch == 'c')
	    conf_path = optarg;
	else if (ch == 'r')
	    raw = 1;
	else if (ch != 's')
	    usage();
    }
    if (optind != argc)
	usage();
    cfg_errs_init(&errs, conf_path);
    if ((conf = sconf_load(conf_path, &errs)) == NULL) {
	cfg_errs_print(&errs);
	cfg_errs_free(&errs);
	return 1;
    }
    cfg_errs_free(&errs);
    if (conf->stats.file == NULL) {
	fprintf(stderr, "screener: %s: stats.file is not set: the screener "
		"keeps no statistics file\n", conf_path);
	sconf_unref(conf);
	return 1;
    }
    path = mystrdup(conf->stats.file);
    interval = conf->stats.interval;
    sconf_unref(conf);
    memset(&f, 0, sizeof(f));
    rc = promtext_show("screener", "the screener", path, raw, take, &f);
    if (rc == 0 && !raw)
	print_figs(&f, path, interval);
    myfree(f.rows);
    myfree(path);
    return rc;
}
