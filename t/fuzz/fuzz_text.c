/*
 * fuzz_text.c - libFuzzer target: the text path of issue 10 (HTML,
 * enriched and richtext rendering, folding, confusable skeletons, the
 * card and IBAN detectors).  The first input byte picks the renderer and
 * a chunk size; the rest is the text.  Besides crashes, it checks that
 * the text rules see does not depend on the chunking: the visible and
 * folded streams fed in chunks equal those fed whole (abort otherwise).
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "confusables.h"
#include "detectors.h"
#include "mymalloc.h"
#include "textmatch.h"
#include "textpipe.h"

int     LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct OUT {
    char   *vis, *fold;
    size_t  vis_len, fold_len, vis_cap, fold_cap;
    AC_STREAM ac, cac;
    DET_STREAM det;
    size_t  at;
    CONF_RING ring;
    const char *cur;
} OUT;

static AC_AUTOMATON *ac, *cac;

static void hit(void *ctx, uint32_t id)
{
    (void) ctx;
    (void) id;
}

static void det_hit(void *ctx, unsigned kind, uint64_t h, const char *m)
{
    (void) ctx;
    (void) kind;
    (void) h;
    if (strncmp(m, "card ****", 9) != 0 && strncmp(m, "iban ", 5) != 0)
	abort();
}

static void add(char **buf, size_t *len, size_t *cap, const char *p,
		        size_t n)
{
    *buf = mygrow(*buf, cap, *len + n + 1, 1);
    memcpy(*buf + *len, p, n);
    *len += n;
}

static void on_vis(void *ctx, const char *p, size_t n)
{
    OUT    *o = ctx;

    add(&o->vis, &o->vis_len, &o->vis_cap, p, n);
}

static void on_fold(void *ctx, const char *p, size_t n)
{
    OUT    *o = ctx;

    add(&o->fold, &o->fold_len, &o->fold_cap, p, n);
    ac_feed(ac, &o->ac, p, n, hit, NULL);
    conf_feed(cac, &o->cac, p, n, hit, o, &o->at);
    conf_ring_add(&o->ring, p, n);
    det_feed(&o->det, p, n, det_hit, NULL);
}

static void run(TEXT_KIND kind, const char *text, size_t len, size_t chunk,
		        OUT *o)
{
    static TEXT_PIPE tp;
    FOLD_SINK sink = {on_vis, on_fold, NULL};
    size_t  off, n;

    memset(o, 0, sizeof(*o));
    det_begin(&o->det, DET_CARD | DET_IBAN);
    sink.ctx = o;
    tp_begin(&tp, kind, &sink);
    for (off = 0; off < len; off += n) {
	n = len - off < chunk ? len - off : chunk;
	tp_feed(&tp, text + off, n);
    }
    tp_end(&tp);
    det_end(&o->det, det_hit, NULL);
}

static void init(void)
{
    const char *words[] = {"merger plan", "ｆｕｌｌ", "straße", "σοφία",
    "secret deal"};
    char   *w[5], *c[5];
    size_t  owner[5] = {0, 0, 0, 0, 0}, i;

    if (fold_init(NULL) < 0 || conf_init(NULL) < 0)
	abort();
    for (i = 0; i < 5; i++) {
	w[i] = fold_string(words[i]);
	c[i] = conf_string(w[i]);
    }
    ac = ac_build(w, owner, 5);
    cac = ac_build(c, owner, 5);
    conf_prepare(cac);
    for (i = 0; i < 5; i++) {
	myfree(w[i]);
	myfree(c[i]);
    }
}

int     LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    OUT     whole, parts;
    TEXT_KIND kind;
    size_t  chunk;

    if (!ready) {
	init();
	ready = 1;
    }
    if (size < 1)
	return 0;
    kind = (TEXT_KIND) (data[0] & 3);
    chunk = (size_t) (data[0] >> 2) + 1;
    run(kind, (const char *) data + 1, size - 1, size, &whole);
    run(kind, (const char *) data + 1, size - 1, chunk, &parts);
    if (whole.vis_len != parts.vis_len || whole.fold_len != parts.fold_len
	|| (whole.vis_len && memcmp(whole.vis, parts.vis, whole.vis_len))
	|| (whole.fold_len && memcmp(whole.fold, parts.fold, whole.fold_len))
	|| whole.ac.state != parts.ac.state
	|| whole.cac.state != parts.cac.state)
	abort();
    myfree(whole.vis);
    myfree(whole.fold);
    myfree(parts.vis);
    myfree(parts.fold);
    return 0;
}
