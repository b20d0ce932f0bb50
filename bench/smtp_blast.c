/*
 * smtp_blast.c - a light SMTP load client for the milter benchmark.
 *
 * The Python client of bench/run-milter-bench spent more CPU per message
 * than the Postfix it measured (on two cores shared with Postfix it
 * topped out near 240 msg/s).  This one does as little as a client can:
 * the corpus is read once and every message is pre-rendered in memory
 * (dot-stuffed, ".\r\n" appended, its MAIL/RCPT/DATA lines beside it),
 * so a message costs a few writes and reads and nothing else.  One epoll
 * loop drives -c non-blocking connections; where the server offers
 * PIPELINING, MAIL, RCPT and DATA go in one write (RFC 2920).  -m
 * messages per connection (default 1: a new connection, EHLO and QUIT
 * for each message, as most senders do), -n messages in all (default:
 * each corpus message once; more cycle through the corpus).
 *
 * Each message ends as ok (250 after the data), tempfail (4xx anywhere),
 * reject (5xx) or error (connection lost, unexpected reply).  A
 * connection that sees a failure is closed and replaced.
 *
 * CORPUS file: "RSCORPUS\n", then per message its length in decimal,
 * "\n", and that many bytes (CRLF lines, not dot-stuffed).
 *
 * -t SECONDS: a time window instead of a count: no message starts after
 * it (those under way finish); window_ok counts the messages that ended
 * ok within it (run-milter-bench runs two clients at once, each at its
 * own listener, and compares what each got done in the same seconds).
 *
 * Prints one line:
 *   sent N ok A tempfail T reject R errors E conns C seconds S
 *   window_ok W window_seconds WS rate X msg/s
 *
 * usage: smtp_blast [-c conns] [-m msgs_per_conn] [-n messages]
 *                   [-t seconds] [-P] [-h host] -p port CORPUS
 *        -P: never pipeline, one command per round trip
 */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct BMSG {
    char   *env;			/* "MAIL ...\r\nRCPT ...\r\nDATA\r\n" */
    size_t  envlen, mail_end, rcpt_end;	/* ends of the MAIL and RCPT lines */
    char   *data;			/* dot-stuffed, ends in "\r\n.\r\n" */
    size_t  datalen;
} BMSG;

enum { S_CONNECT, S_GREET, S_EHLO, S_ENV, S_DATA };

typedef struct BCONN {
    int     fd, slot;
    unsigned gen;			/* tells a reused slot's old events */
    int     state, pipelining, step, want, failed;
    long    msg;			/* in flight, -1 none */
    unsigned done;			/* messages on this connection */
    const char *out;			/* pending write */
    size_t  outlen;
    int     armed_out;
    char    in[4096];
    size_t  inlen;
} BCONN;

static BMSG *msgs;
static size_t nmsgs;
static long total, next_msg, resolved;
static unsigned long n_ok, n_temp, n_reject, n_err, n_conns, conn_errors;
static int ep, pipelining_off;
static unsigned per_conn = 1;
static struct sockaddr_in addr;

static const char EHLO[] = "EHLO blast.example\r\n";
static const char QUIT[] = "QUIT\r\n";

static void die(const char *what)
{
    perror(what);
    exit(2);
}

static void *xmalloc(size_t n)
{
    void   *p = malloc(n);

    if (p == NULL)
	die("malloc");
    return p;
}

/* One message as it goes on the wire, and its envelope. */
static void render(BMSG *m, const char *p, size_t len, size_t i)
{
    char   *o = m->data = xmalloc(2 * len + 8);
    size_t  k;
    int     bol = 1;
    char    env[256];
    int     n;

    for (k = 0; k < len; k++) {
	if (bol && p[k] == '.')
	    *o++ = '.';
	*o++ = p[k];
	bol = p[k] == '\n';
    }
    if (!bol) {
	*o++ = '\r';
	*o++ = '\n';
    }
    memcpy(o, ".\r\n", 3);
    m->datalen = (size_t) (o + 3 - m->data);
    n = snprintf(env, sizeof(env), "MAIL FROM:<sender%zu@outside.example>\r\n", i);
    m->mail_end = (size_t) n;
    n += snprintf(env + n, sizeof(env) - (size_t) n, "RCPT TO:<user%zu@inside.example>\r\n",
		  i % 50);
    m->rcpt_end = (size_t) n;
    n += snprintf(env + n, sizeof(env) - (size_t) n, "DATA\r\n");
    m->envlen = (size_t) n;
    m->env = xmalloc(m->envlen);
    memcpy(m->env, env, m->envlen);
}

