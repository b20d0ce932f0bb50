/*
 * promtext.h - the statistics files both daemons write and read: the
 * Prometheus text exposition format (what node_exporter's textfile
 * collector takes), replaced atomically.
 *
 * Writing: promtext_label() escapes a label value (backslash, double
 * quote, newline); promtext_replace() writes a whole file as PATH.tmp
 * and renames it over PATH, so a reader never sees half a file.
 * Reading: promtext_parse() calls back once per sample line; lines that
 * are too long or do not parse are skipped, and the count is bounded.
 * Both daemons configure their files with the same "stats" group
 * (promtext_conf_load) and show them the same way (promtext_show).
 */
#ifndef RS_PROMTEXT_H
#define RS_PROMTEXT_H

#include <stdio.h>

#include "cfgutil.h"

#define PROMTEXT_LINE_MAX 8192
#define PROMTEXT_MAX_LINES 200000

void    promtext_label(FILE *fp, const char *value);
/* 0, or -1 with errno set (the temporary file is removed). */
int     promtext_replace(const char *path, const char *text);

typedef void (*PROMTEXT_SAMPLE) (void *ctx, const char *metric,
				         const char *labels, double value);
void    promtext_parse(FILE *fp, PROMTEXT_SAMPLE fn, void *ctx);
/* The value of label KEY in a labels text ('a="x",b="y"'), unescaped
 * and cut to size; NULL when absent or malformed. */
const char *promtext_get_label(const char *labels, const char *key,
			               char *out, size_t size);

/* The "stats" group: stats = { file = ...; prometheus = ...; interval = N; }; */
#define PROMTEXT_INTERVAL_DEF 5           /* seconds between rewrites */
#define PROMTEXT_INTERVAL_MAX 3600

typedef struct PROMTEXT_CONF {
    char   *file;                 /* NULL: no state file */
    char   *prometheus;           /* NULL: none; ends in .prom */
    int     interval;             /* seconds between rewrites */
} PROMTEXT_CONF;

/* g may be NULL (the defaults); errors go to e as FILE:LINE. */
void    promtext_conf_load(PROMTEXT_CONF *pc, const config_setting_t *g,
			           CFG_ERRS *e);
void    promtext_conf_copy(PROMTEXT_CONF *to, const PROMTEXT_CONF *from);
void    promtext_conf_free(PROMTEXT_CONF *pc);

/* "--stats": print the file a running daemon last wrote, as it is (raw)
 * or through fn (each sample); prog and who name the daemon in errors.
 * 0, or 1 when it cannot be read. */
int     promtext_show(const char *prog, const char *who, const char *path,
		              int raw, PROMTEXT_SAMPLE fn, void *ctx);

#endif
