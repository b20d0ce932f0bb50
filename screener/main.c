/*
 * main.c - screener: command line, config check, and the daemon life cycle.
 *
 * Modes: -t (check the config and what a start or reload will meet,
 * runcheck.h), --scan (offline scanning, see scan_cli.c), --stats (the
 * running milter's figures, stats_cli.c), -h, -V,
 * otherwise run the milter:
 *
 *   load config -> open the socket as root -> detach (unless -f) ->
 *   pidfile (daemon mode, or -f with milter.pidfile set) -> drop privileges -> signal thread -> smfi_main() ->
 *   wait for messages in flight -> exit
 */
#include <config.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "cfgutil.h"
#include "daemon.h"
#include "milter.h"
#include "msg.h"
#include "mymalloc.h"
#include "runcheck.h"
#include "scan_cli.h"
#include "sconf.h"
#include "stats.h"

#define DEF_CONF SYSCONFDIR "/relayscreen/screener.conf"
#define DRAIN_SECONDS 60          /* SIGTERM: wait for messages in flight */

static void usage(FILE *fp, int status)
{
    fprintf(fp, "usage: screener [-c FILE] [-t] [-f] [-v] [-p SOCKET]\n"
	    "       screener --scan -c FILE [--direction inbound|outbound]"
	    " [--client IP] [--login NAME] [--sender ADDR] [--rcpt ADDR]..."
	    " [--explain] MESSAGE...|-\n"
	    "       screener --stats [-c FILE] [--raw]\n"
	    "       screener -h | -V\n"
	    "  -c FILE    configuration (default " DEF_CONF ")\n"
	    "  -t         check the configuration, the run user and the files it\n"
	    "             must read, print one OK line (exit 0) or FILE:LINE: errors\n"
	    "  -f         stay in the foreground, log to stderr (to syslog when\n"
	    "             stderr is the systemd journal); no pidfile unless\n"
	    "             milter.pidfile is set\n"
	    "  -v         more verbose logging\n"
	    "  -p SOCKET  milter socket (unix:/path or inet:port@host)\n"
	    "  -h, --help     this text\n"
	    "  -V, --version  print the version\n"
	    "See screener(8) and screener.conf(5).\n");
    exit(status);
}

/* After smfi_main() returns: let messages in flight finish (their
 * threads keep running), bounded so a stuck client cannot block exit. */
static void drain(void)
{
    struct timespec ts = {0, 50 * 1000 * 1000};
    int     i;

    for (i = 0; i < DRAIN_SECONDS * 20 && msg_active() > 0; i++)
	nanosleep(&ts, NULL);
    if (msg_active() > 0)
	msg_warn("%d message%s still in flight after %d s; exiting",
		 msg_active(), msg_active() == 1 ? "" : "s", DRAIN_SECONDS);
}

/* -t: the config loaded; now what a start or reload will meet. */
static int check_run(const char *conf_path, const SCONF *conf)
{
    RUNCHECK rc = {conf->milter.user, conf->milter.group, "milter.user",
    "milter.group", 0, 0, ""};
    CFG_ERRS errs;
    char    what[64];
    int     bad;

    cfg_errs_init(&errs, conf_path);
    bad = runcheck(conf_path, &rc, &errs);
    cfg_errs_print(&errs);
    cfg_errs_free(&errs);
    if (bad)
	return 1;
    snprintf(what, sizeof(what), "%zu rule%s", conf->n_rules,
	     conf->n_rules == 1 ? "" : "s");
    runcheck_summary(conf_path, what, &rc);
    return 0;
}

int     main(int argc, char **argv)
{
    static const struct option long_opts[] = {
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
    };
    const char *conf_path = DEF_CONF, *socket_spec = NULL;
    int     check_only = 0, foreground = 0, to_stderr, ch, rc;
    CFG_ERRS errs;
    SCONF  *conf;
    char   *pidfile = NULL;

    mymalloc_tune();
    if (argc > 1 && strcmp(argv[1], "--scan") == 0)
	return scan_cli_main(argc, argv);
    if (argc > 1 && strcmp(argv[1], "--stats") == 0)
	return stats_cli_main(argc, argv);

    while ((ch = getopt_long(argc, argv, "c:tfvp:hV", long_opts, NULL)) != -1) {
	switch (ch) {
	case 'h': usage(stdout, 0); break;
	case 'V': printf("screener (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
	    return 0;
	case 'c': conf_path = optarg; break;
	case 't': check_only = 1; break;
	case 'f': foreground = 1; break;
	case 'v': msg_verbose++; break;
	case 'p': socket_spec = optarg; break;
	default: usage(stderr, 2);
	}
    }
    if (optind != argc)
	usage(stderr, 2);
    to_stderr = foreground && !msg_stderr_is_journal();
    msg_init("screener", to_stderr || check_only, LOG_MAIL);
    cfg_errs_init(&errs, conf_path);
    conf = sconf_load(conf_path, &errs);
    if (conf == NULL) {
	if (check_only || to_stderr)
	    cfg_errs_print(&errs);
	else
	    cfg_errs_log(&errs);
	cfg_errs_free(&errs);
	return 1;
    }
    cfg_errs_free(&errs);
    if (check_only) {
	rc = check_run(conf_path, conf);
	sconf_unref(conf);
	return rc;
    }
    if (conf->log_facility > 0)
	msg_init("screener", to_stderr, conf->log_facility);

    if (socket_spec == NULL)
	socket_spec = conf->milter.socket;    /* sconf.c: the default */
    if (smfi_register(*milter_desc()) != MI_SUCCESS)
	msg_fatal("smfi_register failed");
    if (conf->milter.timeout > 0)
	smfi_settimeout(conf->milter.timeout);
    sock_quickack_enable();
    sock_open(socket_spec, conf->milter.socket_mode,
	      conf->milter.socket_group, conf->milter.user);

    /* No thread exists yet: fork now, then take the identity. */
    if (!foreground)
	daemon_detach();
    /* -f (systemd): a pidfile only when the config asks for one */
    if (conf->milter.pidfile && *conf->milter.pidfile
	&& (!foreground || conf->milter.pidfile_set)) {
	pidfile = mystrdup(conf->milter.pidfile);   /* outlives reloads */
	if (pidfile_write(pidfile) < 0)
	    msg_fatal("cannot write pidfile %s", pidfile);
    }
    drop_privileges(conf->milter.user, conf->milter.group);

    reload_init(conf, conf_path);
    signals_start();
    stats_start(&conf->stats);    /* as the run user: it writes the files */
    msg_info("starting: config %s, socket %s, %zu rule%s", conf_path,
	     socket_spec, conf->n_rules, conf->n_rules == 1 ? "" : "s");
    rc = smfi_main();
    signals_stop();
    drain();
    stats_stop();
    msg_info("stopped");
    if (pidfile)
	pidfile_remove(pidfile);
    myfree(pidfile);
    reload_shutdown();
    return rc == MI_SUCCESS ? 0 : 1;
}
