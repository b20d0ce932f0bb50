/*
 * detectors.c - card numbers (network prefix, Luhn) and IBANs (country
 * length, mod 97) in folded text (detectors.h).
 */
#include <config.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "detectors.h"

/* ISO 13616 registry: country code and IBAN length. */
static const char iban_lengths[] =
    "AD24AE23AL28AT20AZ28BA20BE16BG22BH22BI27BR29BY28CH21CR22CY28CZ24"
    "DE22DJ27DK18DO28EE20EG29ES24FI18FK18FO18FR27GB22GE22GI23GL18GR27"
    "GT28HR21HU28IE22IL23IQ23IS26IT27JO30KW30KZ20LB28LC32LI21LT20LU20"
    "LV21LY25MC27MD24ME22MK19MN20MR27MT31MU30NI28NL18NO15OM23PK24PL28"
    "PS29PT25QA29RO24RS22RU33SA24SC31SD18SE24SI19SK24SM27SO23ST25SV28"
    "TL23TN24TR26UA29VA22VG24XK20YE30";

static size_t iban_length(const char *cc)
{
    const char *p;

    for (p = iban_lengths; *p; p += 4)
	if (p[0] == toupper((unsigned char) cc[0])
	    && p[1] == toupper((unsigned char) cc[1]))
	    return (size_t) ((p[2] - '0') * 10 + p[3] - '0');
    return 0;
}

int     det_iban_valid(const char *s, size_t n)
{
    unsigned rem = 0;
    size_t  i;

    if (n < 15 || n > 34 || iban_length(s) != n
	|| !isdigit((unsigned char) s[2]) || !isdigit((unsigned char) s[3]))
	return 0;
    for (i = 0; i < n; i++) {
	int     c = tolower((unsigned char) s[(i + 4) % n]);

	if (isdigit(c))
	    rem = (rem * 10 + (unsigned) (c - '0')) % 97;
	else if (c >= 'a' && c <= 'z')
	    rem = (rem * 100 + (unsigned) (c - 'a' + 10)) % 97;
	else
	    return 0;
    }
    return rem == 1;
}

static unsigned prefix(const char *d, size_t k)
{
    unsigned v = 0;
    size_t  i;

    for (i = 0; i < k; i++)
	v = v * 10 + (unsigned) (d[i] - '0');
    return v;
}

/* A known card network's range and length. */
static int network_ok(const char *d, size_t n)
{
    unsigned p2 = prefix(d, 2), p3 = prefix(d, 3), p4 = prefix(d, 4);
    unsigned p6 = prefix(d, 6);
    int     long_ok = n >= 16 && n <= 19;

    if (d[0] == '4')                          /* Visa */
	return n == 13 || n == 16 || n == 19;
    if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720))
	return n == 16;                       /* Mastercard */
    if (p2 == 34 || p2 == 37)                 /* American Express */
	return n == 15;
    if (p4 == 6011 || (p3 >= 644 && p3 <= 649) || p2 == 65
	|| (p6 >= 622126 && p6 <= 622925) || p2 == 62)
	return long_ok;                       /* Discover, UnionPay */
    if ((p3 >= 300 && p3 <= 305) || p2 == 36 || p2 == 38 || p2 == 39)
	return n >= 14 && n <= 19;            /* Diners Club */
    if (p4 >= 3528 && p4 <= 3589)             /* JCB */
	return long_ok;
    if (p4 >= 2200 && p4 <= 2204)             /* Mir */
	return long_ok;
    if (p4 == 5018 || p4 == 5020 || p4 == 5038 || p4 == 5893 || p4 == 6304
	|| p4 == 6759 || (p4 >= 6761 && p4 <= 6763)
	|| (p2 >= 56 && p2 <= 58))            /* Maestro */
	return n >= 13 && n <= 19;
    return 0;
}

int     det_card_valid(const char *d, size_t n)
{
    unsigned sum = 0;
    size_t  i;

    if (n < 13 || n > 19 || !network_ok(d, n))
	return 0;
    for (i = 0; i < n; i++) {
	unsigned v = (unsigned) (d[n - 1 - i] - '0');

	if (i & 1)
	    v = v * 2 > 9 ? v * 2 - 9 : v * 2;
	sum += v;
    }
    return sum % 10 == 0;
}

static uint64_t hash(unsigned kind, const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL ^ kind;
    size_t  i;

    for (i = 0; i < n; i++)
	h = (h ^ (unsigned char) tolower((unsigned char) s[i]))
	    * 1099511628211ULL;
    return h;
}

static void report(unsigned kind, const char *s, size_t n, DET_HIT hit,
		           void *ctx)
{
    char    m[DET_MASK_MAX];

    if (kind == DET_CARD)
	snprintf(m, sizeof(m), "card ****%.4s", s + n - 4);
    else
	snprintf(m, sizeof(m), "iban %c%c****%.4s",
		 toupper((unsigned char) s[0]), toupper((unsigned char) s[1]),
		 s + n - 4);
    hit(ctx, kind, hash(kind, s, n), m);
}

/* Usual groupings: fours with a last group of 1 to 4, or 4-6-5, 4-6-4. */
static int grouping_ok(const unsigned char *g, size_t n)
{
    size_t  i;

    if (n == 1)
	return 1;
    if (n == 3 && g[0] == 4 && g[1] == 6 && (g[2] == 5 || g[2] == 4))
	return 1;
    for (i = 0; i + 1 < n; i++)
	if (g[i] != 4)
	    return 0;
    return g[n - 1] >= 1 && g[n - 1] <= 4;
}

/* The run of digit groups has ended: every valid card in it, groups
 * taken from the left, longest first. */
