/*
 * html_refs.c - HTML5 character references: named (binary search of
 * entities_table.c, the longest legacy prefix when there is no exact
 * name), decimal and hexadecimal, as the WHATWG tokenizer reads them.
 */
#include <config.h>

#include <ctype.h>
#include <string.h>

#include "entities.h"
#include "fold.h"
#include "html.h"

const HTML_ENTITY *entity_find(const char *name, size_t len)
{
    size_t  lo = 0, hi = html_entities_n;

    while (lo < hi) {
	size_t  mid = lo + (hi - lo) / 2;
	const char *n = html_entities[mid].name;
	int     c = strncmp(n, name, len);

	if (c == 0 && n[len] != 0)
	    c = 1;                        /* n is longer: after name */
	if (c == 0)
	    return &html_entities[mid];
	if (c < 0)
	    lo = mid + 1;
	else
	    hi = mid;
    }
    return NULL;
}

/* Numeric references to 0x80-0x9F mean windows-1252 (WHATWG table). */
static const uint16_t c1_map[32] = {
    0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021,
    0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
    0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
    0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
};

/* A decoded code point; U+00A0 is written as a plain space. */
static size_t put_cp(uint32_t cp, char *out)
{
    if (cp == 0xa0) {
	*out = ' ';
	return 1;
    }
    return utf8_encode(cp, (unsigned char *) out);
}

static size_t numeric(const char *ref, size_t len, int stop, char *out,
		              int *semi)
{
    size_t  i = 1, o = 0, digits = 0;
    int     hex = len > 1 && (ref[1] == 'x' || ref[1] == 'X');
    uint32_t v = 0;

    if (hex)
	i = 2;
    for (; i < len; i++, digits++) {
	int     c = (unsigned char) ref[i];
	unsigned d = isdigit(c) ? (unsigned) (c - '0')
	    : (unsigned) (tolower(c) - 'a' + 10);

	if (!isxdigit(c) || (!hex && !isdigit(c)))
	    break;
	if (v <= 0x10ffff)
	    v = v * (hex ? 16 : 10) + d;
    }
    if (digits == 0) {                    /* "&#" or "&#x": as written */
	out[0] = '&';
	memcpy(out + 1, ref, len);
	return len + 1;
    }
    if (v == 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
	v = 0xfffd;
    else if (v >= 0x80 && v <= 0x9f)
	v = c1_map[v - 0x80];
    o = put_cp(v, out);
    memcpy(out + o, ref + i, len - i);    /* what did not belong */
    o += len - i;
    *semi = i == len && stop == ';';
    return o;
}

size_t  html_ref_decode(const char *ref, size_t len, int stop, int in_attr,
			        char *out, int *semi)
{
    const HTML_ENTITY *e = NULL;
    size_t  k, o;

    *semi = 0;
    if (len > 0 && ref[0] == '#')
	return numeric(ref, len, stop, out, semi);
    if (stop == ';' && (e = entity_find(ref, len)) != NULL) {
	*semi = 1;
	k = len;
    } else {
	/* The longest legacy name that ref starts with. */
	for (k = len < 6 ? len : 6; k >= 2; k--)
	    if ((e = entity_find(ref, k)) != NULL && e->legacy)
		break;
	if (k < 2)
	    e = NULL;
	/* In an attribute, "&amp=" and "&ampx" stay as written. */
	if (e && in_attr && (k < len || stop == '='))
	    e = NULL;
    }
    if (e == NULL) {
	out[0] = '&';
	memcpy(out + 1, ref, len);
	return len + 1;
    }
    o = put_cp(e->cp[0], out);
    if (e->cp[1])
	o += put_cp(e->cp[1], out + o);
    memcpy(out + o, ref + k, len - k);
    return o + len - k;
}
