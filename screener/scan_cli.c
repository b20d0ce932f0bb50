/*
 * scan_cli.c - offline scan mode:
 *
 *   screener --scan -c FILE [--direction inbound|outbound] [--client IP]
 *            [--login NAME] [--sender ADDR] [--rcpt ADDR]... [--explain]
 *            MESSAGE...        ("-": standard input)
 *
 * prints "MESSAGE: action=ACTION rule=NAME ..." per message, with the
 * action names of the milter's verdict lines (action=pass rule=- when
 * nothing fired; for tag/log, the first tag rule that fired), and what the milter would change in the header:
 * subject= (the tagged Subject), removed_headers= (forged copies of the
 * fields the screener writes), exempt_rcpts= (recipients an accept rule
 * exempts from the verdict).  Test hooks, not in the usage line: --chunk N feeds the
 * message N bytes at a time; --milter-api feeds the header fields one by
 * one through scan_header()/scan_eoh()/scan_body() as the milter does;
 * --rewrite FILE writes the message after a strip to FILE.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "engine.h"
#include "kvlog.h"
#include "msg.h"
#include "mymalloc.h"
#include "scan_cli.h"

#define HEADER_MAX (16 * 1024 * 1024)   /* --milter-api header section */

typedef struct OPTS {
    const char *conf;
    DIRECTION dir;
    const char *sender;
    const char *client, *login;
    STRLIST rcpts;
    int     explain, milter_api;
    size_t  chunk;
    const char *rewrite;
} OPTS;

static void usage(void)
{
    fprintf(stderr, "usage: screener --scan -c FILE [--direction "
	    "inbound|outbound] [--client IP] [--login NAME] [--sender ADDR]"
	    " [--rcpt ADDR]... [--explain] MESSAGE...|-\n");
}

static void print_line(void *ctx, const char *line)
{
    printf("  %s\n", line);
}

/* Read the header section (through the blank line) into memory. */
static char *read_header(FILE *fp, size_t *len)
{
    size_t  cap = 0, n = 0, line_start = 0;
    char   *buf = NULL;
    int     c;

    while (n < HEADER_MAX && (c = getc(fp)) != EOF) {
	buf = mygrow(buf, &cap, n + 2, 1);
	buf[n++] = (char) c;
	if (c == '\n') {
	    size_t  l = n - 1 - line_start;

	    if (l == 0 || (l == 1 && buf[n - 2] == '\r'))
		break;
	    line_start = n;
	}
    }
    buf = mygrow(buf, &cap, n + 1, 1);
    buf[n] = 0;
    *len = n;
    return buf;
}

/* Split a header section into fields for scan_header(). */
static void feed_fields(SCAN *s, char *hdr)
{
    char   *p = hdr, *name = NULL, *value = NULL;

    while (*p) {
	char   *eol = strchr(p, '\n'), *next = eol ? eol + 1 : p + strlen(p);

	if (*p == '\r' || *p == '\n')
	    break;
	if ((*p == ' ' || *p == '\t') && name) {
	    p = next;
	    continue;
	}
	if (name) {
	    p[-1] = 0;			/* end of the previous field */
	    if (p - 2 >= value && p[-2] == '\r')
		p[-2] = 0;
	    scan_header(s, name, value);
	}
	name = p;
	if ((value = strchr(p, ':')) == NULL || (eol && value > eol)) {
	    name = NULL;
	    p = next;
	    continue;
	}
	*value++ = 0;
	while (*value == ' ' || *value == '\t')
	    value++;
	p = next;
    }
    if (name) {
	char   *e = p;

	while (e > value && (e[-1] == '\n' || e[-1] == '\r'))
	    *--e = 0;
	scan_header(s, name, value);
    }
    scan_eoh(s);
}

/* What the milter would change in the header besides the tag fields. */
static void header_changes(KVLOG *kv, const SCAN *s)
{
    const HEADER_COUNT *own;
    size_t  n, i, removed = 0;
    char   *subj;
    int     add;

    if ((subj = scan_tagged_subject(s, &add)) != NULL) {
	kv_add(kv, "subject", subj);
	myfree(subj);
    }
    own = scan_own_headers(s, &n);
    for (i = 0; i < n; i++)
	removed += own[i].count;
    if (removed)
	kv_addf(kv, "removed_headers", "%zu", removed);
}

/* A message file, or "-": standard input, copied to an unnamed temporary
 * file first (the rewrite reads the message twice). */
