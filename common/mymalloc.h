/*
 * mymalloc.h - memory allocation that never returns NULL.
 *
 * On exhaustion these log a fatal message and exit(EX_TEMPFAIL-ish 75):
 * a daemon that cannot allocate cannot screen, and Postfix's
 * milter_default_action / policy default action then fail closed.
 */
#ifndef RS_MYMALLOC_H
#define RS_MYMALLOC_H

#include <stddef.h>

void   *mymalloc(size_t len);
void   *mycalloc(size_t n, size_t size);
void   *myrealloc(void *ptr, size_t len);
char   *mystrdup(const char *str);
char   *mystrndup(const char *str, size_t len);
void   *mymemdup(const void *ptr, size_t len);
void    myfree(void *ptr);

/* At program start: keep glibc's mmap threshold where it starts (see
 * mymalloc.c). */
void    mymalloc_tune(void);

/* Grow *vec (of *cap elements of size elsize) so index `need - 1' fits. */
void   *mygrow(void *vec, size_t *cap, size_t need, size_t elsize);

#endif
