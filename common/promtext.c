/*
 * promtext.c - Prometheus text files: label escaping, atomic
 * replacement, a bounded sample reader (see promtext.h).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mymalloc.h"
#include "promtext.h"

void    promtext_label(FILE *fp, const char *v)
{
    for (; *v; v++) {
	if (*v == '\\' || *v == '"')
	    fprintf(fp, "\\%c", *v);
	else if (*v == '\n')
	    fputs("\\n", fp);
	else
	    putc(*v, fp);
    }
}

int     promtext_replace(const char *path, const char *text)
{
    char    tmp[4200];
    size_t  len = strlen(text), done = 0;
    ssize_t n;
    int     fd, saved;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int) sizeof(tmp)) {
	errno = ENAMETOOLONG;
	return -1;
    }
    (void) unlink(tmp);           /* a leftover of a crash */
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		   0644)) < 0)
	return -1;
    while (done < len) {
	if ((n = write(fd, text + done, len - done)) < 0) {
	    if (errno == EINTR)
		continue;
	    goto fail;
	}
	done += (size_t) n;
    }
    if (close(fd) < 0) {
	fd = -1;
	goto fail;
    }
    if (rename(tmp, path) == 0)
	return 0;
    fd = -1;
fail:
    saved = errno;
    if (fd >= 0)
	close(fd);
    unlink(tmp);
    errno = saved;
    return -1;
}

/* The value after an opening quote into out; the char after the closing
 * quote, or NULL. */
static const char *unquote(const char *p, char *out, size_t size)
{
    size_t  n = 0;

    for (; *p && *p != '"'; p++) {
	char    c = *p;

	if (c == '\\' && p[1])
	    c = *++p == 'n' ? '\n' : *p;
	if (n + 1 < size)
	    out[n++] = c;
    }
    out[n] = 0;
    return *p == '"' ? p + 1 : NULL;
}

const char *promtext_get_label(const char *labels, const char *key,
			               char *out, size_t size)
{
    char    k[64];
    const char *p = labels;
    size_t  n;

    while (p && *p && *p != '}') {
	for (n = 0; *p && *p != '=' && n + 1 < sizeof(k); p++)
	    k[n++] = *p;
	k[n] = 0;
	if (*p++ != '=' || *p++ != '"')
	    return NULL;
	if ((p = unquote(p, out, size)) == NULL)
	    return NULL;
	if (strcmp(k, key) == 0)
	    return out;
	if (*p == ',')
	    p++;
    }
    return NULL;
}

void    promtext_parse(FILE *fp, PROMTEXT_SAMPLE fn, void *ctx)
{
    char    line[PROMTEXT_LINE_MAX + 2];
    int     lines = 0;

    while (fgets(line, sizeof(line), fp) != NULL && lines++ < PROMTEXT_MAX_LINES) {
	char    metric[128], *p = line, *labels = NULL, *end;
	size_t  n = 0;

	if (*p == '#' || (end = strchr(p, '\n')) == NULL)
	    continue;             /* a comment, or too long: skipped */
	*end = 0;
	while (*p && *p != '{' && *p != ' ' && n + 1 < sizeof(metric))
	    metric[n++] = *p++;
	metric[n] = 0;
	if (*p == '{') {
	    labels = ++p;
	    /* the value follows the last '}' (a label value may hold one) */
	    if ((end = strrchr(p, '}')) == NULL)
		continue;
	    p = end + 1;
	}
	if (*p == ' ')
	    fn(ctx, metric, labels, strtod(p + 1, NULL));
    }
}

/* --- the "stats" group and --stats ---------------------------------------- */

static int get_path(const config_setting_t *g, const char *key, char **out,
		            CFG_ERRS *e)
{
    const char *s;

    if (cfg_get_string(g, key, &s, e) != 1 || *s == 0)
	return 0;
    if (*s != '/' || strlen(s) > 1000) {
	cfg_err(e, config_setting_get_member(g, key),
		"stats: \"%s\" must be an absolute path", key);
	return -1;
    }
    *out = mystrdup(s);
    return 1;
}

void    promtext_conf_load(PROMTEXT_CONF *pc, const config_setting_t *g,
			           CFG_ERRS *e)
{
    static const char *const keys[] = {"file", "prometheus", "interval",
    NULL};
    long long v;
    size_t  len;

    pc->file = pc->prometheus = NULL;
    pc->interval = PROMTEXT_INTERVAL_DEF;
    if (g == NULL)
	return;
    cfg_check_keys(g, keys, e);
    (void) get_path(g, "file", &pc->file, e);
    if (get_path(g, "prometheus", &pc->prometheus, e) == 1
	&& ((len = strlen(pc->prometheus)) < 5
	    || strcmp(pc->prometheus + len - 5, ".prom") != 0))
	cfg_err(e, config_setting_get_member(g, "prometheus"),
		"stats: \"prometheus\" must end in .prom (node_exporter's "
		"textfile collector reads only those)");
    if (cfg_get_int(g, "interval", 1, PROMTEXT_INTERVAL_MAX, &v, e) == 1)
	pc->interval = (int) v;
}

void    promtext_conf_copy(PROMTEXT_CONF *to, const PROMTEXT_CONF *from)
{
    to->file = from->file ? mystrdup(from->file) : NULL;
    to->prometheus = from->prometheus ? mystrdup(from->prometheus) : NULL;
    to->interval = from->interval > 0 ? from->interval : PROMTEXT_INTERVAL_DEF;
}

void    promtext_conf_free(PROMTEXT_CONF *pc)
{
    myfree(pc->file);
    myfree(pc->prometheus);
    pc->file = pc->prometheus = NULL;
}

int     promtext_show(const char *prog, const char *who, const char *path,
		              int raw, PROMTEXT_SAMPLE fn, void *ctx)
{
    FILE   *fp;

    if ((fp = fopen(path, "r")) == NULL) {
	fprintf(stderr, "%s: cannot read %s (is %s running?): %s\n",
		prog, path, who, strerror(errno));
	return 1;
    }
    if (raw) {
	char    buf[8192];
	size_t  n;

	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
	    fwrite(buf, 1, n, stdout);
    } else {
	promtext_parse(fp, fn, ctx);
    }
    fclose(fp);
    return 0;
}
