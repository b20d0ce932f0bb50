/*
 * fuzz_mime.c - libFuzzer target: the MIME parser and the whole scan,
 * through scan_data (first input byte picks the chunk size) or the
 * milter API, with --explain recording and the strip rewrite.
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "msg.h"

int     LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *conf_text =
"rules = (\n"
" { name = \"w\"; keywords = { words = [ \"project falcon\", \"a b\", \"zz\" ];\n"
"   regex = [ \"wire\\\\s+transfer\", \"(a|b)+c\" ]; in = [ \"subject\", \"headers\", \"body\" ]; };\n"
"   action = \"tag\"; tag_header = \"X-F: 1\"; subject_prefix = \"[F]\"; },\n"
" { name = \"s\"; sender = { domains = [ \"bad.example\" ]; }; keywords = { words = [ \"zzz\" ]; }; action = \"log\"; },\n"
" { name = \"e\"; attachment = { extensions = [ \"exe\" ]; names = [ \"*\" ]; }; action = \"strip\"; },\n"
" { name = \"h\"; attachment = { sha256 = [\n"
"   \"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\" ]; }; action = \"strip\"; },\n"
" { name = \"z\"; attachment = { min_size = 100; types = [ \"application/*\" ]; }; action = \"log\"; }\n"
");\n"
"limits = { max_depth = 8; max_parts = 64; max_header_size = 2048; max_headers = 64; max_line_length = 4096; };\n";

static SCONF *conf;

static void sink(void *ctx, const char *line)
{
    (void) ctx;
    (void) line;
}

static void init(void)
{
    char    path[] = "/tmp/fuzz_mime_XXXXXX";
    int     fd = mkstemp(path);
    CFG_ERRS e;

    if (fd < 0 || write(fd, conf_text, strlen(conf_text)) < 0)
	abort();
    close(fd);
    msg_init("fuzz", 0, 0);
    cfg_errs_init(&e, path);
    conf = sconf_load(path, &e);
    if (conf == NULL) {
	cfg_errs_print(&e);
	abort();
    }
    cfg_errs_free(&e);
    unlink(path);
}

int     LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    SCAN   *s;
    size_t  chunk, off, i;
    int     milter;

    if (conf == NULL)
	init();
    if (size < 1)
	return 0;
    chunk = (data[0] & 0x3f) + 1;
    milter = data[0] & 0x40;
    data++;
    size--;
    s = scan_new(conf, (data[-1] & 0x80) ? DIR_OUTBOUND : DIR_INBOUND);
    scan_set_explain(s, 1);
    scan_sender(s, "a@x.bad.example");
    scan_rcpt(s, "b@y.example");
    if (milter) {
	/* Header fields up to the first empty line, then the body. */
	const uint8_t *p = data, *end = data + size;

	while (p < end && *p != '\n') {
	    const uint8_t *nl = memchr(p, '\n', (size_t) (end - p));
	    const uint8_t *colon = memchr(p, ':', (size_t) ((nl ? nl : end) - p));
	    char    name[64], value[512];

	    if (colon && colon - p < (long) sizeof(name)) {
		size_t  vl = (size_t) ((nl ? nl : end) - colon - 1);

		memcpy(name, p, (size_t) (colon - p));
		name[colon - p] = 0;
		if (vl >= sizeof(value))
		    vl = sizeof(value) - 1;
		memcpy(value, colon + 1, vl);
		value[vl] = 0;
		scan_header(s, name, value);
	    }
	    p = nl ? nl + 1 : end;
	}
	scan_eoh(s);
	if (p < end)
	    p++;
	for (off = (size_t) (p - data); off < size; off += chunk)
	    scan_body(s, data + off, size - off < chunk ? size - off : chunk);
    } else {
	for (off = 0; off < size; off += chunk)
	    scan_data(s, data + off, size - off < chunk ? size - off : chunk);
    }
    scan_eom(s);
    scan_explain(s, sink, NULL);
    (void) scan_verdict(s);
    (void) scan_tag_headers(s, &i);
    (void) scan_strip_headers(s, &i);
    if (scan_verdict(s)->action == ACT_STRIP && !milter) {
	FILE   *in = fmemopen((void *) data, size, "rb"), *out = fopen("/dev/null", "wb");

	if (in && out)
	    (void) strip_rewrite(s, in, out);
	if (in)
	    fclose(in);
	if (out)
	    fclose(out);
    }
    scan_free(s);
    return 0;
}
