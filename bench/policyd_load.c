/*
 * policyd_load.c - load generator for Postfix policy servers.
 *
 * Opens N persistent connections to a policy server, driven by one epoll
 * loop.  Requests are what Postfix 3.7 sends at RCPT time, with a
 * different recipient and message each time (so no server-side cache can
 * help) and a given share of recipients outside the hosted domain.
 *
 * Closed loop (default): exactly one request outstanding per connection
 * (as N smtpd processes would); measures the most the server answers.
 * Open loop (-R rate): requests are sent at a fixed rate, round robin
 * over the connections, whether or not earlier ones were answered (a
 * connection may then have several in flight); each latency is measured
 * from the time the request was due, so a server that falls behind
 * shows it (no coordinated omission).  epoll_pwait2 (or a timerfd)
 * paces the sends.
 *
 * After a warm-up, every round trip is timed; prints requests/s,
 * latency percentiles, and its own CPU time per reply (load_cpu_us:
 * the generator shares a CPU with Redis in run-policyd-redis-bench).
 *
 * usage: policyd_load [-c conns] [-d seconds] [-w warmup] [-r reject%]
 *                     [-x policy_context] [-R requests/s] HOST:PORT
 */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define PEND_MAX 256               /* open loop: requests in flight */
#define CTX_MAX  256               /* -x policy_context */

typedef struct LCONN {
    int     fd;
    char    in[8192];
    size_t  inlen;
    uint64_t sent_ns;
    uint64_t pend[PEND_MAX];      /* open loop: due times, oldest first */
    unsigned phead, pcount;
    int     dead;
} LCONN;

static uint64_t *samples;
static size_t nsamples, capsamples;
static unsigned long seq, replies_reject, replies_dunno, replies_other;

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

/* The request is written by hand (no printf): the generator shares a
 * CPU with what it measures, and every cycle it spends is stolen. */
static char *put(char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

#define PUT(p, lit) put((p), (lit), sizeof(lit) - 1)

static char *put_num(char *p, unsigned long v, unsigned base)
{
    char    tmp[24];
    size_t  n = 0;

    do {
	tmp[n++] = "0123456789abcdef"[v % base];
	v /= base;
    } while (v);
    while (n)
	*p++ = tmp[--n];
    return p;
}

static int build(char *buf, int reject_pct, const char *ctx, size_t ctxlen)
{
    unsigned long n = ++seq;
    int     outside = (int) (n % 100) < reject_pct;
    char   *p = buf;

    p = PUT(p, "request=smtpd_access_policy\n"
	    "protocol_state=RCPT\n"
	    "protocol_name=ESMTP\n"
	    "client_address=198.51.100.");
    p = put_num(p, n % 250 + 1, 10);
    p = PUT(p, "\nclient_name=mail");
    p = put_num(p, n % 997, 10);
    p = PUT(p, ".sender.example\nclient_port=");
    p = put_num(p, 30000 + n % 30000, 10);
    p = PUT(p, "\nreverse_client_name=mail");
    p = put_num(p, n % 997, 10);
    p = PUT(p, ".sender.example\n"
	    "server_address=127.0.0.1\n"
	    "server_port=25\n"
	    "helo_name=mail");
    p = put_num(p, n % 997, 10);
    p = PUT(p, ".sender.example\nsender=newsletter-");
    p = put_num(p, n % 5000, 10);
    p = PUT(p, "@sender.example\nrecipient=user");
    p = put_num(p, n, 10);
    p = outside ? PUT(p, "@outside.example") : PUT(p, "@example.com");
    p = PUT(p, "\nrecipient_count=0\n"
	    "queue_id=\n"
	    "instance=");
    p = put_num(p, n, 16);
    p = PUT(p, ".6560c3a1.a5c2d.0\n"
	    "size=4312\n"
	    "etrn_domain=\n"
	    "stress=\n"
	    "sasl_method=\n"
	    "sasl_username=\n"
	    "sasl_sender=\n"
	    "ccert_subject=\n"
	    "ccert_issuer=\n"
	    "ccert_fingerprint=\n"
	    "ccert_pubkey_fingerprint=\n"
	    "encryption_protocol=TLSv1.3\n"
	    "encryption_cipher=TLS_AES_256_GCM_SHA384\n"
	    "encryption_keysize=256\n"
	    "policy_context=");
    p = put(p, ctx, ctxlen);
    p = PUT(p, "\ncompatibility_level=3.6\n"
	    "mail_version=3.7.11\n"
	    "\n");
    return (int) (p - buf);
}

static int send_one(LCONN *c, int reject_pct, const char *ctx)
{
    char    buf[1536 + CTX_MAX];
    int     len = build(buf, reject_pct, ctx, strlen(ctx));

    c->sent_ns = now_ns();
    /* One small request: a blocking-style write on a fresh socket buffer
     * never comes up short in practice; treat it as an error if it does. */
    return write(c->fd, buf, (size_t) len) == len ? 0 : -1;
}

static int cmp64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

    return x < y ? -1 : x > y;
}

