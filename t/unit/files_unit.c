/*
 * files_unit.c - unit tests of the files layer's stream decoders: inline
 * uuencode / yEnc / BinHex blocks and compressed RTF give the same files
 * and bytes whatever the chunking, and malformed input ends a block
 * incomplete instead of producing a file that is not there.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inline.h"
#include "rtf.h"
#include "tap.h"

typedef struct GOT {
    char    names[512];
    unsigned char data[4096];
    size_t  len;
    int     complete, ended;
} GOT;

static void g_begin(void *ctx, const char *name)
{
    GOT    *g = ctx;

    snprintf(g->names + strlen(g->names), sizeof(g->names) - strlen(g->names),
	     "%s;", name);
}

static void g_data(void *ctx, const unsigned char *buf, size_t len)
{
    GOT    *g = ctx;

    if (g->len + len <= sizeof(g->data)) {
	memcpy(g->data + g->len, buf, len);
	g->len += len;
    }
}

static void g_end(void *ctx, int complete)
{
    GOT    *g = ctx;

    g->complete += complete;
    g->ended++;
}

static const INLINE_OUT out = {g_begin, g_data, g_end};

static void run(const char *text, size_t chunk, GOT *g)
{
    INLINE *in = inline_new(&out, g);
    size_t  n = strlen(text), off;

    memset(g, 0, sizeof(*g));
    for (off = 0; off < n; off += chunk)
	inline_feed(in, text + off, n - off < chunk ? n - off : chunk);
    inline_finish(in);
    inline_free(in);
}

/* Every chunk size gives what the whole text gives. */
static void splits(const char *what, const char *text, const char *names,
		           const void *data, size_t len, int complete)
{
    GOT     g;
    size_t  chunk;
    int     good = 1;

    for (chunk = 1; chunk <= 9 && good; chunk++) {
	run(text, chunk, &g);
	good = strcmp(g.names, names) == 0 && g.len == len
	    && memcmp(g.data, data, len) == 0 && g.complete == complete;
	if (!good)
	    printf("# chunk %zu: names \"%s\" len %zu complete %d\n", chunk,
		   g.names, g.len, g.complete);
    }
    ok(good, "%s: same files and bytes at every chunk size", what);
}

static const char uu[] =
"Hello,\r\n\r\nbegin 644 a.exe\r\n"
"M``$\"`P0%!@<(\"0H+#`T.#Q`1$A,4%187&!D:&QP='A\\@(2(C)\"4F)R@I*BLL\r\n"
"M+2XO,#$R,S0U-C<X.3H[/#T^/T!!0D-$149'2$E*2TQ-3D]045)35%565UA9\r\n"
"*6EM<75Y?8&%B8P``\r\n`\r\nend\r\nbye\r\n";

static const char yenc[] =
"text\n=ybegin line=128 size=5 name=b.exe\nrstuv\n=yend size=5\nmore\n";

/* Compressed RTF of "{\rtf1 hello hello hello world}" (mkfiles.lzfu). */
static const unsigned char lzfu[] = {
    0x22, 0, 0, 0, 0x1f, 0, 0, 0, 0x4c, 0x5a, 0x46, 0x75, 0xcd, 0xed, 0x2a,
    0x61, 0xe1, 0x00, 0x04, 0x20, 0x68, 0x65, 0x6c, 0x09, 0x00, 0x0d, 0x54,
    0x0d, 0x55, 0x22, 0x77, 0x05, 0xb0, 0x6c, 0x64, 0x7d, 0x0e, 0xe0};

static char rtf_out[256];

static void rtf_text(void *ctx, const char *buf, size_t len)
{
    size_t  n = strlen(rtf_out);

    (void) ctx;
    if (n + len < sizeof(rtf_out)) {
	memcpy(rtf_out + n, buf, len);
	rtf_out[n + len] = 0;
    }
}

int     main(void)
{
    unsigned char seq[100];
    size_t  i, chunk;
    GOT     g;
    int     good = 1;

    for (i = 0; i < sizeof(seq); i++)
	seq[i] = (unsigned char) i;
    splits("uuencode", uu, "a.exe;", seq, sizeof(seq), 1);
    splits("yEnc", yenc, "b.exe;", "HIJKL", 5, 1);
    splits("no block", "begin here\nbegin 644\nbegin 99 x\n=ybegin x\n", "", "", 0, 0);
    run("begin 644 c.exe\nM``$\"`P0%!@<(\n", 3, &g);
    ok(strcmp(g.names, "c.exe;") == 0 && g.complete == 0 && g.ended == 1,
       "a uuencode line shorter than its length byte ends the block incomplete");
    run("begin 644 d.exe\n#86)C\n", 2, &g);
    ok(g.len == 3 && memcmp(g.data, "abc", 3) == 0 && g.complete == 0,
       "a block without \"end\" is reported incomplete with what was decoded");
    {
	char    long_line[3000];

	memset(long_line, 'M', sizeof(long_line) - 1);
	long_line[sizeof(long_line) - 1] = 0;
	memcpy(long_line, "begin 644 e.exe\n", 16);
	run(long_line, 100, &g);
	ok(g.ended == 1 && g.complete == 0, "an over-long line ends the block");
    }
    for (chunk = 1; chunk <= sizeof(lzfu) && good; chunk++) {
	RTF    *r = rtf_new(rtf_text, NULL, 1000);

	rtf_out[0] = 0;
	for (i = 0; i < sizeof(lzfu); i += chunk)
	    (void) rtf_feed(r, lzfu + i, sizeof(lzfu) - i < chunk
			    ? sizeof(lzfu) - i : chunk);
	rtf_free(r);
	good = strcmp(rtf_out, "hello hello hello world") == 0;
	if (!good)
	    printf("# chunk %zu: \"%s\"\n", chunk, rtf_out);
    }
    ok(good, "compressed RTF: back references decoded, control words dropped, "
       "at every chunk size");
    {
	RTF    *r = rtf_new(rtf_text, NULL, 10);

	rtf_out[0] = 0;
	ok(rtf_feed(r, lzfu, sizeof(lzfu)) < 0 && rtf_produced(r) == 11,
	   "compressed RTF: output beyond the bound stops the stream");
	rtf_free(r);
    }
    return tap_done();
}
