/*
 * daemon.c - detach, pidfile, privilege drop, signal flags.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "msg.h"

volatile sig_atomic_t daemon_stop;
volatile sig_atomic_t daemon_reload;

void    daemon_detach(void)
{
    pid_t   pid;
    int     fd;

    if ((pid = fork()) < 0)
	msg_fatal("fork: %s", strerror(errno));
    if (pid > 0)
	_exit(0);
    if (setsid() < 0)
	msg_fatal("setsid: %s", strerror(errno));
    /* a second fork: never reacquire a controlling terminal */
    if ((pid = fork()) < 0)
	msg_fatal("fork: %s", strerror(errno));
    if (pid > 0)
	_exit(0);
    if (chdir("/") < 0)
	msg_fatal("chdir /: %s", strerror(errno));
    umask(027);
    if ((fd = open("/dev/null", O_RDWR)) < 0)
	msg_fatal("open /dev/null: %s", strerror(errno));
    dup2(fd, STDIN_FILENO);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    if (fd > STDERR_FILENO)
	close(fd);
}

int     pidfile_write(const char *path)
{
    char    buf[32];
    int     fd, n;

    if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
	return -1;
    n = snprintf(buf, sizeof(buf), "%ld\n", (long) getpid());
    if (write(fd, buf, (size_t) n) != n) {
	int     saved = errno;

	close(fd);
	errno = saved;
	return -1;
    }
    return close(fd);
}

void    pidfile_remove(const char *path)
{
    if (path && *path)
	(void) unlink(path);
}

void    drop_privileges(const char *user, const char *group)
{
    struct passwd *pw;
    struct group *gr;
    gid_t   gid;

    if (user == NULL || *user == 0)
	return;
    if ((pw = getpwnam(user)) == NULL)
	msg_fatal("unknown user \"%s\"", user);
    gid = pw->pw_gid;
    if (group && *group) {
	if ((gr = getgrnam(group)) == NULL)
	    msg_fatal("unknown group \"%s\"", group);
	gid = gr->gr_gid;
    }
    if (getuid() != 0 && geteuid() != 0) {
	if (getuid() == pw->pw_uid)
	    return;
	msg_fatal("must start as root to become user \"%s\"", user);
    }
    /* fixed order: groups, gid, uid; then prove root is gone */
    if (initgroups(user, gid) < 0)
	msg_fatal("initgroups %s: %s", user, strerror(errno));
    if (setresgid(gid, gid, gid) < 0)
	msg_fatal("setresgid %ld: %s", (long) gid, strerror(errno));
    if (setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
	msg_fatal("setresuid %ld: %s", (long) pw->pw_uid, strerror(errno));
    if (pw->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
	msg_fatal("could regain root after dropping privileges");
}

static void on_stop(int sig)
{
    (void) sig;
    daemon_stop = 1;
}

static void on_hup(int sig)
{
    (void) sig;
    daemon_reload = 1;
}

void    daemon_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}
