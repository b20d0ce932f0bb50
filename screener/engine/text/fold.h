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
 *   folded   NFKC_Casefold of the text, every white-space character a
 *            space (ASCII letters are left to the matchers' byte classes):
 *            what the keyword automata, the detectors and --explain see.
 * Invalid UTF-8 bytes pass through both unchanged.
 *
 * Normalisation works on segments that start at a code point with a
 * normalisation boundary before it (every ASCII character has one) and
 * run to the next such code point.  ASCII runs take a fast path (copied
 * through, only their last character is held, in case a combining mark
 * follows); a lone non-ASCII code point is mapped from a per-code-point
 * table built on first use, 256 code points at a time; only a segment
 * of several code points (a base with combining marks) calls ICU.  The
 * state is bounded: one held segment of at most FOLD_SEG_MAX bytes (a
 * longer run of combining marks is normalised in pieces) and one
 * incomplete UTF-8 sequence.
 */
#ifndef RS_FOLD_H
#define RS_FOLD_H

#include <stddef.h>
#include <stdint.h>

#define FOLD_SEG_MAX 64           /* bytes of one held segment */
#define FOLD_OUT 1024             /* output buffered before the sink */

typedef struct FOLD_SINK {
    void    (*visible) (void *ctx, const char *buf, size_t len);
    void    (*folded) (void *ctx, const char *buf, size_t len);
    void   *ctx;
} FOLD_SINK;

typedef struct FOLD_STREAM {
    const FOLD_SINK *sink;
    unsigned char seg[FOLD_SEG_MAX];      /* held segment, UTF-8 */
    size_t  seg_len, seg_n;               /* bytes, code points */
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
#define FE_BB        (1u << 2)    /* normalisation boundary before it */
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
