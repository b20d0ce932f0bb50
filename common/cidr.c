/*
 * cidr.c - IPv4/IPv6 CIDR networks.
 */
#include <config.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cidr.h"

/* Parse a bare address (no prefix); IPv4-mapped IPv6 becomes IPv4. */
static int addr_parse(const char *text, int *family, unsigned char *out)
{
    char    buf[64];
    size_t  len = strlen(text);

    if (len >= 2 && text[0] == '[' && text[len - 1] == ']') {
	text++;
	len -= 2;
    }
    if (len == 0 || len >= sizeof(buf))
	return -1;
    memcpy(buf, text, len);
    buf[len] = 0;
    /* Postfix writes IPv6 client addresses with an "IPv6:" prefix in
     * some places; accept it. */
    if (strncasecmp(buf, "ipv6:", 5) == 0)
	memmove(buf, buf + 5, len - 4);
    if (inet_pton(AF_INET, buf, out) == 1) {
	*family = AF_INET;
	return 0;
    }
    if (inet_pton(AF_INET6, buf, out) == 1) {
	static const unsigned char mapped[12] =
	    {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (memcmp(out, mapped, 12) == 0) {
	    memmove(out, out + 12, 4);
	    *family = AF_INET;
	} else
	    *family = AF_INET6;
	return 0;
    }
    return -1;
}

int     cidr_parse(const char *text, CIDR *out)
{
    char    buf[80];
    char   *slash, *end;
    long    bits;
    int     max, i;

    if (strlen(text) >= sizeof(buf))
	return -1;
    strcpy(buf, text);
    memset(out, 0, sizeof(*out));
    if ((slash = strchr(buf, '/')) != NULL)
	*slash++ = 0;
    if (addr_parse(buf, &out->family, out->addr) < 0)
	return -1;
    max = out->family == AF_INET ? 32 : 128;
    if (slash) {
	if (!isdigit((unsigned char) *slash))
	    return -1;
	bits = strtol(slash, &end, 10);
	if (*end || bits < 0 || bits > max)
	    return -1;
    } else
	bits = max;
    out->bits = (int) bits;
    /* host bits must be clear: 10.1.2.3/8 is almost surely a typo */
    for (i = 0; i < max; i++)
	if (i >= out->bits && (out->addr[i / 8] & (0x80 >> (i % 8))))
	    return -1;
    return 0;
}

int     cidr_match(const CIDR *net, const char *addr)
{
    unsigned char a[16];
    int     family, full, rest;

    if (addr_parse(addr, &family, a) < 0 || family != net->family)
	return 0;
    full = net->bits / 8;
    rest = net->bits % 8;
    if (memcmp(a, net->addr, (size_t) full) != 0)
	return 0;
    if (rest) {
	unsigned char mask = (unsigned char) (0xff << (8 - rest));

	if ((a[full] & mask) != net->addr[full])
	    return 0;
    }
    return 1;
}

int     cidr_match_any(const CIDR *nets, size_t n, const char *addr)
{
    size_t  i;

    for (i = 0; i < n; i++)
	if (cidr_match(nets + i, addr))
	    return 1;
    return 0;
}
