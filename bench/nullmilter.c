/*
 * nullmilter.c - the benchmark floor: a milter that asks for every header
 * and body chunk, looks at nothing and accepts.  Same libmilter, same
 * socket type as the screener, so the difference is the screening.
 *
 *   nullmilter unix:/path/to/socket
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <libmilter/mfapi.h>

static sfsistat null_header(SMFICTX *ctx, char *name, char *value)
{
    (void) ctx; (void) name; (void) value;
    return SMFIS_CONTINUE;
}

static sfsistat null_body(SMFICTX *ctx, unsigned char *buf, size_t len)
{
    (void) ctx; (void) buf; (void) len;
    return SMFIS_CONTINUE;
}

static sfsistat null_eom(SMFICTX *ctx)
{
    (void) ctx;
    return SMFIS_ACCEPT;
}

int     main(int argc, char **argv)
{
    struct smfiDesc d = {
	.xxfi_name = "nullmilter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = 0,
	.xxfi_header = null_header,
	.xxfi_body = null_body,
	.xxfi_eom = null_eom,
    };

    if (argc != 2) {
	fprintf(stderr, "usage: nullmilter SOCKET\n");
	return 2;
    }
    if (smfi_setconn(argv[1]) != MI_SUCCESS || smfi_register(d) != MI_SUCCESS
	|| smfi_opensocket(1) != MI_SUCCESS) {
	fprintf(stderr, "nullmilter: cannot listen on %s\n", argv[1]);
	return 1;
    }
    return smfi_main() == MI_SUCCESS ? 0 : 1;
}
