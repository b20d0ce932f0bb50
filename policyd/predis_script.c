/*
 * predis_script.c - the rate decision as one Redis Lua script, and the
 * reading of its replies.
 *
 * The script keeps, per rate key, the same ring of slots as the memory
 * store (pratelimit.h) in one hash: z = slot length (ms), h = newest
 * slot number, a/b = messages/recipients in the ring, mP/rP = the counts
 * of ring position P.  It moves every key's ring on to "now", checks
 * every key, and only when all pass adds the request's counts, so one
 * EVALSHA is one atomic decision whatever the other gateways do at the
 * same moment.  A key expires once its newest slot has left the window
 * (when nothing in it could matter any more); the expiry is set when the
 * newest slot changes, so a decision is two calls per key (HMGET, HSET
 * of only what changed) most of the time.
 *
 * ARGV: now_ms (0: the Redis server's clock), slot_ms, ring length, then
 * for each key max_messages, max_recipients, add_messages,
 * add_recipients.  Returns 0 (counted) or 2i-1 / 2i when key i (1-based)
 * would go over its message / recipient limit.
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "msg.h"
#include "predis_script.h"

const char predis_script[] =
"local now = tonumber(ARGV[1])\n"
"if now == 0 then\n"
"  local t = redis.call('TIME')\n"
"  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
"end\n"
"local slot, n = tonumber(ARGV[2]), tonumber(ARGV[3])\n"
"local cur = math.floor(now / slot)\n"
"local st = {}\n"
"for i, k in ipairs(KEYS) do\n"
"  local p = cur % n\n"
"  local v = redis.call('HMGET', k, 'z', 'h', 'a', 'b', 'm' .. p, 'r' .. p)\n"
"  local h, a, b = tonumber(v[2]), tonumber(v[3]) or 0, tonumber(v[4]) or 0\n"
"  local m, r = tonumber(v[5]) or 0, tonumber(v[6]) or 0\n"
"  local moved = false\n"
"  if tonumber(v[1]) ~= slot or h == nil or cur - h >= n then\n"
"    if v[1] or v[2] then redis.call('DEL', k) end\n"
"    h, a, b, m, r, moved = cur, 0, 0, 0, 0, true\n"
"  elseif cur > h then\n"
"    local f = {}\n"
"    for s = h + 1, cur do\n"
"      f[#f + 1] = 'm' .. (s % n)\n"
"      f[#f + 1] = 'r' .. (s % n)\n"
"    end\n"
"    local old = redis.call('HMGET', k, unpack(f))\n"
"    for j = 1, #f, 2 do\n"
"      a = a - (tonumber(old[j]) or 0)\n"
"      b = b - (tonumber(old[j + 1]) or 0)\n"
"    end\n"
"    redis.call('HDEL', k, unpack(f))\n"
"    h, m, r, moved = cur, 0, 0, true\n"
"    redis.call('HSET', k, 'h', h, 'a', a, 'b', b)\n"
"  elseif cur < h then\n"
"    p = h % n\n"
"    local w = redis.call('HMGET', k, 'm' .. p, 'r' .. p)\n"
"    m, r = tonumber(w[1]) or 0, tonumber(w[2]) or 0\n"
"  end\n"
"  st[i] = {h, a, b, m, r, p, moved}\n"
"  local o = 3 + (i - 1) * 4\n"
"  local mm, mr = tonumber(ARGV[o + 1]), tonumber(ARGV[o + 2])\n"
"  if mm > 0 and a + tonumber(ARGV[o + 3]) > mm then return 2 * i - 1 end\n"
"  if mr > 0 and b + tonumber(ARGV[o + 4]) > mr then return 2 * i end\n"
"end\n"
"for i, k in ipairs(KEYS) do\n"
"  local o = 3 + (i - 1) * 4\n"
"  local am, ar = tonumber(ARGV[o + 3]), tonumber(ARGV[o + 4])\n"
"  local e = st[i]\n"
"  local f = {}\n"
"  if e[7] then f = {'z', slot, 'h', e[1]} end\n"
"  if am > 0 then\n"
"    f[#f + 1] = 'a'\n"
"    f[#f + 1] = e[2] + am\n"
"    f[#f + 1] = 'm' .. e[6]\n"
"    f[#f + 1] = e[4] + am\n"
"  end\n"
"  if ar > 0 then\n"
"    f[#f + 1] = 'b'\n"
"    f[#f + 1] = e[3] + ar\n"
"    f[#f + 1] = 'r' .. e[6]\n"
"    f[#f + 1] = e[5] + ar\n"
"  end\n"
"  if #f > 0 then redis.call('HSET', k, unpack(f)) end\n"
"  if e[7] then redis.call('PEXPIRE', k, (e[1] + n + 1) * slot - now) end\n"
"end\n"
"return 0\n";

static void arg(PREDIS_CALL *call, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Append one argument formatted into the call's own buffer. */
static void arg(PREDIS_CALL *call, const char *fmt, ...)
{
    va_list ap;
    size_t  room = sizeof(call->buf) - call->used;
    int     n;

    va_start(ap, fmt);
    n = vsnprintf(call->buf + call->used, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t) n >= room || call->argc >= PREDIS_ARGC_MAX)
	msg_panic("predis_call_build: argument buffer too small");
    call->argv[call->argc] = call->buf + call->used;
    call->argvlen[call->argc++] = (size_t) n;
    call->used += (size_t) n + 1;
}