static FILE *open_message(const char *path)
{
    FILE   *fp, *tmp;
    char    buf[65536];
    size_t  n;

    if (strcmp(path, "-") != 0) {
	if ((fp = fopen(path, "rb")) == NULL)
	    fprintf(stderr, "screener: %s: %s\n", path, strerror(errno));
	return fp;
    }
    if ((tmp = tmpfile()) == NULL) {
	fprintf(stderr, "screener: temporary file: %s\n", strerror(errno));
	return NULL;
    }
    while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
	if (fwrite(buf, 1, n, tmp) != n)
	    break;
    if (ferror(stdin) || ferror(tmp) || fflush(tmp) == EOF) {
	fprintf(stderr, "screener: standard input: read or copy error\n");
	fclose(tmp);
	return NULL;
    }
    rewind(tmp);
    return tmp;
}

/* Audit rules that held: audit=RULE:WOULD-DO each (no effect on rc). */
static void audit_fields(KVLOG *kv, const SCAN *s)
{
    const char *names[16];
    ACTION  acts[16];
    size_t  n, i;

    n = scan_audited(s, names, acts, 16);
    for (i = 0; i < n && i < 16; i++)
	kv_addf(kv, "audit", "%s:%s", names[i], action_name(acts[i]));
    if (n > 16)
	kv_addf(kv, "audit_more", "%zu", n - 16);
}

static int scan_one(const SCONF *conf, const OPTS *o, const char *path)
{
    FILE   *fp;
    SCAN   *s;
    char   *buf;
    size_t  n, i, hlen = 0;
    const VERDICT *v;
    const TAG_HEADER *tags;
    KVLOG   kv;
    int     rc;
    const char *first = NULL;
    VERDICT first_refusal;
    size_t  nrefused = 0;

    if ((fp = open_message(path)) == NULL)
	return 2;
    s = scan_new(conf, o->dir);
    if (o->explain)
	scan_set_explain(s, 1);
    if (o->client || o->login)
	scan_client(s, o->client, o->login && *o->login);
    if (o->sender)
	scan_sender(s, o->sender);
    for (i = 0; i < o->rcpts.n; i++)
	if (scan_rcpt(s, o->rcpts.v[i]) == 0 && scan_rcpt_refused(s)) {
	    if (nrefused == 0)
		first_refusal = *scan_rcpt_refused(s);
	    nrefused++;
	}
    if (o->milter_api) {
	char   *hdr = read_header(fp, &hlen);

	feed_fields(s, hdr);
	myfree(hdr);
    }
    buf = mymalloc(o->chunk);
    while ((n = fread(buf, 1, o->chunk, fp)) > 0) {
	if (o->milter_api)
	    scan_body(s, buf, n);
	else
	    scan_data(s, buf, n);
    }
    if (ferror(fp)) {
	fprintf(stderr, "screener: %s: read error\n", path);
	myfree(buf);
	fclose(fp);
	scan_free(s);
	return 2;
    }
    myfree(buf);
    scan_eom(s);
    v = scan_verdict(s);
    /* every recipient refused on its own: that is what becomes of it */
    if (nrefused > 0 && nrefused == o->rcpts.n)
	v = &first_refusal;
    tags = scan_tag_headers(s, &n);
    kv_init(&kv);
    if (v->action != ACT_NONE) {
	kv_add(&kv, "action", action_name(v->action));
	kv_add(&kv, "rule", v->rule);
	rc = v->action == ACT_ACCEPT ? 0 : 1;
    } else if ((first = scan_first_fired(s, ACT_TAG)) != NULL
	       || (first = scan_first_fired(s, ACT_LOG)) != NULL) {
	/* the rule that decided what happens: a tag over a mere log */
	kv_add(&kv, "action", scan_first_fired(s, ACT_TAG) ? "tag" : "log");
	kv_add(&kv, "rule", first);
	rc = 1;
    } else {
	kv_add(&kv, "action", "pass");   /* as the milter logs it */
	kv_add(&kv, "rule", "-");
	rc = 0;
    }
    if (*v->part)
	kv_add_whole(&kv, "part", v->part);
    if (*v->filename)
	kv_add(&kv, "file", v->filename);
    if (*v->matched)
	kv_add(&kv, "match", v->matched);
    if (v->reply)
	kv_add(&kv, "reply", v->reply);
    if (v->redirect_to)
	kv_add(&kv, "redirect_to", v->redirect_to);
    if (nrefused > 0) {
	kv_addf(&kv, "refused_rcpts", "%zu", nrefused);
	rc = rc == 0 ? 1 : rc;
    }
    if (v->exempt)
	kv_addf(&kv, "exempt_rcpts", "%zu", v->exempt);
    for (i = 0; i < n; i++)
	kv_addf(&kv, "tag", "%s: %s", tags[i].name, tags[i].value);
    if (scan_subject_prefix(s))
	kv_add(&kv, "subject_prefix", scan_subject_prefix(s));
    header_changes(&kv, s);
    audit_fields(&kv, s);
    if (v->action == ACT_STRIP) {
	scan_strip_ranges(s, &n);
	kv_addf(&kv, "stripped", "%zu", n);
    }
    printf("%s: %s\n", path, kv_str(&kv));
    if (o->explain)
	scan_explain(s, print_line, NULL);
    if (o->rewrite && v->action == ACT_STRIP) {
	FILE   *out = fopen(o->rewrite, "wb");

	/* Copy the header section as is, then rewrite the body. */
	rewind(fp);
	if (out == NULL) {
	    rc = 2;
	} else {
	    size_t  hl;
	    char   *hdr = read_header(fp, &hl);

	    fwrite(hdr, 1, hl, out);
	    myfree(hdr);
	    if (strip_rewrite(s, fp, out) < 0)
		rc = 2;
	    if (fclose(out) == EOF)
		rc = 2;
	}
    }
    fclose(fp);
    scan_free(s);
    return rc;
}

