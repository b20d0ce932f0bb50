/*
 * promtext_test.c - the statistics file format (common/promtext.c):
 * label escaping read back exactly, atomic replacement, and a reader
 * that survives hostile files (over-long lines, broken labels, garbage,
 * a file with no newline, NUL bytes) without reading out of bounds.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "promtext.h"
#include "tap.h"

typedef struct SEEN {
    int     n;
    char    metric[8][128];
    char    labels[8][256];
    double  value[8];
} SEEN;

static void sample(void *ctx, const char *metric, const char *labels, double v)
{
    SEEN   *s = ctx;

    if (s->n < 8) {
	snprintf(s->metric[s->n], sizeof(s->metric[0]), "%s", metric);
	snprintf(s->labels[s->n], sizeof(s->labels[0]), "%s", labels ? labels : "");
	s->value[s->n] = v;
    }
    s->n++;
}

static void parse_text(const char *text, size_t len, SEEN *s)
{
    FILE   *fp = fmemopen((void *) text, len, "r");

    memset(s, 0, sizeof(*s));
    promtext_parse(fp, sample, s);
    fclose(fp);
}

static void test_roundtrip(void)
{
    const char *nasty = "a \"quoted\" \\ name\nwith a newline}, and=\"x\"";
    char   *text = NULL, got[128];
    size_t  len = 0;
    FILE   *fp = open_memstream(&text, &len);
    SEEN    s;

    fputs("# HELP m a metric\nm{rule=\"", fp);
    promtext_label(fp, nasty);
    fputs("\",action=\"reject\"} 42\n", fp);
    fclose(fp);
    parse_text(text, len, &s);
    is_int(s.n, 1, "one sample read back");
    is_str(s.metric[0], "m", "its metric");
    ok(s.value[0] == 42, "its value");
    is_str(promtext_get_label(s.labels[0], "rule", got, sizeof(got)), nasty,
	   "a label with quotes, backslash, newline, brace and comma: exact");
    is_str(promtext_get_label(s.labels[0], "action", got, sizeof(got)),
	   "reject", "the label after it");
    ok(promtext_get_label(s.labels[0], "nope", got, sizeof(got)) == NULL,
       "an absent label: NULL");
    ok(promtext_get_label(s.labels[0], "rule", got, 5) != NULL
       && strcmp(got, "a \"q") == 0, "cut to the buffer size");
    free(text);
}

static void test_hostile(void)
{
    static const char garbage[] = "m{a=\"x} 1\n"  /* unterminated value */
	"m{a=x} 2\n"              /* unquoted */
	"{} 3\n"                  /* no metric */
	"m{a=\"1\"}\n"            /* no value */
	"mmmm\n"                  /* nothing */
	"ok 7\n"                  /* fine */
	"m{a=\"\\";              /* cut off, no newline */
    char   *big = malloc(PROMTEXT_LINE_MAX * 3 + 64), got[16];
    SEEN    s;
    size_t  n;

    parse_text(garbage, sizeof(garbage) - 1, &s);
    ok(s.n >= 1 && strcmp(s.metric[s.n - 1], "ok") == 0
       && s.value[s.n - 1] == 7, "garbage around a good line: the good line read");
    ok(s.n < 1 || promtext_get_label(s.labels[0], "a", got, sizeof(got)) == NULL,
       "an unterminated label value is not a value");

    memset(big, 'x', PROMTEXT_LINE_MAX * 3);
    n = PROMTEXT_LINE_MAX * 3;
    memcpy(big + n, " 1\nshort 5\n", 11);
    parse_text(big, n + 11, &s);
    is_int(s.n, 1, "an over-long line is skipped whole (not read as pieces)");
    is_str(s.metric[0], "short", "the line after it is read");

    memcpy(big, "a\0b 1\nc 2\n", 10);
    parse_text(big, 10, &s);
    ok(s.n >= 1 && strcmp(s.metric[s.n - 1], "c") == 0, "a NUL byte does not stop the reader");
    free(big);
}

static void test_replace(void)
{
    char    dir[] = "/tmp/promtext_test.XXXXXX", path[256], tmp[300], buf[64];
    FILE   *fp;
    struct stat st;

    if (mkdtemp(dir) == NULL) {
	ok(0, "mkdtemp");
	return;
    }
    snprintf(path, sizeof(path), "%s/s.stats", dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    ok(promtext_replace(path, "one 1\n") == 0, "write a file");
    fp = fopen(tmp, "w");         /* a leftover of a crash */
    fputs("junk", fp);
    fclose(fp);
    ok(promtext_replace(path, "two 2\n") == 0, "replace it, a stale temporary file in the way");
    fp = fopen(path, "r");
    buf[0] = 0;
    if (fp) {
	if (fgets(buf, sizeof(buf), fp) == NULL)
	    buf[0] = 0;
	fclose(fp);
    }
    is_str(buf, "two 2\n", "the new text is there");
    ok(stat(tmp, &st) < 0, "no temporary file left");
    ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644, "mode 0644");
    snprintf(tmp, sizeof(tmp), "%s/none/s.stats", dir);
    ok(promtext_replace(tmp, "x 1\n") < 0, "a missing directory: -1");
    unlink(path);
    rmdir(dir);
}

int     main(void)
{
    test_roundtrip();
    test_hostile();
    test_replace();
    return tap_done();
}