static uint64_t measure_from, measure_to;
static unsigned long measured, replies_all;

static void record(uint64_t when, uint64_t latency, const char *reply)
{
    replies_all++;
    if (when < measure_from || when >= measure_to)
	return;
    if (nsamples == capsamples) {
	capsamples = capsamples ? capsamples * 2 : 1 << 20;
	samples = realloc(samples, capsamples * sizeof(*samples));
	if (samples == NULL) {
	    perror("realloc");
	    exit(1);
	}
    }
    samples[nsamples++] = latency;
    measured++;
    if (strncasecmp(reply, "action=dunno", 12) == 0)
	replies_dunno++;
    else if (strncmp(reply, "action=5", 8) == 0 || strncasecmp(reply, "action=reject", 13) == 0)
	replies_reject++;
    else
	replies_other++;
}

/* Read what c has; each complete reply answers its oldest due time.
 * -1: the server closed the connection. */
static int open_read(LCONN *c)
{
    ssize_t r = read(c->fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen);
    char   *p, *eom;
    uint64_t t;

    if (r <= 0)
	return -1;
    c->inlen += (size_t) r;
    c->in[c->inlen] = 0;
    t = now_ns();
    for (p = c->in; (eom = strstr(p, "\n\n")) != NULL; p = eom + 2) {
	if (c->pcount == 0)
	    return -1;			/* a reply nobody asked for */
	record(t, t - c->pend[c->phead], p);
	c->phead = (c->phead + 1) % PEND_MAX;
	c->pcount--;
    }
    c->inlen -= (size_t) (p - c->in);
    memmove(c->in, p, c->inlen);
    return 0;
}

/* Wait for events until the monotonic time due (ns).  epoll_pwait2 wakes
 * to the nanosecond in one system call; without it (glibc < 2.35, Linux
 * < 5.11) the timerfd tfd, on the same epoll set, does it for two more
 * per wake-up, CPU the generator takes from Redis. */
static int wait_due(int ep, struct epoll_event *evs, int max, uint64_t due, int tfd)
{
    struct itimerspec its;

#if defined(__GLIBC_PREREQ) && __GLIBC_PREREQ(2, 35)
    static int no_pwait2;
    uint64_t t = now_ns(), left = due > t ? due - t : 0;
    struct timespec ts;
    int     n;

    if (!no_pwait2) {
	ts.tv_sec = (time_t) (left / 1000000000ULL);
	ts.tv_nsec = (long) (left % 1000000000ULL);
	if ((n = epoll_pwait2(ep, evs, max, &ts, NULL)) >= 0 || errno != ENOSYS)
	    return n;
	no_pwait2 = 1;
    }
#endif
    memset(&its, 0, sizeof(its));
    its.it_value.tv_sec = (time_t) (due / 1000000000ULL);
    its.it_value.tv_nsec = (long) (due % 1000000000ULL);
    timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
    return epoll_wait(ep, evs, max, 1000);
}

/* Open loop: one request every 1/rate s, round robin, until measure_to. */
static int open_loop(LCONN *conns, int nconn, int ep, double rate, int reject_pct,
		             const char *ctx)
{
    struct epoll_event ev, evs[256];
    uint64_t interval = (uint64_t) (1e9 / rate), due = now_ns(), t;
    int     tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK), next = 0, errors = 0;
    unsigned long late = 0;

    if (tfd < 0) {
	perror("timerfd_create");
	return 1;
    }
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN;
    ev.data.u32 = (uint32_t) nconn;
    epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
    while ((t = now_ns()) < measure_to) {
	int     n, k;

	/* Send everything due; the latency clock starts at the due time. */
	while (due <= t) {
	    LCONN  *c = &conns[next];

	    next = (next + 1) % nconn;
	    if (c->dead)
		continue;
	    if (c->pcount == PEND_MAX) {
		late++;
		due += interval;
		continue;
	    }
	    if (send_one(c, reject_pct, ctx) < 0) {
		c->dead = 1;
		errors++;
		continue;
	    }
	    c->pend[(c->phead + c->pcount++) % PEND_MAX] = due;
	    due += interval;
	}
	n = wait_due(ep, evs, 256, due, tfd);
	for (k = 0; k < n; k++) {
	    uint64_t exp;
	    LCONN  *c;

	    if (evs[k].data.u32 == (uint32_t) nconn) {
		if (read(tfd, &exp, sizeof(exp)) < 0)
		    continue;
		continue;
	    }
	    c = &conns[evs[k].data.u32];
	    if (!c->dead && open_read(c) < 0) {
		fprintf(stderr, "policyd_load: connection closed by server\n");
		c->dead = 1;
		errors++;
		epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	    }
	}
    }
    close(tfd);
    if (late)
	fprintf(stderr, "policyd_load: %lu requests not sent: %d in flight on a connection\n",
		late, PEND_MAX);
    return errors + (late > 0);
}

