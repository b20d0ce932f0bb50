/*
 * lzmaguard.c - a bound on the memory of the LZMA decoders that libarchive
 * runs for 7z, xz, lzma and LZMA/XZ zip members.
 *
 * Such a stream declares its dictionary (up to 1.5 GB in 7z, 4 GB in an
 * lzma header); liblzma allocates it and fills it as data comes out, so
 * a 1 MB hostile 7z made one session grow to 215 MB.  libarchive sets no
 * memory limit of its own and calls liblzma's lzma_raw_decoder(),
 * lzma_stream_decoder() and lzma_alone_decoder() directly, so this file
 * defines those functions for the process: the dynamic linker finds the
 * executable's definition first, and libarchive's calls come here.  Each
 * applies the calling thread's limit (set around a container walk) and
 * then calls liblzma's own, found with dlsym(RTLD_NEXT).  lzma_code() is
 * wrapped too, to notice a stream decoder stopping at the limit.  Outside
 * a walk (limit 0) everything passes through unchanged.
 */
#include <config.h>

#include <dlfcn.h>
#include <lzma.h>
#include <pthread.h>

#include "lzmaguard.h"
#include "msg.h"

#define GUARD_SLACK (1ULL << 20)  /* decoder state beside the dictionary */

static __thread uint64_t guard_limit;     /* 0: none */
static __thread unsigned guard_depth;
static __thread int guard_refused;

static struct {
    lzma_ret (*raw) (lzma_stream *, const lzma_filter *);
    lzma_ret (*stream) (lzma_stream *, uint64_t, uint32_t);
    lzma_ret (*alone) (lzma_stream *, uint64_t);
    lzma_ret (*code) (lzma_stream *, lzma_action);
} real;
static pthread_once_t real_once = PTHREAD_ONCE_INIT;

static void *next_symbol(const char *name)
{
    void   *p = dlsym(RTLD_NEXT, name);

    if (p == NULL)
	msg_panic("lzma_guard: no %s after ours", name);
    return p;
}

static void real_init(void)
{
    *(void **) &real.raw = next_symbol("lzma_raw_decoder");
    *(void **) &real.stream = next_symbol("lzma_stream_decoder");
    *(void **) &real.alone = next_symbol("lzma_alone_decoder");
    *(void **) &real.code = next_symbol("lzma_code");
}

void    lzma_guard_enter(uint64_t max_dictionary)
{
    if (guard_depth++ == 0) {
	guard_limit = max_dictionary;
	guard_refused = 0;
    }
}

void    lzma_guard_leave(void)
{
    if (guard_depth == 0)
	msg_panic("lzma_guard_leave: not entered");
    if (--guard_depth == 0)
	guard_limit = 0;
}

int     lzma_guard_refused(void)
{
    int     r = guard_refused;

    guard_refused = 0;
    return r;
}

/* The memory limit for a decoder that reads its dictionary size itself. */
static uint64_t guard_memlimit(uint64_t asked)
{
    uint64_t ours = guard_limit + GUARD_SLACK;

    return guard_limit && ours < asked ? ours : asked;
}

lzma_ret lzma_raw_decoder(lzma_stream *strm, const lzma_filter *filters)
{
    const lzma_filter *f;

    pthread_once(&real_once, real_init);
    for (f = filters; guard_limit && f->id != LZMA_VLI_UNKNOWN; f++)
	if ((f->id == LZMA_FILTER_LZMA1 || f->id == LZMA_FILTER_LZMA2)
	    && f->options
	    && ((const lzma_options_lzma *) f->options)->dict_size > guard_limit) {
	    guard_refused = 1;
	    return LZMA_MEMLIMIT_ERROR;
	}
    return real.raw(strm, filters);
}

lzma_ret lzma_stream_decoder(lzma_stream *strm, uint64_t memlimit,
			             uint32_t flags)
{
    pthread_once(&real_once, real_init);
    return real.stream(strm, guard_memlimit(memlimit), flags);
}

lzma_ret lzma_alone_decoder(lzma_stream *strm, uint64_t memlimit)
{
    pthread_once(&real_once, real_init);
    return real.alone(strm, guard_memlimit(memlimit));
}

lzma_ret lzma_code(lzma_stream *strm, lzma_action action)
{
    lzma_ret r;

    pthread_once(&real_once, real_init);
    r = real.code(strm, action);
    if (r == LZMA_MEMLIMIT_ERROR && guard_limit)
	guard_refused = 1;
    return r;
}
