/*
 * pstats.c - policyd's decision counters and their state files (see
 * pstats.h).  Single-threaded: the event loop calls every hook.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "msg.h"
#include "mymalloc.h"
#include "promtext.h"
#include "pstats.h"

#define N_DROP 4

typedef struct PSTATS_ROW {
    char    listener[PSTATS_NAME_MAX];
    char    decision[8];          /* pass, reject, defer */
    char    reason[PSTATS_NAME_MAX];
    unsigned long long count;
} PSTATS_ROW;

static struct {
    PROMTEXT_CONF cf;
    int     on, failing;
    time_t  started, last_write;
    PSTATS_ROW *rows;
    size_t  n, cap;
    char    drop_why[N_DROP][16];
    unsigned long long drops[N_DROP];
} ps;

/* --- counting ------------------------------------------------------------- */

void    pstats_decision(const char *listener, const char *action,
			        const char *reason)
{
    const char *dec = *action == '4' ? "defer" : *action == '5' ? "reject"
    : "pass";
    size_t  i;
    PSTATS_ROW *r;

    listener = listener ? listener : "-";
    reason = reason ? reason : "-";
    for (i = 0; i < ps.n; i++) {
	r = &ps.rows[i];
	if (strcmp(r->decision, dec) == 0
	    && strncmp(r->listener, listener, PSTATS_NAME_MAX - 1) == 0
	    && strncmp(r->reason, reason, PSTATS_NAME_MAX - 1) == 0) {
	    r->count++;
	    return;
	}
    }
    if (ps.n == PSTATS_MAX_ROWS) {    /* the last row takes the rest */
	ps.rows[ps.n - 1].count++;
	return;
    }
    ps.rows = mygrow(ps.rows, &ps.cap, ps.n + 1, sizeof(PSTATS_ROW));
    r = &ps.rows[ps.n++];
    memset(r, 0, sizeof(*r));
    snprintf(r->listener, sizeof(r->listener), "%s",
	     ps.n == PSTATS_MAX_ROWS ? "(other)" : listener);
    snprintf(r->decision, sizeof(r->decision), "%s", dec);
    snprintf(r->reason, sizeof(r->reason), "%s",
	     ps.n == PSTATS_MAX_ROWS ? "(other)" : reason);
    r->count = 1;
}

void    pstats_dropped(const char *why)
{
    int     i;

    for (i = 0; i < N_DROP - 1 && ps.drop_why[i][0]; i++)
	if (strcmp(ps.drop_why[i], why) == 0)
	    break;
    if (ps.drop_why[i][0] == 0)
	snprintf(ps.drop_why[i], sizeof(ps.drop_why[i]), "%s", why);
    ps.drops[i]++;
}

/* --- the files ------------------------------------------------------------ */

static void head(FILE *fp, const char *name, const char *type,
		         const char *help)
{
    fprintf(fp, "# HELP relayscreen_policyd_%s %s\n", name, help);
    fprintf(fp, "# TYPE relayscreen_policyd_%s %s\n", name, type);
}

char   *pstats_render(time_t now)
{
    char   *text = NULL;
    size_t  len = 0, i;
    FILE   *fp;

    if ((fp = open_memstream(&text, &len)) == NULL)
	msg_fatal("statistics: open_memstream: %s", strerror(errno));
    head(fp, "start_time_seconds", "gauge", "When policyd started.");
    fprintf(fp, "relayscreen_policyd_start_time_seconds %lld\n",
	    (long long) ps.started);
    head(fp, "updated_time_seconds", "gauge", "When these figures were taken.");
    fprintf(fp, "relayscreen_policyd_updated_time_seconds %lld\n",
	    (long long) now);
    head(fp, "decisions_total", "counter", "Requests answered, by listener, "
	 "decision and reason.");
    for (i = 0; i < ps.n; i++) {
	fputs("relayscreen_policyd_decisions_total{listener=\"", fp);
	promtext_label(fp, ps.rows[i].listener);
	fprintf(fp, "\",decision=\"%s\",reason=\"", ps.rows[i].decision);
	promtext_label(fp, ps.rows[i].reason);
	fprintf(fp, "\"} %llu\n", ps.rows[i].count);
    }
    head(fp, "dropped_total", "counter", "Connections closed for malformed "
	 "input or a timeout.");
    for (i = 0; i < N_DROP && ps.drop_why[i][0]; i++)
	fprintf(fp, "relayscreen_policyd_dropped_total{why=\"%s\"} %llu\n",
		ps.drop_why[i], ps.drops[i]);
    if (fclose(fp) != 0 || text == NULL)
	msg_fatal("statistics: out of memory");
    return text;
}

static void write_files(time_t now)
{
    const char *paths[2] = {ps.cf.file, ps.cf.prometheus};
    char   *text = pstats_render(now);
    int     i, bad = 0;

    for (i = 0; i < 2; i++) {
	if (paths[i] == NULL || promtext_replace(paths[i], text) == 0)
	    continue;
	if (!ps.failing)
	    msg_warn("statistics: cannot write %s: %s", paths[i],
		     strerror(errno));
	bad = 1;
    }
    ps.failing = bad;
    ps.last_write = now;
    myfree(text);
}

void    pstats_start(const PROMTEXT_CONF *sc, time_t now)
{
    ps.started = now;
    if (sc->file == NULL && sc->prometheus == NULL)
	return;
    promtext_conf_copy(&ps.cf, sc);
    ps.on = 1;
    write_files(now);
}

void    pstats_tick(time_t now)
{
    if (ps.on && (now - ps.last_write >= ps.cf.interval || now < ps.last_write))
	write_files(now);
}

void    pstats_stop(void)
{
    if (ps.on)
	write_files(time(NULL));
    ps.on = 0;
    promtext_conf_free(&ps.cf);
    myfree(ps.rows);
    ps.rows = NULL;
    ps.n = ps.cap = 0;
}
