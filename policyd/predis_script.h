/*
 * predis_script.h - the Redis side of a rate decision: the Lua script,
 * the arguments of one call, and how its replies are read.
 *
 * Everything here is pure (no I/O), so the fuzz target t/fuzz/fuzz_redis
 * drives the same code with hostile replies.
 */
#ifndef RS_PREDIS_SCRIPT_H
#define RS_PREDIS_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "prate.h"

extern const char predis_script[];

/* Keys are prefix, kind (u, c, d), layout, ":", key.  Layout 2 packs
 * binary values (predis_script.c); layout 1, "prefix c:address" with
 * decimal fields, belongs to older versions, which count apart. */
#define PREDIS_KEY_LAYOUT "2"

#define PREDIS_SHA_LEN   40
#define PREDIS_ARGC_MAX  (4 + RQ_MAX + 1)
#define PREDIS_ARGBUF    (RQ_MAX * (REDIS_PREFIX_MAX + RATE_KEY_MAX + 4) + 512)

/* Reply bounds: what the script and SCRIPT LOAD can return is tiny. */
#define PREDIS_REPLY_STR_MAX   4096
#define PREDIS_REPLY_ARRAY_MAX 16
#define PREDIS_READBUF_MAX     65536

/* One EVALSHA (or EVAL) call, ready for redisAsyncCommandArgv. */
typedef struct PREDIS_CALL {
    int     argc;
    const char *argv[PREDIS_ARGC_MAX];
    size_t  argvlen[PREDIS_ARGC_MAX];
    char    buf[PREDIS_ARGBUF];
    size_t  used;
    int     nkeys;
} PREDIS_CALL;

/* Build the call: sha NULL for EVAL with the script text; now_ms 0 lets
 * Redis use its own clock (one clock for every gateway). */
void    predis_call_build(PREDIS_CALL *call, const char *sha, const char *prefix,
			          const RATE_QUERY *q, int64_t now_ms);
/* Switch a built call to EVAL with the script text (after NOSCRIPT). */
void    predis_call_eval(PREDIS_CALL *call);

typedef enum {
    PREDIS_R_OK,                  /* *res holds the decision */
    PREDIS_R_NOSCRIPT,            /* the script must be loaded again */
    PREDIS_R_BAD                  /* error reply or nonsense */
} PREDIS_RSTATUS;

PREDIS_RSTATUS predis_decision_reply(const redisReply *rep, int nkeys,
				             RATE_RESULT *res);
/* SCRIPT LOAD's reply: 1 and the SHA-1 copied when it is 40 hex digits. */
int     predis_sha_reply(const redisReply *rep, char sha[PREDIS_SHA_LEN + 1]);
/* AUTH's reply: 1 for +OK. */
int     predis_ok_reply(const redisReply *rep);
/* A short printable description of an unexpected reply, for the log. */
const char *predis_reply_str(const redisReply *rep, char *buf, size_t len);

/* Bound what the reader builds (strings, arrays) and buffers. */
void    predis_reader_limit(redisReader *r);
int     predis_reader_overfull(const redisReader *r);

#endif
