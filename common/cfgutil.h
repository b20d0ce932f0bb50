/*
 * cfgutil.h - strict libconfig helpers with "FILE:LINE: message" errors.
 *
 * A loader walks its groups with these helpers, which record every
 * problem (unknown key, wrong type, bad value) with the file and line of
 * the offending setting instead of stopping at the first one, so that
 * "daemon -t" can print them all.  A config is used only when the error
 * count is zero.
 */
#ifndef RS_CFGUTIL_H
#define RS_CFGUTIL_H

#include <stddef.h>
#include <libconfig.h>
#include "strlist.h"

#define CFG_MAX_ERRORS 100        /* more are counted, not kept */

typedef struct CFG_ERRS {
    STRLIST msgs;                 /* "FILE:LINE: message" */
    int     count;
    const char *path;             /* top-level file, for settings w/o file */
    size_t  list_bytes;           /* read from list files in this load */
} CFG_ERRS;

void    cfg_errs_init(CFG_ERRS *e, const char *path);
void    cfg_errs_free(CFG_ERRS *e);
/* Print every message on stderr (or log them with msg_error). */
void    cfg_errs_print(const CFG_ERRS *e);
void    cfg_errs_log(const CFG_ERRS *e);

/* Record an error at a setting's file:line (s may be NULL: line 0). */
void    cfg_err(CFG_ERRS *e, const config_setting_t *s, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Record an error at an explicit file:line. */
void    cfg_err_at(CFG_ERRS *e, const char *file, int line, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

/* Parse a file; on a syntax error record it and return -1. */
int     cfg_load(config_t *cf, const char *path, CFG_ERRS *e);

/* Every member of group must be named in allowed[] (NULL-terminated);
 * each other member is an "unknown key" error.  Returns errors found. */
int     cfg_check_keys(const config_setting_t *group,
		       const char *const allowed[], CFG_ERRS *e);

/* Getters: return 1 when present and valid (value stored), 0 when absent
 * (value untouched), -1 when present but invalid (error recorded). */
int     cfg_get_group(const config_setting_t *parent, const char *key,
		      config_setting_t **out, CFG_ERRS *e);
int     cfg_get_string(const config_setting_t *g, const char *key,
		       const char **out, CFG_ERRS *e);
int     cfg_get_bool(const config_setting_t *g, const char *key,
		     int *out, CFG_ERRS *e);
int     cfg_get_int(const config_setting_t *g, const char *key,
		    long long min, long long max, long long *out, CFG_ERRS *e);
/* A size: integer, or string with optional K/M/G suffix (powers of 1024). */
int     cfg_get_size(const config_setting_t *g, const char *key,
		     unsigned long long max, unsigned long long *out,
		     CFG_ERRS *e);
/* One of names[] (NULL-terminated), caseless; stores the index. */
int     cfg_get_enum(const config_setting_t *g, const char *key,
		     const char *const names[], int *out, CFG_ERRS *e);
/* An array or list of strings (a single string is accepted as a list of
 * one); each string is appended to out. */
int     cfg_get_strings(const config_setting_t *g, const char *key,
			STRLIST *out, CFG_ERRS *e);

/* Append the entries of a list file: one per line, '#' starts a comment,
 * blank lines ignored, surrounding white space removed.  A relative path
 * is taken relative to the directory of the setting's file.  Errors
 * (unreadable, line too long, too many entries) name the list file and
 * line, or the setting when the file cannot be opened. */
#define CFG_LIST_LINE_MAX   1024
#define CFG_LIST_MAX_ENTRIES 1000000
/* All list files of one load together: past this the configuration is
 * refused (FILE:LINE), so a reload never runs out of memory reading
 * them and exits; the old rules stay. */
#define CFG_LIST_TOTAL_MAX (64UL * 1024 * 1024)
int     cfg_read_list_file(const config_setting_t *setting, const char *path,
			   STRLIST *out, CFG_ERRS *e);

/* Size string parser shared with command lines: "10M" -> 10485760. */
int     parse_size(const char *s, unsigned long long max,
		   unsigned long long *out);

#endif
