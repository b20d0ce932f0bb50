/*
 * spool.c - unnamed temporary files (see spool.h).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "spool.h"

#define DEF_DIR "/var/tmp"

int     spool_open(const char *dir)
{
    char    path[4096];
    int     fd;

    if (dir == NULL || *dir == 0)
	dir = DEF_DIR;
    fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0)
	return fd;
    /* Filesystems without O_TMPFILE: a named file, unlinked at once. */
    if (snprintf(path, sizeof(path), "%s/screener-f.XXXXXX", dir)
	>= (int) sizeof(path)) {
	errno = ENAMETOOLONG;
	return -1;
    }
    if ((fd = mkostemp(path, O_CLOEXEC)) < 0)
	return -1;
    (void) unlink(path);
    return fd;
}

int     spool_write(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    ssize_t n;

    while (len > 0) {
	if ((n = write(fd, p, len)) < 0) {
	    if (errno == EINTR)
		continue;
	    return -1;
	}
	p += n;
	len -= (size_t) n;
    }
    return 0;
}

long    spool_pread(int fd, void *buf, size_t len, unsigned long long off)
{
    ssize_t n;

    do
	n = pread(fd, buf, len, (off_t) off);
    while (n < 0 && errno == EINTR);
    return (long) n;
}