int     scan_cli_main(int argc, char **argv)
{
    OPTS    o;
    CFG_ERRS errs;
    SCONF  *conf;
    int     i, worst = 0, r;
    int     first_msg = argc;

    memset(&o, 0, sizeof(o));
    o.dir = DIR_INBOUND;
    o.chunk = 65536;
    strlist_init(&o.rcpts);
    for (i = 2; i < argc; i++) {
	const char *a = argv[i];
	int     more = i + 1 < argc;

	if ((strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) && more) {
	    o.conf = argv[++i];
	} else if (strcmp(a, "--direction") == 0 && more) {
	    a = argv[++i];
	    if (strcmp(a, "inbound") == 0)
		o.dir = DIR_INBOUND;
	    else if (strcmp(a, "outbound") == 0)
		o.dir = DIR_OUTBOUND;
	    else {
		usage();
		return 2;
	    }
	} else if (strcmp(a, "--sender") == 0 && more) {
	    o.sender = argv[++i];
	} else if (strcmp(a, "--client") == 0 && more) {
	    o.client = argv[++i];
	} else if (strcmp(a, "--login") == 0 && more) {
	    o.login = argv[++i];
	} else if (strcmp(a, "--rcpt") == 0 && more) {
	    strlist_add(&o.rcpts, argv[++i]);
	} else if (strcmp(a, "--explain") == 0) {
	    o.explain = 1;
	} else if (strcmp(a, "--milter-api") == 0) {
	    o.milter_api = 1;
	} else if (strcmp(a, "--chunk") == 0 && more) {
	    long    n = strtol(argv[++i], NULL, 10);

	    if (n < 1 || n > 16 * 1024 * 1024) {
		usage();
		return 2;
	    }
	    o.chunk = (size_t) n;
	} else if (strcmp(a, "--rewrite") == 0 && more) {
	    o.rewrite = argv[++i];
	} else if (strcmp(a, "--") == 0) {
	    first_msg = i + 1;
	    break;
	} else if (a[0] == '-' && a[1]) {
	    usage();
	    strlist_free(&o.rcpts);
	    return 2;
	} else {
	    first_msg = i;
	    break;
	}
    }
    if (o.conf == NULL || first_msg >= argc) {
	usage();
	strlist_free(&o.rcpts);
	return 2;
    }
    msg_init("screener", 1, LOG_MAIL);
    cfg_errs_init(&errs, o.conf);
    if ((conf = sconf_load(o.conf, &errs)) == NULL) {
	cfg_errs_print(&errs);
	cfg_errs_free(&errs);
	strlist_free(&o.rcpts);
	return 2;
    }
    cfg_errs_free(&errs);
    for (i = first_msg; i < argc; i++) {
	r = scan_one(conf, &o, argv[i]);
	if (r > worst)
	    worst = r;
    }
    fflush(stdout);
    sconf_unref(conf);
    strlist_free(&o.rcpts);
    return worst;
}
