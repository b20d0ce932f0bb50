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
 */
#ifndef RS_PROMTEXT_H
#define RS_PROMTEXT_H

#include <stdio.h>

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

#endif
