/*
 * scan_text.c - every text rules see, as the reader sees it: a part's
 * text rendered by its type and folded (text/textpipe.h), then given to
 * the literal automaton, the confusables automaton, the sensitive-number
 * detectors (folded text), the regexes (visible text: rendered, invisible
 * characters removed) and the --explain record.  Header fields and file
 * names take the same path as one-shot strings.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "confusables.h"
#include "msg.h"
#include "mymalloc.h"
#include "scan_int.h"

struct TEXT_STREAM {
    SCAN   *s;
    unsigned stream;              /* IN_* */
    const char *part;
    int     oneshot;              /* a string: regexes run on vis */
    int     active;
    TEXT_PIPE tp;
    FOLD_SINK sink;
    AC_STREAM ac, cac;
    int     conf_on;                  /* the skeleton automaton instead */
    const char *cur;                  /* the folded text being fed */
    size_t  at;                       /* a skeleton hit ends at cur[at] */
    CONF_RING *ring;                  /* the folded text before cur */
    DET_STREAM det;
    RX_WIN  rx;
    int     rx_on;
    char   *vis;                  /* oneshot: the visible text */
    size_t  vis_len, vis_cap;
    PART_INFO *shown;
    int     shown_space, shown_skip;
};

/* Which detectors do open rules want in this stream? */
static unsigned det_wanted(const SCAN *s, unsigned stream)
{
    unsigned want = 0;
    size_t  i;

    for (i = 0; i < s->conf->n_rules; i++)
	if (s->conf->rules[i]->detectors
	    && (s->conf->rules[i]->kw_in & stream)
	    && scan_open_rule(s, i, COND_KEYWORDS))
	    want |= s->conf->rules[i]->detectors;
    return want;
}

static int conf_open(const SCAN *s, unsigned stream)
{
    size_t  i;

    for (i = 0; i < s->conf->n_rules; i++)
	if (s->conf->rules[i]->confusables
	    && (s->conf->rules[i]->kw_in & stream)
	    && scan_open_rule(s, i, COND_KEYWORDS))
	    return 1;
    return 0;
}

/* A skeleton hit: rules with confusables take it as it is, the others
 * only when the text holds the word itself. */
static void conf_hit(void *ctx, uint32_t id)
{
    TEXT_STREAM *ts = ctx;
    SCAN   *s = ts->s;
    const AC_AUTOMATON *ac = s->conf->conf_automaton;
    char    why[MATCH_TEXT_MAX];
    uint32_t k;

    for (k = 0; k < ac->own_count[id]; k++) {
	const CONF_WORD *cw = &s->conf->conf_words[ac->own_rules[ac->own_start[id] + k]];
	const RULE *r = s->conf->rules[cw->rule];
	int     exact;

	if (!scan_open_rule(s, cw->rule, COND_KEYWORDS)
	    || !(r->kw_in & s->stream))
	    continue;
	exact = conf_tail_is(cw->word, ts->cur, ts->at, ts->ring);
	if (!exact && !r->confusables)
	    continue;
	snprintf(why, sizeof(why), "%s%s", exact ? "" : "confusable ",
		 cw->word);
	scan_hit(&s->rs[cw->rule], COND_KEYWORDS, s->stream_part, NULL, why);
    }
}

/* A sensitive number: counted once per rule, whatever its repeats. */
static void det_hit(void *ctx, unsigned kind, uint64_t hash,
		            const char *masked)
{
    TEXT_STREAM *ts = ctx;
    SCAN   *s = ts->s;
    char    why[MATCH_TEXT_MAX];
    size_t  i, j;

    for (i = 0; i < s->conf->n_rules; i++) {
	const RULE *r = s->conf->rules[i];
	RULE_STATE *st = &s->rs[i];

	if (!(r->detectors & kind) || !(r->kw_in & ts->stream)
	    || !scan_open_rule(s, i, COND_KEYWORDS))
	    continue;
	for (j = 0; j < st->det_n && st->det_seen[j] != hash; j++)
	     /* void */ ;
	if (j < st->det_n)
	    continue;
	if (st->det_seen == NULL)
	    st->det_seen = mycalloc(r->min_matches, sizeof(*st->det_seen));
	st->det_seen[st->det_n++] = hash;
	if (st->det_n < r->min_matches)
	    continue;
	if (r->min_matches > 1)
	    snprintf(why, sizeof(why), "%s (%zu numbers)", masked, st->det_n);
	else
	    snprintf(why, sizeof(why), "%s", masked);
	scan_hit(st, COND_KEYWORDS, ts->part, NULL, why);
    }
}

/* --explain: the first SHOWN_CHARS characters, white space collapsed,
 * ASCII in lower case (as the automaton compares it). */
