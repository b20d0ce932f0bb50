/*
 * magicgate.h - when a libmagic lookup can be skipped: the rule set
 * watches a few detected types (its literal detected_types and the
 * types that imply the extensions its rules name), and libmagic can
 * only name a file one of those when one of a few signatures is in its
 * first bytes (magicgate.c lists them, from libmagic 5.44's database).
 * A file with none of them needs no lookup: no rule could see the name.
 */
#ifndef RS_MAGICGATE_H
#define RS_MAGICGATE_H

#include <stddef.h>
#include <stdint.h>

typedef struct MAGIC_GATE {
    int     open;                 /* every file is looked up */
    uint64_t watch;               /* gate table rows the rules can see */
} MAGIC_GATE;

/* Nothing watched yet; open when the libmagic in use is not the one
 * the table was taken from. */
void    magic_gate_init(MAGIC_GATE *g);
/* A detected_types pattern: a glob, or a type the table does not know,
 * opens the gate for good. */
void    magic_gate_type(MAGIC_GATE *g, const char *pattern);
/* An extension a rule names: the types that imply it are watched. */
void    magic_gate_ext(MAGIC_GATE *g, const char *ext);
/* 1: libmagic must be asked about head[0..n). */
int     magic_gate_pass(const MAGIC_GATE *g, const unsigned char *head,
			        size_t n);

#endif
