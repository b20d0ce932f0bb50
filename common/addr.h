/*
 * addr.h - mail address and domain utilities.
 *
 * Addresses arrive from the network: every function bounds its work by
 * the input length and never writes past the given buffers.
 */
#ifndef RS_ADDR_H
#define RS_ADDR_H

#include <stddef.h>

#define ADDR_MAX   512            /* longer addresses are refused */
#define DOMAIN_MAX 255

/* Strip one pair of surrounding <> and white space; copy to out (size
 * outsize).  Returns the length, or -1 if too long. */
int     addr_clean(const char *in, char *out, size_t outsize);

/* The domain part (after the last '@') or NULL when there is none. */
const char *addr_domain(const char *addr);

/* Caseless domain equality, ignoring one trailing dot on either side. */
int     domain_equal(const char *a, const char *b);

/* Does domain equal pattern or lie below it on a label boundary?
 * ("mail.bad.example" is below "bad.example"; "notbad.example" is not). */
int     domain_within(const char *domain, const char *pattern);

/* Caseless full-address equality (local part compared caselessly too, as
 * every mainstream server treats it). */
int     addr_equal(const char *a, const char *b);

/* Lowercase in place (ASCII only); returns s. */
char   *lowercase(char *s);

#endif
