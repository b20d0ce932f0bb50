/*
 * attach.h - attachment file names: Windows-style normalisation,
 * extension, glob and content-type matching.
 */
#ifndef RS_ATTACH_H
#define RS_ATTACH_H

#include <stddef.h>
#include "mime_parser.h"
#include "strlist.h"

#define ATTACH_NAME_MAX 256

/* Normalise a decoded (UTF-8) name as Windows would see it: drop every
 * path component, bidi and zero-width control characters, trailing dots
 * and spaces; fold ASCII case.  *controls is set when control characters
 * were removed.  out has ATTACH_NAME_MAX bytes; a longer name keeps its
 * start and its end (the extension). */
void    attach_normalise(const char *name, char *out, int *controls);

/* The extension of a normalised name (after the last dot), "" if none. */
const char *attach_ext(const char *norm);

/* Any glob of pats matching s (fnmatch, no special flags)? */
int     attach_glob_any(const STRLIST *pats, const char *s);

struct RULE;

/* Is the part an attachment (the parts attachment conditions look at)? */
int     attach_is_attachment(const MIME_PART *p);

/* Does rule r's attachment condition hold for part p, whose names
 * normalised are norm[0..nn) and whose content digest (lower-case hex)
 * is digest or NULL?  On success *file is the name that matched (or the
 * first) and why says which key decided. */
int     attach_rule_match(const struct RULE *r, const MIME_PART *p,
			  char norm[][ATTACH_NAME_MAX], size_t nn,
			  const char *digest, const char **file, char *why,
			  size_t whysize);

#endif
