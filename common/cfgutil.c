/*
 * cfgutil.c - strict libconfig access with "FILE:LINE: message" errors.
 *
 * libconfig itself accepts any key and converts between number types; a
 * daemon that silently ignores a misspelt key is a daemon that silently
 * screens nothing.  These helpers check names and types and report every
 * problem with the place it was written.
 */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfgutil.h"
#include "msg.h"
#include "mymalloc.h"

void    cfg_errs_init(CFG_ERRS *e, const char *path)
{
    strlist_init(&e->msgs);
    e->count = 0;
    e->path = path;
    e->list_bytes = 0;
}

void    cfg_errs_free(CFG_ERRS *e)
{
    strlist_free(&e->msgs);
    e->count = 0;
}

void    cfg_errs_print(const CFG_ERRS *e)
{
    size_t  i;

    for (i = 0; i < e->msgs.n; i++)
	fprintf(stderr, "%s\n", e->msgs.v[i]);
    if ((size_t) e->count > e->msgs.n)
	fprintf(stderr, "%s: %zu more errors not shown\n", e->path,
		(size_t) e->count - e->msgs.n);
}

void    cfg_errs_log(const CFG_ERRS *e)
{
    size_t  i;

    for (i = 0; i < e->msgs.n; i++)
	msg_error("%s", e->msgs.v[i]);
    if ((size_t) e->count > e->msgs.n)
	msg_error("%s: %zu more errors not shown", e->path,
		  (size_t) e->count - e->msgs.n);
}

__attribute__((format(printf, 4, 0)))
static void cfg_verr(CFG_ERRS *e, const char *file, int line,
		             const char *fmt, va_list ap)
{
    char    msg[1024];
    char    full[1400];

    e->count++;
    if (e->msgs.n >= CFG_MAX_ERRORS)
	return;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    snprintf(full, sizeof(full), "%s:%d: %s", file ? file : e->path, line, msg);
    strlist_add(&e->msgs, full);
}

void    cfg_err_at(CFG_ERRS *e, const char *file, int line, const char *fmt,...)
{
    va_list ap;

    va_start(ap, fmt);
    cfg_verr(e, file, line, fmt, ap);
    va_end(ap);
}

void    cfg_err(CFG_ERRS *e, const config_setting_t *s, const char *fmt,...)
{
    va_list ap;

    va_start(ap, fmt);
    cfg_verr(e, s ? config_setting_source_file(s) : NULL,
	     s ? (int) config_setting_source_line(s) : 0, fmt, ap);
    va_end(ap);
}

int     cfg_load(config_t *cf, const char *path, CFG_ERRS *e)
{
    FILE   *fp;

    /* Open it ourselves first: libconfig reports a missing file as a
     * parse error at line 0 with a vague text. */
    if ((fp = fopen(path, "r")) == NULL) {
	cfg_err_at(e, path, 0, "cannot open: %s", strerror(errno));
	return -1;
    }
    fclose(fp);
    config_set_options(cf, 0);
    if (config_read_file(cf, path) != CONFIG_TRUE) {
	cfg_err_at(e, config_error_file(cf) ? config_error_file(cf) : path,
		   config_error_line(cf), "%s", config_error_text(cf));
	return -1;
    }
    return 0;
}

int     cfg_check_keys(const config_setting_t *group,
		               const char *const allowed[], CFG_ERRS *e)
{
    int     i, n, bad = 0;
    size_t  k;

    if (group == NULL)
	return 0;
    n = config_setting_length(group);
    for (i = 0; i < n; i++) {
	config_setting_t *m = config_setting_get_elem(group, (unsigned) i);
	const char *name = config_setting_name(m);

	if (name == NULL)
	    continue;
	for (k = 0; allowed[k]; k++)
	    if (strcmp(name, allowed[k]) == 0)
		break;
	if (allowed[k] == NULL) {
	    cfg_err(e, m, "unknown key \"%s\"", name);
	    bad++;
	}
    }
    return bad;
}

