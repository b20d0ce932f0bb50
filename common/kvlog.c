/*
 * kvlog.c - key=value log line builder.
 *
 * A value is written bare when it is non-empty and has no space, quote,
 * backslash or equals sign after escaping; otherwise it is quoted.  The
 * line never exceeds KV_LINE_MAX; a field that does not fit is dropped
 * and the line ends with " truncated=yes".
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kvlog.h"
#include "printable.h"

#define TRUNC_MARK " truncated=yes"

void    kv_init(KVLOG *kv)
{
    kv->len = 0;
    kv->buf[0] = 0;
}

static void kv_put(KVLOG *kv, const char *key, const char *esc, int quote)
{
    size_t  room = sizeof(kv->buf) - sizeof(TRUNC_MARK) - kv->len;
    int     n;

    if (kv->len >= sizeof(kv->buf) - sizeof(TRUNC_MARK))
	return;
    n = snprintf(kv->buf + kv->len, room, "%s%s=%s%s%s", kv->len ? " " : "",
		 key, quote ? "\"" : "", esc, quote ? "\"" : "");
    if (n < 0 || (size_t) n >= room) {
	/* mark the cut once and refuse further fields (len is a sentinel) */
	memcpy(kv->buf + kv->len, TRUNC_MARK, sizeof(TRUNC_MARK));
	kv->len = sizeof(kv->buf);
	return;
    }
    kv->len += (size_t) n;
}

void    kv_addn(KVLOG *kv, const char *key, const char *value, size_t len)
{
    char    esc[KV_VALUE_CAP * 4 + 8];
    const char *p;
    int     quote;

    if (value == NULL) {
	kv_put(kv, key, "-", 0);
	return;
    }
    printable(esc, sizeof(esc), value, len, KV_VALUE_CAP);
    quote = esc[0] == 0;
    for (p = esc; *p && !quote; p++)
	if (*p == ' ' || *p == '"' || *p == '\\' || *p == '=')
	    quote = 1;
    kv_put(kv, key, esc, quote);
}

void    kv_add(KVLOG *kv, const char *key, const char *value)
{
    kv_addn(kv, key, value, value ? strlen(value) : 0);
}

void    kv_addf(KVLOG *kv, const char *key, const char *fmt, ...)
{
    char    tmp[KV_VALUE_CAP + 1];
    va_list ap;
    int     n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0)
	tmp[0] = 0;
    kv_add(kv, key, tmp);
}

void    kv_add_whole(KVLOG *kv, const char *key, const char *value)
{
    if (value == NULL || *value == 0
	|| strspn(value, "0123456789.:_-abcdefghijklmnopqrstuvwxyz"
		  "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(value)) {
	kv_add(kv, key, value);
	return;
    }
    kv_put(kv, key, value, 0);
}

const char *kv_str(const KVLOG *kv)
{
    return kv->buf;
}
