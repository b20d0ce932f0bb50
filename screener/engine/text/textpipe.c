/*
 * textpipe.c - renderer then folding (textpipe.h).
 */
#include <config.h>

#include <string.h>

#include "textpipe.h"

TEXT_KIND text_kind(const char *type)
{
    if (strcmp(type, "text/html") == 0)
	return TEXT_HTML;
    if (strcmp(type, "text/enriched") == 0)
	return TEXT_ENRICHED;
    if (strcmp(type, "text/richtext") == 0)
	return TEXT_RICHTEXT;
    return TEXT_PLAIN;
}

static void to_fold(void *ctx, const char *buf, size_t len)
{
    TEXT_PIPE *tp = ctx;

    fold_feed(&tp->fold, buf, len);
}

void    tp_begin(TEXT_PIPE *tp, TEXT_KIND kind, const FOLD_SINK *sink)
{
    tp->kind = kind;
    fold_begin(&tp->fold, sink);
    if (kind == TEXT_HTML)
	html_begin(&tp->r.html, to_fold, tp);
    else if (kind != TEXT_PLAIN)
	enriched_begin(&tp->r.enr, kind == TEXT_RICHTEXT, to_fold, tp);
}

void    tp_feed(TEXT_PIPE *tp, const char *buf, size_t len)
{
    switch (tp->kind) {
    case TEXT_HTML:
	html_feed(&tp->r.html, buf, len);
	break;
    case TEXT_ENRICHED:
    case TEXT_RICHTEXT:
	enriched_feed(&tp->r.enr, buf, len);
	break;
    default:
	fold_feed(&tp->fold, buf, len);
	break;
    }
}

void    tp_end(TEXT_PIPE *tp)
{
    if (tp->kind == TEXT_HTML)
	html_end(&tp->r.html);
    else if (tp->kind != TEXT_PLAIN)
	enriched_end(&tp->r.enr);
    fold_end(&tp->fold);
}
