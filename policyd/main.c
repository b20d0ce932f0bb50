/*
 * main.c - policyd: the Postfix SMTP access policy delegation server.
 *
 * Life cycle (fixed order): load config; open the listening socket as
 * root; detach unless -f; write the pidfile; drop privileges; serve.
 * SIGHUP reloads the rules (a broken file keeps the old ones); SIGTERM
 * and SIGINT stop cleanly.
 */
#include <config.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "daemon.h"
#include "msg.h"
#include "mymalloc.h"
#include "pconf.h"
#include "prules.h"
#include "pserver.h"

#define DEF_CONFIG SYSCONFDIR "/relayscreen/policyd.conf"

static void usage(void)
{
    fprintf(stderr, "usage: policyd [-f] [-t] [-v] [-c config]\n"
	    "  -c FILE  configuration (default " DEF_CONFIG ")\n"
	    "  -t       check the configuration and exit (0 ok, 1 errors)\n"
	    "  -f       stay in the foreground, log to stderr\n"
	    "  -v       verbose (debug) logging\n");
    exit(2);
}

int     main(int argc, char **argv)
{
    const char *path = DEF_CONFIG;
    int     check = 0, foreground = 0, ch, lfd;
    CFG_ERRS e;
    PCONF  *conf;
    PRATES  rates;
    char    err[256];
    uid_t   uid = (uid_t) -1;
    gid_t   gid = (gid_t) -1;
    char   *pidfile = NULL;

    while ((ch = getopt(argc, argv, "c:ftv")) != -1) {
	switch (ch) {
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
	    usage();
	}
    }
    if (optind != argc)
	usage();
    msg_init("policyd", foreground || check, LOG_MAIL);

    cfg_errs_init(&e, path);
    conf = pconf_load(path, &e);
    if (check) {
	cfg_errs_print(&e);
	if (conf)
	    printf("%s: OK (%zu listeners, %zu hosted domains)\n", path,
		   conf->nlisteners, conf->hosted.count);
	pconf_free(conf);
	cfg_errs_free(&e);
	return conf ? 0 : 1;
    }
    if (conf == NULL) {
	if (foreground)
	    cfg_errs_print(&e);
	else
	    cfg_errs_log(&e);
	msg_fatal("%s: %d configuration error%s", path, e.count,
		  e.count == 1 ? "" : "s");
    }
    cfg_errs_free(&e);
    if (!foreground)
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
    if (!foreground) {
	daemon_detach();
	if (conf->pidfile) {
	    if (pidfile_write(conf->pidfile) < 0)
		msg_fatal("pidfile %s: %s", conf->pidfile, strerror(errno));
	    pidfile = conf->pidfile;
	}
    }
    drop_privileges(conf->user, conf->group);
    daemon_signals();
    prates_init(&rates, conf->rate_table_size);
    msg_info("listening on %s (%zu listeners, %zu hosted domains)",
	     conf->listen, conf->nlisteners, conf->hosted.count);

    /* Reloads replace conf, so keep our own copy of the pidfile name. */
    if (pidfile)
	pidfile = mystrdup(pidfile);
    server_run(lfd, &conf, &rates, path);

    close(lfd);
    if (strncmp(conf->listen, "unix:", 5) == 0)
	(void) unlink(conf->listen + 5);
    pidfile_remove(pidfile);
    myfree(pidfile);
    prates_free(&rates);
    pconf_free(conf);
    msg_info("stopped");
    return 0;
}
