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