static void shown_add(TEXT_STREAM *ts, const char *buf, size_t len)
{
    PART_INFO *pi = ts->shown;
    size_t  i;

    for (i = 0; i < len; i++) {
	unsigned char c = (unsigned char) buf[i];
	int     sp = c == ' ' || c == '\t' || c == '\r' || c == '\n'
	    || c == '\f' || c == '\v';

	if ((c & 0xc0) != 0x80) {             /* a character starts */
	    ts->shown_skip = (sp && ts->shown_space)
		|| pi->shown_chars == SHOWN_CHARS;
	    if (!ts->shown_skip)
		pi->shown_chars++;
	}
	if (ts->shown_skip || pi->shown_len + 1 >= sizeof(pi->shown))
	    continue;
	ts->shown_space = sp;
	pi->shown[pi->shown_len++] = sp ? ' '
	    : (char) (c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    pi->shown[pi->shown_len] = 0;
}

static void on_folded(void *ctx, const char *buf, size_t len)
{
    TEXT_STREAM *ts = ctx;
    SCAN   *s = ts->s;

    if (ts->shown)
	shown_add(ts, buf, len);
    if (s->final)
	return;
    s->stream = ts->stream;
    s->stream_part = ts->part;
    if (ts->conf_on) {                    /* one pass: every rule's words */
	ts->cur = buf;
	conf_feed(s->conf->conf_automaton, &ts->cac, buf, len, conf_hit, ts,
		  &ts->at);
	conf_ring_add(ts->ring, buf, len);
    } else if (s->conf->automaton) {
	ac_feed(s->conf->automaton, &ts->ac, buf, len, scan_ac_hit, s);
    }
    if (ts->det.want)
	det_feed(&ts->det, buf, len, det_hit, ts);
}

static void on_visible(void *ctx, const char *buf, size_t len)
{
    TEXT_STREAM *ts = ctx;
    SCAN   *s = ts->s;

    if (s->final)
	return;
    if (ts->oneshot) {
	ts->vis = mygrow(ts->vis, &ts->vis_cap, ts->vis_len + len + 1, 1);
	memcpy(ts->vis + ts->vis_len, buf, len);
	ts->vis_len += len;
	return;
    }
    s->stream = ts->stream;
    s->stream_part = ts->part;
    rxw_feed(&ts->rx, buf, len, scan_run_regex, s);
}

void    scan_text_begin(SCAN *s, TEXT_STREAM **tsp, unsigned stream,
			        const char *part, TEXT_KIND kind,
			        PART_INFO *shown)
{
    TEXT_STREAM *ts = *tsp;

    if (ts == NULL) {
	ts = *tsp = mycalloc(1, sizeof(*ts));
	rxw_init(&ts->rx);
    }
    ts->s = s;
    ts->stream = stream;
    ts->part = part;
    ts->oneshot = 0;
    ts->active = 1;
    ts->vis_len = 0;
    ts->shown = shown;
    ts->shown_space = 1;
    ts->rx_on = s->conf->n_regex && scan_regex_open(s, stream);
    rxw_reset(&ts->rx);
    ac_stream_init(&ts->ac);
    ac_stream_init(&ts->cac);
    ts->conf_on = s->conf->conf_automaton != NULL && conf_open(s, stream);
    if (ts->conf_on && ts->ring == NULL)
	ts->ring = mymalloc(sizeof(*ts->ring));
    if (ts->ring)
	ts->ring->total = 0;
    det_begin(&ts->det, det_wanted(s, stream));
    ts->sink.visible = ts->rx_on ? on_visible : NULL;
    ts->sink.folded = on_folded;
    ts->sink.ctx = ts;
    tp_begin(&ts->tp, kind, &ts->sink);
}

int     scan_text_active(const TEXT_STREAM *ts)
{
    return ts->active;
}

void    scan_text_feed(SCAN *s, TEXT_STREAM *ts, const char *buf, size_t len)
{
    if (ts == NULL || !ts->active || (s->final && ts->shown == NULL))
	return;
    tp_feed(&ts->tp, buf, len);
}

void    scan_text_end(SCAN *s, TEXT_STREAM *ts)
{
    if (ts == NULL || !ts->active)
	return;
    ts->active = 0;
    tp_end(&ts->tp);
    if (s->final)
	return;
    s->stream = ts->stream;
    s->stream_part = ts->part;
    det_end(&ts->det, det_hit, ts);
    if (ts->rx_on && ts->oneshot)
	scan_run_regex(s, ts->vis ? ts->vis : "", ts->vis_len);
    else if (ts->rx_on)
	rxw_flush(&ts->rx, scan_run_regex, s);
}

void    scan_text_string(SCAN *s, unsigned stream, const char *part,
			         const char *text)
{
    if (s->final)
	return;
    scan_text_begin(s, &s->str_ts, stream, part, TEXT_PLAIN, NULL);
    s->str_ts->oneshot = 1;
    tp_feed(&s->str_ts->tp, text, strlen(text));
    scan_text_end(s, s->str_ts);
    scan_check_rules(s);
}

static void ts_free(TEXT_STREAM *ts)
{
    if (ts == NULL)
	return;
    rxw_free(&ts->rx);
    myfree(ts->vis);
    myfree(ts->ring);
    myfree(ts);
}

void    scan_text_free(SCAN *s)
{
    size_t  i;

    ts_free(s->body_ts);
    ts_free(s->dual_ts);
    ts_free(s->str_ts);
    ts_free(s->extra_ts);
    for (i = 0; i < s->conf->n_rules; i++)
	myfree(s->rs[i].det_seen);
}
