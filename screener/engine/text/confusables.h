/*
 * confusables.h - UTS #39 confusable skeletons of folded text, for the
 * keywords of rules with "confusables = true" (ICU uspoof data).
 *
 * The skeleton of a text is the concatenation of the skeletons of its
 * code points (ICU's uspoof_getSkeleton() of each one, ASCII letters in
 * lower case), looked up in a per-code-point table (cptable.h) built on
 * first use.  It is applied to the folded stream (fold.h), and the
 * keywords go through fold_string() then conf_string(), so both sides
 * are mapped by the very same function: "Mеrger" with a Cyrillic е and
 * "merger" both become "rnerger".  When any rule wants confusables, the
 * words of every rule go into one automaton of skeletons, run instead
 * of the literal one (one pass over the text, not two); a hit for a
 * rule without confusables counts only when conf_tail_is() finds the
 * word itself in the text.
 */
#ifndef RS_CONFUSABLES_H
#define RS_CONFUSABLES_H

#include <stddef.h>
#include "textmatch.h"

/* Load the spoof checker; 0 ok, -1 with *why set.  Any thread, any
 * number of times. */
int     conf_init(const char **why);

/* Skeleton of a folded keyword (mymalloc'd), white space collapsed. */
char   *conf_string(const char *folded);

/* Make an automaton built over conf_string() keywords ready for
 * conf_feed(): its byte classes composed with the ASCII skeletons, so
 * ASCII text costs one table step per byte, as in ac_feed(). */
void    conf_prepare(AC_AUTOMATON *ac);

/* Feed folded text (whole code points) as its skeleton to an automaton
 * built over conf_string() keywords and conf_prepare()d.  Before each
 * hit(), *at is set to where the matched text ends in buf (the end of
 * the code point whose skeleton completed the word). */
void    conf_feed(const AC_AUTOMATON *ac, AC_STREAM *st, const char *buf,
		  size_t len, void (*hit)(void *ctx, uint32_t id), void *ctx,
		  size_t *at);

/* The last CONF_RING_SIZE bytes of folded text before the current
 * buffer, for conf_tail_is(). */
#define CONF_RING_SIZE 8192       /* a power of 2 */

typedef struct CONF_RING {
    char    buf[CONF_RING_SIZE];
    size_t  total;                /* bytes ever added */
} CONF_RING;

void    conf_ring_add(CONF_RING *ring, const char *buf, size_t len);

/* Does the folded text that ends at buf[end] (the ring's bytes before
 * buf) end with word, as the literal automaton compares (ASCII case,
 * a white-space run as one space)?  How a skeleton hit is checked for
 * rules that want the word itself.  A word whose text spans more than
 * the ring and buf is not found. */
int     conf_tail_is(const char *word, const char *buf, size_t end,
		     const CONF_RING *ring);

#endif
