/*
 * stats.h - the screener's counters and the state file "screener --stats"
 * reads.
 *
 * Counted once per message when its verdict is logged: messages and body
 * bytes by direction, the verdict's action ("pass" when no terminal rule
 * fired), the structural limits and errors that decided, the CPU time the
 * milter thread spent on the message, and per rule: how often it fired,
 * by action and by direction (a rule refusing one recipient at RCPT
 * counts once per recipient).  Internal errors of the milter (on_error)
 * are counted where they are logged.
 *
 * A writer thread rewrites stats.file and stats.prometheus (the same
 * Prometheus text format) every stats.interval seconds and at exit, each
 * atomically: a temporary file in the same directory, then rename(2).
 * Counters live in memory, from the start of the process (reloads keep
 * them).  The milter's hooks are one call each; see milter_actions.c.
 */
#ifndef RS_STATS_H
#define RS_STATS_H

#include <stdint.h>
#include "engine.h"
#include "sconf.h"

#define STATS_MAX_RULES 4096      /* more names share one "(other)" row */
#define STATS_NAME_MAX 128        /* rule names are cut to this */

/* Start the writer (after the privilege drop; no-op without files). */
void    stats_start(const PROMTEXT_CONF *cfg);
/* Stop it and write the files one last time. */
void    stats_stop(void);

/* Hooks.  begin: a message starts on this thread (CPU clock).  end: its
 * verdict is logged.  error: an internal error answered it (msg NULL
 * when no message was open).  rcpt_refused: one RCPT refused by a rule. */
void    stats_msg_begin(void);
void    stats_msg_end(const SCAN *s, const SCONF *c, DIRECTION dir,
		      uint64_t body_bytes);
void    stats_error(const SCONF *c, DIRECTION dir, ACTION action,
		    int had_msg);
void    stats_rcpt_refused(const SCAN *s, DIRECTION dir);

/* The exposition text of the counters now (caller frees). */
char   *stats_render(void);

/* screener --stats [-c FILE] [--raw]: print the state file. */
int     stats_cli_main(int argc, char **argv);

#endif
