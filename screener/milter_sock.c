/*
 * milter_sock.c - the listening socket, and acknowledging at once on TCP.
 *
 * The socket is opened as root (smfi_opensocket) before privileges are
 * dropped; a UNIX socket gets mode milter.socket_mode (0660), owner
 * milter.user and group milter.socket_group (postfix) so that only
 * Postfix and the screener itself can talk to it.
 *
 * TCP stall: Postfix writes the macro packet and the command packet back
 * to back.  The macro packet gets no reply, so the kernel delays its ACK
 * (up to 40 ms) and Postfix's Nagle holds the command until that ACK
 * arrives: every round trip stalls.  TCP_NODELAY here does not help (we
 * are not the one waiting); TCP_QUICKACK does, but Linux clears it again
 * after it has acknowledged, so it must be re-armed after every receive.
 * libmilter does not expose its connection descriptors, so the screener
 * supplies accept() and read() itself (the program's definitions take
 * precedence for libmilter too): accept() marks TCP connections, read()
 * re-arms TCP_QUICKACK on marked ones.  UNIX sockets are untouched.
 * Every session thread reads and writes the fd table, so each entry is
 * accessed atomically (relaxed: an entry belongs to one session at a
 * time; the kernel's accept/close order the reuse of a descriptor).
 */
#include <config.h>

#include <dlfcn.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "milter.h"
#include "msg.h"
#include "mymalloc.h"

#define QUICK_FD_MAX 65536

static char *listen_spec;          /* for sock_wake() */

static unsigned char quick[QUICK_FD_MAX];     /* fd is a TCP session */
static int quick_on;
static ssize_t (*real_read)(int, void *, size_t);

static void quick_arm(int fd)
{
    int     one = 1;

    if (setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one)) < 0)
	__atomic_store_n(&quick[fd], 0, __ATOMIC_RELAXED);  /* not TCP */
}

int     accept(int fd, struct sockaddr *sa, socklen_t *len)
{
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof(ss);
    int     c;

    if (sa == NULL) {
	sa = (struct sockaddr *) &ss;
	len = &sslen;
    }
    c = accept4(fd, sa, len, 0);
    if (c >= 0 && c < QUICK_FD_MAX) {
	unsigned char tcp = quick_on
	    && (sa->sa_family == AF_INET || sa->sa_family == AF_INET6);

	__atomic_store_n(&quick[c], tcp, __ATOMIC_RELAXED);
	if (tcp)
	    quick_arm(c);
    }
    return c;
}

ssize_t read(int fd, void *buf, size_t n)
{
    ssize_t r;

    r = real_read ? real_read(fd, buf, n) : syscall(SYS_read, fd, buf, n);
    if (fd >= 0 && fd < QUICK_FD_MAX && r > 0
	&& __atomic_load_n(&quick[fd], __ATOMIC_RELAXED))
	quick_arm(fd);
    return r;
}

void    sock_quickack_enable(void)
{
    real_read = (ssize_t (*)(int, void *, size_t)) dlsym(RTLD_NEXT, "read");
    quick_on = 1;
}

/* "unix:/p", "local:/p" or "/p": the path; NULL for inet sockets. */
static const char *unix_path(const char *spec)
{
    if (strncmp(spec, "unix:", 5) == 0)
	return spec + 5;
    if (strncmp(spec, "local:", 6) == 0)
	return spec + 6;
    if (spec[0] == '/')
	return spec;
    return NULL;
}

void    sock_open(const char *spec, int mode, const char *group,
		          const char *user)
{
    const char *path = unix_path(spec);
    struct group *gr;
    struct passwd *pw;
    uid_t   uid = (uid_t) -1;
    gid_t   gid = (gid_t) -1;
    mode_t  old;

    if (smfi_setconn((char *) spec) != MI_SUCCESS)
	msg_fatal("bad milter socket \"%s\"", spec);
    listen_spec = mystrdup(spec);
    if (mode <= 0)
	mode = 0660;
    /* Never a moment with a wider mode than configured. */
    old = umask((mode_t) (~mode & 0777));
    if (smfi_opensocket(1) != MI_SUCCESS)
	msg_fatal("cannot open milter socket %s", spec);
    umask(old);
    if (path == NULL)
	return;
    if (chmod(path, (mode_t) mode) < 0)
	msg_fatal("chmod %s: %s", path, strerror(errno));
    if (geteuid() != 0)
	return;
    /* Owner: the user we become (so we can still reach our own socket,
     * see sock_wake()); group: Postfix's. */
    if (user && *user && (pw = getpwnam(user)) != NULL)
	uid = pw->pw_uid;
    if (group && *group) {
	if ((gr = getgrnam(group)) == NULL)
	    msg_warn("socket group \"%s\" does not exist; %s keeps its group",
		     group, path);
	else
	    gid = gr->gr_gid;
    }
    if ((uid != (uid_t) -1 || gid != (gid_t) -1) && chown(path, uid, gid) < 0)
	msg_fatal("chown %s: %s", path, strerror(errno));
}

/*
 * smfi_stop() waits for libmilter's listener, which holds its lock while
 * it polls the listening socket for up to 5 seconds.  A connection to
 * our own socket ends that poll at once; the session libmilter starts
 * for it ends when we close.  Best effort: after the privilege drop a
 * UNIX socket may not be ours to connect to, and then stopping simply
 * takes those few seconds.
 */
void    sock_wake(void)
{
    const char *path = listen_spec ? unix_path(listen_spec) : NULL;
    struct sockaddr_storage ss;
    socklen_t len = 0;
    int     fd;

    memset(&ss, 0, sizeof(ss));
    if (path) {
	struct sockaddr_un *sun = (struct sockaddr_un *) &ss;

	if (strlen(path) >= sizeof(sun->sun_path))
	    return;
	sun->sun_family = AF_UNIX;
	strcpy(sun->sun_path, path);
	len = sizeof(*sun);
    } else if (listen_spec && strncmp(listen_spec, "inet:", 5) == 0) {
	struct sockaddr_in *sin = (struct sockaddr_in *) &ss;
	const char *at = strchr(listen_spec, '@');

	sin->sin_family = AF_INET;
	sin->sin_port = htons((unsigned short) atoi(listen_spec + 5));
	if (at == NULL || inet_pton(AF_INET, at + 1, &sin->sin_addr) != 1)
	    sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	len = sizeof(*sin);
    } else {
	return;
    }
    if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
	return;
    (void) connect(fd, (struct sockaddr *) &ss, len);
    close(fd);
}
