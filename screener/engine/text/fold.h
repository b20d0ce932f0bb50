/*
 * fold.h - what literal keywords are matched against: the text with
 * invisible characters removed, every Unicode white space a space, and
 * full case folding plus NFKC (ICU's NFKC_Casefold), streamed.
 *
 * FOLD_STREAM takes UTF-8 text in chunks of any size and writes two
 * streams through a FOLD_SINK:
 *   visible  the text minus Default_Ignorable code points (zero-width
 *            characters, soft hyphen, bidi controls, combining grapheme
 *            joiner, variation selectors, ...): what regexes search;
 *   folded   each code point's NFKC_Casefold, decomposed (NFD), every
 *            white-space character a space, ignorables gone (ASCII
 *            letters are left to the matchers' byte classes): what the
 *            keyword automata, the detectors and --explain see.
 * Invalid UTF-8 bytes pass through the visible text unchanged and are
 * U+FFFD (one per byte) in the folded text, which is always valid UTF-8.
 *
 * Folding each code point on its own and decomposing the result makes
 * the mapping context-free: "é" and "e" + U+0301 both read "e" + U+0301,
 * whatever the chunking, and nothing is held back but an incomplete
 * UTF-8 sequence (so a keyword is found in the very chunk that ends
 * it).  Keywords go through the same stream (fold_string()), so both
 * sides agree.  The one thing this skips is the canonical reordering of
 * several combining marks on one letter.  ASCII runs are copied through
 * (8 bytes at a time); other code points are mapped from a table built
 * on first use, 256 code points at a time (cptable.h), so ICU is called
 * only to fill the table.
 */
#ifndef RS_FOLD_H
#define RS_FOLD_H

#include <stddef.h>
#include <stdint.h>

#define FOLD_OUT 1024             /* output buffered before the sink */

typedef struct FOLD_SINK {
    void    (*visible) (void *ctx, const char *buf, size_t len);
    void    (*folded) (void *ctx, const char *buf, size_t len);
    void   *ctx;
} FOLD_SINK;

typedef struct FOLD_STREAM {
    const FOLD_SINK *sink;
    unsigned char part[4];                /* incomplete UTF-8 sequence */
    size_t  part_len, part_need;
    char    vis[FOLD_OUT], fold[FOLD_OUT];
    size_t  vis_len, fold_len;
} FOLD_STREAM;

/* Per-code-point facts (fold_entry()). */
#define FE_KIND(e)   ((e) & 3u)
#define FE_SAME      0u           /* folds to itself */
#define FE_MAP       1u           /* folds to fold_map() bytes */
#define FE_DROP      2u           /* folds to nothing (ignorable) */
#define FE_SPACE     3u           /* white space: a space */
#define FE_DI        (1u << 3)    /* Default_Ignorable: not visible */

/* Make the tables usable (ICU loaded); 0 ok, -1 with *why set.  Safe to
 * call from any thread, any number of times. */
int     fold_init(const char **why);

void    fold_begin(FOLD_STREAM *f, const FOLD_SINK *sink);
void    fold_feed(FOLD_STREAM *f, const char *buf, size_t len);
/* End of the text: flush what is held. */
void    fold_end(FOLD_STREAM *f);

/* The table entry of code point cp; *map, *maplen its folded bytes. */
uint32_t fold_entry(uint32_t cp, const unsigned char **map, size_t *maplen);

/* Decode one UTF-8 code point of p[0..n); returns its length (0: need
 * more bytes, -1: invalid first byte). */
int     utf8_decode(const unsigned char *p, size_t n, uint32_t *cp);
size_t  utf8_encode(uint32_t cp, unsigned char *out);

/* Fold a whole string the way messages are folded: returns the folded
 * text (mymalloc'd), ASCII in lower case, white space runs as one space,
 * trimmed.  What keywords are normalised with. */
char   *fold_string(const char *s);
/* Just the last step: ASCII lower case, white space collapsed, trimmed. */
char   *fold_collapse(const char *s, size_t n);

#endif
