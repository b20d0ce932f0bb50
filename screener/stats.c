/*
 * stats.c - the screener's counters, their text exposition and the thread
 * that writes it to the state files (see stats.h).
 *
 * One mutex guards everything; it is taken once per message, for a few
 * additions and a short search of the rule table (rules are a few dozen;
 * the table is bounded).  The writer copies nothing: it renders under the
 * lock into memory, then writes without it.
 */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "msg.h"
#include "mymalloc.h"
#include "promtext.h"
#include "stats.h"

#define N_ACT (ACT_LOG + 1)
#define N_DIR 2                   /* inbound, outbound */
#define N_LIMIT_KINDS 32          /* distinct "limit:..."/"error:..." */

typedef struct STATS_RULE {
    char    name[STATS_NAME_MAX];
    uint64_t fired[N_ACT][N_DIR];
} STATS_RULE;

typedef struct STATS_KIND {       /* a limit or an error, by what */
    char    what[48];
    uint64_t count;
} STATS_KIND;

static struct {
    pthread_mutex_t lock;
    time_t  started;
    uint64_t messages[N_DIR], bytes[N_DIR], verdicts[N_ACT];
    uint64_t rcpt_refused, cpu_ns;
    STATS_KIND limits[N_LIMIT_KINDS], errors[N_LIMIT_KINDS];
    STATS_RULE *rules;
    size_t  n_rules, cap_rules;
} st = {.lock = PTHREAD_MUTEX_INITIALIZER};

static _Thread_local uint64_t msg_cpu_start;

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) < 0)
	return 0;
    return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

static int dir_index(DIRECTION d)
{
    return d == DIR_OUTBOUND ? 1 : 0;
}

/* The row for a rule name (lock held); the last row takes the rest. */
static STATS_RULE *rule_row(const char *name)
{
    size_t  i;

    for (i = 0; i < st.n_rules; i++)
	if (strncmp(st.rules[i].name, name, STATS_NAME_MAX - 1) == 0)
	    return &st.rules[i];
    if (st.n_rules == STATS_MAX_RULES)
	return &st.rules[STATS_MAX_RULES - 1];
    st.rules = mygrow(st.rules, &st.cap_rules, st.n_rules + 1,
		      sizeof(STATS_RULE));
    memset(&st.rules[st.n_rules], 0, sizeof(STATS_RULE));
    snprintf(st.rules[st.n_rules].name, STATS_NAME_MAX, "%s",
	     st.n_rules == STATS_MAX_RULES - 1 ? "(other)" : name);
    return &st.rules[st.n_rules++];
}

static void kind_add(STATS_KIND *tab, const char *what)
{
    int     i;

    for (i = 0; i < N_LIMIT_KINDS - 1 && tab[i].what[0]; i++)
	if (strcmp(tab[i].what, what) == 0)
	    break;
    if (tab[i].what[0] == 0)
	snprintf(tab[i].what, sizeof(tab[i].what), "%s",
		 i == N_LIMIT_KINDS - 1 ? "other" : what);
    tab[i].count++;
}

static void rule_add(const char *name, ACTION a, int d)
{
    if (name == NULL || (unsigned) a >= N_ACT)
	return;
    if (strncmp(name, "limit:", 6) == 0)
	kind_add(st.limits, name + 6);
    else if (strncmp(name, "error:", 6) == 0)
	kind_add(st.errors, name + 6);
    else
	rule_row(name)->fired[a][d]++;
}

void    stats_msg_begin(void)
{
    msg_cpu_start = thread_cpu_ns();
}

