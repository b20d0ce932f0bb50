/*
 * strlist.h - a growable array of owned strings.
 */
#ifndef RS_STRLIST_H
#define RS_STRLIST_H

#include <stddef.h>

typedef struct STRLIST {
    char  **v;
    size_t  n;
    size_t  cap;
} STRLIST;

void    strlist_init(STRLIST *sl);
void    strlist_add(STRLIST *sl, const char *s);     /* copies s */
void    strlist_addn(STRLIST *sl, const char *s, size_t len);
int     strlist_contains_case(const STRLIST *sl, const char *s);
void    strlist_free(STRLIST *sl);                    /* frees strings too */

#endif