int     main(int argc, char **argv)
{
    int     nconn = 200, ch, ep, i, reject_pct = 10, errors = 0;
    double  duration = 10, warmup = 2, rate = 0;
    const char *ctx = "public";
    char    host[64], *colon;
    struct sockaddr_in sin;
    LCONN  *conns;
    uint64_t start, end;
    struct epoll_event ev, evs[256];
    struct rusage ru;

    while ((ch = getopt(argc, argv, "c:d:w:r:x:R:")) != -1) {
	switch (ch) {
	case 'c':
	    nconn = atoi(optarg);
	    break;
	case 'd':
	    duration = atof(optarg);
	    break;
	case 'w':
	    warmup = atof(optarg);
	    break;
	case 'r':
	    reject_pct = atoi(optarg);
	    break;
	case 'x':
	    ctx = optarg;
	    break;
	case 'R':
	    rate = atof(optarg);
	    break;
	default:
	    goto usage;
	}
    }
    if (optind + 1 != argc || nconn < 1 || nconn > 10000 || duration <= 0 || rate < 0
	|| strlen(ctx) > CTX_MAX)
	goto usage;
    if ((colon = strrchr(argv[optind], ':')) == NULL
	|| (size_t) (colon - argv[optind]) >= sizeof(host))
	goto usage;
    memcpy(host, argv[optind], (size_t) (colon - argv[optind]));
    host[colon - argv[optind]] = 0;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((unsigned short) atoi(colon + 1));
    if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
	goto usage;

    conns = calloc((size_t) nconn, sizeof(*conns));
    if ((ep = epoll_create1(0)) < 0 || conns == NULL) {
	perror("setup");
	return 1;
    }
    for (i = 0; i < nconn; i++) {
	int     one = 1;

	if ((conns[i].fd = socket(AF_INET, SOCK_STREAM, 0)) < 0
	    || connect(conns[i].fd, (struct sockaddr *) &sin, sizeof(sin)) < 0) {
	    fprintf(stderr, "policyd_load: connect %d: %s\n", i, strerror(errno));
	    return 1;
	}
	setsockopt(conns[i].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = (uint32_t) i;
	epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
    }
    start = now_ns();
    measure_from = start + (uint64_t) (warmup * 1e9);
    measure_to = measure_from + (uint64_t) (duration * 1e9);
    if (rate > 0) {
	errors = open_loop(conns, nconn, ep, rate, reject_pct, ctx);
	goto report;
    }
    for (i = 0; i < nconn; i++)
	if (send_one(&conns[i], reject_pct, ctx) < 0)
	    conns[i].dead = 1, errors++;

    while ((end = now_ns()) < measure_to) {
	int     n = epoll_wait(ep, evs, 256, 1000), k;

	for (k = 0; k < n; k++) {
	    LCONN  *c = &conns[evs[k].data.u32];
	    ssize_t r;
	    char   *eom;

	    if (c->dead)
		continue;
	    r = read(c->fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen);
	    if (r <= 0) {
		fprintf(stderr, "policyd_load: connection closed by server\n");
		c->dead = 1;
		errors++;
		epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
		continue;
	    }
	    c->inlen += (size_t) r;
	    c->in[c->inlen] = 0;
	    if ((eom = strstr(c->in, "\n\n")) == NULL)
		continue;
	    end = now_ns();
	    record(end, end - c->sent_ns, c->in);
	    c->inlen = 0;
	    if (send_one(c, reject_pct, ctx) < 0) {
		c->dead = 1;
		errors++;
	    }
	}
    }
report:
    if (nsamples == 0) {
	printf("requests=0 errors=%d\n", errors);
	return 1;
    }
    qsort(samples, nsamples, sizeof(*samples), cmp64);
    getrusage(RUSAGE_SELF, &ru);
    printf("mode=%s conns=%d seconds=%.1f requests=%lu rps=%.0f p50_us=%.1f p99_us=%.1f "
	   "max_us=%.1f dunno=%lu reject=%lu other=%lu errors=%d load_cpu_us=%.1f\n",
	   rate > 0 ? "open" : "closed", nconn, duration, measured, measured / duration,
	   samples[nsamples / 2] / 1e3, samples[nsamples * 99 / 100] / 1e3,
	   samples[nsamples - 1] / 1e3, replies_dunno, replies_reject,
	   replies_other, errors,
	   (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 / replies_all
	   + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / (double) replies_all);
    for (i = 0; i < nconn; i++)
	close(conns[i].fd);
    free(conns);
    free(samples);
    return errors ? 1 : 0;

usage:
    fprintf(stderr, "usage: policyd_load [-c conns] [-d seconds] [-w warmup] "
	    "[-r reject%%] [-x policy_context] [-R requests/s] HOST:PORT\n");
    return 2;
}
