/*
 * main.c - screener: command line, config check, and the daemon life cycle.
 *
 * Modes: -t (check the config and exit), --scan (offline scanning, see
 * scan_cli.c), otherwise run the milter:
 *
 *   load config -> open the socket as root -> detach (unless -f) ->
 *   pidfile -> drop privileges -> signal thread -> smfi_main() ->
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
#include "scan_cli.h"
#include "sconf.h"

#define DEF_CONF SYSCONFDIR "/relayscreen/screener.conf"
#define DEF_SOCKET "unix:" RUNSTATEDIR "/relayscreen/screener.sock"
#define DRAIN_SECONDS 60          /* SIGTERM: wait for messages in flight */

static void usage(void)
{
    fprintf(stderr, "usage: screener [-c FILE] [-t] [-f] [-v] [-p SOCKET]\n"
	    "       screener --scan -c FILE [--direction inbound|outbound]"
	    " [--sender ADDR] [--rcpt ADDR]... [--explain] MESSAGE...\n");
    exit(2);
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

int     main(int argc, char **argv)
{
    const char *conf_path = DEF_CONF, *socket_spec = NULL;
    int     check_only = 0, foreground = 0, ch, rc;
    CFG_ERRS errs;
    SCONF  *conf;
    char   *pidfile = NULL;

    if (argc > 1 && strcmp(argv[1], "--scan") == 0)
	return scan_cli_main(argc, argv);

    while ((ch = getopt(argc, argv, "c:tfvp:")) != -1) {
	switch (ch) {
	case 'c': conf_path = optarg; break;
	case 't': check_only = 1; break;
	case 'f': foreground = 1; break;
	case 'v': msg_verbose++; break;
	case 'p': socket_spec = optarg; break;
	default: usage();
	}
    }
    if (optind != argc)
	usage();
    msg_init("screener", foreground || check_only, LOG_MAIL);
    cfg_errs_init(&errs, conf_path);
    conf = sconf_load(conf_path, &errs);
    if (conf == NULL) {
	if (check_only || foreground)
	    cfg_errs_print(&errs);
	else
	    cfg_errs_log(&errs);
	cfg_errs_free(&errs);
	return 1;
    }
    cfg_errs_free(&errs);
    if (check_only) {
	sconf_unref(conf);
	return 0;
    }
    if (conf->log_facility > 0)
	msg_init("screener", foreground, conf->log_facility);

    if (socket_spec == NULL)
	socket_spec = conf->milter.socket ? conf->milter.socket : DEF_SOCKET;
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
    if (conf->milter.pidfile && *conf->milter.pidfile) {
	pidfile = mystrdup(conf->milter.pidfile);   /* outlives reloads */
	if (pidfile_write(pidfile) < 0)
	    msg_fatal("cannot write pidfile %s", pidfile);
    }
    drop_privileges(conf->milter.user, conf->milter.group);

    reload_init(conf, conf_path);
    signals_start();
    msg_info("starting: config %s, socket %s, %zu rule%s", conf_path,
	     socket_spec, conf->n_rules, conf->n_rules == 1 ? "" : "s");
    rc = smfi_main();
    signals_stop();
    drain();
    msg_info("stopped");
    if (pidfile)
	pidfile_remove(pidfile);
    myfree(pidfile);
    reload_shutdown();
    return rc == MI_SUCCESS ? 0 : 1;
}
