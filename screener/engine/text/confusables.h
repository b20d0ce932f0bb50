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
 * "merger" both become "rnerger".
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

/* Feed folded text (whole code points) as its skeleton to an automaton
 * built over conf_string() keywords. */
void    conf_feed(const AC_AUTOMATON *ac, AC_STREAM *st, const char *buf,
		  size_t len, void (*hit)(void *ctx, uint32_t id), void *ctx);

#endif