static void run_done(DET_STREAM *d, DET_HIT hit, void *ctx)
{
    size_t  start = 0, end, off = 0, i, len;

    while (start < d->ngroups) {
	for (end = d->ngroups; end > start; end--) {
	    for (len = 0, i = start; i < end; i++)
		len += d->glen[i];
	    if (grouping_ok(d->glen + start, end - start)
		&& det_card_valid(d->run + off, len))
		break;
	}
	if (end > start) {
	    report(DET_CARD, d->run + off, len, hit, ctx);
	    for (i = start; i < end; i++)
		off += d->glen[i];
	    start = end;
	} else {
	    off += d->glen[start++];
	}
    }
    d->ngroups = d->run_len = 0;
}

/* A group of letters and digits has ended. */
static void group_done(DET_STREAM *d, DET_HIT hit, void *ctx)
{
    size_t  n = d->g_len;

    if (n > DET_GROUP_MAX && !d->g_digits && !d->iban_want) {
	if (d->ngroups)                   /* a skipped word */
	    run_done(d, hit, ctx);
	d->g_len = 0;
	d->g_digits = 1;
	d->sep = 0;
	return;
    }

    if ((d->want & DET_CARD) && d->g_digits && n <= 19) {
	if (d->ngroups == DET_GROUPS || d->run_len + n > sizeof(d->run))
	    run_done(d, hit, ctx);
	memcpy(d->run + d->run_len, d->g, n);
	d->run_len += n;
	d->glen[d->ngroups++] = (unsigned char) n;
    } else if (d->ngroups) {
	run_done(d, hit, ctx);
    }
    if (d->want & DET_IBAN) {
	if (d->iban_want && d->iban_len + n <= d->iban_want) {
	    memcpy(d->iban + d->iban_len, d->g, n);
	    d->iban_len += n;
	} else if (n >= 4 && n <= DET_GROUP_MAX && isalpha((unsigned char) d->g[0])
		   && isalpha((unsigned char) d->g[1])
		   && isdigit((unsigned char) d->g[2])
		   && isdigit((unsigned char) d->g[3])
		   && (d->iban_want = iban_length(d->g)) >= n) {
	    memcpy(d->iban, d->g, n);
	    d->iban_len = n;
	} else {
	    d->iban_want = 0;
	}
	if (d->iban_want && d->iban_len == d->iban_want) {
	    if (det_iban_valid(d->iban, d->iban_len))
		report(DET_IBAN, d->iban, d->iban_len, hit, ctx);
	    d->iban_want = 0;
	}
    }
    d->g_len = 0;
    d->g_digits = 1;
    d->sep = 0;
}

/* Something that is neither a separator nor a letter or digit. */
static void token_done(DET_STREAM *d, DET_HIT hit, void *ctx)
{
    if (d->g_len)
	group_done(d, hit, ctx);
    if (d->ngroups)
	run_done(d, hit, ctx);
    d->iban_want = 0;
    d->sep = 0;
}

void    det_begin(DET_STREAM *d, unsigned want)
{
    memset(d, 0, sizeof(*d));
    d->want = want;
    d->g_digits = 1;
}

/* Byte classes of the reading loop. */
enum { DC_OTHER, DC_SEP, DC_DIGIT, DC_ALPHA };
static const unsigned char dcls[256] = {
    [' '] = DC_SEP, ['\t'] = DC_SEP, ['\r'] = DC_SEP, ['\n'] = DC_SEP,
    ['-'] = DC_SEP, ['0' ... '9'] = DC_DIGIT, ['a' ... 'z'] = DC_ALPHA,
    ['A' ... 'Z'] = DC_ALPHA,
};

/* Can the group read so far, plus a letter, still be an IBAN start
 * (two letters, two digits, then anything)? */
static int iban_may(const DET_STREAM *d)
{
    if (!(d->want & DET_IBAN) || d->g_len > DET_GROUP_MAX)
	return 0;
    if (d->g_len < 2)
	return d->g_len == 0 || dcls[(unsigned char) d->g[0]] == DC_ALPHA;
    return d->g_len >= 4 && dcls[(unsigned char) d->g[0]] == DC_ALPHA
	&& dcls[(unsigned char) d->g[1]] == DC_ALPHA
	&& dcls[(unsigned char) d->g[2]] == DC_DIGIT
	&& dcls[(unsigned char) d->g[3]] == DC_DIGIT;
}

void    det_feed(DET_STREAM *d, const char *buf, size_t len, DET_HIT hit,
		         void *ctx)
{
    const unsigned char *p = (const unsigned char *) buf, *end = p + len;

    if (d->want == 0)
	return;
    while (p < end) {
	int     c = *p++;
	unsigned k = dcls[c];

	if (k >= DC_DIGIT) {
	    if (d->g_len == 0 && d->sep > DET_SEP_MAX)
		token_done(d, hit, ctx);
	    if (k == DC_ALPHA && !d->iban_want && !iban_may(d)) {
		/* a word no number can use: skip to its end */
		while (p < end && dcls[*p] >= DC_DIGIT)
		    p++;
		d->g_digits = 0;
		d->g_len = DET_GROUP_MAX + 1;
		continue;
	    }
	    if (d->g_len < DET_GROUP_MAX)
		d->g[d->g_len] = (char) (k == DC_DIGIT ? c : c | 32);
	    d->g_len++;
	    d->g_digits &= k == DC_DIGIT;
	} else if (k == DC_SEP) {
	    if (d->g_len)
		group_done(d, hit, ctx);
	    d->sep++;
	} else {
	    token_done(d, hit, ctx);
	}
    }
}

void    det_end(DET_STREAM *d, DET_HIT hit, void *ctx)
{
    if (d->want)
	token_done(d, hit, ctx);
}
