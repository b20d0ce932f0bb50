/*
 * filename.c - attachment names as Windows and mail clients save them.
 *
 * Windows decides what to run by the name Explorer shows: "a.exe. " runs
 * as a.exe, "C:\x\a.exe" is a.exe, "a.exe::$DATA" writes a.exe, and
 * clients trim or replace what a file name cannot hold (controls, the
 * characters * : ? " < > |, Unicode white space at the end: U+00A0,
 * U+3000, U+2000-U+200A ...) before saving.  An RLO (U+202E) makes
 * "gpj.exe" look like "exe.jpg".  Extensions and globs are matched on
 * every form a name can take after such clean-ups, so that none of these
 * tricks hides an extension from a rule.
 */
#include <config.h>

#include <string.h>

#include "filename.h"
#include "mymalloc.h"

enum {
    NF_STREAM_CUT = 1,            /* cut at ':' (NTFS stream) */
    NF_REPLACE = 2,               /* forbidden characters become '_' */
    NF_COLLAPSE = 4,              /* runs of white space become one */
};

/* Length of an invisible format character (UTF-8) at p, else 0. */
static size_t invisible_len(const unsigned char *p)
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
    if (p[0] < 0x20 || p[0] == 0x7f)
	return 1;				/* C0 controls, DEL */
    if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
	return 2;				/* C1 controls (U+0085 too) */
    return 0;
}

/* Length of a Unicode white space character (UTF-8) at p, else 0. */
static size_t space_len(const unsigned char *p)
{
    if (p[0] == ' ')
	return 1;
    if (p[0] == 0xc2 && p[1] == 0xa0)
	return 2;				/* NO-BREAK SPACE */
    if (p[0] == 0xe1 && p[1] == 0x9a && p[2] == 0x80)
	return 3;				/* OGHAM SPACE MARK */
    if (p[0] == 0xe2 && p[1] == 0x80
	&& ((p[2] >= 0x80 && p[2] <= 0x8a) || p[2] == 0xa8 || p[2] == 0xa9 || p[2] == 0xaf))
	return 3;				/* U+2000-200A, 2028, 2029, 202F */
    if (p[0] == 0xe2 && p[1] == 0x81 && p[2] == 0x9f)
	return 3;				/* MEDIUM MATHEMATICAL SPACE */
    if (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80)
	return 3;				/* IDEOGRAPHIC SPACE */
    return 0;
}

static int forbidden(int c)
{
    return c && strchr("*?\"<>|:", c) != NULL;
}

/* Length of what Windows drops at the end of buf[0..o), else 0. */
static size_t trailing_len(const unsigned char *b, size_t o)
{
    if (o >= 1 && (b[o - 1] == '.' || forbidden(b[o - 1])))
	return 1;
    if (o >= 1 && b[o - 1] == ' ')
	return 1;
    if (o >= 2 && b[o - 2] == 0xc2 && b[o - 1] == 0xa0)
	return 2;
    if (o >= 3 && space_len(b + o - 3) == 3)
	return 3;
    return 0;
}

/* Bytes of a name too long for ATTACH_NAME_MAX kept from its start;
 * the rest of the room goes to its end, which holds the extension. */
#define NAME_HEAD 96

static void store(const char *buf, size_t o, char *out)
{
    size_t  head, tail;

    if (o < ATTACH_NAME_MAX) {
	memcpy(out, buf, o);
	out[o] = 0;
	return;
    }
    /* Too long: the start and the end, each cut at a character
     * boundary, so that neither a prefix glob nor the extension is lost. */
    for (head = NAME_HEAD; head > 0 && (buf[head] & 0xc0) == 0x80; head--)
	 /* void */ ;
    for (tail = ATTACH_NAME_MAX - 1 - NAME_HEAD;
	 tail > 0 && (buf[o - tail] & 0xc0) == 0x80; tail--)
	 /* void */ ;
    memcpy(out, buf, head);
    memcpy(out + head, buf + o - tail, tail);
    out[head + tail] = 0;
}

/* The last path component: after '/', '\' or a drive "X:". */
static const unsigned char *base_name(const unsigned char *p)
{
    const unsigned char *base = p;

    for (; *p; p++)
	if (*p == '/' || *p == '\\')
	    base = p + 1;
    if (base[0] && base[1] == ':' && ((base[0] | 0x20) >= 'a'
				      && (base[0] | 0x20) <= 'z'))
	base += 2;
    return base;
}

static void normalise(const char *name, char *out, int mode, int *controls)
{
    const unsigned char *p = base_name((const unsigned char *) name);
    unsigned char *buf = mymalloc(strlen((const char *) p) + 1);
    size_t  o = 0, n;
    int     sp = 0;

    for (; *p; p += n) {
	size_t  s;

	if ((n = invisible_len(p)) > 0) {
	    *controls = 1;
	    continue;
	}
	if ((mode & NF_STREAM_CUT) && *p == ':')
	    break;
	n = (s = space_len(p)) > 0 ? s : 1;
	if ((mode & NF_COLLAPSE) && s) {
	    if (!sp)
		buf[o++] = ' ';
	    sp = 1;
	    continue;
	}
	sp = 0;
	if (n == 1) {
	    buf[o++] = (unsigned char) (*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	} else {
	    memcpy(buf + o, p, n);
	    o += n;
	}
    }
    while ((n = trailing_len(buf, o)) > 0)
	o -= n;
    /* What is left inside the name is replaced, as clients do. */
    for (n = 0; (mode & NF_REPLACE) && n < o; n++)
	if (forbidden(buf[n]))
	    buf[n] = '_';
    store((const char *) buf, o, out);
    myfree(buf);
}

size_t  filename_variants(const char *name, char out[][ATTACH_NAME_MAX],
			          int *controls)
{
    static const int modes[] = {NF_STREAM_CUT, NF_REPLACE,
    NF_STREAM_CUT | NF_COLLAPSE};
    size_t  n = 0, i, k;

    *controls = 0;
    for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
	normalise(name, out[n], modes[i], controls);
	for (k = 0; k < n && strcmp(out[k], out[n]) != 0; k++)
	     /* void */ ;
	if (k == n)
	    n++;
    }
    return n;
}
