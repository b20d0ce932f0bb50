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
#include <stdlib.h>
#include <string.h>

#include "mymalloc.h"
#include "printable.h"
#include "scan_int.h"

#define NOTICE_TYPE "Content-Type: text/plain; charset=utf-8\r\n" \
	"Content-Transfer-Encoding: 8bit\r\n" \
	"Content-Disposition: inline\r\n\r\n"

typedef struct CAND_REF {
    const STRIP_CAND *c;
    const char *rule;
} CAND_REF;

/* By start; of two ranges that start together the enclosing one first. */
static int cand_cmp(const void *a, const void *b)
{
    const STRIP_CAND *x = ((const CAND_REF *) a)->c;
    const STRIP_CAND *y = ((const CAND_REF *) b)->c;

    if (x->start != y->start)
	return x->start < y->start ? -1 : 1;
    return x->end > y->end ? -1 : x->end < y->end;
}

/* Every strip rule that fired contributes its parts.  MIME ranges nest or
 * are disjoint, so after sorting a range inside the last one kept (an
 * attachment of a stripped message/rfc822 part, or a part two rules
 * matched) is dropped. */
void    strip_build_ranges(SCAN *s)
{
    CAND_REF *refs;
    size_t  i, j, n = 0;

    for (i = 0; i < s->conf->n_rules; i++)
	if (s->rs[i].fired && !s->rs[i].audited
	    && s->conf->rules[i]->action == ACT_STRIP)
	    n += s->rs[i].ncands;
    refs = mycalloc(n ? n : 1, sizeof(*refs));
    for (n = 0, i = 0; i < s->conf->n_rules; i++)
	if (s->rs[i].fired && !s->rs[i].audited
	    && s->conf->rules[i]->action == ACT_STRIP)
	    for (j = 0; j < s->rs[i].ncands; j++) {
		refs[n].c = &s->rs[i].cands[j];
		refs[n++].rule = s->conf->rules[i]->name;
	    }
    qsort(refs, n, sizeof(*refs), cand_cmp);
    s->ranges = mycalloc(n ? n : 1, sizeof(STRIP_RANGE));
    s->nranges = 0;
    for (i = 0; i < n; i++) {
	const STRIP_CAND *c = refs[i].c;
	STRIP_RANGE *r;
	char    name[128 * 4 + 8];

	if (s->nranges && c->end <= s->ranges[s->nranges - 1].end)
	    continue;
	r = &s->ranges[s->nranges++];
	r->start = c->start;
	r->end = c->end;
	printable(name, sizeof(name), c->name, strlen(c->name), 100);
	snprintf(r->notice, sizeof(r->notice), "%s"
		 "The attachment \"%.200s\" was removed by the mail gateway "
		 "(policy rule %.60s).\r\n", c->is_root ? "" : NOTICE_TYPE,
		 name, refs[i].rule);
	if (c->is_root)
	    s->strip_root = 1;
    }
    myfree(refs);
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
