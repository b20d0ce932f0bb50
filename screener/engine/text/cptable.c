/*
 * cptable.c - build one block of a per-code-point table (cptable.h).
 */
#include <config.h>

#include <string.h>

#include "cptable.h"
#include "mymalloc.h"

CPT_BLOCK *cpt_build_block(CP_TABLE *t, uint32_t block)
{
    unsigned char maps[256][CPT_MAP_MAX];
    size_t  lens[256], total = 0, off = 0, i;
    unsigned flags[256];
    CPT_BLOCK *b;

    pthread_mutex_lock(&t->lock);
    b = atomic_load_explicit(&t->blocks[block], memory_order_acquire);
    if (b != NULL) {                      /* another thread was first */
	pthread_mutex_unlock(&t->lock);
	return b;
    }
    for (i = 0; i < 256; i++) {
	lens[i] = 0;
	flags[i] = t->build((block << 8) | (uint32_t) i, maps[i], &lens[i]) & 0xff;
	if (lens[i] > CPT_MAP_MAX)
	    lens[i] = 0;
	total += lens[i];
    }
    b = mymalloc(sizeof(*b) + (total ? total : 1));
    for (i = 0; i < 256; i++) {
	memcpy(b->pool + off, maps[i], lens[i]);
	b->e[i] = flags[i] | (uint32_t) lens[i] << 8 | (uint32_t) off << 16;
	off += lens[i];
    }
    atomic_store_explicit(&t->blocks[block], b, memory_order_release);
    pthread_mutex_unlock(&t->lock);
    return b;
}
