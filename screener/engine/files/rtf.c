/*
 * rtf.c - compressed RTF (MS-OXRTFCP 2.2) and RTF to text (rtf.h).
 *
 * LZFu: a 4096-byte ring preloaded with a fixed RTF prefix, then control
 * bytes whose bits (LSB first) say literal byte (0) or a big-endian
 * 16-bit reference (1): 12 bits ring offset, 4 bits length - 2.  A
 * reference to the current write position ends the stream.  Every byte
 * out is counted against the caller's bound, so a lying header cannot
 * make it run on.
 */
#include <config.h>

#include <string.h>

#include "mymalloc.h"
#include "rtf.h"

#define RING 4096
#define HDR 16

static const char prebuf[] =
"{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman "
"\\fswiss \\fmodern \\fscript \\fdecor MS Sans SerifSymbolArialTimes New "
"RomanCourier{\\colortbl\\red0\\green0\\blue0\r\n\\par \\pard\\plain\\f0"
"\\fs20\\b\\i\\u\\tab\\tx";

typedef enum { T_TEXT, T_ESC, T_WORD, T_PARAM, T_HEX1, T_HEX2 } TSTATE;

struct RTF {
    void    (*out) (void *, const char *, size_t);
    void   *ctx;
    uint64_t max, produced;
    unsigned char hdr[HDR];
    size_t  nhdr;
    int     raw;                  /* "MELA": not compressed */
    int     hdr_done;
    int     done, bad;
    unsigned char ring[RING];
    unsigned wpos;
    unsigned char ctl;
    int     nctl;                 /* bits left in ctl */
    int     half;                 /* first byte of a reference held */
    unsigned char hi;
    /* RTF to text */
    TSTATE  ts;
    char    word[32];
    size_t  nword;
    int     hexv;
    char    tbuf[512];
    size_t  ntext;
};

RTF    *rtf_new(void (*out) (void *, const char *, size_t), void *ctx,
		        uint64_t max)
{
    RTF    *r = mycalloc(1, sizeof(*r));

    r->out = out;
    r->ctx = ctx;
    r->max = max;
    memcpy(r->ring, prebuf, sizeof(prebuf) - 1);
    r->wpos = sizeof(prebuf) - 1;
    return r;
}

static void text_flush(RTF *r)
{
    if (r->ntext)
	r->out(r->ctx, r->tbuf, r->ntext);
    r->ntext = 0;
}

void    rtf_free(RTF *r)
{
    if (r == NULL)
	return;
    text_flush(r);
    myfree(r);
}

uint64_t rtf_produced(const RTF *r)
{
    return r->produced;
}

static void text_put(RTF *r, char c)
{
    if (r->ntext == sizeof(r->tbuf))
	text_flush(r);
    r->tbuf[r->ntext++] = c;
}

static void word_end(RTF *r)
{
    r->word[r->nword] = 0;
    if (strcmp(r->word, "par") == 0 || strcmp(r->word, "line") == 0)
	text_put(r, '\n');
    else if (strcmp(r->word, "tab") == 0)
	text_put(r, ' ');
    r->nword = 0;
}

/* One byte of RTF: control words, groups and \'hh escapes. */
static void rtf_char(RTF *r, unsigned char c)
{
    switch (r->ts) {
    case T_TEXT:
	if (c == '\\')
	    r->ts = T_ESC;
	else if (c != '{' && c != '}' && c != '\r' && c != '\n')
	    text_put(r, (char) c);
	return;
    case T_ESC:
	if (c == '\'') {
	    r->ts = T_HEX1;
	} else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') {
	    r->word[0] = (char) c;
	    r->nword = 1;
	    r->ts = T_WORD;
	} else {
	    if (c == '\\' || c == '{' || c == '}')
		text_put(r, (char) c);
	    r->ts = T_TEXT;
	}
	return;
    case T_WORD:
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') {
	    if (r->nword < sizeof(r->word) - 1)
		r->word[r->nword++] = (char) c;
	    return;
	}
	word_end(r);
	if (c == '-' || (c >= '0' && c <= '9')) {
	    r->ts = T_PARAM;
	    return;
	}
	r->ts = T_TEXT;
	if (c != ' ')
	    rtf_char(r, c);
	return;
    case T_PARAM:
	if (c >= '0' && c <= '9')
	    return;
	r->ts = T_TEXT;
	if (c != ' ')
	    rtf_char(r, c);
	return;
    case T_HEX1:
    case T_HEX2:{
	    int     v = c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a'
	    && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1;

	    if (v < 0) {
		r->ts = T_TEXT;
		return;
	    }
	    if (r->ts == T_HEX1) {
		r->hexv = v;
		r->ts = T_HEX2;
		return;
	    }
	    text_put(r, (char) (r->hexv << 4 | v));
	    r->ts = T_TEXT;
	    return;
	}
    }
}

static int emit(RTF *r, unsigned char c)
{
    if (++r->produced > r->max) {
	r->bad = 1;
	return -1;
    }
    rtf_char(r, c);
    return 0;
}

/* One compressed byte. */
static int lz_byte(RTF *r, unsigned char b)
{
    unsigned off, len, i;

    if (r->nctl == 0) {
	r->ctl = b;
	r->nctl = 8;
	return 0;
    }
    if (!(r->ctl & 1)) {
	r->ctl >>= 1;
	r->nctl--;
	r->ring[r->wpos] = b;
	r->wpos = (r->wpos + 1) % RING;
	return emit(r, b);
    }
    if (!r->half) {
	r->half = 1;
	r->hi = b;
	return 0;
    }
    r->half = 0;
    r->ctl >>= 1;
    r->nctl--;
    off = ((unsigned) r->hi << 4) | (b >> 4);
    len = (b & 15u) + 2;
    if (off == r->wpos) {
	r->done = 1;
	return 0;
    }
    for (i = 0; i < len; i++) {
	unsigned char c = r->ring[(off + i) % RING];

	r->ring[r->wpos] = c;
	r->wpos = (r->wpos + 1) % RING;
	if (emit(r, c) < 0)
	    return -1;
    }
    return 0;
}

int     rtf_feed(RTF *r, const unsigned char *buf, size_t len)
{
    size_t  i = 0;

    if (r->bad)
	return -1;
    while (i < len && r->nhdr < HDR)
	r->hdr[r->nhdr++] = buf[i++];
    if (r->nhdr == HDR && !r->hdr_done) {
	r->hdr_done = 1;
	if (memcmp(r->hdr + 8, "LZFu", 4) == 0)
	    r->raw = 0;
	else if (memcmp(r->hdr + 8, "MELA", 4) == 0)
	    r->raw = 1;
	else
	    r->bad = 1;
    }
    for (; i < len && !r->done && !r->bad; i++)
	if ((r->raw ? emit(r, buf[i]) : lz_byte(r, buf[i])) < 0)
	    break;
    return r->bad ? -1 : 0;
}
