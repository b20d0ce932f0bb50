/*
 * acscan.h - running the keyword automaton over one chunk of text (one
 * stream, or two interleaved for long chunks: acscan.c).  Used by
 * ac_feed() (bytes) and conf_feed() (skeletons, with a slow step for
 * bytes that are not a one-byte skeleton).
 */
#ifndef RS_ACSCAN_H
#define RS_ACSCAN_H

#include <stddef.h>
#include <stdint.h>
#include "textmatch.h"

typedef struct AC_SCAN AC_SCAN;

/* An ASCII byte's skeleton when it is more than one byte ("m" is "rn"). */
typedef struct AC_MULTI {
    unsigned char s[4];
    unsigned char n;
} AC_MULTI;

struct AC_SCAN {
    const AC_AUTOMATON *ac;
    const unsigned char *cls;     /* byte -> class: ac->cls or ac->xcls */
    const unsigned char *p;       /* the chunk */
    /* Step the character at p[i] (class AC_XSLOW, never for ac->cls),
     * not reading at or past end; returns the bytes it took (>= 1). */
    size_t  (*slow)(const AC_SCAN *sc, uint32_t *s, size_t i, size_t end);
    const AC_MULTI *multi;        /* NULL, or [128]: what slow() does for
				   * an ASCII byte, which the speculative
				   * stream then does too */
    void    (*hit)(void *ctx, uint32_t id);
    void   *ctx;
    size_t *at;                   /* NULL, or set before each hit to the
				   * chunk offset just after it */
};

/* Scan sc->p[0..len) from state; hits in text order; the state after. */
uint32_t ac_scan(const AC_SCAN *sc, uint32_t state, size_t len);

#endif
