/*
 * attach.c - attachment name normalisation and matching.
 *
 * Windows decides what to run by the name Explorer shows: "a.exe. " runs
 * as a.exe, "C:\x\a.exe" is a.exe, and an RLO (U+202E) makes "gpj.exe"
 * look like "exe.jpg".  We therefore match extensions and globs on the
 * name after the same clean-up, so that none of these tricks hides an
 * extension from a rule.
 */
#include <config.h>

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "attach.h"
#include "mymalloc.h"
#include "rules.h"

/* Length of an invisible control character (UTF-8) at p, else 0. */
static size_t control_len(const unsigned char *p)
{
    if (p[0] == 0xe2 && p[1] == 0x80
	&& ((p[2] >= 0x8b && p[2] <= 0x8f) || (p[2] >= 0xaa && p[2] <= 0xae)))
	return 3;				/* ZWSP..RLM, LRE..RLO */
    if (p[0] == 0xe2 && p[1] == 0x81
	&& ((p[2] >= 0xa0 && p[2] <= 0xa4) || (p[2] >= 0xa6 && p[2] <= 0xaf)))
	return 3;				/* WJ.., LRI..PDI, deprecated */
    if (p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
	return 3;				/* BOM / ZWNBSP */
    if (p[0] == 0xd8 && p[1] == 0x9c)
	return 2;				/* ALM */
    if (p[0] == 0xe1 && p[1] == 0xa0 && p[2] == 0x8e)
	return 3;				/* Mongolian vowel separator */
    if (p[0] == 0xc2 && p[1] == 0xad)
	return 2;				/* soft hyphen */
    return 0;
}

/* Bytes of a name too long for ATTACH_NAME_MAX kept from its start;
 * the rest of the room goes to its end, which holds the extension. */
#define NAME_HEAD 96

void    attach_normalise(const char *name, char *out, int *controls)
{
    const unsigned char *p = (const unsigned char *) name, *base = p;
    char   *buf;
    size_t  o = 0, cl, head, tail;

    *controls = 0;
    for (; *p; p++)
	if (*p == '/' || *p == '\\')
	    base = p + 1;
    /* "C:name" is a drive-relative path. */
    if (base[0] && base[1] == ':' && ((base[0] | 0x20) >= 'a'
				      && (base[0] | 0x20) <= 'z'))
	base += 2;
    buf = mymalloc(strlen((const char *) base) + 1);
    for (p = base; *p;) {
	if ((cl = control_len(p)) > 0) {
	    *controls = 1;
	    p += cl;
	    continue;
	}
	if (*p < 0x20 || *p == 0x7f) {
	    *controls = 1;
	    p++;
	    continue;
	}
	buf[o++] = (char) (*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	p++;
    }
    while (o > 0 && (buf[o - 1] == '.' || buf[o - 1] == ' '))
	o--;
    if (o < ATTACH_NAME_MAX) {
	memcpy(out, buf, o);
	out[o] = 0;
    } else {
	/* Too long: the start and the end, each cut at a character
	 * boundary, so that neither a prefix glob nor the extension is
	 * lost. */
	for (head = NAME_HEAD; head > 0 && (buf[head] & 0xc0) == 0x80; head--)
	     /* void */ ;
	for (tail = ATTACH_NAME_MAX - 1 - NAME_HEAD;
	     tail > 0 && (buf[o - tail] & 0xc0) == 0x80; tail--)
	     /* void */ ;
	memcpy(out, buf, head);
	memcpy(out + head, buf + o - tail, tail);
	out[head + tail] = 0;
    }
    myfree(buf);
}

const char *attach_ext(const char *norm)
{
    const char *dot = strrchr(norm, '.');

    return dot ? dot + 1 : "";
}

int     attach_glob_any(const STRLIST *pats, const char *s)
{
    size_t  i;

    for (i = 0; i < pats->n; i++)
	if (fnmatch(pats->v[i], s, 0) == 0)
	    return 1;
    return 0;
}

/* An attachment: a non-multipart part with a name, an attachment
 * disposition, or a non-text type (attached messages included). */
int     attach_is_attachment(const MIME_PART *p)
{
    if (p->is_multipart)
	return 0;
    return p->names.n > 0 || strcmp(p->disposition, "attachment") == 0
	|| (!p->is_text && !p->is_message)
	|| (p->is_message && p->depth > 1);
}

/* Does a rule's attachment condition hold for this part? */
int     attach_rule_match(const RULE *r, const MIME_PART *p,
			          char norm[][ATTACH_NAME_MAX], size_t nn,
			          const char *digest, const char **file,
			          char *why, size_t whysize)
{
    size_t  i, j;
    int     ok;

    *file = p->names.n ? p->names.v[0] : NULL;
    why[0] = 0;
    if (r->exts.n) {
	for (ok = 0, i = 0; i < nn && !ok; i++)
	    for (j = 0; j < r->exts.n && !ok; j++)
		if (strcmp(attach_ext(norm[i]), r->exts.v[j]) == 0) {
		    ok = 1;
		    *file = p->names.v[i];
		    snprintf(why, whysize, "extension=%s", r->exts.v[j]);
		}
	if (!ok)
	    return 0;
    }
    if (r->names.n) {
	for (ok = 0, i = 0; i < nn && !ok; i++)
	    if (attach_glob_any(&r->names, norm[i])) {
		ok = 1;
		*file = p->names.v[i];
		snprintf(why, whysize, "name=%s", norm[i]);
	    }
	if (!ok)
	    return 0;
    }
    if (r->types.n) {
	if (!attach_glob_any(&r->types, p->type))
	    return 0;
	snprintf(why, whysize, "type=%s", p->type);
    }
    if (r->has_min_size) {
	uint64_t size = p->is_leaf ? p->size : p->end - p->start;

	if (size < r->min_size)
	    return 0;
	snprintf(why, whysize, "size=%llu", (unsigned long long) size);
    }
    if (r->sha256.n) {
	if (digest == NULL || !strlist_contains_case(&r->sha256, digest))
	    return 0;
	snprintf(why, whysize, "sha256=%s", digest);
    }
    return 1;
}
