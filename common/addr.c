/*
 * addr.c - mail address and domain helpers.
 */
#include <config.h>

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "addr.h"

char   *lowercase(char *s)
{
    char   *p;

    for (p = s; *p; p++)
	*p = (char) tolower((unsigned char) *p);
    return s;
}

int     addr_clean(const char *in, char *out, size_t outsize)
{
    const char *end;
    size_t  len;

    while (isspace((unsigned char) *in))
	in++;
    end = in + strlen(in);
    while (end > in && isspace((unsigned char) end[-1]))
	end--;
    if (end - in >= 2 && *in == '<' && end[-1] == '>') {
	in++;
	end--;
    }
    len = (size_t) (end - in);
    if (len >= outsize || len > ADDR_MAX)
	return -1;
    memcpy(out, in, len);
    out[len] = 0;
    return (int) len;
}

const char *addr_domain(const char *addr)
{
    const char *at = strrchr(addr, '@');

    return at ? at + 1 : NULL;
}

/* Length of a domain without one trailing dot. */
static size_t domain_len(const char *d)
{
    size_t  n = strlen(d);

    return n > 0 && d[n - 1] == '.' ? n - 1 : n;
}

int     domain_equal(const char *a, const char *b)
{
    size_t  la = domain_len(a), lb = domain_len(b);

    return la == lb && la > 0 && strncasecmp(a, b, la) == 0;
}

int     domain_within(const char *domain, const char *pattern)
{
    size_t  ld = domain_len(domain), lp = domain_len(pattern);

    if (lp == 0 || ld < lp)
	return 0;
    if (strncasecmp(domain + ld - lp, pattern, lp) != 0)
	return 0;
    /* equal, or the match starts right after a dot: a label boundary */
    return ld == lp || domain[ld - lp - 1] == '.';
}

int     addr_equal(const char *a, const char *b)
{
    return strcasecmp(a, b) == 0;
}
