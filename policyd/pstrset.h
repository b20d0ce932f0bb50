/*
 * pstrset.h - a hash map from strings to optional strings.
 *
 * Holds the hosted domains and the login -> addresses map, which may have
 * hundreds of thousands of entries, so lookups are O(1) and the set is
 * built once per (re)load and then only read.
 */
#ifndef RS_PSTRSET_H
#define RS_PSTRSET_H

#include <stddef.h>
#include <stdint.h>

typedef struct STRSET_ENT {
    struct STRSET_ENT *next;
    char   *value;                /* may be NULL */
    char    key[];
} STRSET_ENT;

typedef struct STRSET {
    STRSET_ENT **tab;
    size_t  size;                 /* buckets, a power of two */
    size_t  count;
} STRSET;

/* FNV-1a: the hash both the sets and the rate tables use. */
uint64_t strset_hash(const char *s, size_t len);
void    strset_init(STRSET *s);
void    strset_free(STRSET *s);
/* Add key (copied).  When it is already there, append value to the old
 * value with a space between (NULL values are kept as NULL).  Returns 1
 * when the key was new. */
int     strset_add(STRSET *s, const char *key, const char *value);
/* Exact, case-sensitive lookup: the entry or NULL. */
const STRSET_ENT *strset_find(const STRSET *s, const char *key, size_t len);

#endif
