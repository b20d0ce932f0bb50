/*
 * enriched.c - text/enriched and text/richtext to text (enriched.h).
 */
#include <config.h>

#include <ctype.h>
#include <string.h>

#include "enriched.h"

void    enriched_begin(ENRICHED *e, int richtext, TEXT_EMIT emit, void *ctx)
{
    memset(e, 0, sizeof(*e));
    e->richtext = richtext;
    e->emit = emit;
    e->ctx = ctx;
}

static void emit_text(ENRICHED *e, const char *p, size_t n)
{
    if (n && e->hide == 0)
	e->emit(e->ctx, p, n);
}

/* A command is complete. */
static void command(ENRICHED *e)
{
    const char *n = e->name;
    int     end = *n == '/';

    if (end)
	n++;
    if (strcmp(n, "param") == 0 && !e->richtext)
	e->hide = end ? (e->hide ? e->hide - 1 : 0)
	    : (e->hide < ENR_HIDE_MAX ? e->hide + 1 : e->hide);
    else if (strcmp(n, "comment") == 0)
	e->hide = end ? (e->hide ? e->hide - 1 : 0)
	    : (e->hide < ENR_HIDE_MAX ? e->hide + 1 : e->hide);
    else if (e->richtext && !end && strcmp(n, "lt") == 0)
	emit_text(e, "<", 1);
    else if (e->richtext && !end && (strcmp(n, "nl") == 0
				     || strcmp(n, "np") == 0))
	emit_text(e, "\n", 1);
}

void    enriched_feed(ENRICHED *e, const char *buf, size_t len)
{
    const char *p = buf, *end = buf + len, *q;

    while (p < end) {
	if (!e->in_cmd) {
	    q = memchr(p, '<', (size_t) (end - p));
	    emit_text(e, p, (size_t) ((q ? q : end) - p));
	    if (q == NULL)
		return;
	    p = q + 1;
	    e->in_cmd = 1;
	    e->lt_first = 1;
	    e->name_len = 0;
	    continue;
	}
	if (e->lt_first && *p == '<' && !e->richtext) {
	    emit_text(e, "<", 1);             /* "<<" */
	    e->in_cmd = 0;
	    p++;
	    continue;
	}
	e->lt_first = 0;
	if (*p == '>') {
	    e->name[e->name_len] = 0;
	    command(e);
	    e->in_cmd = 0;
	} else if (e->name_len < ENR_NAME_MAX) {
	    e->name[e->name_len++] = (char) tolower((unsigned char) *p);
	}
	p++;
    }
}

void    enriched_end(ENRICHED *e)
{
    e->in_cmd = 0;
}
