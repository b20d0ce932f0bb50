/*
 * textmatch.h - keyword matching over decoded text streams.
 *
 * Literal words: one Aho-Corasick automaton over all rules' words, run as
 * a DFA over byte classes that fold ASCII case and map every white-space
 * byte to one class; runs of white space are collapsed on the fly, so
 * the match is caseless and whitespace-normalised.  It is fed folded
 * text (fold.h: NFKC_Casefold, every Unicode space a space, invisible
 * characters gone), and the words are folded the same way (fold_string),
 * so the automaton itself only sees bytes.  The DFA state is carried
 * between chunks, so a word split across chunks, lines or encoded words
 * is still found.
 *
 * Regexes: text is collected in a window of RX_WINDOW bytes; each full
 * window is searched, then its last RX_OVERLAP bytes are kept as the start
 * of the next.  Every match no longer than RX_OVERLAP bytes (the maximum
 * match span) is therefore found whatever the chunking.
 */
#ifndef RS_TEXTMATCH_H
#define RS_TEXTMATCH_H

#include <stddef.h>
#include <stdint.h>
#include "strlist.h"

#define AC_CLASS_OTHER 0
#define AC_CLASS_SPACE 1

typedef struct AC_AUTOMATON {
    unsigned char cls[256];       /* byte -> class */
    unsigned ncls;
    size_t  nstates;
    uint32_t *delta;              /* [row + class] -> row */
    uint32_t out_row;             /* rows from here on report words */
    uint32_t *out_start;          /* [state] -> index in out_ids */
    uint32_t *out_count;          /* [state] */
    uint32_t *out_ids;            /* pattern ids */
    STRLIST pats;                 /* normalised words, by id */
    uint32_t *own_start, *own_count, *own_rules;  /* id -> rule indexes */
    unsigned char xcls[256];      /* confusables.c: byte -> class of its
				   * skeleton, AC_XSLOW: not one byte */
} AC_AUTOMATON;

#define AC_XSLOW 255              /* classes are at most 254 */

typedef struct AC_STREAM {
    uint32_t state;               /* row offset in delta */
} AC_STREAM;

/* Build over words[i] owned by rules owner[i] (n entries, already
 * normalised with keyword_normalise(), or skeletons)). NULL when n == 0, or when the
 * words would need more than AC_MAX_CELLS states x byte classes (the
 * caller refuses such a rule set). */
#define AC_MAX_CELLS (1u << 25)
AC_AUTOMATON *ac_build(char **words, const size_t *owner, size_t n);
void    ac_free(AC_AUTOMATON *ac);

static inline void ac_stream_init(AC_STREAM *st)
{
    st->state = 0;
}

/* Report the words that end in state row (row >= out_row). */
void    ac_report(const AC_AUTOMATON *ac, uint32_t row,
		  void (*hit)(void *ctx, uint32_t id), void *ctx);

/* One step on byte class c from row *s. */
static inline void ac_step(const AC_AUTOMATON *ac, uint32_t *s, unsigned c,
			           void (*hit)(void *ctx, uint32_t id),
			           void *ctx)
{
    *s = ac->delta[*s + c];
    if (*s >= ac->out_row)
	ac_report(ac, *s, hit, ctx);
}

/* Feed bytes; hit(ctx, pattern_id) is called for every match. */
void    ac_feed(const AC_AUTOMATON *ac, AC_STREAM *st, const void *buf,
		size_t len, void (*hit)(void *ctx, uint32_t id), void *ctx);

#define RX_WINDOW  (32 * 1024)
#define RX_OVERLAP 2048

typedef struct RX_WIN {
    char   *buf;                  /* RX_WINDOW bytes, NULL when unused */
    size_t  len;
    size_t  fresh;                /* bytes not yet searched */
} RX_WIN;

void    rxw_init(RX_WIN *w);
void    rxw_free(RX_WIN *w);
void    rxw_reset(RX_WIN *w);
/* Append text; run(ctx, buf, len) searches each full window. */
void    rxw_feed(RX_WIN *w, const char *text, size_t len,
		 void (*run)(void *ctx, const char *buf, size_t len),
		 void *ctx);
/* Search what is left (end of a stream). */
void    rxw_flush(RX_WIN *w, void (*run)(void *ctx, const char *buf,
					 size_t len), void *ctx);

#endif
