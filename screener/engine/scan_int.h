/*
 * scan_int.h - the SCAN object, shared by the engine's own files only
 * (scan.c, scan_envelope.c, scan_top.c, scan_content.c, verdict_log.c,
 * strip.c).
 */
#ifndef RS_SCAN_INT_H
#define RS_SCAN_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <openssl/evp.h>

#include "attach.h"
#include "engine.h"
#include "mime_parser.h"
#include "rules.h"
#include "textmatch.h"
#include "textpipe.h"
#include "detectors.h"

/* A part path always fits, so log lines never make two parts alike. */
_Static_assert(MIME_PATH_MAX <= PART_PATH_MAX, "PART_PATH_MAX too small");

/* Why a rule's conditions hold: what its log line shows. */
typedef struct RULE_HIT {
    char    part[MIME_PATH_MAX];
    char    filename[MATCH_TEXT_MAX];
    char    matched[MATCH_TEXT_MAX];
} RULE_HIT;

/* A part a strip rule's attachment condition matched. */
typedef struct STRIP_CAND {
    uint64_t start, end;
    int     is_root;
    char    name[128];
} STRIP_CAND;

/* A rule that holds before every recipient is known, while an earlier
 * accept could still exempt the recipients: it waits. */
typedef enum DEFER {
    DEFER_NO = 0,
    DEFER_REFUSE,                 /* reject/tempfail on the envelope:
				   * refuse each recipient not exempt */
    DEFER_WAIT,                   /* anything else: decide when the
				   * envelope is complete */
} DEFER;

typedef struct RULE_STATE {
    unsigned sat;                 /* COND_* known to hold */
    int     active;               /* applies to this direction */
    int     fired;                /* fired, or skipped (every recipient
				   * exempt from it) */
    DEFER   deferred;
    int     audited;              /* an audit rule that held */
    RULE_HIT *hit;                /* NULL until a condition holds (a
				   * few rules a message: one state per
				   * rule stays small) */
    STRIP_CAND *cands;            /* strip rules only */
    size_t  ncands, capcands;
    int     enc_hit;              /* matched inside an encoded message:
				   * strip that whole message part */
    uint64_t *det_seen;           /* detectors: distinct numbers found */
    size_t  det_n;                /* (at most the rule's min_matches) */
} RULE_STATE;

typedef struct SFILES SFILES;    /* scan_files.c */

#define SHOWN_CHARS 200           /* --explain: text shown per part */

/* --explain record of one part. */
typedef struct PART_INFO {
    char   *path;                 /* up to MIME_PATH_MAX; allocated */
    char    type[128];
    char    disposition[32];
    char   *names;                /* "\n"-separated, NULL: none */
    int     controls;
    uint64_t size, text_len;
    int     done;
    char    shown[SHOWN_CHARS * 4 + 1];   /* text as matched (folded) */
    size_t  shown_len, shown_chars;
} PART_INFO;

/* A top-level header field the screener writes itself, found in the
 * message as received: the milter deletes every copy. */
#define OWN_HEADERS_MAX 32        /* distinct names kept per message */

/* Top-level fields counted for the milter's header changes (strip). */
#define TOP_COUNTED 3

#define CONTROLS_LOG_MAX 5        /* lines about hidden characters in
				   * part names per message; then a count */
#define RCPT_TRACK_MAX 100000     /* recipients whose exemption is kept;
				   * later ones are never exempt */

struct SCAN {
    const SCONF *conf;
    DIRECTION dir;
    VERDICT v;
    int     final;                /* terminal verdict known */
    int     strip_rule;           /* -1, or the strip rule that fired */
    int     eom;
    RULE_STATE *rs;

    char   *sender;               /* NULL: scan_sender not called */
    char   *client_addr;          /* NULL: unknown */
    int     client_auth;          /* an SMTP login was given */
    size_t  nrcpt;
    int    *rexempt;              /* per accepted recipient (up to
				   * RCPT_TRACK_MAX): the accept rule that
				   * exempts it, or -1 */
    size_t  caprexempt;
    int     rcpt_exempt;          /* the last scan_rcpt(): rule or -1 */
    int     env_done;             /* content has started */
    int     v_index;              /* the verdict's rule; -1: a limit or
				   * error, which spares no recipient */
    VERDICT rv;                   /* the last recipient's own refusal */
    int     rcpt_refused;         /* rv is valid */
    size_t  nrefused;             /* recipients refused on their own */

    TAG_HEADER *tags;
    size_t  ntags;
    const char *subject_prefix;
    char   *subject;              /* raw first Subject */
    char   *message_id;           /* first Message-ID, for the log */
    size_t  top_counts[TOP_COUNTED];
    HEADER_COUNT own[OWN_HEADERS_MAX];
    size_t  nown;
    size_t  own_dropped;          /* copies past OWN_HEADERS_MAX names */
    int     top_done;             /* the top-level header has ended */
    int     stop_at_top;          /* final: stop parsing at its end */
    size_t  controls_logged;      /* parts with hidden name characters */
    size_t *logged;               /* non-terminal rules that fired */
    size_t  nlogged;
    size_t *audited;              /* audit rules that held, in order */
    size_t  naudited;

    STRIP_RANGE *ranges;
    size_t  nranges;
    int     strip_root;           /* the whole body is one stripped part */