static void load_corpus(const char *path)
{
    FILE   *f = fopen(path, "rb");
    char    line[64];
    size_t  cap = 0, len;
    char   *buf = NULL;

    if (f == NULL)
	die(path);
    if (fgets(line, sizeof(line), f) == NULL || strcmp(line, "RSCORPUS\n") != 0) {
	fprintf(stderr, "smtp_blast: %s: not a corpus file\n", path);
	exit(2);
    }
    while (fgets(line, sizeof(line), f) != NULL) {
	len = strtoul(line, NULL, 10);
	if (len > cap && (buf = realloc(buf, cap = len)) == NULL)
	    die("realloc");
	if (fread(buf, 1, len, f) != len) {
	    fprintf(stderr, "smtp_blast: %s: truncated\n", path);
	    exit(2);
	}
	msgs = realloc(msgs, (nmsgs + 1) * sizeof(*msgs));
	if (msgs == NULL)
	    die("realloc");
	render(&msgs[nmsgs], buf, len, nmsgs);
	nmsgs++;
    }
    free(buf);
    fclose(f);
    if (nmsgs == 0) {
	fprintf(stderr, "smtp_blast: %s: no messages\n", path);
	exit(2);
    }
}

static void arm(BCONN *c, int out)
{
    struct epoll_event ev;

    if (c->armed_out == out)
	return;
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN | (out ? EPOLLOUT : 0);
    ev.data.u64 = (uint64_t) c->gen << 32 | (uint64_t) c->slot;
    if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) < 0)
	die("epoll_ctl");
    c->armed_out = out;
}

/* Write what is pending; what the socket does not take waits for EPOLLOUT.
 * -1: the connection is gone. */
static int flush_out(BCONN *c)
{
    while (c->outlen > 0) {
	ssize_t w = write(c->fd, c->out, c->outlen);

	if (w < 0) {
	    if (errno == EAGAIN || errno == EINTR)
		break;
	    return -1;
	}
	c->out += w;
	c->outlen -= (size_t) w;
    }
    arm(c, c->outlen > 0);
    return 0;
}

static int queue_out(BCONN *c, const char *p, size_t n)
{
    c->out = p;
    c->outlen = n;
    return flush_out(c);
}

static void conn_open(BCONN *c);

/* Closes c and, while messages remain, opens another in its slot. */
static void conn_close(BCONN *c, int broken)
{
    if (c->msg >= 0) {
	n_err++;
	resolved++;
	c->msg = -1;
    } else if (broken)
	conn_errors++;
    close(c->fd);
    c->fd = -1;
    if (conn_errors > 1000 + (unsigned long) total) {
	fprintf(stderr, "smtp_blast: too many connection errors\n");
	exit(2);
    }
    if (next_msg < total)
	conn_open(c);
}

static void quit(BCONN *c)
{
    /* Nothing more to say: QUIT without waiting for 221. */
    if (write(c->fd, QUIT, sizeof(QUIT) - 1) < 0) {
	/* the server went first; nothing lost */
    }
    conn_close(c, 0);
}

/* The next message on c, or QUIT. */
static int start_msg(BCONN *c)
{
    BMSG   *m;

    if (next_msg >= total || c->done >= per_conn) {
	quit(c);
	return 1;
    }
    c->msg = next_msg++;
    m = &msgs[(size_t) c->msg % nmsgs];
    c->state = S_ENV;
    c->step = 0;
    c->failed = 0;
    if (c->pipelining) {
	c->want = 3;
	return queue_out(c, m->env, m->envlen);
    }
    c->want = 1;
    return queue_out(c, m->env, m->mail_end);
}

static void resolve(BCONN *c, int code)
{
    if (code >= 200 && code < 300)
	n_ok++;
    else if (code >= 400 && code < 500)
	n_temp++;
    else if (code >= 500 && code < 600)
	n_reject++;
    else
	n_err++;
    resolved++;
    c->msg = -1;
    c->done++;
}

/* One complete reply; -1: close c (already counted). 1: c is gone. */
static int on_reply(BCONN *c, int code)
{
    BMSG   *m;

    switch (c->state) {
    case S_GREET:
	if (code != 220)
	    return -1;
	c->state = S_EHLO;
	c->pipelining = 0;
	return queue_out(c, EHLO, sizeof(EHLO) - 1);
    case S_EHLO:
	if (code != 250)
	    return -1;
	if (pipelining_off)
	    c->pipelining = 0;
	return start_msg(c);
    case S_ENV:
	m = &msgs[(size_t) c->msg % nmsgs];
	if (!c->failed && (c->step < 2 ? code / 100 != 2 : code != 354))
	    c->failed = code;
	c->step++;
	if (--c->want > 0)
	    return 0;
	if (c->failed) {
	    resolve(c, c->failed);
	    return -1;
	}
	if (c->step == 1)
	    return c->want = 1, queue_out(c, m->env + m->mail_end, m->rcpt_end - m->mail_end);
	if (c->step == 2)
	    return c->want = 1, queue_out(c, m->env + m->rcpt_end, m->envlen - m->rcpt_end);
	c->state = S_DATA;
	return queue_out(c, m->data, m->datalen);
    case S_DATA:
	if (c->outlen > 0)
	    return -1;			/* an answer before the data ended */
	resolve(c, code);
	if (code / 100 != 2)
	    return -1;
	return start_msg(c);
    }
    return -1;
}

