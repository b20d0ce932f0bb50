/*
 * preq.c - incremental, bounded parser for the Postfix policy protocol.
 *
 * Each line is checked once, when its newline arrives: name syntax,
 * value bytes (no NUL or control characters: Postfix never sends them,
 * so they mean garbage or an attack), duplicate known attributes (which
 * could smuggle a second value past a check).  The newline is replaced by
 * a NUL so values can be used in place.
 */
#include <config.h>

#include <string.h>

#include "mymalloc.h"
#include "preq.h"

const char *const preq_names[PA_COUNT] = {
    [PA_REQUEST] = "request",
    [PA_PROTOCOL_STATE] = "protocol_state",
    [PA_PROTOCOL_NAME] = "protocol_name",
    [PA_CLIENT_ADDRESS] = "client_address",
    [PA_CLIENT_NAME] = "client_name",
    [PA_SENDER] = "sender",
    [PA_RECIPIENT] = "recipient",
    [PA_RECIPIENT_COUNT] = "recipient_count",
    [PA_SASL_METHOD] = "sasl_method",
    [PA_SASL_USERNAME] = "sasl_username",
    [PA_ENCRYPTION_PROTOCOL] = "encryption_protocol",
    [PA_ENCRYPTION_CIPHER] = "encryption_cipher",
    [PA_ENCRYPTION_KEYSIZE] = "encryption_keysize",
    [PA_SERVER_ADDRESS] = "server_address",
    [PA_SERVER_PORT] = "server_port",
    [PA_POLICY_CONTEXT] = "policy_context",
    [PA_QUEUE_ID] = "queue_id",
    [PA_HELO_NAME] = "helo_name",
    [PA_INSTANCE] = "instance",
};

#define PREQ_BUF_INIT 2048

void    preq_init(PPARSER *p)
{
    memset(p, 0, sizeof(*p));
}

void    preq_free(PPARSER *p)
{
    myfree(p->buf);
    memset(p, 0, sizeof(*p));
}

char   *preq_space(PPARSER *p, size_t *avail)
{
    if (p->cap - p->len < 1024 && p->cap < PREQ_REQ_MAX) {
	size_t  ncap = p->cap ? p->cap * 2 : PREQ_BUF_INIT;

	if (ncap > PREQ_REQ_MAX)
	    ncap = PREQ_REQ_MAX;
	p->buf = myrealloc(p->buf, ncap);
	p->cap = ncap;
    }
    *avail = p->cap - p->len;
    return p->buf + p->len;
}

void    preq_commit(PPARSER *p, size_t n)
{
    p->len += n;
}

int     preq_feed(PPARSER *p, const char *data, size_t len)
{
    while (len > 0) {
	size_t  avail;
	char   *dst = preq_space(p, &avail);

	if (avail == 0)
	    return -1;
	if (avail > len)
	    avail = len;
	memcpy(dst, data, avail);
	preq_commit(p, avail);
	data += avail;
	len -= avail;
    }
    return 0;
}

static int name_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
	|| (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

/* Check one line (NUL-terminated in place, without its newline) and
 * record it.  Returns NULL or the reason it is malformed. */
static const char *take_line(PPARSER *p, size_t start, size_t end)
{
    char   *s = p->buf + start;
    size_t  n = end - start;
    size_t  i, eq;

    for (eq = 0; eq < n && s[eq] != '='; eq++)
	if (!name_char((unsigned char) s[eq]))
	    return "bad attribute name";
    if (eq == n)
	return "line without '='";
    if (eq == 0 || eq > PREQ_NAME_MAX)
	return "bad attribute name length";
    for (i = eq + 1; i < n; i++) {
	unsigned char c = (unsigned char) s[i];

	if ((c < 0x20 && c != '\t') || c == 0x7f)
	    return "control character in value";
    }
    if (++p->nattr > PREQ_ATTR_MAX)
	return "too many attributes";
    for (i = 0; i < PA_COUNT; i++) {
	if (strlen(preq_names[i]) == eq && memcmp(s, preq_names[i], eq) == 0) {
	    if (p->off[i])
		return "duplicate attribute";
	    p->off[i] = (uint32_t) (start + eq + 1 + 1);
	    break;
	}
    }
    return NULL;
}

int     preq_next(PPARSER *p, PREQ *req, const char **why)
{
    for (;;) {
	char   *nl = p->scan < p->len ?
	memchr(p->buf + p->scan, '\n', p->len - p->scan) : NULL;
	size_t  end, i;

	if (nl == NULL) {
	    p->scan = p->len;
	    if (p->len - p->line >= PREQ_LINE_MAX) {
		*why = "line too long";
		return -1;
	    }
	    if (p->len >= PREQ_REQ_MAX) {
		*why = "request too large";
		return -1;
	    }
	    return 0;
	}
	end = (size_t) (nl - p->buf);
	if (end + 1 - p->line > PREQ_LINE_MAX) {
	    *why = "line too long";
	    return -1;
	}
	p->scan = end + 1;
	*nl = 0;
	/* Tolerate CRLF from hand-typed sessions; Postfix sends LF. */
	if (end > p->line && p->buf[end - 1] == '\r')
	    p->buf[--end] = 0;
	if (end > p->line) {
	    if ((*why = take_line(p, p->line, end)) != NULL)
		return -1;
	    p->line = p->scan;
	    continue;
	}
	/* Empty line: end of request. */
	p->line = p->scan;
	if (p->nattr == 0) {
	    *why = "empty request";
	    return -1;
	}
	if (!p->off[PA_REQUEST]
	    || strcmp(p->buf + p->off[PA_REQUEST] - 1, "smtpd_access_policy") != 0) {
	    *why = "no request=smtpd_access_policy";
	    return -1;
	}
	for (i = 0; i < PA_COUNT; i++)
	    req->attr[i] = p->off[i] ? p->buf + p->off[i] - 1 : NULL;
	req->nattr = p->nattr;
	p->req_end = p->scan;
	return 1;
    }
}

void    preq_consume(PPARSER *p)
{
    size_t  rest = p->len - p->req_end;

    if (rest)
	memmove(p->buf, p->buf + p->req_end, rest);
    p->len = rest;
    p->line = p->scan = p->req_end = 0;
    p->nattr = 0;
    memset(p->off, 0, sizeof(p->off));
}
