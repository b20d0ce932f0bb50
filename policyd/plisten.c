/*
 * plisten.c - open policyd's listening socket: a loopback TCP address or
 * a UNIX socket (a stale socket is replaced, anything else refused).
 */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "pserver.h"

int     server_listen(const char *spec, int mode, uid_t uid, gid_t gid,
		              char *err, size_t errlen)
{
    int     fd = -1, one = 1;

    if (strncmp(spec, "unix:", 5) == 0) {
	struct sockaddr_un sun;
	struct stat st;
	const char *path = spec + 5;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
	    snprintf(err, errlen, "%s: path too long", spec);
	    return -1;
	}
	strcpy(sun.sun_path, path);
	/* Remove a stale socket, never anything else. */
	if (lstat(path, &st) == 0) {
	    if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s: exists and is not a socket", path);
		return -1;
	    }
	    (void) unlink(path);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0
	    || bind(fd, (struct sockaddr *) &sun, sizeof(sun)) < 0
	    || chmod(path, (mode_t) mode) < 0
	    || ((uid != (uid_t) -1 || gid != (gid_t) -1) && chown(path, uid, gid) < 0))
	    goto fail;
    } else if (strncmp(spec, "inet:", 5) == 0) {
	struct sockaddr_storage ss;
	socklen_t sl;
	char    host[64];
	const char *p = spec + 5, *colon = strrchr(p, ':');
	size_t  hl;

	memset(&ss, 0, sizeof(ss));
	if (colon == NULL || (hl = (size_t) (colon - p)) >= sizeof(host)) {
	    snprintf(err, errlen, "%s: want inet:HOST:PORT", spec);
	    return -1;
	}
	memcpy(host, p, hl);
	host[hl] = 0;
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
	    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *) &ss;

	    host[hl - 1] = 0;
	    s6->sin6_family = AF_INET6;
	    s6->sin6_port = htons((unsigned short) atoi(colon + 1));
	    if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1) {
		snprintf(err, errlen, "%s: bad IPv6 address", spec);
		return -1;
	    }
	    sl = sizeof(*s6);
	} else {
	    struct sockaddr_in *s4 = (struct sockaddr_in *) &ss;

	    s4->sin_family = AF_INET;
	    s4->sin_port = htons((unsigned short) atoi(colon + 1));
	    if (inet_pton(AF_INET, host, &s4->sin_addr) != 1) {
		snprintf(err, errlen, "%s: bad IPv4 address", spec);
		return -1;
	    }
	    sl = sizeof(*s4);
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0
	    || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0
	    || bind(fd, (struct sockaddr *) &ss, sl) < 0)
	    goto fail;
    } else {
	snprintf(err, errlen, "%s: want inet:HOST:PORT or unix:PATH", spec);
	return -1;
    }
    if (listen(fd, 1024) < 0)
	goto fail;
    return fd;

fail:
    snprintf(err, errlen, "%s: %s", spec, strerror(errno));
    if (fd >= 0)
	close(fd);
    return -1;
}