/* Read what c has and act on each complete reply. */
static void on_readable(BCONN *c)
{
    ssize_t r = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
    char   *p, *nl, *end;
    int     rc;

    if (r <= 0) {
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
	    return;
	conn_close(c, 1);
	return;
    }
    c->inlen += (size_t) r;
    end = c->in + c->inlen;
    for (p = c->in; (nl = memchr(p, '\n', (size_t) (end - p))) != NULL; p = nl + 1) {
	if (nl - p < 3)
	    continue;
	if (c->state == S_EHLO && nl - p >= 14 && strncasecmp(p + 4, "PIPELINING", 10) == 0)
	    c->pipelining = 1;
	if (nl - p > 3 && p[3] == '-')
	    continue;
	rc = on_reply(c, (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
	if (rc == 1)
	    return;
	if (rc < 0) {
	    if (c->msg >= 0)
		resolve(c, 0);		/* a reply out of turn */
	    conn_close(c, c->state == S_GREET || c->state == S_EHLO);
	    return;
	}
    }
    c->inlen = (size_t) (end - p);
    if (c->inlen == sizeof(c->in))
	c->inlen = 0;			/* an endless line: drop it */
    else
	memmove(c->in, p, c->inlen);
}

static void conn_open(BCONN *c)
{
    struct epoll_event ev;
    int     one = 1;

    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (c->fd < 0)
	die("socket");
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->gen++;
    c->state = S_CONNECT;
    c->msg = -1;
    c->done = 0;
    c->inlen = 0;
    c->outlen = 0;
    c->armed_out = 1;
    n_conns++;
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.u64 = (uint64_t) c->gen << 32 | (uint64_t) c->slot;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0)
	die("epoll_ctl");
    if (connect(c->fd, (struct sockaddr *) &addr, sizeof(addr)) < 0 && errno != EINPROGRESS)
	conn_close(c, 1);
}

static void on_event(BCONN *c, uint32_t events)
{
    int     err = 0;
    socklen_t len = sizeof(err);

    if (c->state == S_CONNECT) {
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
	    conn_close(c, 1);
	    return;
	}
	c->state = S_GREET;
	arm(c, 0);
	if (!(events & EPOLLIN))
	    return;
    }
    if ((events & EPOLLOUT) && c->outlen > 0 && flush_out(c) < 0) {
	conn_close(c, 1);
	return;
    }
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
	on_readable(c);
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

int     main(int argc, char **argv)
{
    const char *host = "127.0.0.1";
    int     conns = 16, port = 0, ch, i, n;
    BCONN  *slots;
    struct epoll_event evs[256];
    double  t0, secs, window = 0, win_secs = 0;
    unsigned long win_ok = 0;

    while ((ch = getopt(argc, argv, "c:h:m:n:p:t:P")) != -1) {
	switch (ch) {
	case 'c': conns = atoi(optarg); break;
	case 'h': host = optarg; break;
	case 'm': per_conn = (unsigned) atoi(optarg); break;
	case 'n': total = atol(optarg); break;
	case 'p': port = atoi(optarg); break;
	case 't': window = atof(optarg); break;
	case 'P': pipelining_off = 1; break;
	default: goto usage;
	}
    }
    if (optind != argc - 1 || port <= 0 || conns <= 0 || per_conn == 0) {
usage:
	fprintf(stderr, "usage: smtp_blast [-c conns] [-m msgs_per_conn] [-n messages]"
		" [-t seconds] [-P] [-h host] -p port CORPUS\n");
	return 2;
    }
    load_corpus(argv[optind]);
    if (total <= 0)
	total = window > 0 ? LONG_MAX : (long) nmsgs;
    if (conns > total)
	conns = (int) total;
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t) port);
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
	fprintf(stderr, "smtp_blast: %s: not an IPv4 address\n", host);
	return 2;
    }
    if ((ep = epoll_create1(0)) < 0)
	die("epoll_create1");
    /* A slot holds one connection after another; events carry the slot
     * and its generation. */
    slots = calloc((size_t) conns, sizeof(*slots));
    if (slots == NULL)
	die("calloc");
    t0 = now();
    for (i = 0; i < conns; i++) {
	slots[i].slot = i;
	conn_open(&slots[i]);
    }
    while (resolved < total) {
	if (window > 0 && win_secs == 0 && now() - t0 >= window) {
	    win_secs = now() - t0;        /* no message starts from here */
	    win_ok = n_ok;
	    total = next_msg;
	    if (resolved >= total)
		break;
	}
	n = epoll_wait(ep, evs, 256, window > 0 ? 50 : 1000);
	if (n < 0 && errno != EINTR)
	    die("epoll_wait");
	for (i = 0; i < n; i++) {
	    BCONN  *c = &slots[evs[i].data.u64 & 0xffffffffu];

	    if (c->fd < 0 || c->gen != (unsigned) (evs[i].data.u64 >> 32))
		continue;		/* closed earlier in this batch */
	    on_event(c, evs[i].events);
	}
    }
    secs = now() - t0;
    if (win_secs == 0) {
	win_secs = secs;
	win_ok = n_ok;
    }
    printf("sent %ld ok %lu tempfail %lu reject %lu errors %lu conns %lu seconds %.3f"
	   " window_ok %lu window_seconds %.3f rate %.1f msg/s\n", total, n_ok, n_temp,
	   n_reject, n_err, n_conns, secs, win_ok, win_secs, (double) total / secs);
    return 0;
}
