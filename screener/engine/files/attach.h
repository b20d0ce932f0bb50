/*
 * attach.h - attachment file names: Windows-style normalisation,
 * extension, glob and content-type matching.
 */
#ifndef RS_ATTACH_H
#define RS_ATTACH_H

#include <stddef.h>
#include "filename.h"
#include "mime_parser.h"
#include "strlist.h"

/* Every form every name of a part takes on disk (filename.c). */
typedef struct ATTACH_NAMES {
    char    norm[MIME_NAMES_MAX * NAME_VARIANTS][ATTACH_NAME_MAX];
    const char *orig[MIME_NAMES_MAX * NAME_VARIANTS];   /* p->names.v[] */
    size_t  n;
    int     controls;             /* invisible or control chars removed */
} ATTACH_NAMES;

void    attach_names_build(const MIME_PART *p, ATTACH_NAMES *an);

/* The first form of one name (filename_variants()[0]). */
void    attach_normalise(const char *name, char *out, int *controls);

/* The extension of a normalised name (after the last dot), "" if none. */
const char *attach_ext(const char *norm);

/* Any glob of pats matching s (fnmatch, no special flags)? */
int     attach_glob_any(const STRLIST *pats, const char *s);

struct RULE;

/* Is the part an attachment (the parts attachment conditions look at)? */
int     attach_is_attachment(const MIME_PART *p);

/* Does rule r's attachment condition hold for part p, whose names
 * normalised are an and whose content digests (lower-case hex; the
 * second of Python's reading where it differs) are digest[0..1] or
 * NULL?  On success *file is the name that matched (or the first) and
 * why says which key decided. */
int     attach_rule_match(const struct RULE *r, const MIME_PART *p,
			  const ATTACH_NAMES *an, const char *const digest[2],
			  const char **file, char *why, size_t whysize);

#endif
