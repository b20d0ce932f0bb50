/*
 * nullmilter.c - the benchmark floor: a milter that looks at nothing and
 * accepts.  Same libmilter, same socket type as the screener, and by
 * default the same conversation: it asks for the same events (connect,
 * HELO, MAIL, RCPT, every header, end of header, every body chunk, end
 * of message), negotiates the same protocol steps (no reply to connect
 * or to each header, no DATA or unknown commands) and the same macros
 * (screener/milter_want.h), so that the difference from the screener is
 * the screening.  -m: the minimal conversation instead (headers, body
 * and end of message only, each header answered: libmilter's defaults).
 *
 *   nullmilter [-m] unix:/path/to/socket
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libmilter/mfapi.h>

#include "milter_want.h"           /* the screener's conversation */

static sfsistat null_negotiate(SMFICTX *ctx, unsigned long f0,
			               unsigned long f1, unsigned long f2,
			               unsigned long f3, unsigned long *pf0,
			               unsigned long *pf1, unsigned long *pf2,
			               unsigned long *pf3)
{
    size_t  i;

    (void) f2; (void) f3;
    *pf0 = f0 & (WANT_ACTIONS | SMFIF_SETSYMLIST);
    *pf1 = f1 & WANT_NO_STEPS;
    *pf2 = *pf3 = 0;
    if (f0 & SMFIF_SETSYMLIST)
	for (i = 0; i < WANT_MACRO_STAGES; i++)
	    (void) smfi_setsymlist(ctx, want_macros[i].stage,
				   (char *) want_macros[i].macros);
    return SMFIS_CONTINUE;
}

static sfsistat null_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
    (void) ctx; (void) host; (void) sa;
    return SMFIS_NOREPLY;
}

static sfsistat null_helo(SMFICTX *ctx, char *helo)
{
    (void) ctx; (void) helo;
    return SMFIS_CONTINUE;
}

static sfsistat null_env(SMFICTX *ctx, char **argv)
{
    (void) ctx; (void) argv;
    return SMFIS_CONTINUE;
}

static sfsistat null_header(SMFICTX *ctx, char *name, char *value)
{
    (void) ctx; (void) name; (void) value;
    return SMFIS_CONTINUE;
}

static sfsistat null_header_nr(SMFICTX *ctx, char *name, char *value)
{
    (void) ctx; (void) name; (void) value;
    return SMFIS_NOREPLY;
}

static sfsistat null_step(SMFICTX *ctx)
{
    (void) ctx;
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
    int     minimal = argc == 3 && strcmp(argv[1], "-m") == 0;
    struct smfiDesc d = {
	.xxfi_name = "nullmilter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = 0,
	.xxfi_header = null_header,
	.xxfi_body = null_body,
	.xxfi_eom = null_eom,
    };

    if (argc != 2 && !minimal) {
	fprintf(stderr, "usage: nullmilter [-m] SOCKET\n");
	return 2;
    }
    if (!minimal) {
	d.xxfi_flags = WANT_ACTIONS;
	d.xxfi_connect = null_connect;
	d.xxfi_helo = null_helo;
	d.xxfi_envfrom = null_env;
	d.xxfi_envrcpt = null_env;
	d.xxfi_header = null_header_nr;
	d.xxfi_eoh = null_step;
	d.xxfi_abort = null_step;
	d.xxfi_close = null_step;
	d.xxfi_negotiate = null_negotiate;
    }
    if (smfi_setconn(argv[argc - 1]) != MI_SUCCESS
	|| smfi_register(d) != MI_SUCCESS || smfi_opensocket(1) != MI_SUCCESS) {
	fprintf(stderr, "nullmilter: cannot listen on %s\n", argv[argc - 1]);
	return 1;
    }
    return smfi_main() == MI_SUCCESS ? 0 : 1;
}
