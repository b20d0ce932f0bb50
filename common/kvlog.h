/*
 * kvlog.h - build one "key=value key=value" log line with bounded size.
 *
 * Values are escaped with printable() and quoted when they contain a
 * space or are empty, so a log reader can split the line reliably
 * whatever an attacker put in a header or an address.
 */
#ifndef RS_KVLOG_H
#define RS_KVLOG_H

#include <stddef.h>

#define KV_LINE_MAX   2048        /* whole line */
#define KV_VALUE_CAP  256         /* untrusted input bytes per value */

typedef struct KVLOG {
    char    buf[KV_LINE_MAX];
    size_t  len;
} KVLOG;

void    kv_init(KVLOG *kv);
/* Append key=value; value may be NULL (logged as "-"). */
void    kv_add(KVLOG *kv, const char *key, const char *value);
/* As kv_add, for a value that is not NUL-terminated. */
void    kv_addn(KVLOG *kv, const char *key, const char *value, size_t len);
void    kv_addf(KVLOG *kv, const char *key, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* As kv_add, for a value the program built itself from letters, digits
 * and ".:_-" only (a MIME part path): never capped, so two long values
 * cannot log alike.  Anything else goes through kv_add. */
void    kv_add_whole(KVLOG *kv, const char *key, const char *value);
const char *kv_str(const KVLOG *kv);

#endif
