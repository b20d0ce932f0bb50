/*
 * rules.h - one screening rule as loaded from screener.conf (engine
 * internal; the milter sees RULE as opaque).
 *
 * A rule holds up to four conditions (keywords, attachment, sender,
 * recipient); all present ones must hold for the rule to fire.  Values
 * inside one condition are alternatives.
 */
#ifndef RS_RULES_H
#define RS_RULES_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "cidr.h"
#include "sconf.h"
#include "strlist.h"

/* Has the rule a size bound (min_size or max_size)? */
#define RULE_HAS_SIZE(r) ((r)->has_min_size || (r)->has_max_size)

/* Condition bits (RULE.conds, per-scan satisfied masks). */
#define COND_KEYWORDS   (1u << 0)
#define COND_ATTACHMENT (1u << 1)
#define COND_SENDER     (1u << 2)
#define COND_RCPT       (1u << 3)
#define COND_CLIENT     (1u << 4)
/* Conditions known once MAIL FROM is: what decides at RCPT TO. */
#define COND_ENVELOPE   (COND_SENDER | COND_RCPT | COND_CLIENT)

/* Where keywords are looked for (RULE.kw_in). */
#define IN_SUBJECT  (1u << 0)
#define IN_HEADERS  (1u << 1)
#define IN_BODY     (1u << 2)
#define IN_FILENAMES (1u << 3)   /* attachment and member names */

/* SCONF.needs: what any rule looks at, so a scan can skip the rest. */
#define NEED_SUBJECT_TEXT (1u << 0)   /* keywords in subject */
#define NEED_HEADER_TEXT  (1u << 1)   /* keywords in headers */
#define NEED_BODY_TEXT    (1u << 2)   /* keywords in body */
#define NEED_ATTACH       (1u << 3)   /* any attachment condition */
#define NEED_SIZE         (1u << 4)   /* decoded sizes (min_size) */
#define NEED_SHA256       (1u << 5)   /* attachment digests */
#define NEED_REGEX        (1u << 6)   /* any regex */
#define NEED_STRIP        (1u << 7)   /* a strip rule: keep the body */
#define NEED_FILENAME_TEXT (1u << 9)  /* keywords in file names */
#define NEED_FILES        (1u << 8)   /* open containers, inline blocks */

typedef struct RULE_REGEX {
    char   *text;                 /* as written, for logs */
    pcre2_code *code;
    int     in_prefilter;         /* part of SCONF.rx_prefilter */
} RULE_REGEX;

struct RULE {
    char   *name;
    int     line;                 /* in the config file, for messages */
    unsigned dirs;                /* DIR_INBOUND | DIR_OUTBOUND bits */
    unsigned conds;               /* COND_* present */
    ACTION  action;
    char   *reply;                /* reject/tempfail; NULL: default */
    char   *redirect_to;
    char   *tag_name, *tag_value; /* tag_header split at ':' */
    char   *subject_prefix;
    int     audit;                /* mode = "audit": evaluated and logged
				   * with what it would have done, never
				   * acted on: as if it did not exist */

    /* keywords */
    STRLIST words;                /* normalised: lower case, one space */
    RULE_REGEX *regex;
    size_t  n_regex;
    unsigned kw_in;               /* IN_* */
    int     confusables;          /* words also match as UTS #39
				   * skeletons (SCONF.conf_automaton) */
    unsigned detectors;           /* DET_* (detectors.h) */
    unsigned min_matches;         /* distinct numbers needed; 1 default */

    /* attachment: every present sub-key must hold for the same part */
    STRLIST exts;                 /* lower case, no leading dot */
    STRLIST names;                /* globs, lower case */
    STRLIST types;                /* globs, lower case */
    STRLIST sha256;               /* lower-case hex */
    unsigned long long min_size;
    int     has_min_size;
    unsigned long long max_size;  /* decoded size at most this */
    int     has_max_size;
    STRLIST dtypes;               /* detected_types: globs, lower case */
    unsigned want_flags;          /* FF_* (files.h): encrypted... = true */

    /* sender / recipient */
    STRLIST sender_addrs, sender_domains;
    int     sender_envelope_only; /* never the From: header (accept:
				   * always; the header is forgeable) */
    STRLIST rcpt_addrs, rcpt_domains;

    /* client: every present sub-key must hold */
    CIDR   *client_nets;
    size_t  n_client_nets;
    int     client_auth;          /* -1 any, 0 not logged in, 1 logged in */
};

/* SCONF.conf_words[k]: the owner k of a skeleton automaton word. */
typedef struct CONF_WORD {
    size_t  rule;
    const char *word;             /* the rule's folded word */
} CONF_WORD;

/* An accept with a recipient condition exempts the recipients it
 * matches, one by one, instead of accepting the message for everyone. */
#define RULE_EXEMPTS(r) ((r)->action == ACT_ACCEPT && !(r)->audit \
			 && ((r)->conds & COND_RCPT) != 0)

/* sconf_rules.c */
void    sconf_rules_load(SCONF *c, const config_setting_t *list,
			 CFG_ERRS *e);
void    sconf_rules_free(SCONF *c);

/* sconf_rules.c: a list key plus its KEY_file variant, appended to out */
void    rules_get_list(const config_setting_t *g, const char *key,
		       STRLIST *out, CFG_ERRS *e);

/* sconf_envelope.c: the sender, recipient and client conditions */
void    rules_load_sender(RULE *r, const config_setting_t *g, CFG_ERRS *e);
void    rules_load_rcpt(RULE *r, const config_setting_t *g, CFG_ERRS *e);
void    rules_load_client(RULE *r, const config_setting_t *g, CFG_ERRS *e);
/* After every condition and the action are loaded: what an accept may
 * rest on. */
void    rules_check_accept(RULE *r, const config_setting_t *g, CFG_ERRS *e);
void    rules_free_envelope(RULE *r);

/* sconf_files.c: the container limits and attachment keys of issue 9 */
void    sconf_archive_limits(SCONF_LIMITS *l, const config_setting_t *g,
			     CFG_ERRS *e);
void    sconf_files_keys(SCONF *c, RULE *r, const config_setting_t *g,
			 CFG_ERRS *e);
/* After all rules: what the files layer needs, libmagic loaded. */
void    sconf_files_setup(SCONF *c, const config_setting_t *where,
			  CFG_ERRS *e);
/* Does the rule look at anything but the part's own declared type? */
int     rule_needs_files(const RULE *r);

/* Literal keyword normalisation shared by the loader and the matcher:
 * folded as message text is (fold_string(): NFKC_Casefold, invisible
 * characters removed, ASCII lower case), runs of white space to one
 * space, trimmed. */
char   *keyword_normalise(const char *word);

#endif
