/*
 * engine_order.c - the engine's call-order invariants (issue 14): a
 * caller that mixes scan_data() with scan_header()/scan_body(), feeds
 * the envelope after the content, calls anything after scan_eom(), or
 * names an unknown special verdict is a bug, and the engine aborts with
 * a "panic:" line (Postfix's msg_panic) instead of ignoring the call.
 * Each case runs in a child process; the orders the milter and --scan
 * use must run to the end.
 */
#include <config.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine.h"
#include "msg.h"
#include "scan_int.h"
#include "tap.h"

static const char conf_text[] =
"rules = ( { name = \"kw\"; keywords = { words = [ \"stop now\" ]; };"
" action = \"hold\"; } );\n";

static SCONF *conf;

static SCONF *load_conf(void)
{
    char    path[] = "/tmp/engine_order_XXXXXX";
    int     fd = mkstemp(path);
    CFG_ERRS e;
    SCONF  *c;

    if (fd < 0 || write(fd, conf_text, strlen(conf_text)) < 0)
	return NULL;
    close(fd);
    cfg_errs_init(&e, path);
    c = sconf_load(path, &e);
    if (c == NULL)
	cfg_errs_print(&e);
    cfg_errs_free(&e);
    unlink(path);
    return c;
}

#define MSG "Subject: x\r\n\r\nbody\r\n"

static void data_then_body(SCAN *s)
{
    scan_data(s, MSG, sizeof(MSG) - 1);
    scan_body(s, "more\r\n", 6);
}

static void header_then_data(SCAN *s)
{
    scan_header(s, "Subject", "x");
    scan_data(s, MSG, sizeof(MSG) - 1);
}

static void body_then_data(SCAN *s)
{
    scan_body(s, "text\r\n", 6);
    scan_data(s, MSG, sizeof(MSG) - 1);
}

static void data_then_header(SCAN *s)
{
    scan_data(s, MSG, sizeof(MSG) - 1);
    scan_header(s, "Subject", "x");
}

static void rcpt_after_content(SCAN *s)
{
    scan_data(s, MSG, sizeof(MSG) - 1);
    scan_rcpt(s, "a@example.com");
}

static void sender_after_content(SCAN *s)
{
    scan_header(s, "Subject", "x");
    scan_sender(s, "a@example.com");
}

static void body_after_eom(SCAN *s)
{
    scan_eom(s);
    scan_body(s, "late\r\n", 6);
}

static void data_after_eom(SCAN *s)
{
    scan_data(s, MSG, sizeof(MSG) - 1);
    scan_eom(s);
    scan_data(s, MSG, sizeof(MSG) - 1);
}

static void explain_late(SCAN *s)
{
    scan_data(s, MSG, sizeof(MSG) - 1);
    scan_set_explain(s, 1);
}

static void unknown_special(SCAN *s)
{
    scan_set_special(s, ACT_TEMPFAIL, "limit:no_such_limit");
}

static void milter_order(SCAN *s)
{
    scan_client(s, "192.0.2.1", 0);
    scan_sender(s, "a@example.com");
    scan_rcpt(s, "b@example.com");
    scan_header(s, "Subject", "x");
    scan_eoh(s);
    scan_body(s, "stop now\r\n", 10);
    scan_eom(s);
}

static void scan_order(SCAN *s)
{
    scan_set_explain(s, 1);
    scan_sender(s, "a@example.com");
    scan_data(s, MSG, sizeof(MSG) - 1);
    scan_data(s, "stop now\r\n", 10);
    scan_eom(s);
    scan_eom(s);                          /* twice: harmless */
}

static void limit_after_final(SCAN *s)
{
    scan_data(s, "Subject: stop now\r\n\r\n", 21);
    scan_set_special(s, ACT_TEMPFAIL, "limit:depth");
}

/* Run f in a child; 1 when it aborted with a panic line on stderr. */
static int panics(void (*f) (SCAN *), char *why, size_t len)
{
    int     pfd[2], status;
    pid_t   pid;
    ssize_t n;
    size_t  got = 0;

    if (pipe(pfd) < 0 || (pid = fork()) < 0)
	return -1;
    if (pid == 0) {
	SCAN   *s;

	dup2(pfd[1], 2);
	close(pfd[0]);
	signal(SIGABRT, SIG_DFL);
	s = scan_new(conf, DIR_INBOUND);
	f(s);
	scan_free(s);
	_exit(0);
    }
    close(pfd[1]);
    while (got + 1 < len && (n = read(pfd[0], why + got, len - 1 - got)) > 0)
	got += (size_t) n;
    why[got] = 0;
    close(pfd[0]);
    waitpid(pid, &status, 0);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT
	&& strstr(why, "panic: ") != NULL;
}

static const struct {
    void    (*f) (SCAN *);
    const char *name;
    const char *want;                     /* in the panic line */
} bad[] = {
    {data_then_body, "scan_body after scan_data", "scan_body mixed with scan_data"},
    {header_then_data, "scan_data after scan_header", "scan_data mixed with"},
    {body_then_data, "scan_data after scan_body", "scan_data mixed with"},
    {data_then_header, "scan_header after scan_data", "scan_header mixed with"},
    {rcpt_after_content, "scan_rcpt after the content", "scan_rcpt after the content"},
    {sender_after_content, "scan_sender after a header", "scan_sender after the content"},
    {body_after_eom, "scan_body after scan_eom", "scan_body after scan_eom"},
    {data_after_eom, "scan_data after scan_eom", "scan_data after scan_eom"},
    {explain_late, "scan_set_explain after content", "scan_set_explain after"},
    {unknown_special, "unknown special verdict name", "unknown verdict name"},
};

int     main(void)
{
    char    why[4096];
    size_t  i;

    msg_init("engine_order", 1, 0);
    if ((conf = load_conf()) == NULL) {
	printf("Bail out! config\n");
	return 1;
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
	ok(panics(bad[i].f, why, sizeof(why)) == 1
	   && strstr(why, bad[i].want) != NULL, "%s: panic", bad[i].name);
	if (strstr(why, bad[i].want) == NULL)
	    printf("#   stderr: %s\n", why);
    }
    ok(panics(milter_order, why, sizeof(why)) == 0, "the milter's order runs");
    ok(panics(scan_order, why, sizeof(why)) == 0, "--scan's order runs");
    ok(panics(limit_after_final, why, sizeof(why)) == 0,
       "a known limit after a final verdict is no panic");
    sconf_unref(conf);
    return tap_done();
}