static const char *type_name(int type)
{
    switch (type) {
    case CONFIG_TYPE_GROUP: return "a group";
    case CONFIG_TYPE_INT: case CONFIG_TYPE_INT64: return "an integer";
    case CONFIG_TYPE_FLOAT: return "a float";
    case CONFIG_TYPE_STRING: return "a string";
    case CONFIG_TYPE_BOOL: return "a boolean";
    case CONFIG_TYPE_ARRAY: return "an array";
    case CONFIG_TYPE_LIST: return "a list";
    default: return "an unknown type";
    }
}

/* Look up key and check its type; 0 absent, 1 ok, -1 wrong type. */
static int cfg_member(const config_setting_t *g, const char *key, int type,
		              const char *want, config_setting_t **out,
		              CFG_ERRS *e)
{
    config_setting_t *s;

    if (g == NULL || (s = config_setting_get_member(g, key)) == NULL)
	return 0;
    if (config_setting_type(s) != type
	&& !(type == CONFIG_TYPE_INT && config_setting_type(s) == CONFIG_TYPE_INT64)) {
	cfg_err(e, s, "\"%s\" must be %s, not %s", key, want,
		type_name(config_setting_type(s)));
	return -1;
    }
    *out = s;
    return 1;
}

int     cfg_get_group(const config_setting_t *parent, const char *key,
		              config_setting_t **out, CFG_ERRS *e)
{
    return cfg_member(parent, key, CONFIG_TYPE_GROUP, "a group", out, e);
}

int     cfg_get_string(const config_setting_t *g, const char *key,
		               const char **out, CFG_ERRS *e)
{
    config_setting_t *s;
    int     r = cfg_member(g, key, CONFIG_TYPE_STRING, "a string", &s, e);

    if (r == 1)
	*out = config_setting_get_string(s);
    return r;
}

int     cfg_get_bool(const config_setting_t *g, const char *key, int *out,
		             CFG_ERRS *e)
{
    config_setting_t *s;
    int     r = cfg_member(g, key, CONFIG_TYPE_BOOL, "true or false", &s, e);

    if (r == 1)
	*out = config_setting_get_bool(s);
    return r;
}

int     cfg_get_int(const config_setting_t *g, const char *key,
		            long long min, long long max, long long *out,
		            CFG_ERRS *e)
{
    config_setting_t *s;
    int     r = cfg_member(g, key, CONFIG_TYPE_INT, "an integer", &s, e);
    long long v;

    if (r != 1)
	return r;
    v = config_setting_get_int64(s);
    if (v < min || v > max) {
	cfg_err(e, s, "\"%s\" must be between %lld and %lld, not %lld",
		key, min, max, v);
	return -1;
    }
    *out = v;
    return 1;
}

int     parse_size(const char *s, unsigned long long max,
		           unsigned long long *out)
{
    unsigned long long v, mul = 1;
    char   *end;

    while (isspace((unsigned char) *s))
	s++;
    if (!isdigit((unsigned char) *s))
	return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno)
	return -1;
    switch (toupper((unsigned char) *end)) {
    case 'K': mul = 1024ULL; end++; break;
    case 'M': mul = 1024ULL * 1024; end++; break;
    case 'G': mul = 1024ULL * 1024 * 1024; end++; break;
    default: break;
    }
    if (*end == 'B' || *end == 'b')
	end++;
    while (isspace((unsigned char) *end))
	end++;
    if (*end || (v && mul > max / v) || v * mul > max)
	return -1;
    *out = v * mul;
    return 0;
}

int     cfg_get_size(const config_setting_t *g, const char *key,
		             unsigned long long max, unsigned long long *out,
		             CFG_ERRS *e)
{
    config_setting_t *s;
    long long v;

    if (g == NULL || (s = config_setting_get_member(g, key)) == NULL)
	return 0;
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
	v = config_setting_get_int64(s);
	if (v < 0 || (unsigned long long) v > max)
	    break;
	*out = (unsigned long long) v;
	return 1;
    case CONFIG_TYPE_STRING:
	if (parse_size(config_setting_get_string(s), max, out) == 0)
	    return 1;
	break;
    default:
	cfg_err(e, s, "\"%s\" must be a size such as 512K, 10M or 1G", key);
	return -1;
    }
    cfg_err(e, s, "\"%s\": bad size (a number with an optional K, M or G "
	    "suffix, at most %llu bytes)", key, max);
    return -1;
}

