/*
 * pstrset.c - a chained hash map from strings to optional strings.
 */
#include <config.h>

#include <stdint.h>
#include <string.h>

#include "mymalloc.h"
#include "pstrset.h"

uint64_t strset_hash(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

    while (len--) {
	h ^= (unsigned char) *s++;
	h *= 1099511628211ULL;
    }
    return h;
}

void    strset_init(STRSET *s)
{
    memset(s, 0, sizeof(*s));
}

void    strset_free(STRSET *s)
{
    size_t  i;

    for (i = 0; i < s->size; i++) {
	STRSET_ENT *e = s->tab[i], *next;

	for (; e; e = next) {
	    next = e->next;
	    myfree(e->value);
	    myfree(e);
	}
    }
    myfree(s->tab);
    memset(s, 0, sizeof(*s));
}

static void grow(STRSET *s)
{
    size_t  nsize = s->size ? s->size * 2 : 64;
    STRSET_ENT **ntab = mycalloc(nsize, sizeof(*ntab));
    size_t  i;

    for (i = 0; i < s->size; i++) {
	STRSET_ENT *e = s->tab[i], *next;

	for (; e; e = next) {
	    size_t  b = strset_hash(e->key, strlen(e->key)) & (nsize - 1);

	    next = e->next;
	    e->next = ntab[b];
	    ntab[b] = e;
	}
    }
    myfree(s->tab);
    s->tab = ntab;
    s->size = nsize;
}

const STRSET_ENT *strset_find(const STRSET *s, const char *key, size_t len)
{
    const STRSET_ENT *e;

    if (s->size == 0)
	return NULL;
    for (e = s->tab[strset_hash(key, len) & (s->size - 1)]; e; e = e->next)
	if (strncmp(e->key, key, len) == 0 && e->key[len] == 0)
	    return e;
    return NULL;
}

int     strset_add(STRSET *s, const char *key, const char *value)
{
    size_t  len = strlen(key), b;
    STRSET_ENT *e = (STRSET_ENT *) strset_find(s, key, len);

    if (e) {
	if (value && e->value) {
	    size_t  ol = strlen(e->value), vl = strlen(value);

	    e->value = myrealloc(e->value, ol + 1 + vl + 1);
	    e->value[ol] = ' ';
	    memcpy(e->value + ol + 1, value, vl + 1);
	} else if (value) {
	    e->value = mystrdup(value);
	}
	return 0;
    }
    if (s->count >= s->size / 2 * 1 + s->size / 4)
	grow(s);
    e = mymalloc(sizeof(*e) + len + 1);
    memcpy(e->key, key, len + 1);
    e->value = value ? mystrdup(value) : NULL;
    b = strset_hash(key, len) & (s->size - 1);
    e->next = s->tab[b];
    s->tab[b] = e;
    s->count++;
    return 1;
}
