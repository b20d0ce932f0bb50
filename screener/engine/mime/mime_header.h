/*
 * mime_header.h - decoding of header field values.
 *
 * Unfolding, RFC 2047 encoded words (B and Q, any charset iconv knows,
 * adjacent words joined before conversion so that a character split
 * across two words survives), structured values with parameters
 * (quoted strings, RFC 2231 charset/language/continuations/
 * percent-encoding, parameter names in any case, repeated parameters),
 * and the addresses of a From-like field.  All output is UTF-8.
 */
#ifndef RS_MIME_HEADER_H
#define RS_MIME_HEADER_H

#include <stddef.h>

/* Remove CR and LF in place (folding white space stays). */
void    hdr_unfold(char *s);

/* Decode encoded words in in[0..len) into out (NUL-terminated, cut at
 * outsize - 1).  Returns the length written. */
size_t  rfc2047_decode(const char *in, size_t len, char *out, size_t outsize);

/* A structured value "token; a=b; c*=utf-8''x" (mime_params.c): the
 * leading token goes lower-cased into tok; cb is called for every
 * parameter value (name lower-cased, without RFC 2231 '*' decorations;
 * RFC 2231 decoded, RFC 2047 not).  flags 0 is the client reading: no
 * comments, unquoted values run to ';'.  PARAM_RFC822 skips comments
 * (RFC 2045, Python's default policy); PARAM_COMMA also splits at ',';
 * PARAM_RAW takes the rest of the segment (Python's compat32).
 * Returns 0, or -1 when there were more than MIME_PARAMS_MAX parameters
 * (segments): the rest were not looked at, which the caller must treat
 * as a limit, since one of them could be a name or the boundary. */
#define MIME_PARAMS_MAX 64
#define PARAM_RFC822    (1<<0)
#define PARAM_COMMA     (1<<1)
#define PARAM_RAW       (1<<2)            /* Python's compat32 */
typedef void (*PARAM_CB)(void *ctx, const char *name, const char *value);
int     mime_parse_params(const char *value, char *tok, size_t toksize,
			  int flags, PARAM_CB cb, void *ctx);

/* Call cb for every address a client could show for an address-list
 * field (From, Sender, Reply-To; addrlist.c): each addr-spec, with
 * comments and white space around '@' and in the domain removed, group
 * members, and addresses written in (encoded) display names. */
void    hdr_addresses(const char *value, void (*cb)(void *ctx,
					            const char *addr),
		      void *ctx);

#endif
