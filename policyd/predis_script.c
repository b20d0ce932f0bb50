/*
 * predis_script.c - the rate decision as one Redis Lua script, and the
 * reading of its replies.
 *
 * The script keeps, per rate key, the same ring of slots as the memory
 * store (pratelimit.h) in one hash (key layout 2, predis_script.h): field
 * "_" holds z = slot length (ms), h = newest slot number, a/b =
 * messages/recipients in the ring, and field "A" + P the counts m/r of
 * ring position P, every value packed little-endian doubles
 * (struct.pack '<dddd' and '<dd').  As the memory store, it moves each
 * key's ring on to "now" and checks it, up to the first key over its
 * limit; only when all pass are the request's counts added, so one
 * EVALSHA is one atomic decision whatever the other gateways do at the
 * same moment.  Reads come first, writes last.  A key expires once its
 * newest slot has left the window (when nothing in it could matter any
 * more); the expiry is set when the newest slot changes, so a decision
 * is two calls per key (HMGET of "_" and the slot, HSET of both) most
 * of the time.
 *
 * The cost is the server's: no number is formatted or parsed as text
 * (Redis prints numeric arguments with %.17g, Lua parses with strtod),
 * the arguments come packed too, field names are single characters.
 *
 * KEYS: the rate keys.  ARGV[1]: struct '<i8i8i8' now_ms (0: the Redis
 * server's clock), slot_ms, ring length, then '<i8i8i8i8' per key:
 * max_messages, max_recipients, add_messages, add_recipients.  Returns 0
 * (counted) or 2i-1 / 2i when key i (1-based) would go over its message
 * / recipient limit.
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "msg.h"
#include "predis_script.h"

/* Slot fields are "A" + position: one letter each. */
typedef char predis_ring_fits[RATE_RING <= 26 ? 1 : -1];

const char predis_script[] =
"local upk, pk, char = struct.unpack, struct.pack, string.char\n"
"local A = ARGV[1]\n"
"local now, slot, n = upk('<i8i8i8', A)\n"
"if now == 0 then\n"
"  local t = redis.call('TIME')\n"
"  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
"end\n"
"local cur = math.floor(now / slot)\n"
"local fc = char(65 + cur % n)\n"
"local st, last, res = {}, #KEYS, 0\n"
"for i = 1, #KEYS do\n"
"  local k, e = KEYS[i], 9 * (i - 1)\n"
"  local mm, mr, am, ar = upk('<i8i8i8i8', A, 25 + 32 * (i - 1))\n"
"  local f = fc\n"
"  local v = redis.call('HMGET', k, '_', f)\n"
"  local z, h, a, b, m, r, drop = nil, nil, 0, 0, 0, 0, false\n"
"  if v[1] and #v[1] == 32 then z, h, a, b = upk('<dddd', v[1]) end\n"
"  if z ~= slot or cur - h >= n then\n"
"    h, a, b, drop = cur, 0, 0, true\n"
"  elseif cur > h then\n"
"    drop = {}\n"
"    for s = h + 1, cur do drop[#drop + 1] = char(65 + s % n) end\n"
"    local o = redis.call('HMGET', k, unpack(drop))\n"
"    for j = 1, #drop do\n"
"      if o[j] and #o[j] == 16 then\n"
"        local om, orr = upk('<dd', o[j])\n"
"        a, b = a - om, b - orr\n"
"      end\n"
"    end\n"
"    h = cur\n"
"  else\n"
"    if cur < h then\n"
"      f = char(65 + h % n)\n"
"      v[2] = redis.call('HGET', k, f)\n"
"    end\n"
"    if v[2] and #v[2] == 16 then m, r = upk('<dd', v[2]) end\n"
"  end\n"
"  st[e + 1], st[e + 2], st[e + 3], st[e + 4], st[e + 5] = h, a, b, f, drop\n"
"  st[e + 6], st[e + 7], st[e + 8], st[e + 9] = m, r, am, ar\n"
"  if mm > 0 and a + am > mm then res = 2 * i - 1\n"
"  elseif mr > 0 and b + ar > mr then res = 2 * i end\n"
"  if res > 0 then last = i break end\n"
"end\n"
"for i = 1, last do\n"
"  local k, e = KEYS[i], 9 * (i - 1)\n"
"  local h, a, b, f, drop = st[e + 1], st[e + 2], st[e + 3], st[e + 4], st[e + 5]\n"
"  local am, ar = st[e + 8], st[e + 9]\n"
"  if drop == true then\n"
"    redis.call('DEL', k)\n"
"  elseif drop then\n"
"    redis.call('HDEL', k, unpack(drop))\n"
"  end\n"
"  if res == 0 and (am > 0 or ar > 0) then\n"
"    redis.call('HSET', k, '_', pk('<dddd', slot, h, a + am, b + ar),\n"
"               f, pk('<dd', st[e + 6] + am, st[e + 7] + ar))\n"
"  elseif drop then\n"
"    redis.call('HSET', k, '_', pk('<dddd', slot, h, a, b))\n"
"  end\n"
"  if drop then redis.call('PEXPIRE', k, (h + n + 1) * slot - now) end\n"
"end\n"
"return res\n";

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

/* Start an argument of packed integers. */
static void packed(PREDIS_CALL *call)
{
    if (call->argc >= PREDIS_ARGC_MAX)
	msg_panic("predis_call_build: too many arguments");
    call->argv[call->argc] = call->buf + call->used;
    call->argvlen[call->argc++] = 0;
}

/* Append v to the packed argument (the last one), 8 bytes little-endian
 * two's complement: struct.unpack '<i8'. */
static void pack64(PREDIS_CALL *call, int64_t v)
{
    uint64_t u = (uint64_t) v;
    int     i;

    if (sizeof(call->buf) - call->used < 8)
	msg_panic("predis_call_build: argument buffer too small");
    for (i = 0; i < 8; i++)
	call->buf[call->used++] = (char) (u >> (8 * i) & 0xff);
    call->argvlen[call->argc - 1] += 8;
}

void    predis_call_build(PREDIS_CALL *call, const char *sha, const char *prefix,
			          const RATE_QUERY *q, int64_t now_ms)
{
    static const char kind[RQ_MAX] = {'u', 'c', 'd'};
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
	arg(call, "%s%c" PREDIS_KEY_LAYOUT ":%s", prefix, kind[q->k[i].kind], q->k[i].key);
    packed(call);
    pack64(call, now_ms);
    pack64(call, rate_slot_ms(q->window_s));
    pack64(call, RATE_RING);
    for (i = 0; i < q->n; i++) {
	pack64(call, q->k[i].max[RATE_MSGS]);
	pack64(call, q->k[i].max[RATE_RCPTS]);
	pack64(call, q->k[i].add[RATE_MSGS]);
	pack64(call, q->k[i].add[RATE_RCPTS]);
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
