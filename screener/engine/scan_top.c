/*
 * scan_top.c - the message's own (top-level) header as the milter will
 * change it: the Subject a tag prefixes, the copies of the fields a
 * whole-message strip rewrites, and the fields the screener writes
 * itself that arrived already (forged, or from another screener).
 *
 * Kept whatever the verdict and however early it came: a tag decided at
 * RCPT TO must still prefix the real Subject, and an accept must still
 * delete forged X-Relayscreen-* fields.  What is kept is bounded: the
 * first Subject and Message-ID, three counters, and at most
 * OWN_HEADERS_MAX names.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "msg.h"
#include "mymalloc.h"
#include "scan_int.h"

#define OWN_PREFIX "X-Relayscreen"
#define MESSAGE_ID_MAX 998        /* kept for the log (which caps it more) */

static const char *const counted[TOP_COUNTED] = {
    "Content-Type", "Content-Transfer-Encoding", "Content-Disposition",
};

/* A field the screener itself writes: X-Relayscreen and X-Relayscreen-*
 * (the original-recipients field of a redirect, and whatever comes), and
 * every rule's tag_header, whatever the direction. */
static int own_field(const SCONF *c, const char *name)
{
    size_t  i, n = sizeof(OWN_PREFIX) - 1;

    if (strncasecmp(name, OWN_PREFIX, n) == 0
	&& (name[n] == 0 || name[n] == '-'))
	return 1;
    for (i = 0; i < c->n_rules; i++)
	if (c->rules[i]->tag_name
	    && strcasecmp(c->rules[i]->tag_name, name) == 0)
	    return 1;
    return 0;
}

static void own_count(SCAN *s, const char *name)
{
    size_t  i;

    for (i = 0; i < s->nown; i++)
	if (strcasecmp(s->own[i].name, name) == 0) {
	    s->own[i].count++;
	    return;
	}
    if (s->nown >= OWN_HEADERS_MAX || strlen(name) >= sizeof(s->own[0].name)) {
	s->own_dropped++;
	return;
    }
    snprintf(s->own[s->nown].name, sizeof(s->own[0].name), "%s", name);
    s->own[s->nown++].count = 1;
}

void    scan_top_field(SCAN *s, const char *name, const char *value)
{
    size_t  i;

    if (s->top_done)
	return;
    if (s->subject == NULL && strcasecmp(name, "Subject") == 0)
	s->subject = mystrndup(value, s->conf->limits.max_header_size);
    if (s->message_id == NULL && strcasecmp(name, "Message-ID") == 0)
	s->message_id = mystrndup(value, MESSAGE_ID_MAX);
    for (i = 0; i < TOP_COUNTED; i++)
	if (strcasecmp(name, counted[i]) == 0)
	    s->top_counts[i]++;
    if (own_field(s->conf, name))
	own_count(s, name);
}

void    scan_top_free(SCAN *s)
{
    if (s->own_dropped)
	msg_warn("%zu header field%s named like the screener's own beyond "
		 "the first %d names were not removed", s->own_dropped,
		 s->own_dropped == 1 ? "" : "s", OWN_HEADERS_MAX);
    myfree(s->subject);
    myfree(s->message_id);
}

const HEADER_COUNT *scan_own_headers(const SCAN *s, size_t *n)
{
    *n = s->nown;
    return s->own;
}

size_t  scan_top_count(const SCAN *s, const char *name)
{
    size_t  i;

    for (i = 0; i < TOP_COUNTED; i++)
	if (strcasecmp(name, counted[i]) == 0)
	    return s->top_counts[i];
    return 0;
}

const char *scan_subject(const SCAN *s)
{
    return s->subject;
}

char   *scan_tagged_subject(const SCAN *s, int *add)
{
    const char *prefix = s->subject_prefix, *subj = s->subject;
    char   *val;

    *add = 0;
    if (prefix == NULL)
	return NULL;
    if (subj == NULL) {
	*add = 1;
	return mystrdup(prefix);
    }
    while (*subj == ' ' || *subj == '\t')
	subj++;
    if (strncmp(subj, prefix, strlen(prefix)) == 0)
	return NULL;                      /* tagged already (a reply) */
    val = mymalloc(strlen(prefix) + strlen(subj) + 2);
    sprintf(val, "%s %s", prefix, subj);
    return val;
}
