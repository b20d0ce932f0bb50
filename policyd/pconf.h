/*
 * pconf.h - policyd.conf: the listener rules, loaded from libconfig.
 *
 * The loader records every problem as "FILE:LINE: message" (cfgutil.h);
 * a PCONF exists only when there were none, so a reload with a broken
 * file keeps the old one.
 */
#ifndef RS_PCONF_H
#define RS_PCONF_H

#include <stddef.h>

#include "cfgutil.h"
#include "cidr.h"
#include "strlist.h"
#include "pstrset.h"
#include "pstats.h"

typedef enum { RELAY_HOSTED, RELAY_AUTHENTICATED, RELAY_ANYWHERE } RELAY_MODE;
typedef enum { AUTH_DENY, AUTH_ALLOW, AUTH_REQUIRE } AUTH_MODE;
typedef enum { TLS_OPTIONAL, TLS_REQUIRE } TLS_MODE;
typedef enum { SLOGIN_ANY, SLOGIN_MATCH } SLOGIN_MODE;

/* TLS protocol versions in order; TLSV_UNKNOWN never passes a minimum. */
typedef enum { TLSV_NONE, TLSV_UNKNOWN, TLSV_SSL3, TLSV_1_0, TLSV_1_1,
TLSV_1_2, TLSV_1_3 } TLS_VERSION;
TLS_VERSION tls_version_parse(const char *s);

typedef struct PLISTENER {
    char   *name;
    RELAY_MODE relay;
    AUTH_MODE auth;
    TLS_MODE tls;
    SLOGIN_MODE sender_login;
    int     min_cipher_bits;      /* 0: no minimum */
    TLS_VERSION min_tls_version;  /* TLSV_NONE: no minimum */
    CIDR   *clients;              /* NULL: any client */
    size_t  nclients;
    int     server_port;          /* 0: map by policy_context only */
    char   *server_address;       /* NULL: any */
    int     rate_limit;           /* apply the rate limits here */
} PLISTENER;

/* Per-key limits in one window; 0 means unlimited. */
typedef struct PRATE {
    long    messages;
    long    recipients;
} PRATE;

/* Where the rate counters live (rate_limits.store). */
typedef enum { STORE_MEMORY, STORE_REDIS } RATE_STORE;
/* What a decision does when Redis cannot answer in time. */
typedef enum { STORE_ERR_DEFER, STORE_ERR_MEMORY } STORE_ERR_MODE;

/* rate_limits.redis = { ... } (pconf_rate.c) */
#define REDIS_PREFIX_MAX 64
#define REDIS_PASSWORD_MAX 512
typedef struct PREDIS_CONF {
    char   *server;               /* as written, for the log */
    char   *host;                 /* IP literal, NULL for a UNIX socket */
    int     port;
    char   *unix_path;            /* NULL for TCP */
    char   *password;             /* from password_file; NULL: no AUTH */
    int     timeout_ms;           /* per request */
    char   *key_prefix;
} PREDIS_CONF;

typedef struct PCONF {
    char   *path;
    /* policyd = { ... } */
    char   *listen;               /* "inet:HOST:PORT" or "unix:PATH" */
    char   *user;
    char   *group;
    char   *pidfile;
    int     pidfile_set;          /* set in the file (-f writes it only then) */
    int     socket_mode;          /* UNIX socket permissions */
    int     max_connections;
    int     idle_timeout;         /* seconds between requests */
    int     request_timeout;      /* seconds to finish a started request */
    int     facility;
    /* rules */
    STRSET  hosted;               /* lowercase, no trailing dot */
    STRSET  logins;               /* lowercase login -> "addr addr ..." */
    char   *relay_reject_text;    /* with %r for the recipient */
    PLISTENER *listeners;
    size_t  nlisteners;
    /* rate_limits = { ... } (pconf_rate.c) */
    int     rate_window;          /* seconds */
    PRATE   rate_user;
    PRATE   rate_client;
    PRATE   rate_domain;          /* envelope sender's domain */
    size_t  rate_table_size;      /* entries per table */
    RATE_STORE rate_store;
    STORE_ERR_MODE on_store_error;
    PREDIS_CONF redis;
    /* stats = { ... } (pstats.h) */
    PROMTEXT_CONF stats;
} PCONF;

/* Load and check a file; NULL with errors in e. */
PCONF  *pconf_load(const char *path, CFG_ERRS *e);
void    pconf_free(PCONF *c);

const PLISTENER *pconf_listener(const PCONF *c, const char *name);

/* pconf_rate.c: the rate_limits group. */
void    pconf_load_rates(PCONF *c, const config_setting_t *root, CFG_ERRS *e);
void    pconf_free_rates(PCONF *c);
/* Same Redis connection settings (a reload keeps the connection)? */
int     pconf_redis_same(const PREDIS_CONF *a, const PREDIS_CONF *b);

#endif
