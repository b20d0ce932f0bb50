/*
 * main.c - screener: command line, config check, and the daemon life cycle.
 *
 * Modes: -t (check the config and exit), --scan (offline scanning, see
 * scan_cli.c), otherwise run the milter.
 */
#include <config.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "cfgutil.h"
#include "daemon.h"
#include "msg.h"
#include "sconf.h"
#include "scan_cli.h"

#define DEF_CONF SYSCONFDIR "/relayscreen/screener.conf"

static void usage(void)
{
    fprintf(stderr, "usage: screener [-c FILE] [-t] [-f] [-v] [-p SOCKET]\n"
	    "       screener --scan -c FILE [--direction inbound|outbound]"
	    " [--sender ADDR] [--rcpt ADDR]... [--explain] MESSAGE...\n");
    exit(2);
}

int     main(int argc, char **argv)
{
    const char *conf_path = DEF_CONF;
    int     check_only = 0, foreground = 0, ch;
    CFG_ERRS errs;
    SCONF  *conf;

    if (argc > 1 && strcmp(argv[1], "--scan") == 0)
	return scan_cli_main(argc, argv);
    while ((ch = getopt(argc, argv, "c:tfvp:")) != -1) {
	switch (ch) {
	case 'c': conf_path = optarg; break;
	case 't': check_only = 1; break;
	case 'f': foreground = 1; break;
	case 'v': msg_verbose++; break;
	case 'p': break;
	default: usage();
	}
    }
    msg_init("screener", foreground || check_only, LOG_MAIL);
    cfg_errs_init(&errs, conf_path);
    conf = sconf_load(conf_path, &errs);
    if (conf == NULL) {
	if (check_only)
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
    daemon_signals();
    msg_info("starting (config %s)", conf_path);
    while (!daemon_stop)
	pause();
    msg_info("stopping");
    sconf_unref(conf);
    return 0;
}
