/*
 * sconf.c - load screener.conf (placeholder: top-level keys only, until
 * the engine work replaces it).
 */
#include <config.h>

#include <stdlib.h>

#include "mymalloc.h"
#include "sconf.h"

SCONF  *sconf_load(const char *path, CFG_ERRS *e)
{
    static const char *const top[] = {"direction", "rules", "limits",
	"milter", "smtp", "log", NULL};
    config_t cf;
    SCONF  *c;

    config_init(&cf);
    if (cfg_load(&cf, path, e) < 0) {
	config_destroy(&cf);
	return NULL;
    }
    cfg_check_keys(config_root_setting(&cf), top, e);
    config_destroy(&cf);
    if (e->count)
	return NULL;
    c = mycalloc(1, sizeof(*c));
    c->path = mystrdup(path);
    c->refcount = 1;
    return c;
}

SCONF  *sconf_ref(SCONF *c)
{
    __atomic_add_fetch(&c->refcount, 1, __ATOMIC_SEQ_CST);
    return c;
}

void    sconf_unref(SCONF *c)
{
    if (c && __atomic_sub_fetch(&c->refcount, 1, __ATOMIC_SEQ_CST) == 0) {
	myfree(c->path);
	myfree(c);
    }
}
