/*
 * tap.h - a minimal TAP producer for the C unit tests.
 *
 * ok(cond, fmt, ...) prints "ok N - text" or "not ok N - text";
 * tap_done() prints the plan and returns the exit status.
 */
#ifndef RS_TAP_H
#define RS_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

__attribute__((format(printf, 2, 3)))
static int ok(int cond, const char *fmt, ...)
{
    va_list ap;

    printf("%s %d - ", cond ? "ok" : "not ok", ++tap_n);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    if (!cond)
	tap_failed++;
    return cond;
}

/* String equality with a diagnostic on failure. */
#define is_str(got, want, ...) do { \
	const char *g_ = (got), *w_ = (want); \
	if (!ok(g_ && w_ ? strcmp(g_, w_) == 0 : g_ == w_, __VA_ARGS__)) \
	    printf("#   got:  '%s'\n#   want: '%s'\n", g_ ? g_ : "(null)", \
		   w_ ? w_ : "(null)"); \
    } while (0)

#define is_int(got, want, ...) do { \
	long long g_ = (got), w_ = (want); \
	if (!ok(g_ == w_, __VA_ARGS__)) \
	    printf("#   got:  %lld\n#   want: %lld\n", g_, w_); \
    } while (0)

static int tap_done(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}

#endif
