/*
 * milter_want.h - what the screener asks of the MTA when a connection
 * starts: the actions it may take, the protocol steps it does without,
 * and the macros it needs at each stage.  milter_cb.c negotiates with
 * them; bench/nullmilter.c holds the same conversation, so that the
 * benchmark's floor differs from the screener only in the screening.
 */
#ifndef RS_MILTER_WANT_H
#define RS_MILTER_WANT_H

#include <libmilter/mfapi.h>

#define WANT_ACTIONS (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_ADDRCPT \
		      | SMFIF_DELRCPT | SMFIF_CHGBODY | SMFIF_QUARANTINE)

/* Steps we do not need: the MTA need not send them.  No reply to
 * connect (we never refuse there) nor to each header: a verdict a
 * header brings is given at end of header, a few hundred bytes later,
 * and the round trip per header is saved. */
#define WANT_NO_STEPS (SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_SKIP \
		       | SMFIP_NR_CONN | SMFIP_NR_HDR)

static const struct {
    int     stage;
    const char *macros;
} want_macros[] = {
    {SMFIM_CONNECT, "{daemon_name} {client_addr} {client_name} j"},
    {SMFIM_HELO, "{tls_version} {cipher}"},
    {SMFIM_ENVFROM, "i {auth_type} {auth_authen} {daemon_name} {client_addr}"},
    {SMFIM_ENVRCPT, "i"},
    {SMFIM_DATA, "i"},
    {SMFIM_EOH, "i"},
    {SMFIM_EOM, "i"},
};

#define WANT_MACRO_STAGES (sizeof(want_macros) / sizeof(want_macros[0]))

#endif
