/*
 * strlist.c - growable array of owned strings.
 */
#include <config.h>

#include <string.h>
#include <strings.h>

#include "mymalloc.h"
#include "strlist.h"

void    strlist_init(STRLIST *sl)
{
    sl->v = NULL;
    sl->n = sl->cap = 0;
}

void    strlist_addn(STRLIST *sl, const char *s, size_t len)
{
    sl->v = mygrow(sl->v, &sl->cap, sl->n + 1, sizeof(*sl->v));
    sl->v[sl->n++] = mystrndup(s, len);
}

void    strlist_add(STRLIST *sl, const char *s)
{
    strlist_addn(sl, s, strlen(s));
}

int     strlist_contains_case(const STRLIST *sl, const char *s)
{
    size_t  i;

    for (i = 0; i < sl->n; i++)
	if (strcasecmp(sl->v[i], s) == 0)
	    return 1;
    return 0;
}

void    strlist_free(STRLIST *sl)
{
    size_t  i;

    for (i = 0; i < sl->n; i++)
	myfree(sl->v[i]);
    myfree(sl->v);
    strlist_init(sl);
}