    MIME_PARSER *mp;
    int     mode;                 /* 0, 1 header/body, 2 data */
    unsigned stream;              /* IN_* of the text being matched */
    const char *stream_part;      /* part path for hits */
    struct TEXT_STREAM *body_ts;  /* a text part's text (scan_text.c) */
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    EVP_MD_CTX *sha;
    int     sha_on;
    EVP_MD_CTX *sha_alt;          /* Python's reading, once it differs */
    int     sha_alt_on;
    /* The text of a part that is also parsed as a message (MIME_PART
     * dual) streams while its inner parts' texts do: its own state. */
    struct TEXT_STREAM *dual_ts;
    struct TEXT_STREAM *str_ts;   /* header fields, names */
    struct TEXT_STREAM *extra_ts; /* scan_extra_text() */

    int     explain;
    PART_INFO *parts;
    size_t  nparts;

    SFILES *files;                /* NULL: no rule looks inside files */
};

/* scan.c: rule evaluation */
void    scan_copy_text(char *dst, size_t size, const char *src);
/* A terminal verdict not owed to a rule ("limit:...", "error:..."). */
void    scan_set_special(SCAN *s, ACTION a, const char *what);
/* Fire, in file order, every rule whose conditions now all hold. */
void    scan_check_rules(SCAN *s);
/* Is rule i active, unfired and still waiting for condition cond? */
int     scan_open_rule(const SCAN *s, size_t i, unsigned cond);
void    scan_hit(RULE_STATE *st, unsigned cond, const char *part,
		         const char *file, const char *matched);
/* What the rule's last condition matched (all empty: nothing yet). */
const RULE_HIT *scan_rule_hit(const RULE_STATE *st);
/* Envelope calls (scan_client/sender/rcpt) come before the content:
 * msg_panic() otherwise. */
void    scan_order_envelope(const SCAN *s, const char *call);
/* Stop parsing for good, or (scan_data) once the top-level header has
 * ended: the milter's header changes need all of it. */
void    scan_stop_parsing(SCAN *s, int now);

/* scan_envelope.c: sender, recipients, client; recipient exemptions */
void    scan_addr_canon(char *addr);
/* from_header: an address of the From: field, which accept rules and
 * envelope_only senders ignore. */
void    scan_sender_check(SCAN *s, const char *addr, int from_header);
/* How many recipients rule i applies to (not exempt before it). */
size_t  scan_affected(const SCAN *s, int i);
/* Could an accept before rule i still exempt a recipient to come? */
int     scan_exempt_possible(const SCAN *s, int i);
/* The content starts: the envelope is complete. */
void    scan_envelope_done(SCAN *s);
/* End of message: every recipient exempt, nothing decided: accept. */
void    scan_envelope_eom(SCAN *s);
void    scan_envelope_free(SCAN *s);

/* scan_top.c: the message's own (top-level) header fields */
void    scan_top_field(SCAN *s, const char *name, const char *value);
void    scan_top_free(SCAN *s);

/* scan_content.c: MIME callbacks and keyword matching */
extern const MIME_CALLBACKS scan_callbacks;

/* Text found inside a file (a TNEF body) for body keyword rules:
 * scan_extra_text_begin() starts one, rendered as kind (HTML for a TNEF
 * HTML body); scan_extra_text() feeds it (plain text when nothing was
 * begun) and ends it with buf NULL. */
void    scan_extra_text_begin(SCAN *s, const char *part, TEXT_KIND kind);
void    scan_extra_text(SCAN *s, const char *part, const char *buf,
			size_t len);

/* scan_text.c: text through rendering and folding to every matcher
 * (literal automata, confusables, detectors, regexes, --explain). */
typedef struct TEXT_STREAM TEXT_STREAM;
void    scan_text_begin(SCAN *s, TEXT_STREAM **tsp, unsigned stream,
			const char *part, TEXT_KIND kind, PART_INFO *shown);
void    scan_text_feed(SCAN *s, TEXT_STREAM *ts, const char *buf,
		       size_t len);
void    scan_text_end(SCAN *s, TEXT_STREAM *ts);
int     scan_text_active(const TEXT_STREAM *ts);
/* One whole string (a header field, a file name). */
void    scan_text_string(SCAN *s, unsigned stream, const char *part,
			 const char *text);
void    scan_text_free(SCAN *s);
/* scan_content.c: the matchers' callbacks */
void    scan_ac_hit(void *ctx, uint32_t id);
void    scan_run_regex(void *ctx, const char *buf, size_t len);
int     scan_regex_open(const SCAN *s, unsigned stream);

/* scan_files.c: archives, TNEF, types, inline blocks (files/files.h) */
struct FILE_FACTS;
void    scan_files_new(SCAN *s);
void    scan_files_free(SCAN *s);
void    scan_files_explain_on(SCAN *s, int on);
void    scan_files_begin(SCAN *s, MIME_PART *p);
void    scan_files_data(SCAN *s, MIME_PART *p, const char *buf,
			size_t len);
void    scan_files_end(SCAN *s, const MIME_PART *p);
int     scan_files_members(const SCAN *s);
int     scan_files_match(SCAN *s, size_t i, const MIME_PART *p,
			 const ATTACH_NAMES *an, const char *const digest[2],
			 const char **file, char *why, size_t whysize);
void    scan_files_after(SCAN *s, const MIME_PART *p);
void    scan_explain_file(SCAN *s, const char *part,
			  const struct FILE_FACTS *ff);
void    scan_files_explain(const SCAN *s,
			   void (*out) (void *ctx, const char *line),
			   void *ctx);

/* strip.c */
void    strip_build_ranges(SCAN *s);

#endif
