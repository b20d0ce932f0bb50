/*
 * engine.h - the screening engine: one SCAN per message.
 *
 * Knows nothing of libmilter.  The milter, the offline scan mode, the
 * tests and the fuzzers all drive it the same way:
 *
 *   s = scan_new(conf, DIR_INBOUND);
 *   scan_client(s, "192.0.2.1", 0);                     connection
 *   scan_sender(s, "a@b");  scan_rcpt(s, "c@d") ...     envelope
 *   scan_header(s, "Subject", "hi") ... scan_eoh(s)     or scan_data()
 *   scan_body(s, chunk, len) ...                        any chunk sizes
 *   scan_eom(s);
 *   v = scan_verdict(s);   ... act on it ...   scan_free(s);
 *
 * scan_data() takes the raw message (header and body, CRLF or LF) in
 * chunks instead of scan_header/scan_eoh/scan_body; the two must not be
 * mixed in one SCAN.  Calls out of this order (content mixed, envelope
 * after content, anything after scan_eom, scan_set_explain late) are
 * the caller's bugs: msg_panic(), as Postfix does.
 *
 * Every call returns 1 as soon as a terminal verdict is known (the caller
 * may answer at once and stop feeding), else 0.  Rules fire as soon as
 * all their conditions are known to hold; when several fire at the same
 * point the first in the file wins; the first terminal verdict is final.
 * Reaching a structural limit yields limits.on_limit with rule
 * "limit:<what>".  Memory per SCAN is bounded by the limits, not by the
 * message size.
 *
 * Recipient exemptions.  An accept rule with a recipient condition
 * exempts the recipients it matches, one by one: the rules after it in
 * the file do not apply to them, and still decide for the others.  A
 * rule that applies to no recipient at all is skipped; a message whose
 * recipients are all exempt is accepted by the first one's rule.  A
 * reject or tempfail on the envelope alone (sender, client) refuses each
 * recipient that is not exempt at RCPT TO; after DATA one verdict
 * covers the whole message (VERDICT.exempt says how many recipients it
 * should have spared).  Limits and errors spare no recipient.
 *
 * Byte offsets reported for strip are relative to the first body byte as
 * fed to scan_body() (or after the header/body blank line for scan_data).
 *
 * Strip is the one exception to "return 1 at once": the strip verdict
 * is locked in when the first matching part ends, but the engine must see
 * the whole body to find every matching part, so the feeding calls keep
 * returning 0 and scan_eom() returns 1.  A limit reached while collecting
 * replaces a strip verdict with limits.on_limit (never a partial strip).
 */
#ifndef RS_ENGINE_H
#define RS_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "sconf.h"
#include "action.h"

typedef struct SCAN SCAN;

#define MATCH_TEXT_MAX 256
#define PART_PATH_MAX 704         /* MIME part paths are never cut */

typedef struct VERDICT {
    ACTION  action;               /* terminal action, or ACT_NONE */
    const char *rule;             /* rule name, "limit:depth", or NULL */
    const char *reply;            /* "550 5.7.1 text" for reject/tempfail */
    const char *redirect_to;      /* ACT_REDIRECT */
    char    part[PART_PATH_MAX];  /* MIME part path "1.2", "" if n/a */
    char    filename[MATCH_TEXT_MAX];   /* decoded, as matched */
    char    matched[MATCH_TEXT_MAX];    /* keyword, pattern, value */
    size_t  exempt;               /* recipients exempt from it */
} VERDICT;

typedef struct TAG_HEADER {
    const char *name;             /* owned by the SCONF */
    const char *value;
} TAG_HEADER;

/* A header field name and how many copies the message has. */
typedef struct HEADER_COUNT {
    char    name[128];
    size_t  count;
} HEADER_COUNT;

typedef struct STRIP_RANGE {
    uint64_t start;               /* first byte of the part (its headers) */
    uint64_t end;                 /* one past its last body byte */
    char    notice[512];          /* replacement (CRLF lines): a whole
				   * text/plain part, header included; just
				   * the text when start..end is the whole
				   * body of a single-part message */
} STRIP_RANGE;

SCAN   *scan_new(const SCONF *conf, DIRECTION dir);
void    scan_free(SCAN *s);

/* The connecting client as Postfix reports it (NULL: unknown) and
 * whether it logged in (SASL); call before scan_sender(). */
void    scan_client(SCAN *s, const char *addr, int authenticated);
int     scan_sender(SCAN *s, const char *addr);     /* "" null sender */
int     scan_rcpt(SCAN *s, const char *addr);
int     scan_header(SCAN *s, const char *name, const char *value);
int     scan_eoh(SCAN *s);
int     scan_body(SCAN *s, const void *buf, size_t len);
int     scan_data(SCAN *s, const void *buf, size_t len);
int     scan_eom(SCAN *s);

