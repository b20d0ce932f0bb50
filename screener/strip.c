/*
 * strip.c - the strip action: body ranges to replace and the rewrite.
 *
 * A stripped part keeps its place in the MIME tree: its bytes (headers
 * and body, from the line after its delimiter to the line break before
 * the next one) are replaced by a text/plain part holding the notice, so
 * the result stays well-formed whatever the nesting.
 *
 * When the message is a single non-multipart entity that is itself the
 * attachment, the whole body is replaced by the notice text and the
 * caller must apply scan_strip_headers() to the top-level header (the
 * Content-Type becomes text/plain, the transfer encoding 8bit, and the
 * Content-Disposition goes away).
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "mymalloc.h"
#include "printable.h"
#include "scan_int.h"

#define NOTICE_TYPE "Content-Type: text/plain; charset=utf-8\r\n" \
	"Content-Transfer-Encoding: 8bit\r\n" \
	"Content-Disposition: inline\r\n\r\n"

void    strip_build_ranges(SCAN *s)
{
    RULE_STATE *st = &s->rs[s->strip_rule];
    const char *rule = s->conf->rules[s->strip_rule]->name;
    size_t  i, j;

    s->ranges = mycalloc(st->ncands ? st->ncands : 1, sizeof(STRIP_RANGE));
    s->nranges = 0;
    for (i = 0; i < st->ncands; i++) {
	STRIP_CAND *c = &st->cands[i];
	STRIP_RANGE *r;
	char    name[128 * 4 + 8];

	/* Parts end in child-first order: a later range may enclose
	 * earlier ones (a message/rfc822 part and its attachment). */
	for (j = 0; j < s->nranges; j++)
	    if (s->ranges[j].start >= c->start && s->ranges[j].end <= c->end)
		break;
	if (j < s->nranges)
	    s->nranges = j;
	r = &s->ranges[s->nranges++];
	r->start = c->start;
	r->end = c->end;
	printable(name, sizeof(name), c->name, strlen(c->name), 100);
	snprintf(r->notice, sizeof(r->notice), "%s"
		 "The attachment \"%.200s\" was removed by the mail gateway "
		 "(policy rule %.60s).\r\n", c->is_root ? "" : NOTICE_TYPE,
		 name, rule);
	if (c->is_root)
	    s->strip_root = 1;
    }
}

const STRIP_RANGE *scan_strip_ranges(const SCAN *s, size_t *n)
{
    *n = s->v.action == ACT_STRIP ? s->nranges : 0;
    return s->ranges;
}

const TAG_HEADER *scan_strip_headers(const SCAN *s, size_t *n)
{
    static const TAG_HEADER h[] = {
	{"Content-Type", "text/plain; charset=utf-8"},
	{"Content-Transfer-Encoding", "8bit"},
	{"Content-Disposition", NULL},
    };

    if (s->v.action != ACT_STRIP || !s->strip_root) {
	*n = 0;
	return NULL;
    }
    *n = sizeof(h) / sizeof(h[0]);
    return h;
}

/* Copy n bytes from in to out, or skip them when out is NULL.  0 ok, -1
 * read/write error, or (exact) the input ended first. */
static int move_bytes(FILE *in, FILE *out, uint64_t n, int exact)
{
    char    buf[65536];

    while (n > 0) {
	size_t  want = n < sizeof(buf) ? (size_t) n : sizeof(buf);
	size_t  got = fread(buf, 1, want, in);

	if (got == 0)
	    return ferror(in) || exact ? -1 : 0;
	if (out != NULL && fwrite(buf, 1, got, out) != got)
	    return -1;
	n -= got;
    }
    return 0;
}

int     strip_rewrite(const SCAN *s, FILE *in, FILE *out)
{
    uint64_t pos = 0;
    size_t  i, n;
    const STRIP_RANGE *r = scan_strip_ranges(s, &n);

    for (i = 0; i < n; i++) {
	if (r[i].start < pos)
	    return -1;
	if (move_bytes(in, out, r[i].start - pos, 1) < 0)
	    return -1;
	if (fputs(r[i].notice, out) == EOF)
	    return -1;
	/* A body shorter than the ranges is not the one scanned. */
	if (move_bytes(in, NULL, r[i].end - r[i].start, 1) < 0)
	    return -1;
	pos = r[i].end;
    }
    if (move_bytes(in, out, UINT64_MAX, 0) < 0)
	return -1;
    return fflush(out) == EOF ? -1 : 0;
}
