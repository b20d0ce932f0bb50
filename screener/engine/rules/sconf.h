/*
 * sconf.h - the screener's loaded configuration (screener.conf).
 *
 * An SCONF is immutable once sconf_load() returns it and is shared
 * read-only by every milter thread.  Reload builds a new SCONF and swaps
 * the pointer under a lock; sconf_ref()/sconf_unref() (atomic counts,
 * taken and dropped while holding the swap lock by the caller) let
 * in-flight messages finish with the rules they started with.
 *
 * Top-level groups: direction, rules, limits, milter, smtp, log, stats.
 */
#ifndef RS_SCONF_H
#define RS_SCONF_H

#include <stddef.h>
#include "cfgutil.h"
#include "cidr.h"
#include "promtext.h"
#include "strlist.h"
#include "action.h"

typedef struct RULE RULE;         /* rules.h: opaque outside the engine */

typedef struct SCONF_DIRECTION {
    STRLIST outbound_daemons;     /* {daemon_name} values */
    int     outbound_authenticated;
    CIDR   *outbound_networks;
    size_t  n_outbound_networks;
} SCONF_DIRECTION;

typedef struct SCONF_LIMITS {
    int     max_depth;            /* MIME nesting */
    int     max_parts;
    size_t  max_header_size;      /* one (unfolded) header field */
    size_t  max_headers;          /* header fields per part */
    size_t  max_line_length;
    ACTION  on_limit;             /* default ACT_TEMPFAIL */
    ACTION  on_error;             /* internal error; default ACT_TEMPFAIL */
    /* containers (files_limits.h has the defaults, sconf_files.c loads) */
    int     max_archive_depth;    /* nested containers opened */
    unsigned long max_archive_members;    /* files in containers, per message */
    unsigned long long max_archive_size;  /* a container's own size */
    unsigned long long max_archive_expansion; /* bytes read out, per message */
    unsigned long max_archive_ratio;      /* read out / container size */
    unsigned long long max_archive_dictionary; /* LZMA decoder dictionary */
} SCONF_LIMITS;

typedef struct SCONF_MILTER {
    char   *socket;               /* "unix:/path" or "inet:port@host" */
    char   *user, *group;         /* privilege drop; NULL: keep */
    char   *pidfile;
    int     pidfile_set;          /* set in the file (-f writes it only then) */
    int     socket_mode;          /* default 0660 */
    char   *socket_group;         /* default "postfix" */
    int     timeout;              /* libmilter timeout, seconds */
    char   *spool_dir;            /* strip spool; default /var/tmp */
    unsigned long long spool_max; /* bytes per message spool */
} SCONF_MILTER;

typedef struct SCONF_SMTP {
    size_t  max_helo_length;      /* 0: no limit */
    size_t  max_mail_length;
    size_t  max_rcpt_length;
    size_t  max_recipients;
    char   *reply;                /* default "554 5.5.2 ..." text */
} SCONF_SMTP;

typedef struct SCONF {
    char   *path;
    SCONF_DIRECTION direction;
    SCONF_LIMITS limits;
    SCONF_MILTER milter;
    SCONF_SMTP smtp;
    PROMTEXT_CONF stats;          /* the "stats" group (promtext.h) */
    int     log_facility;         /* LOG_MAIL default */
    RULE  **rules;                /* ordered */
    size_t  n_rules;
    unsigned int needs;           /* NEED_* bits: what any rule looks at */
    int     audit;                /* audit = true: rules default to audit */
    int     refcount;             /* see sconf_ref() */
    struct AC_AUTOMATON *automaton;   /* engine: every rule's words */
    struct AC_AUTOMATON *conf_automaton;  /* engine: skeletons of every
				   * rule's words when any rule wants
				   * confusables, or NULL */
    struct CONF_WORD *conf_words; /* its owners (rules.h) */
    size_t  n_regex;              /* engine: regexes over all rules */
    void   *rx_prefilter;         /* engine: one pcre2_code, see scan.c */
    struct FILES_CONF *files;     /* engine: type detection (files.h) */
} SCONF;

/* Load and check a file.  Returns NULL and fills e on any problem. */
SCONF  *sconf_load(const char *path, CFG_ERRS *e);
SCONF  *sconf_ref(SCONF *c);
void    sconf_unref(SCONF *c);        /* frees at zero */

typedef enum { DIR_INBOUND = 1, DIR_OUTBOUND = 2 } DIRECTION;
const char *direction_name(DIRECTION d);

/* Is r an SMTP reply of class klass ('4' or '5'): "550 5.7.1 text"? */
int     sconf_reply_ok(const char *r, int klass);

/* A rule's action by name (ACT_NONE when there is no such rule): the one
 * question the statistics ask of the rule set. */
ACTION  sconf_rule_action(const SCONF *c, const char *name);

/* Does any rule strip?  Only then must the milter keep a copy of the
 * body to rewrite. */
int     sconf_may_strip(const SCONF *c);

/* Direction of a message from what Postfix told the milter; any argument
 * may be NULL or empty. */
DIRECTION sconf_direction(const SCONF *c, const char *daemon_name,
			  const char *auth_authen, const char *client_addr);

#endif
