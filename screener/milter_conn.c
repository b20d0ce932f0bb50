/*
 * milter_conn.c - connection state: who connected, through which Postfix
 * service, authenticated as whom, with which TLS.  One CONN per MTA
 * connection, created at negotiation and freed at close.
 */
#include <config.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "milter.h"
#include "mymalloc.h"

/* A macro's value, or NULL when Postfix did not send it.  Postfix sends
 * macros it has no value for as empty strings: treat those as absent. */
const char *conn_macro(SMFICTX *ctx, const char *name)
{
    const char *v = smfi_getsymval(ctx, (char *) name);

    return (v && *v) ? v : NULL;
}

/* Replace an owned string field (NULL value clears it). */
void    conn_set(char **field, const char *value)
{
    if (*field && value && strcmp(*field, value) == 0)
	return;
    myfree(*field);
    *field = value ? mystrndup(value, 1024) : NULL;
}

static void addr_text(const struct sockaddr *sa, char *buf, size_t len)
{
    buf[0] = 0;
    if (sa == NULL)
	return;
    if (sa->sa_family == AF_INET)
	inet_ntop(AF_INET, &((const struct sockaddr_in *) sa)->sin_addr,
		  buf, len);
    else if (sa->sa_family == AF_INET6)
	inet_ntop(AF_INET6, &((const struct sockaddr_in6 *) sa)->sin6_addr,
		  buf, len);
}

/* The connection's state, created on first use (negotiation, or
 * connect with MTAs that do not negotiate). */
CONN   *conn_get(SMFICTX *ctx)
{
    CONN   *conn = smfi_getpriv(ctx);

    if (conn == NULL) {
	conn = mycalloc(1, sizeof(*conn));
	smfi_setpriv(ctx, conn);
    }
    return conn;
}

void    conn_connect(CONN *conn, SMFICTX *ctx, const char *hostname,
		             const struct sockaddr *sa)
{
    char    buf[INET6_ADDRSTRLEN];
    const char *v;

    /* Postfix's {client_addr} is authoritative (it is what Postfix's own
     * log shows); the socket address is the fallback for other MTAs. */
    if ((v = conn_macro(ctx, "{client_addr}")) != NULL) {
	conn_set(&conn->client_addr, v);
    } else {
	addr_text(sa, buf, sizeof(buf));
	conn_set(&conn->client_addr, buf[0] ? buf : NULL);
    }
    conn_set(&conn->client_name, hostname);
    conn_set(&conn->daemon_name, conn_macro(ctx, "{daemon_name}"));
}

void    conn_free(CONN *conn)
{
    if (conn == NULL)
	return;
    if (conn->msg)
	msg_free(conn->msg);
    myfree(conn->client_addr);
    myfree(conn->client_name);
    myfree(conn->daemon_name);
    myfree(conn->helo);
    myfree(conn->auth_authen);
    myfree(conn->tls_version);
    myfree(conn);
}
