/*
 * spool.h - unnamed temporary files for containers that must be read
 * with random access (zip's central directory, 7z, OLE, ISO): created
 * with O_TMPFILE (or unlinked at once), so they vanish with the
 * descriptor whatever happens to the process.
 */
#ifndef RS_SPOOL_H
#define RS_SPOOL_H

#include <stddef.h>

/* A new unnamed file in dir (NULL: /var/tmp), or -1 with errno. */
int     spool_open(const char *dir);
/* Write all of buf; 0 or -1 with errno. */
int     spool_write(int fd, const void *buf, size_t len);
/* Read up to len bytes at off; bytes read, or -1. */
long    spool_pread(int fd, void *buf, size_t len, unsigned long long off);

#endif
