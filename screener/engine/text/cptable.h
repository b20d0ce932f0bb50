/*
 * cptable.h - per-code-point tables built on first use, 256 code points
 * at a time, for the Unicode mappings the matchers apply to every
 * character (fold.c: NFKC_Casefold; confusables.c: UTS #39 skeletons).
 *
 * A block is built by the table's builder (which may call ICU) the first
 * time one of its code points is looked up, under the table's mutex, and
 * published with release/acquire atomics, so lookups from any milter
 * thread take no lock.  Blocks live as long as the process: memory is
 * bounded by the number of blocks (0x1100) times one block.
 */
#ifndef RS_CPTABLE_H
#define RS_CPTABLE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define CPT_MAP_MAX 127           /* bytes of one mapping */
#define CPT_BLOCKS (0x110000 >> 8)

/* Builder: the flags (low 8 bits, the table's own meaning) and the
 * mapping of cp (0 bytes when there is none) into out[CPT_MAP_MAX]. */
typedef unsigned (*CPT_BUILD) (uint32_t cp, unsigned char *out,
			               size_t *outlen);

typedef struct CPT_BLOCK {
    uint32_t e[256];              /* flags | len << 8 | offset << 16 */
    unsigned char pool[];
} CPT_BLOCK;

typedef struct CP_TABLE {
    CPT_BUILD build;
    pthread_mutex_t lock;
    _Atomic(CPT_BLOCK *) blocks[CPT_BLOCKS];
} CP_TABLE;

#define CP_TABLE_INIT(b) { (b), PTHREAD_MUTEX_INITIALIZER, { NULL } }

CPT_BLOCK *cpt_build_block(CP_TABLE *t, uint32_t block);

/* Flags of cp (cp <= 0x10FFFF); its mapping in map and len. */
static inline unsigned cpt_get(CP_TABLE *t, uint32_t cp,
			               const unsigned char **map, size_t *len)
{
    CPT_BLOCK *b = atomic_load_explicit(&t->blocks[cp >> 8],
					memory_order_acquire);
    uint32_t e;

    if (b == NULL)
	b = cpt_build_block(t, cp >> 8);
    e = b->e[cp & 0xff];
    *map = b->pool + (e >> 16);
    *len = (e >> 8) & 0x7f;
    return e & 0xff;
}

#endif