void    predis_call_build(PREDIS_CALL *call, const char *sha, const char *prefix,
			          const RATE_QUERY *q, int64_t now_ms)
{
    static const char kind[RQ_MAX] = {'u', 'c', 'd'};
    int64_t slot = rate_slot_ms(q->window_s);
    int     i;

    call->argc = 0;
    call->used = 0;
    call->nkeys = q->n;
    arg(call, "%s", sha ? "EVALSHA" : "EVAL");
    if (sha)
	arg(call, "%s", sha);
    else {
	call->argv[call->argc] = predis_script;
	call->argvlen[call->argc++] = sizeof(predis_script) - 1;
    }
    arg(call, "%d", q->n);
    for (i = 0; i < q->n; i++)
	arg(call, "%s%c:%s", prefix, kind[q->k[i].kind], q->k[i].key);
    arg(call, "%lld", (long long) now_ms);
    arg(call, "%lld", (long long) slot);
    arg(call, "%d", RATE_RING);
    for (i = 0; i < q->n; i++) {
	arg(call, "%ld", q->k[i].max[RATE_MSGS]);
	arg(call, "%ld", q->k[i].max[RATE_RCPTS]);
	arg(call, "%d", q->k[i].add[RATE_MSGS]);
	arg(call, "%d", q->k[i].add[RATE_RCPTS]);
    }
}

void    predis_call_eval(PREDIS_CALL *call)
{
    call->argv[0] = "EVAL";
    call->argvlen[0] = 4;
    call->argv[1] = predis_script;
    call->argvlen[1] = sizeof(predis_script) - 1;
}

PREDIS_RSTATUS predis_decision_reply(const redisReply *rep, int nkeys,
				             RATE_RESULT *res)
{
    if (rep == NULL)
	return PREDIS_R_BAD;
    if (rep->type == REDIS_REPLY_ERROR)
	return rep->str && rep->len >= 8 && strncmp(rep->str, "NOSCRIPT", 8) == 0 ?
	    PREDIS_R_NOSCRIPT : PREDIS_R_BAD;
    if (rep->type != REDIS_REPLY_INTEGER || rep->integer < 0
	|| rep->integer > 2LL * nkeys)
	return PREDIS_R_BAD;
    memset(res, 0, sizeof(*res));
    if (rep->integer == 0) {
	res->status = RATE_PASS;
    } else {
	res->status = RATE_OVER;
	res->key = (int) ((rep->integer - 1) / 2);
	res->dim = (int) ((rep->integer - 1) % 2) ? RATE_RCPTS : RATE_MSGS;
    }
    return PREDIS_R_OK;
}

int     predis_sha_reply(const redisReply *rep, char sha[PREDIS_SHA_LEN + 1])
{
    size_t  i;

    if (rep == NULL || rep->type != REDIS_REPLY_STRING || rep->str == NULL
	|| rep->len != PREDIS_SHA_LEN)
	return 0;
    for (i = 0; i < PREDIS_SHA_LEN; i++)
	if (!strchr("0123456789abcdef", rep->str[i]) || rep->str[i] == 0)
	    return 0;
    memcpy(sha, rep->str, PREDIS_SHA_LEN);
    sha[PREDIS_SHA_LEN] = 0;
    return 1;
}

int     predis_ok_reply(const redisReply *rep)
{
    return rep && rep->type == REDIS_REPLY_STATUS && rep->str
	&& rep->len == 2 && memcmp(rep->str, "OK", 2) == 0;
}

const char *predis_reply_str(const redisReply *rep, char *buf, size_t len)
{
    size_t  i, n = 0;

    if (rep == NULL)
	return "no reply";
    if ((rep->type != REDIS_REPLY_ERROR && rep->type != REDIS_REPLY_STATUS
	 && rep->type != REDIS_REPLY_STRING) || rep->str == NULL) {
	snprintf(buf, len, "reply type %d", rep->type);
	return buf;
    }
    for (i = 0; i < rep->len && i < 120 && n + 1 < len; i++) {
	unsigned char c = (unsigned char) rep->str[i];

	buf[n++] = (c >= 0x20 && c < 0x7f) ? (char) c : '?';
    }
    buf[n] = 0;
    return buf;
}

/* ---- reader bounds --------------------------------------------------- */

static redisReplyObjectFunctions *orig_fn;
static redisReplyObjectFunctions limited_fn;

static void *lim_string(const redisReadTask *t, char *s, size_t len)
{
    return len > PREDIS_REPLY_STR_MAX ? NULL : orig_fn->createString(t, s, len);
}

static void *lim_array(const redisReadTask *t, int elements)
{
    return elements < 0 || elements > PREDIS_REPLY_ARRAY_MAX ? NULL :
	orig_fn->createArray(t, elements);
}

void    predis_reader_limit(redisReader *r)
{
    if (r->fn == &limited_fn)
	return;
    if (orig_fn == NULL) {
	orig_fn = r->fn;
	limited_fn = *r->fn;
	limited_fn.createString = lim_string;
	limited_fn.createArray = lim_array;
    }
    r->fn = &limited_fn;
}

int     predis_reader_overfull(const redisReader *r)
{
    return r->len - r->pos > PREDIS_READBUF_MAX;
}