void    stats_msg_end(const SCAN *s, const SCONF *c, DIRECTION dir,
		              uint64_t body_bytes)
{
    const VERDICT *v = scan_verdict(s);
    const char *fired[64];
    size_t  n, i;
    uint64_t now = thread_cpu_ns();
    int     d = dir_index(dir);

    n = scan_fired(s, fired, sizeof(fired) / sizeof(fired[0]));
    if (n > sizeof(fired) / sizeof(fired[0]))
	n = sizeof(fired) / sizeof(fired[0]);
    pthread_mutex_lock(&st.lock);
    st.messages[d]++;
    st.bytes[d] += body_bytes;
    if ((unsigned) v->action < N_ACT)
	st.verdicts[v->action]++;
    if (v->action != ACT_NONE)
	rule_add(v->rule, v->action, d);
    for (i = 0; i < n; i++)
	rule_add(fired[i], sconf_rule_action(c, fired[i]), d);
    if (msg_cpu_start && now > msg_cpu_start)
	st.cpu_ns += now - msg_cpu_start;
    pthread_mutex_unlock(&st.lock);
    msg_cpu_start = 0;
}

void    stats_error(const SCONF *c, DIRECTION dir, ACTION action, int had_msg)
{
    (void) c;
    pthread_mutex_lock(&st.lock);
    kind_add(st.errors, "milter");
    if (had_msg) {
	st.messages[dir_index(dir)]++;
	if ((unsigned) action < N_ACT)
	    st.verdicts[action]++;
    }
    pthread_mutex_unlock(&st.lock);
}

void    stats_rcpt_refused(const SCAN *s, DIRECTION dir)
{
    const VERDICT *v = scan_rcpt_refused(s);

    pthread_mutex_lock(&st.lock);
    st.rcpt_refused++;
    if (v)
	rule_add(v->rule, v->action, dir_index(dir));
    pthread_mutex_unlock(&st.lock);
}

/* --- rendering (lock held) ------------------------------------------------ */

static void head(FILE *fp, const char *name, const char *type,
		         const char *help)
{
    fprintf(fp, "# HELP relayscreen_screener_%s %s\n", name, help);
    fprintf(fp, "# TYPE relayscreen_screener_%s %s\n", name, type);
}

static const char *verdict_name(int a)
{
    return a == ACT_NONE ? "pass" : action_name((ACTION) a);
}

static void render_kinds(FILE *fp, const char *metric, const char *label,
			         const STATS_KIND *tab)
{
    int     i;

    for (i = 0; i < N_LIMIT_KINDS && tab[i].what[0]; i++) {
	fprintf(fp, "relayscreen_screener_%s{%s=\"", metric, label);
	promtext_label(fp, tab[i].what);
	fprintf(fp, "\"} %llu\n", (unsigned long long) tab[i].count);
    }
}

static void render_rules(FILE *fp)
{
    size_t  i;
    int     a, d;

    head(fp, "rule_fired_total", "counter",
	 "Times a rule fired, by action and direction.");
    for (i = 0; i < st.n_rules; i++)
	for (a = 0; a < N_ACT; a++)
	    for (d = 0; d < N_DIR; d++) {
		if (st.rules[i].fired[a][d] == 0)
		    continue;
		fprintf(fp, "relayscreen_screener_rule_fired_total{rule=\"");
		promtext_label(fp, st.rules[i].name);
		fprintf(fp, "\",action=\"%s\",direction=\"%s\"} %llu\n",
			verdict_name(a), d ? "outbound" : "inbound",
			(unsigned long long) st.rules[i].fired[a][d]);
	    }
}

