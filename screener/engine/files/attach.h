/*
 * attach.h - attachment file names: Windows-style normalisation,
 * extension, glob and content-type matching.
 */
#ifndef RS_ATTACH_H
#define RS_ATTACH_H

#include <stddef.h>
#include <stdint.h>
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

/* What one file offers a rule's attachment condition: the MIME part
 * itself (names, declared type) or a file found inside it (one name, no
 * declared type).  NULL/0 fields are unknown. */
typedef struct ATTACH_VIEW {
    const char (*norm)[ATTACH_NAME_MAX];  /* normalised names */
    const char *const *raw;       /* the same names as given */
    size_t  nn;
    const char *type;             /* declared MIME type, or NULL */
    const char *dtype;            /* detected type, "" or NULL unknown */
    const char *dtype_alias;
    const char *ext;              /* extension the detected type implies */
    uint64_t size;
    int     size_known;
    const char *digest[2];        /* either reading's SHA-256 */
    const char *path;             /* shown as the file; NULL: its name */
} ATTACH_VIEW;

/* Do the per-file keys of r's attachment condition (extensions, names,
 * types, detected_types, min_size, sha256) all hold for v?  The flags
 * (encrypted...) are the caller's. */
int     attach_view_match(const struct RULE *r, const ATTACH_VIEW *v,
			  const char **file, char *why, size_t whysize);

#endif
