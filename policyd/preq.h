/*
 * preq.h - incremental, bounded parser for the Postfix policy protocol.
 *
 * A request is a series of "name=value\n" lines ended by an empty line
 * (Postfix SMTPD_POLICY_README).  The parser keeps the raw bytes of one
 * connection in a growable buffer, validates each line as soon as its
 * newline arrives (so a slow writer never causes rescans), and records
 * the attributes policyd knows about as offsets into that buffer.
 * Unknown attributes are accepted and ignored; an absent attribute and an
 * empty one read the same (preq_get returns "").
 *
 * Limits (a request that breaks one is malformed; the server logs it,
 * sends no reply and closes the connection):
 *   PREQ_LINE_MAX  bytes per line, newline included.  Postfix's longest
 *                  values (ccert_subject, sasl_username, addresses) are far
 *                  shorter; 4096 leaves a wide margin.
 *   PREQ_ATTR_MAX  lines per request (Postfix 3.7 sends about 30).
 *   PREQ_REQ_MAX   bytes buffered per connection for one request.
 */
#ifndef RS_PREQ_H
#define RS_PREQ_H

#include <stddef.h>
#include <stdint.h>

#define PREQ_LINE_MAX  4096
#define PREQ_ATTR_MAX  128
#define PREQ_REQ_MAX   32768
#define PREQ_NAME_MAX  64

/* The attributes the rules use. */
typedef enum PATTR {
    PA_REQUEST,
    PA_PROTOCOL_STATE,
    PA_PROTOCOL_NAME,
    PA_CLIENT_ADDRESS,
    PA_CLIENT_NAME,
    PA_SENDER,
    PA_RECIPIENT,
    PA_RECIPIENT_COUNT,
    PA_SASL_METHOD,
    PA_SASL_USERNAME,
    PA_ENCRYPTION_PROTOCOL,
    PA_ENCRYPTION_CIPHER,
    PA_ENCRYPTION_KEYSIZE,
    PA_SERVER_ADDRESS,
    PA_SERVER_PORT,
    PA_POLICY_CONTEXT,
    PA_QUEUE_ID,
    PA_HELO_NAME,
    PA_INSTANCE,
    PA_COUNT
} PATTR;

extern const char *const preq_names[PA_COUNT];

/* One complete request: pointers into the parser's buffer, valid until
 * the next preq_consume/preq_space call. */
typedef struct PREQ {
    const char *attr[PA_COUNT];   /* NULL when absent */
    int     nattr;                /* lines seen, known or not */
} PREQ;

/* Value of an attribute, "" when absent or empty. */
#define preq_get(r, a) ((r)->attr[(a)] ? (r)->attr[(a)] : "")

typedef struct PPARSER {
    char   *buf;
    size_t  len;                  /* bytes held */
    size_t  cap;
    size_t  line;                 /* start of the line being received */
    size_t  scan;                 /* bytes before this already searched */
    size_t  req_end;              /* bytes of the completed request, or 0 */
    uint32_t off[PA_COUNT];       /* value offset + 1; 0: absent */
    int     nattr;
} PPARSER;

void    preq_init(PPARSER *p);
void    preq_free(PPARSER *p);

/* Room to read into (grows the buffer up to the limit); *avail is 0 when
 * the buffer is full, which preq_next then reports as malformed. */
char   *preq_space(PPARSER *p, size_t *avail);
/* n bytes were written at the pointer preq_space returned. */
void    preq_commit(PPARSER *p, size_t n);
/* Copy bytes in (tests, fuzzers): -1 when they exceed the limit. */
int     preq_feed(PPARSER *p, const char *data, size_t len);

/* 1: a complete request is in *req; 0: need more bytes; -1: malformed,
 * *why says how (a static string).  After 1, handle the request, then
 * call preq_consume before calling preq_next again. */
int     preq_next(PPARSER *p, PREQ *req, const char **why);
void    preq_consume(PPARSER *p);

/* Bytes of an unfinished request are held (EOF now = cut off). */
#define preq_partial(p) ((p)->len > 0)

#endif
