/*
 * html.c - the streaming HTML renderer (html.h): a small subset of the
 * WHATWG tokenizer (text, tags and attributes, comments, bogus comments,
 * raw text, character references) with bounded state, fed any chunking.
 */
#include <config.h>

#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "html.h"

/* Elements that start a new line where they open or close (table cells
 * are a space; see tag_init()). */
static const char *const blocks[] = {
    "address", "article", "aside", "blockquote", "br", "caption",
    "center", "dd", "details", "dialog", "dir", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2",
    "h3", "h4", "h5", "h6", "header", "hr", "legend", "li", "main",
    "menu", "nav", "ol", "option", "p", "pre", "section", "summary",
    "table", "tbody", "tfoot", "thead", "tr", "ul",
};

/* Elements whose content is never shown (raw text up to their end tag). */
static const char *const raws[] = {
    "iframe", "noembed", "noframes", "script", "style", "title", "xmp",
};

/* What a tag does, looked up in a small hash table built once. */
typedef enum TAG_KIND {
    TK_INLINE = 0, TK_BLOCK, TK_CELL, TK_RAW, TK_PLAINTEXT,
} TAG_KIND;

#define TAG_HASH 256

static struct {
    const char *name;
    TAG_KIND kind;
} tag_table[TAG_HASH];
static pthread_once_t tag_once = PTHREAD_ONCE_INIT;

static unsigned tag_hash(const char *name, size_t len)
{
    unsigned h = (unsigned) len;
    size_t  i;

    for (i = 0; i < len; i++)
	h = h * 31 + (unsigned char) name[i];
    return h & (TAG_HASH - 1);
}

static void tag_add(const char *name, TAG_KIND kind)
{
    unsigned h = tag_hash(name, strlen(name));

    while (tag_table[h].name)             /* linear probing */
	h = (h + 1) & (TAG_HASH - 1);
    tag_table[h].name = name;
    tag_table[h].kind = kind;
}

static void tag_init(void)
{
    size_t  i;

    for (i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++)
	tag_add(blocks[i], TK_BLOCK);
    for (i = 0; i < sizeof(raws) / sizeof(raws[0]); i++)
	tag_add(raws[i], TK_RAW);
    tag_add("td", TK_CELL);
    tag_add("th", TK_CELL);
    tag_add("plaintext", TK_PLAINTEXT);
}

static TAG_KIND tag_kind(const char *name, size_t len)
{
    unsigned h;

    pthread_once(&tag_once, tag_init);
    for (h = tag_hash(name, len); tag_table[h].name; h = (h + 1) & (TAG_HASH - 1))
	if (strcmp(tag_table[h].name, name) == 0)
	    return tag_table[h].kind;
    return TK_INLINE;
}

static void out_flush(HTML *h)
{
    if (h->out_len) {
	h->emit(h->ctx, h->out, h->out_len);
	h->out_len = 0;
    }
}

/* Text in order: a long run goes out directly, after what is buffered. */
static void out(HTML *h, const char *p, size_t n)
{
    if (h->out_len + n > HTML_OUT || n >= HTML_OUT / 2)
	out_flush(h);
    if (n >= HTML_OUT / 2) {
	h->emit(h->ctx, p, n);
	return;
    }
    memcpy(h->out + h->out_len, p, n);
    h->out_len += n;
}

void    html_begin(HTML *h, TEXT_EMIT emit, void *ctx)
{
    memset(h, 0, offsetof(HTML, out));
    h->emit = emit;
    h->ctx = ctx;
    h->st = HS_TEXT;
    h->out_len = 0;
}

