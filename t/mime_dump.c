/*
 * mime_dump.c - what the engine's MIME parser reads in each message, for
 * t/engine_differential.py to compare with Python's email package.
 *
 *   mime_dump CONF FILE...
 *
 * CONF gives the limits.  Each FILE is fed to the parser in chunks (of
 * 1, 7, 64 or 4096 bytes, by the file's position in the list, so that
 * the comparison also covers every way input can be cut), and printed
 * as one record, every value hex-encoded:
 *
 *   F path                    start of a record
 *   P index path type flags   a part (index: in order of its start;
 *                             flags: l leaf, t text,
 *                             m message, d dual, x multipart)
 *   N path name               one of its names (every reading)
 *   T path text               decoded UTF-8 text of a text part
 *   D path sha [sha-alt]      SHA-256 of a non-text leaf's decoded data,
 *                             and of Python's reading where it differs
 *   A address                 From/Sender/Reply-To address (top level)
 *   L what                    a limit was hit
 *   E                         end of the record
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/evp.h>

#include "mime_header.h"
#include "mime_parser.h"
#include "msg.h"
#include "mymalloc.h"
#include "sconf.h"

typedef struct DUMP {
    char   *text;                 /* the text of the open text part */
    size_t  tlen, tcap;
    EVP_MD_CTX *sha, *alt;
    int     sha_on, alt_on;
} DUMP;

static void hex(const char *s, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++)
	printf("%02x", (unsigned char) s[i]);
    if (n == 0)
	putchar('-');
}

static void hex_str(const char *s)
{
    hex(s, strlen(s));
}

static void print_addr(void *ctx, const char *addr)
{
    printf("A ");
    hex_str(addr);
    putchar('\n');
}

static void cb_header(void *ctx, MIME_PART *p, const char *name,
		              const char *value)
{
    if (p->depth == 1 && !p->in_encoded
	&& (strcasecmp(name, "From") == 0 || strcasecmp(name, "Sender") == 0
	    || strcasecmp(name, "Reply-To") == 0))
	hdr_addresses(value, print_addr, ctx);
}

static void cb_part_begin(void *ctx, MIME_PART *p)
{
    DUMP   *d = ctx;

    if (!p->is_leaf)
	return;
    p->want_text = p->is_text;
    p->want_data = !p->is_text && !p->encoded_message;
    p->want_decode = 1;
    d->tlen = 0;
    if (p->want_data) {
	EVP_DigestInit_ex(d->sha, EVP_sha256(), NULL);
	d->sha_on = 1;
	d->alt_on = 0;
    }
}

static void cb_data(void *ctx, MIME_PART *p, const char *buf, size_t len)
{
    DUMP   *d = ctx;

    if (d->sha_on)
	EVP_DigestUpdate(d->sha, buf, len);
}

static void cb_data_alt(void *ctx, MIME_PART *p, const char *buf, size_t len)
{
    DUMP   *d = ctx;

    if (!d->sha_on)
	return;
    if (buf == NULL) {
	EVP_MD_CTX_copy_ex(d->alt, d->sha);
	d->alt_on = 1;
    } else if (d->alt_on) {
	EVP_DigestUpdate(d->alt, buf, len);
    }
}

static void cb_text(void *ctx, MIME_PART *p, const char *buf, size_t len)
{
    DUMP   *d = ctx;

    /* A dual part's text streams while its inner parts are read: only
     * its own text is kept (inner texts come from the inner parts). */
    if (p->dual)
	return;
    d->text = mygrow(d->text, &d->tcap, d->tlen + len + 1, 1);
    memcpy(d->text + d->tlen, buf, len);
    d->tlen += len;
}

static void print_digest(EVP_MD_CTX *ctx)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0, i;

    EVP_DigestFinal_ex(ctx, md, &n);
    for (i = 0; i < n; i++)
	printf("%02x", md[i]);
}

static void cb_part_end(void *ctx, MIME_PART *p)
{
    DUMP   *d = ctx;
    size_t  i;

    printf("P %d %s ", p->index, p->path);
    hex_str(p->type);
    printf(" %s%s%s%s%s\n", p->is_leaf ? "l" : "", p->is_text ? "t" : "",
	   p->is_message ? "m" : "", p->dual ? "d" : "",
	   p->is_multipart ? "x" : "");
    for (i = 0; i < p->names.n; i++) {
	printf("N %s ", p->path);
	hex_str(p->names.v[i]);
	putchar('\n');
    }
    if (p->want_text && !p->dual) {
	printf("T %s ", p->path);
	hex(d->text ? d->text : "", d->tlen);
	putchar('\n');
    }
    if (p->want_data && d->sha_on) {
	printf("D %s ", p->path);
	print_digest(d->sha);
	if (d->alt_on) {
	    putchar(' ');
	    print_digest(d->alt);
	}
	putchar('\n');
	d->sha_on = d->alt_on = 0;
    }
}

static void cb_limit(void *ctx, const char *what)
{
    printf("L %s\n", what);
}

static const MIME_CALLBACKS callbacks = {
    cb_header, cb_part_begin, cb_data, cb_text, cb_part_end, cb_limit,
    cb_data_alt,
};

static void dump(const SCONF *conf, DUMP *d, const char *path, size_t chunk)
{
    FILE   *fp = fopen(path, "rb");
    MIME_PARSER *mp;
    char   *buf = mymalloc(chunk);
    size_t  n;

    printf("F ");
    hex_str(path);
    putchar('\n');
    if (fp == NULL) {
	printf("L unreadable\nE\n");
	myfree(buf);
	return;
    }
    mp = mime_parser_new(&conf->limits, &callbacks, d);
    while ((n = fread(buf, 1, chunk, fp)) > 0)
	mime_feed(mp, buf, n);
    mime_finish(mp);
    mime_parser_free(mp);
    fclose(fp);
    myfree(buf);
    printf("E\n");
}

int     main(int argc, char **argv)
{
    static const size_t chunks[] = {1, 7, 64, 4096};
    CFG_ERRS e;
    SCONF  *conf;
    DUMP    d;
    int     i;

    if (argc < 2) {
	fprintf(stderr, "usage: mime_dump CONF FILE...\n");
	return 2;
    }
    msg_init("mime_dump", 0, 0);
    cfg_errs_init(&e, argv[1]);
    if ((conf = sconf_load(argv[1], &e)) == NULL) {
	cfg_errs_print(&e);
	return 2;
    }
    cfg_errs_free(&e);
    memset(&d, 0, sizeof(d));
    d.sha = EVP_MD_CTX_new();
    d.alt = EVP_MD_CTX_new();
    for (i = 2; i < argc; i++)
	dump(conf, &d, argv[i], chunks[i % 4]);
    EVP_MD_CTX_free(d.sha);
    EVP_MD_CTX_free(d.alt);
    myfree(d.text);
    sconf_unref(conf);
    return 0;
}