int     cfg_get_enum(const config_setting_t *g, const char *key,
		             const char *const names[], int *out, CFG_ERRS *e)
{
    const char *v;
    char    list[256] = "";
    int     r = cfg_get_string(g, key, &v, e), i;

    if (r != 1)
	return r;
    for (i = 0; names[i]; i++)
	if (strcasecmp(v, names[i]) == 0) {
	    *out = i;
	    return 1;
	}
    for (i = 0; names[i]; i++) {
	if (i)
	    strncat(list, ", ", sizeof(list) - strlen(list) - 1);
	strncat(list, names[i], sizeof(list) - strlen(list) - 1);
    }
    cfg_err(e, config_setting_get_member(g, key),
	    "\"%s\": unknown value \"%.100s\" (expected one of: %s)", key, v, list);
    return -1;
}

int     cfg_get_strings(const config_setting_t *g, const char *key,
		                STRLIST *out, CFG_ERRS *e)
{
    config_setting_t *s;
    int     i, n, bad = 0;

    if (g == NULL || (s = config_setting_get_member(g, key)) == NULL)
	return 0;
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_STRING:
	strlist_add(out, config_setting_get_string(s));
	return 1;
    case CONFIG_TYPE_ARRAY:
    case CONFIG_TYPE_LIST:
	break;
    default:
	cfg_err(e, s, "\"%s\" must be a string or a list of strings", key);
	return -1;
    }
    n = config_setting_length(s);
    for (i = 0; i < n; i++) {
	config_setting_t *m = config_setting_get_elem(s, (unsigned) i);

	if (config_setting_type(m) != CONFIG_TYPE_STRING) {
	    cfg_err(e, m, "\"%s\": element %d must be a string", key, i + 1);
	    bad++;
	    continue;
	}
	strlist_add(out, config_setting_get_string(m));
    }
    return bad ? -1 : 1;
}

int     cfg_read_list_file(const config_setting_t *setting, const char *path,
			           STRLIST *out, CFG_ERRS *e)
{
    char    full[PATH_MAX], line[CFG_LIST_LINE_MAX + 2];
    const char *base = setting ? config_setting_source_file(setting) : NULL;
    const char *slash;
    FILE   *fp;
    int     lineno = 0, bad = 0;
    size_t  entries = 0;

    if (path[0] != '/' && base && (slash = strrchr(base, '/')) != NULL)
	snprintf(full, sizeof(full), "%.*s/%s", (int) (slash - base), base, path);
    else
	snprintf(full, sizeof(full), "%s", path);
    if ((fp = fopen(full, "r")) == NULL) {
	cfg_err(e, setting, "cannot read list file \"%s\": %s", full,
		strerror(errno));
	return -1;
    }
    while (fgets(line, sizeof(line), fp) != NULL) {
	char   *p = line, *end;
	size_t  len = strlen(line);

	lineno++;
	if (len > 0 && line[len - 1] != '\n' && !feof(fp)) {
	    int     c;

	    cfg_err_at(e, full, lineno, "line longer than %d bytes",
		       CFG_LIST_LINE_MAX);
	    bad++;
	    while ((c = getc(fp)) != EOF && c != '\n')
		 /* skip the rest */ ;
	    continue;
	}
	if ((end = strchr(p, '#')) != NULL)
	    *end = 0;
	while (isspace((unsigned char) *p))
	    p++;
	end = p + strlen(p);
	while (end > p && isspace((unsigned char) end[-1]))
	    *--end = 0;
	if (*p == 0)
	    continue;
	if (++entries > CFG_LIST_MAX_ENTRIES) {
	    cfg_err_at(e, full, lineno, "more than %d entries",
		       CFG_LIST_MAX_ENTRIES);
	    bad++;
	    break;
	}
	e->list_bytes += (size_t) (end - p) + 1 + sizeof(char *);
	if (e->list_bytes > CFG_LIST_TOTAL_MAX) {
	    cfg_err_at(e, full, lineno, "list files hold more than %lu MiB "
		       "in all", CFG_LIST_TOTAL_MAX >> 20);
	    bad++;
	    break;
	}
	strlist_add(out, p);
    }
    if (ferror(fp)) {
	cfg_err_at(e, full, lineno, "read error: %s", strerror(errno));
	bad++;
    }
    fclose(fp);
    return bad ? -1 : 1;
}
