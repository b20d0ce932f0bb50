/*
 * detectors.h - sensitive numbers in folded text, streamed: payment card
 * numbers and IBANs, for keywords { detectors = [ ... ]; }.
 *
 * Text is read as groups of letters and digits separated by at most
 * DET_SEP_MAX bytes of spaces, line breaks or dashes (so a number that
 * HTML rendering or a line break split is still one number; tags that
 * sit inside a number were removed by the renderer).  A card number is
 * 13 to 19 digits, either in one group or in the usual groupings (fours
 * with a shorter last group, 4-6-5, 4-6-4), with a known card-network
 * prefix and a valid Luhn check digit.  An IBAN is a country code, two
 * check digits and the country's BBAN length, in one group or in groups,
 * valid under ISO 7064 mod 97-10.  Each found number is reported with a
 * 64-bit hash (to count distinct numbers) and a masked form for logs
 * ("card ****1111", "iban DE****3000"); the number itself never leaves.
 * State: at most DET_GROUPS groups of at most DET_GROUP_MAX characters.
 */
#ifndef RS_DETECTORS_H
#define RS_DETECTORS_H

#include <stddef.h>
#include <stdint.h>

#define DET_CARD 1u
#define DET_IBAN 2u
#define DET_SEP_MAX 3             /* separator bytes between groups */
#define DET_GROUPS 8              /* digit groups of one card run */
#define DET_GROUP_MAX 34          /* characters kept per group */
#define DET_MASK_MAX 32

typedef void (*DET_HIT) (void *ctx, unsigned kind, uint64_t hash,
			         const char *masked);

typedef struct DET_STREAM {
    unsigned want;                /* DET_* */
    /* the group being read */
    char    g[DET_GROUP_MAX];
    size_t  g_len;                /* may exceed DET_GROUP_MAX */
    int     g_digits;             /* digits only so far */
    size_t  sep;                  /* separator bytes since the group */
    /* the run of digit groups (cards) */
    char    run[DET_GROUPS * 6 + 20];
    size_t  run_len;
    unsigned char glen[DET_GROUPS];
    size_t  ngroups;
    /* the IBAN being read */
    char    iban[DET_GROUP_MAX + 1];
    size_t  iban_len, iban_want;
} DET_STREAM;

void    det_begin(DET_STREAM *d, unsigned want);
void    det_feed(DET_STREAM *d, const char *buf, size_t len, DET_HIT hit,
		 void *ctx);
void    det_end(DET_STREAM *d, DET_HIT hit, void *ctx);

/* Checks, for the tests: digits[0..n) a card number; s[0..n) an IBAN
 * (lower or upper case, no spaces). */
int     det_card_valid(const char *digits, size_t n);
int     det_iban_valid(const char *s, size_t n);

#endif
