/*
 * runcheck.h - "daemon -t": check what a start or SIGHUP reload will meet.
 *
 * A config that parses can still fail in production: the run user or
 * group may not exist, and after the privilege drop a reload re-reads the
 * config and every list or map file as that user.  runcheck() finds every
 * file the config names (the file itself, its @include files, every
 * setting named *_file) and opens each one as the run user: in a child
 * that drops privileges when started as root, directly otherwise.
 */
#ifndef RS_RUNCHECK_H
#define RS_RUNCHECK_H

#include <stddef.h>
#include "cfgutil.h"

#define RUNCHECK_MAX_FILES 1000   /* more are counted, not checked */

typedef struct RUNCHECK {
    const char *user;             /* NULL or "": the current identity */
    const char *group;            /* NULL or "": the user's primary group */
    const char *user_key;         /* e.g. "milter.user", for FILE:LINE */
    const char *group_key;
    size_t  nfiles;               /* out: files named */
    int     checked;              /* out: opened as the run user */
    char    who[160];             /* out: "relayscreen:relayscreen" */
} RUNCHECK;

/* Record every problem in e; returns the number found. */
int     runcheck(const char *conf_path, RUNCHECK *rc, CFG_ERRS *e);

/* The one summary line both daemons print on stdout after a clean -t:
 * "PATH: OK (WHAT; runs as WHO, N files readable)". */
void    runcheck_summary(const char *conf_path, const char *what,
			 const RUNCHECK *rc);

#endif
