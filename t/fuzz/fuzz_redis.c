/*
 * fuzz_redis.c - libFuzzer target: Redis replies as policyd reads them,
 * from a server that may answer anything.
 *
 * The first input byte selects the read size (1-64 bytes, as the socket
 * would split the stream) and how many keys the decision had (1-3).  The
 * rest goes through hiredis' reader with policyd's bounds on strings,
 * arrays and buffered bytes (predis_reader_limit), and every reply it
 * builds is read as a decision, a SCRIPT LOAD and an AUTH reply would be,
 * until the reader calls the stream broken or holds too much - where
 * policyd drops the connection.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "predis_script.h"

int     LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const redisReply *rep, int nkeys)
{
    RATE_RESULT res;
    char    sha[PREDIS_SHA_LEN + 1], buf[128];

    if (predis_decision_reply(rep, nkeys, &res) == PREDIS_R_OK) {
	if (res.status == RATE_OVER
	    && (res.key < 0 || res.key >= nkeys || (res.dim != RATE_MSGS && res.dim != RATE_RCPTS)))
	    abort();
    }
    if (predis_sha_reply(rep, sha) && strlen(sha) != PREDIS_SHA_LEN)
	abort();
    (void) predis_ok_reply(rep);
    if (strlen(predis_reply_str(rep, buf, sizeof(buf))) >= sizeof(buf))
	abort();
}

int     LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    redisReader *r;
    size_t  step, off;
    int     nkeys;

    if (size == 0)
	return 0;
    step = (size_t) (data[0] & 63) + 1;
    nkeys = data[0] >> 6 ? data[0] >> 6 : 1;
    data++;
    size--;
    if ((r = redisReaderCreate()) == NULL)
	return 0;
    predis_reader_limit(r);
    for (off = 0; off < size; off += step) {
	size_t  n = size - off < step ? size - off : step;
	void   *reply;

	if (redisReaderFeed(r, (const char *) data + off, n) != REDIS_OK)
	    break;
	while (redisReaderGetReply(r, &reply) == REDIS_OK && reply != NULL) {
	    check(reply, nkeys);
	    freeReplyObject(reply);
	}
	if (r->err || predis_reader_overfull(r))
	    break;
    }
    redisReaderFree(r);
    return 0;
}