char   *stats_render(void)
{
    char   *text = NULL;
    size_t  len = 0;
    FILE   *fp;
    int     a, d;

    if ((fp = open_memstream(&text, &len)) == NULL)
	msg_fatal("statistics: open_memstream: %s", strerror(errno));
    pthread_mutex_lock(&st.lock);
    head(fp, "start_time_seconds", "gauge", "When the screener started.");
    fprintf(fp, "relayscreen_screener_start_time_seconds %lld\n",
	    (long long) st.started);
    head(fp, "updated_time_seconds", "gauge", "When these figures were taken.");
    fprintf(fp, "relayscreen_screener_updated_time_seconds %lld\n",
	    (long long) time(NULL));
    head(fp, "messages_total", "counter", "Messages given a verdict.");
    for (d = 0; d < N_DIR; d++)
	fprintf(fp, "relayscreen_screener_messages_total{direction=\"%s\"} %llu\n",
		d ? "outbound" : "inbound", (unsigned long long) st.messages[d]);
    head(fp, "body_bytes_total", "counter", "Message body bytes received.");
    for (d = 0; d < N_DIR; d++)
	fprintf(fp, "relayscreen_screener_body_bytes_total{direction=\"%s\"} %llu\n",
		d ? "outbound" : "inbound", (unsigned long long) st.bytes[d]);
    head(fp, "verdicts_total", "counter", "Verdicts by action (pass: no "
	 "terminal rule fired).");
    for (a = 0; a < N_ACT; a++)
	if (a != ACT_TAG && a != ACT_LOG)
	    fprintf(fp, "relayscreen_screener_verdicts_total{action=\"%s\"} %llu\n",
		    verdict_name(a), (unsigned long long) st.verdicts[a]);
    head(fp, "rcpt_refused_total", "counter", "Recipients refused alone at RCPT.");
    fprintf(fp, "relayscreen_screener_rcpt_refused_total %llu\n",
	    (unsigned long long) st.rcpt_refused);
    head(fp, "limits_total", "counter", "Verdicts decided by a structural limit.");
    render_kinds(fp, "limits_total", "limit", st.limits);
    head(fp, "errors_total", "counter", "Verdicts decided by an internal error.");
    render_kinds(fp, "errors_total", "what", st.errors);
    head(fp, "scan_cpu_seconds_total", "counter", "CPU time of the milter "
	 "threads on messages (scanning and protocol).");
    fprintf(fp, "relayscreen_screener_scan_cpu_seconds_total %llu.%09llu\n",
	    (unsigned long long) (st.cpu_ns / 1000000000u),
	    (unsigned long long) (st.cpu_ns % 1000000000u));
    render_rules(fp);
    pthread_mutex_unlock(&st.lock);
    if (fclose(fp) != 0 || text == NULL)
	msg_fatal("statistics: out of memory");
    return text;
}

/* --- the writer thread ---------------------------------------------------- */

static struct {
    pthread_t tid;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int     running, stop, failing;
    PROMTEXT_CONF cfg;
} wr = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

/* Write both files; warn once when writing starts failing. */
static void write_files(void)
{
    const char *paths[2] = {wr.cfg.file, wr.cfg.prometheus};
    char   *text = stats_render();
    int     i, bad = 0;

    for (i = 0; i < 2; i++) {
	if (paths[i] == NULL || promtext_replace(paths[i], text) == 0)
	    continue;
	if (!wr.failing)
	    msg_warn("statistics: cannot write %s: %s", paths[i],
		     strerror(errno));
	bad = 1;
    }
    wr.failing = bad;
    myfree(text);
}

static void *writer(void *arg)
{
    struct timespec until;
    int     stop = 0;

    (void) arg;
    while (!stop) {
	write_files();
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += wr.cfg.interval;
	pthread_mutex_lock(&wr.lock);
	while (!wr.stop
	       && pthread_cond_timedwait(&wr.cond, &wr.lock, &until) != ETIMEDOUT)
	     /* spurious wakeup */ ;
	stop = wr.stop;
	pthread_mutex_unlock(&wr.lock);
    }
    write_files();                /* the last figures */
    return NULL;
}

void    stats_start(const PROMTEXT_CONF *cfg)
{
    int     err;

    st.started = time(NULL);
    if (cfg->file == NULL && cfg->prometheus == NULL)
	return;
    promtext_conf_copy(&wr.cfg, cfg);
    if ((err = pthread_create(&wr.tid, NULL, writer, NULL)) != 0)
	msg_fatal("statistics thread: %s", strerror(err));
    wr.running = 1;
}

void    stats_stop(void)
{
    if (!wr.running)
	return;
    pthread_mutex_lock(&wr.lock);
    wr.stop = 1;
    pthread_cond_signal(&wr.cond);
    pthread_mutex_unlock(&wr.lock);
    pthread_join(wr.tid, NULL);
    wr.running = 0;
    promtext_conf_free(&wr.cfg);
}
