/*
 * scan_cli.h - "screener --scan": the offline scan mode.
 */
#ifndef RS_SCAN_CLI_H
#define RS_SCAN_CLI_H

/* argv as given to main(), argv[1] being "--scan".  Exit status: 0 every
 * message accepted (no rule fired, or an accept rule), 1 some other rule
 * fired on some message, 2 usage, configuration or I/O error. */
int     scan_cli_main(int argc, char **argv);

#endif
