/*
 * cidr.h - IPv4/IPv6 networks in CIDR form.
 */
#ifndef RS_CIDR_H
#define RS_CIDR_H

#include <stddef.h>

typedef struct CIDR {
    int     family;               /* AF_INET or AF_INET6 */
    unsigned char addr[16];       /* network bytes, host bits cleared */
    int     bits;                 /* prefix length */
} CIDR;

/* Parse "a.b.c.d", "a.b.c.d/n", "x::y", "x::y/n", "[x::y]/n".  Host bits
 * set beyond the prefix are an error (a likely typo).  0 ok, -1 bad. */
int     cidr_parse(const char *text, CIDR *out);

/* Does the textual address (as Postfix reports it; IPv4-mapped IPv6 is
 * treated as IPv4) fall in the network?  Unparsable addresses: no. */
int     cidr_match(const CIDR *net, const char *addr);

/* Match against any of n networks. */
int     cidr_match_any(const CIDR *nets, size_t n, const char *addr);

#endif
