/*
 * pstats.h - policyd's decision counters and the state file
 * "policyd --stats" reads.
 *
 *   stats = {
 *     file = "/run/relayscreen/policyd.stats";   # what policyd --stats reads
 *     prometheus = "/var/lib/prometheus/node-exporter/policyd.prom";
 *     interval = 5;                              # seconds between rewrites
 *   };
 *
 * Every answered request is counted by listener, decision (pass, reject,
 * defer) and reason; malformed input and timed-out connections apart.
 * The event loop rewrites both files (the same Prometheus text) every
 * interval and at exit, each atomically (temporary file, rename).
 * Neither is written unless set; they take effect at the next start.
 * Counters live in memory from the start of the process; reloads keep
 * them.  policyd is single-threaded: no locking.
 */
#ifndef RS_PSTATS_H
#define RS_PSTATS_H

#include <time.h>

#include "promtext.h"

#define PSTATS_MAX_ROWS 1024      /* listener x decision x reason */
#define PSTATS_NAME_MAX 64


/* Start counting and writing (a copy of the settings is kept). */
void    pstats_start(const PROMTEXT_CONF *sc, time_t now);
/* Hooks: one answered request; one connection dropped (malformed input
 * or a timeout). */
void    pstats_decision(const char *listener, const char *action,
			const char *reason);
void    pstats_dropped(const char *why);
/* From the event loop once a second: rewrite when the interval is up. */
void    pstats_tick(time_t now);
/* Write once more and forget the settings. */
void    pstats_stop(void);

/* The exposition text now (caller frees). */
char   *pstats_render(time_t now);

/* policyd --stats [-c FILE] [--raw] */
int     pstats_cli_main(int argc, char **argv, const char *def_conf);

#endif
