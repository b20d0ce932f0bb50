/*
 * main.c - policyd: the Postfix SMTP access policy delegation server.
 *
 * Life cycle (fixed order): load config; open the listening socket as
 * root; detach unless -f; write the pidfile (daemon mode, or -f with
 * pidfile set in the config); drop privileges; serve.  -t checks the
 * config and what a start or reload will meet (runcheck.h).
 * SIGHUP reloads the rules (a broken file keeps the old ones); SIGTERM
 * and SIGINT stop cleanly.  At exit the UNIX socket policyd bound is
 * removed - the one it bound, not the one a reload may have named, and
 * only while it is still that socket.
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "msg.h"
#include "mymalloc.h"
#include "pconf.h"
#include "prules.h"
#include "pserver.h"
#include "pstats.h"
#include "runcheck.h"
#include "pstore.h"

#define DEF_CONFIG SYSCONFDIR "/relayscreen/policyd.conf"

static void usage(FILE *fp, int status)
{
    fprintf(fp, "usage: policyd [-f] [-t] [-v] [-c config]\n"
	    "       policyd --stats [-c FILE] [--raw]\n"
	    "       policyd -h | -V\n"
	    "  -c FILE  configuration (default " DEF_CONFIG ")\n"
	    "  -t       check the configuration, the run user and the files it\n"
	    "           must read, print one OK line (exit 0) or FILE:LINE: errors\n"
	    "  -f       stay in the foreground, log to stderr (to syslog when\n"
	    "           stderr is the systemd journal); no pidfile unless\n"
	    "           the config sets one\n"
	    "  -v       verbose (debug) logging\n"
	    "  -h, --help     this text\n"
	    "  -V, --version  print the version\n"
	    "See policyd(8) and policyd.conf(5).\n");
    exit(status);
}

/* -t: the config loaded; now what a start or reload will meet. */
static int check_run(const char *path, const PCONF *conf)
{
    RUNCHECK rc = {conf->user, conf->group, "policyd.user", "policyd.group",
    0, 0, ""};
    CFG_ERRS e;
    char    what[96];
    int     bad;

    cfg_errs_init(&e, path);
    bad = runcheck(path, &rc, &e);
    cfg_errs_print(&e);
    cfg_errs_free(&e);
    if (bad)
	return 1;
    snprintf(what, sizeof(what), "%zu listener%s, %zu hosted domain%s",
	     conf->nlisteners, conf->nlisteners == 1 ? "" : "s",
	     conf->hosted.count, conf->hosted.count == 1 ? "" : "s");
    runcheck_summary(path, what, &rc);
    return 0;
}

int     main(int argc, char **argv)
{
    static const struct option long_opts[] = {
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
    };
    const char *path = DEF_CONFIG;
    int     check = 0, foreground = 0, to_stderr, ch, lfd;
    CFG_ERRS e;
    PCONF  *conf;
    char    err[256];
    uid_t   uid = (uid_t) -1;
    gid_t   gid = (gid_t) -1;
    char   *pidfile = NULL;
    char   *bound = NULL;
    struct stat bound_st;

    if (argc > 1 && strcmp(argv[1], "--stats") == 0)
	return pstats_cli_main(argc, argv, DEF_CONFIG);
    while ((ch = getopt_long(argc, argv, "c:ftvhV", long_opts, NULL)) != -1) {
	switch (ch) {
	case 'h':
	    usage(stdout, 0);
	    break;
	case 'V':
	    printf("policyd (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
	    return 0;
	case 'c':
	    path = optarg;
	    break;
	case 'f':
	    foreground = 1;
	    break;
	case 't':
	    check = 1;
	    break;
	case 'v':
	    msg_verbose++;
	    break;
	default:
	    usage(stderr, 2);
	}
    }
    if (optind != argc)
	usage(stderr, 2);
    to_stderr = foreground && !msg_stderr_is_journal();
    msg_init("policyd", to_stderr || check, LOG_MAIL);

    cfg_errs_init(&e, path);
    conf = pconf_load(path, &e);
    if (check) {
	int     rc = 1;

	cfg_errs_print(&e);
	if (conf)
	    rc = check_run(path, conf);
	pconf_free(conf);
	cfg_errs_free(&e);
	return rc;
    }
    if (conf == NULL) {
	if (to_stderr)
	    cfg_errs_print(&e);
	else
	    cfg_errs_log(&e);
	msg_fatal("%s: %d configuration error%s", path, e.count,
		  e.count == 1 ? "" : "s");
    }
    cfg_errs_free(&e);
    if (!to_stderr)
	msg_init("policyd", 0, conf->facility);

    /* The UNIX socket belongs to the run user so a group such as postfix
     * can be given access with socket_mode. */
    if (conf->user && geteuid() == 0) {
	struct passwd *pw = getpwnam(conf->user);

	if (pw == NULL)
	    msg_fatal("unknown user \"%s\"", conf->user);
	uid = pw->pw_uid;
	gid = pw->pw_gid;
    }
    if (conf->group && geteuid() == 0) {
	struct group *gr = getgrnam(conf->group);

	if (gr == NULL)
	    msg_fatal("unknown group \"%s\"", conf->group);
	gid = gr->gr_gid;
    }
    if ((lfd = server_listen(conf->listen, conf->socket_mode, uid, gid,
			     err, sizeof(err))) < 0)
	msg_fatal("listen: %s", err);
    if (strncmp(conf->listen, "unix:", 5) == 0
	&& lstat(conf->listen + 5, &bound_st) == 0)
	bound = mystrdup(conf->listen + 5);
    if (!foreground)
	daemon_detach();
    /* -f (systemd): a pidfile only when the config asks for one */
    if (!foreground || conf->pidfile_set) {
	if (conf->pidfile) {
	    if (pidfile_write(conf->pidfile) < 0)
		msg_fatal("pidfile %s: %s", conf->pidfile, strerror(errno));
	    pidfile = conf->pidfile;
	}
    }
    drop_privileges(conf->user, conf->group);
    daemon_signals();
    pclock_init();
    pstats_start(&conf->stats, time(NULL));   /* as the run user */
    msg_info("listening on %s (%zu listeners, %zu hosted domains)",
	     conf->listen, conf->nlisteners, conf->hosted.count);

    /* Reloads replace conf, so keep our own copy of the pidfile name. */
    if (pidfile)
	pidfile = mystrdup(pidfile);
    server_run(lfd, &conf, path);

    close(lfd);
    if (bound) {
	struct stat st;

	if (lstat(bound, &st) == 0 && S_ISSOCK(st.st_mode)
	    && st.st_dev == bound_st.st_dev && st.st_ino == bound_st.st_ino)
	    (void) unlink(bound);
	myfree(bound);
    }
    pidfile_remove(pidfile);
    myfree(pidfile);
    pstats_stop();
    pconf_free(conf);
    msg_info("stopped");
    return 0;
}