const VERDICT *scan_verdict(const SCAN *s);
/* The reply of a reject or tempfail rule without "reply" (NULL for the
 * other actions): the one place that holds these defaults. */
const char *scan_default_reply(ACTION a);
/* After scan_rcpt() returned 0: non-NULL when a reject or tempfail rule
 * whose conditions are all envelope conditions (recipient, sender,
 * client) refused this recipient alone (also a sender or client rule
 * that waits because an earlier accept exempts some recipients).  Answer that RCPT with the reply;
 * the recipient is not counted and the message goes on for the others.
 * An earlier terminal rule in the file that holds for the recipient too
 * (an accept, say) takes precedence, as everywhere. */
const VERDICT *scan_rcpt_refused(const SCAN *s);
/* After scan_rcpt() accepted a recipient: the accept rule that exempts
 * it, or NULL. */
const char *scan_rcpt_exempt(const SCAN *s);
/* Recipient k (0-based, counting only those scan_rcpt() did not refuse
 * alone): does the verdict apply to it? */
int     scan_rcpt_affected(const SCAN *s, size_t k);
/* May a terminal verdict known before the content be carried out for
 * the whole message at once?  0 while a recipient still to come could
 * be exempt from it (then act at end of message). */
int     scan_verdict_whole(const SCAN *s);
/* Log such a refusal as one key=value line. */
void    scan_log_refused(const SCAN *s, const char *queue_id,
			 const char *rcpt);
/* Non-terminal effects that apply unless the verdict discards/rejects. */
const TAG_HEADER *scan_tag_headers(const SCAN *s, size_t *n);
const char *scan_subject_prefix(const SCAN *s);     /* NULL: none */
const char *scan_subject(const SCAN *s);            /* raw, NULL: none */
/* The Subject the tag rules want, or NULL when it stays as it is (no
 * prefix, or prefixed already).  *add: 1 when the message has none (add
 * the field), 0 to replace the first.  The caller frees it.  Known
 * however early the tag was decided. */
char   *scan_tagged_subject(const SCAN *s, int *add);
/* Fields of the top-level header that the screener writes itself
 * (X-Relayscreen*, every rule's tag_header): each name, as first seen,
 * and its number of copies.  Delete them all before adding ours. */
const HEADER_COUNT *scan_own_headers(const SCAN *s, size_t *n);
/* Copies of Content-Type, Content-Transfer-Encoding or
 * Content-Disposition in the top-level header (0 for other names). */
size_t  scan_top_count(const SCAN *s, const char *name);
/* ACT_STRIP: the body ranges to replace, in order, non-overlapping. */
const STRIP_RANGE *scan_strip_ranges(const SCAN *s, size_t *n);

/* Names of the non-terminal (tag, log) rules that fired, in order; up
 * to max are stored in names.  Returns how many fired. */
size_t  scan_fired(const SCAN *s, const char **names, size_t max);
/* Audit rules (mode = "audit") that held, in order, and what each would
 * have done; up to max stored.  Returns how many. */
size_t  scan_audited(const SCAN *s, const char **names, ACTION *acts,
		     size_t max);
/* The first of them with action a (ACT_TAG or ACT_LOG), or NULL. */
const char *scan_first_fired(const SCAN *s, ACTION a);

/* Log the verdict (and every log/tag rule that fired) as key=value lines:
 * queue id (may be NULL), direction, action, rule, part, file, match,
 * sender, rcpts. */
void    scan_log(const SCAN *s, const char *queue_id);

/* --explain: one line per part seen, written with the given callback.
 * Parts are recorded only after scan_set_explain(s, 1), which must be
 * called before any content is fed (it also makes every part decoded,
 * so sizes and text lengths are filled in). */
void    scan_explain(const SCAN *s, void (*out)(void *ctx, const char *line),
		     void *ctx);
void    scan_set_explain(SCAN *s, int on);

/* ACT_STRIP, whole message: when the top-level entity is itself the
 * stripped attachment (a non-multipart message), its single range is the
 * whole body (start 0) and these top-level header changes must be made
 * too (value NULL: delete every such field; else replace it or add it).
 * n = 0 otherwise. */
const TAG_HEADER *scan_strip_headers(const SCAN *s, size_t *n);

/* ACT_STRIP: copy the body from in (positioned at the first body byte,
 * exactly as fed) to out, each range replaced by its notice (a complete
 * text/plain MIME part: header lines, blank line, text; for the whole
 * message case just the text).  0 ok, -1 read/write error or ranges
 * inconsistent with the input. */
int     strip_rewrite(const SCAN *s, FILE *in, FILE *out);

#endif