static int is_ws(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* A tag is complete ('>'). */
static void tag_done(HTML *h)
{
    TAG_KIND kind;

    h->tag[h->tag_len] = 0;
    h->st = HS_TEXT;
    if (h->raw_len && h->is_end)
	h->raw_len = 0;                   /* the raw element's end tag */
    kind = tag_kind(h->tag, h->tag_len);
    if (kind == TK_CELL)
	out(h, " ", 1);
    else if (kind == TK_BLOCK)
	out(h, "\n", 1);
    if (h->is_end)
	return;
    if (kind == TK_PLAINTEXT) {
	h->st = HS_PLAIN;
    } else if (kind == TK_RAW) {
	memcpy(h->raw, h->tag, h->tag_len + 1);
	h->raw_len = h->tag_len;
	h->raw_match = 0;
	h->st = HS_RAW;
    }
}

/* An attribute value is complete: a kept one is a line of its own. */
static void value_done(HTML *h)
{
    if (h->keep_value && h->value_len) {
	out(h, "\n", 1);
	out(h, h->value, h->value_len);
	out(h, "\n", 1);
    }
    h->keep_value = 0;
    h->value_len = 0;
    h->st = HS_ATTRS;
}

static void value_add(HTML *h, const char *p, size_t n)
{
    if (!h->keep_value)
	return;
    if (n > HTML_VALUE_MAX - h->value_len)
	n = HTML_VALUE_MAX - h->value_len;
    memcpy(h->value + h->value_len, p, n);
    h->value_len += n;
}

/* The reference being read ends before byte stop (-1: input ended);
 * returns 1 when stop was used (a ';'). */
static int ref_done(HTML *h, int stop)
{
    char    buf[4 * (ENTITY_NAME_MAX + 4) + 16];
    int     semi;
    size_t  n = html_ref_decode(h->ref, h->ref_len, stop,
				h->ref_ret == HS_VALUE, buf, &semi);

    if (h->ref_ret == HS_VALUE)
	value_add(h, buf, n);
    else
	out(h, buf, n);
    h->st = h->ref_ret;
    h->ref_len = 0;
    return semi;
}

/* One byte of a character reference; returns 1 when c was used. */
static int ref_byte(HTML *h, int c)
{
    int     numeric = h->ref_len > 0 && h->ref[0] == '#';
    int     fits = h->ref_len < ENTITY_NAME_MAX + 3;

    if (fits && (isalnum(c) || (h->ref_len == 0 && c == '#')
		 || (numeric && h->ref_len == 1 && (c == 'x' || c == 'X')))) {
	h->ref[h->ref_len++] = (char) c;
	return 1;
    }
    if (h->ref_len == 0) {                /* a lone '&' */
	if (h->ref_ret == HS_VALUE)
	    value_add(h, "&", 1);
	else
	    out(h, "&", 1);
	h->st = h->ref_ret;
	return 0;
    }
    return ref_done(h, c);
}

static void name_add(char *buf, size_t *len, int c)
{
    if (*len < HTML_NAME_MAX)
	buf[(*len)++] = (char) tolower(c);
}

static void attr_start(HTML *h, int c)
{
    h->attr_len = 0;
    name_add(h->attr, &h->attr_len, c);
    h->st = HS_ATTR_NAME;
}

static void attr_named(HTML *h)
{
    h->attr[h->attr_len] = 0;
    h->keep_value = !h->is_end && (strcmp(h->attr, "href") == 0
				   || strcmp(h->attr, "src") == 0
				   || strcmp(h->attr, "alt") == 0);
    h->value_len = 0;
}

/* Raw text: look for "</name" followed by white space, '/' or '>'. */
static void raw_byte(HTML *h, int c)
{
    if (h->raw_match == 0) {
	h->raw_match = c == '<';
    } else if (h->raw_match == 1) {
	h->raw_match = c == '/' ? 2 : c == '<';
    } else if (h->raw_match - 2 < h->raw_len) {
	if (tolower(c) == h->raw[h->raw_match - 2])
	    h->raw_match++;
	else
	    h->raw_match = c == '<';
    } else if (is_ws(c) || c == '/' || c == '>') {
	memcpy(h->tag, h->raw, h->raw_len + 1);
	h->tag_len = h->raw_len;
	h->is_end = 1;
	h->raw_match = 0;
	if (c == '>')
	    tag_done(h);
	else
	    h->st = HS_ATTRS;
    } else {
	h->raw_match = c == '<';
    }
}

/* One byte outside plain text; returns 0 when it must be read again in
 * the new state. */
static int step(HTML *h, int c)
{
    switch (h->st) {
    case HS_TAG_OPEN:
	h->tag_len = 0;
	h->is_end = 0;
	if (isalpha(c)) {
	    name_add(h->tag, &h->tag_len, c);
	    h->st = HS_TAG_NAME;
	} else if (c == '/') {
	    h->st = HS_END_OPEN;
	} else if (c == '!') {
	    h->decl_dash = 0;
	    h->st = HS_DECL;
	} else if (c == '?') {
	    h->st = HS_BOGUS;
	} else {
	    out(h, "<", 1);                   /* not a tag: text */
	    h->st = HS_TEXT;
	    return 0;
	}
	return 1;
    case HS_END_OPEN:
	h->is_end = 1;
	if (isalpha(c)) {
	    name_add(h->tag, &h->tag_len, c);
	    h->st = HS_TAG_NAME;
	} else {
	    h->st = c == '>' ? HS_TEXT : HS_BOGUS;
	}
	return 1;
    case HS_TAG_NAME:
	if (c == '>')
	    tag_done(h);
	else if (is_ws(c) || c == '/')
	    h->st = HS_ATTRS;
	else
	    name_add(h->tag, &h->tag_len, c);
	return 1;
    case HS_ATTRS:
	if (c == '>')
	    tag_done(h);
	else if (!is_ws(c) && c != '/')
	    attr_start(h, c);
	return 1;
    case HS_ATTR_NAME:
	if (c == '=') {
	    attr_named(h);
	    h->st = HS_BEFORE_VALUE;
	} else if (is_ws(c)) {
	    h->st = HS_AFTER_NAME;
	} else if (c == '>' || c == '/') {
	    h->st = HS_ATTRS;
	    return 0;
	} else {
	    name_add(h->attr, &h->attr_len, c);
	}
	return 1;
    case HS_AFTER_NAME:
	if (c == '=') {
	    attr_named(h);
	    h->st = HS_BEFORE_VALUE;
	} else if (c == '>') {
	    tag_done(h);
	} else if (!is_ws(c)) {
	    attr_start(h, c);
	}
	return 1;
    case HS_BEFORE_VALUE:
	if (is_ws(c))
	    return 1;
	if (c == '>') {
	    tag_done(h);
	    return 1;
	}
	h->quote = (c == '"' || c == '\'') ? (char) c : 0;
	h->st = HS_VALUE;
	return h->quote != 0;
    case HS_VALUE:
	if (h->quote ? c == h->quote : is_ws(c)) {
	    value_done(h);
	} else if (!h->quote && c == '>') {
	    value_done(h);
	    tag_done(h);
	} else if (c == '&') {
	    h->ref_ret = HS_VALUE;
	    h->ref_len = 0;
	    h->st = HS_REF;
	} else {
	    char    ch = (char) c;

	    value_add(h, &ch, 1);
	}
	return 1;
    case HS_DECL:                         /* after "<!" */
	if (c == '-' && !h->decl_dash) {
	    h->decl_dash = 1;
	} else if (c == '-') {
	    h->dashes = 2;                    /* "<!-->" closes at once */
	    h->st = HS_COMMENT;
	} else {
	    h->st = c == '>' ? HS_TEXT : HS_BOGUS;
	}
	return 1;
    case HS_COMMENT:
	if (c == '>' && h->dashes >= 2)
	    h->st = HS_TEXT;
	else if (c == '-')
	    h->dashes++;
	else if (c == '!' && h->dashes >= 2)
	    h->dashes = 2;                    /* "--!>" closes too */
	else
	    h->dashes = 0;
	return 1;
    case HS_BOGUS:
	if (c == '>')
	    h->st = HS_TEXT;
	return 1;
    case HS_REF:
	return ref_byte(h, c);
    default:
	return 1;
    }
}

/* Plain text up to the next '<' or '&', 8 bytes at a time. */
#define ONES 0x0101010101010101ULL
#define HAS_ZERO(v) (((v) - ONES) & ~(v) & (ONES << 7))

static const char *text_run(const char *p, const char *end)
{
    uint64_t w;

    while (end - p >= 8) {
	memcpy(&w, p, 8);
	if (HAS_ZERO(w ^ (ONES * '<')) | HAS_ZERO(w ^ (ONES * '&')))
	    break;
	p += 8;
    }
    while (p < end && *p != '<' && *p != '&')
	p++;
    return p;
}

void    html_feed(HTML *h, const char *buf, size_t len)
{
    const char *p = buf, *end = buf + len, *q;

    while (p < end) {
	switch (h->st) {
	case HS_TEXT:
	    q = text_run(p, end);
	    if (q > p)
		out(h, p, (size_t) (q - p));
	    p = q;
	    if (p == end)
		break;
	    if (*p++ == '<') {
		h->st = HS_TAG_OPEN;
	    } else {
		h->ref_ret = HS_TEXT;
		h->ref_len = 0;
		h->st = HS_REF;
	    }
	    break;
	case HS_PLAIN:
	    out(h, p, (size_t) (end - p));
	    p = end;
	    break;
	case HS_VALUE:
	    /* a quoted value not kept (style="..."): straight to its end */
	    if (h->quote && !h->keep_value) {
		q = memchr(p, h->quote, (size_t) (end - p));
		p = q ? q : end;
		if (q == NULL)
		    break;
	    }
	    if (step(h, (unsigned char) *p))
		p++;
	    break;
	case HS_RAW:
	    if (h->raw_match == 0 && (q = memchr(p, '<', (size_t) (end - p)))
		== NULL) {
		p = end;
		break;
	    }
	    if (h->raw_match == 0)
		p = q;
	    raw_byte(h, (unsigned char) *p++);
	    break;
	default:
	    if (step(h, (unsigned char) *p))
		p++;
	    break;
	}
    }
    out_flush(h);
}

void    html_end(HTML *h)
{
    if (h->st == HS_REF && h->ref_len)
	(void) ref_done(h, -1);
    else if (h->st == HS_REF)
	out(h, "&", 1);
    else if (h->st == HS_TAG_OPEN)
	out(h, "<", 1);
    h->st = HS_TEXT;
    out_flush(h);
}
