/*
 * scan_int.h - the SCAN object, shared by the engine's own files only
 * (scan.c, scan_content.c, verdict_log.c, strip.c).
 */
#ifndef RS_SCAN_INT_H
#define RS_SCAN_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <openssl/evp.h>

#include "engine.h"
#include "mime_parser.h"
#include "rules.h"
#include "textmatch.h"

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

typedef struct RULE_STATE {
    unsigned sat;                 /* COND_* known to hold */
    int     active;               /* applies to this direction */
    int     fired;
    RULE_HIT hit;
    STRIP_CAND *cands;            /* strip rules only */
    size_t  ncands, capcands;
    int     enc_hit;              /* matched inside an encoded message:
				   * strip that whole message part */
} RULE_STATE;

/* --explain record of one part. */
typedef struct PART_INFO {
    char    path[MIME_PATH_MAX];
    char    type[128];
    char    disposition[32];
    char   *names;                /* "\n"-separated, NULL: none */
    int     controls;
    uint64_t size, text_len;
    int     done;
} PART_INFO;

struct SCAN {
    const SCONF *conf;
    DIRECTION dir;
    VERDICT v;
    int     final;                /* terminal verdict known */
    int     strip_rule;           /* -1, or the strip rule that fired */
    int     eom;
    RULE_STATE *rs;

    char   *sender;               /* NULL: scan_sender not called */
    size_t  nrcpt;
    VERDICT rv;                   /* the last recipient's own refusal */
    int     rcpt_refused;         /* rv is valid */
    size_t  nrefused;             /* recipients refused on their own */

    TAG_HEADER *tags;
    size_t  ntags;
    const char *subject_prefix;
    char   *subject;              /* raw first Subject */
    size_t *logged;               /* non-terminal rules that fired */
    size_t  nlogged;

    STRIP_RANGE *ranges;
    size_t  nranges;
    int     strip_root;           /* the whole body is one stripped part */

    MIME_PARSER *mp;
    int     mode;                 /* 0, 1 header/body, 2 data */
    unsigned stream;              /* IN_* of the text being matched */
    const char *stream_part;      /* part path for hits */
    AC_STREAM body_ac;
    RX_WIN  body_rx;
    int     body_rx_on;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    EVP_MD_CTX *sha;
    int     sha_on;

    int     explain;
    PART_INFO *parts;
    size_t  nparts;
};

/* scan.c: rule evaluation */
const char *scan_default_reply(ACTION a);
void    scan_copy_text(char *dst, size_t size, const char *src);
/* A terminal verdict not owed to a rule ("limit:...", "error:..."). */
void    scan_set_special(SCAN *s, ACTION a, const char *what);
/* Fire, in file order, every rule whose conditions now all hold. */
void    scan_check_rules(SCAN *s);
/* Is rule i active, unfired and still waiting for condition cond? */
int     scan_open_rule(const SCAN *s, size_t i, unsigned cond);
void    scan_hit(RULE_STATE *st, unsigned cond, const char *part,
		         const char *file, const char *matched);
void    scan_addr_canon(char *addr);
void    scan_sender_check(SCAN *s, const char *addr);

/* scan_content.c: MIME callbacks and keyword matching */
extern const MIME_CALLBACKS scan_callbacks;

/* strip.c */
void    strip_build_ranges(SCAN *s);

#endif
