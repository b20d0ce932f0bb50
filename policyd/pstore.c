/*
 * pstore.c - memory or Redis behind one call, on_store_error, and the
 * decision clock (with its test-only override, see pstore.h).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "msg.h"
#include "mymalloc.h"
#include "pstore.h"

#define TEST_CLOCK_ENV "RS_POLICYD_TEST_CLOCK"

static char *test_clock;

void    pclock_init(void)
{
    const char *p = getenv(TEST_CLOCK_ENV);

    if (p && *p) {
	test_clock = mystrdup(p);
	msg_warn("%s=%s: the rate limits run on a test clock (tests only)",
		 TEST_CLOCK_ENV, p);
    }
}

int     pclock_is_test(void)
{
    return test_clock != NULL;
}

int64_t pclock_ms(void)
{
    struct timespec ts;

    if (test_clock) {
	FILE   *fp = fopen(test_clock, "r");
	long long v = 0;

	if (fp) {
	    if (fscanf(fp, "%lld", &v) != 1)
		v = 0;
	    fclose(fp);
	}
	return v > 0 ? (int64_t) v : 1;
    }
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void    pstore_init(PSTORE *s, const PCONF *c, PLOOP *loop)
{
    memset(s, 0, sizeof(*s));
    s->loop = loop;
    prates_init(&s->mem, c->rate_table_size);
    if (c->rate_store == STORE_REDIS)
	s->redis = predis_create(&c->redis, loop);
}

void    pstore_reconfigure(PSTORE *s, const PCONF *old, const PCONF *c)
{
    int     want = c->rate_store == STORE_REDIS;

    if (s->redis && (!want || !pconf_redis_same(&old->redis, &c->redis))) {
	predis_free(s->redis);
	s->redis = NULL;
    }
    if (want && s->redis == NULL)
	s->redis = predis_create(&c->redis, s->loop);
    else if (s->redis)
	predis_update(s->redis, &c->redis);
}

void    pstore_free(PSTORE *s)
{
    predis_free(s->redis);
    s->redis = NULL;
    prates_free(&s->mem);
}

RATE_RESULT pstore_on_error(PSTORE *s, const PCONF *c, const RATE_QUERY *q,
			            RATE_RESULT res)
{
    if (res.status == RATE_STORE_ERROR && c->on_store_error == STORE_ERR_MEMORY)
	return rate_mem_decide(&s->mem, q, pclock_ms());
    return res;
}

int     pstore_ask(PSTORE *s, const PCONF *c, const RATE_QUERY *q,
		           PREDIS_DONE done, void *ctx, PREDIS_REQ **req,
		           RATE_RESULT *res)
{
    *req = NULL;
    if (c->rate_store != STORE_REDIS || s->redis == NULL) {
	*res = rate_mem_decide(&s->mem, q, pclock_ms());
	return 1;
    }
    *req = predis_ask(s->redis, q, test_clock ? pclock_ms() : 0, done, ctx, res);
    if (*req)
	return 0;
    *res = pstore_on_error(s, c, q, *res);
    return 1;
}

void    pstore_cancel(PREDIS_REQ *req)
{
    if (req)
	predis_cancel(req);
}

int     pstore_timeout(PSTORE *s)
{
    return s->redis ? predis_timeout(s->redis) : -1;
}

void    pstore_tick(PSTORE *s)
{
    if (s->redis)
	predis_tick(s->redis);
}
