/*
 * files_fuzz.h - shared by the files fuzz targets (fuzz_container.c,
 * fuzz_tnef.c, fuzz_inline.c): a rule set that needs everything the
 * files layer can do (types, digests, sizes, /Encrypt), small limits so
 * that one input stays fast, and one part fed in chunks.
 */
#ifndef RS_FILES_FUZZ_H
#define RS_FILES_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "files.h"
#include "msg.h"

static const char *files_conf_text =
"rules = (\n"
" { name = \"e\"; attachment = { extensions = [ \"exe\" ]; detected_types = [ \"*/*\" ]; }; action = \"log\"; },\n"
" { name = \"h\"; attachment = { sha256 = [\n"
"   \"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\" ]; }; action = \"log\"; },\n"
" { name = \"s\"; attachment = { min_size = 10; }; action = \"log\"; },\n"
" { name = \"f\"; attachment = { encrypted = true; macros = true; }; action = \"log\"; }\n"
");\n"
"limits = { max_archive_depth = 3; max_archive_members = 200; max_archive_size = \"4M\";\n"
"           max_archive_expansion = \"16M\"; max_archive_ratio = 200; };\n"
"milter = { spool_dir = \"/tmp\"; };\n";

static SCONF *files_conf;
static volatile unsigned fz_sum;

static void fz_file(void *ctx, const FILE_FACTS *ff)
{
    (void) ctx;
    fz_sum += (unsigned) (strlen(ff->path) + strlen(ff->name)
			  + strlen(ff->dtype) + (ff->digest ? strlen(ff->digest) : 0));
}

static void fz_text(void *ctx, const char *buf, size_t len)
{
    size_t  i;

    (void) ctx;
    for (i = 0; buf && i < len; i++)
	fz_sum += (unsigned char) buf[i];
}

static void fz_text_begin(void *ctx, int html)
{
    (void) ctx;
    fz_sum += (unsigned) html;
}

static const FILES_OUT fz_out = {fz_file, fz_text_begin, fz_text};

static void files_fuzz_init(void)
{
    char    path[] = "/tmp/fuzz_files_XXXXXX";
    int     fd = mkstemp(path);
    CFG_ERRS e;

    if (fd < 0 || write(fd, files_conf_text, strlen(files_conf_text)) < 0)
	abort();
    close(fd);
    msg_init("fuzz", 0, 0);
    cfg_errs_init(&e, path);
    files_conf = sconf_load(path, &e);
    if (files_conf == NULL) {
	cfg_errs_print(&e);
	abort();
    }
    cfg_errs_free(&e);
    unlink(path);
}

/* One part: head (may be NULL) then data, in chunks of chunk bytes. */
static void files_fuzz_part(const char *name, int is_file, int is_text,
			    const uint8_t *head, size_t hlen,
			    const uint8_t *data, size_t size, size_t chunk)
{
    FILES  *f;
    FILES_RESULT res;
    size_t  off;

    if (files_conf == NULL)
	files_fuzz_init();
    f = files_new(files_conf, &fz_out, NULL);
    files_part_begin(f, name, is_file, is_text);
    if (head)
	files_part_data(f, head, hlen);
    for (off = 0; off < size; off += chunk)
	files_part_data(f, data + off, size - off < chunk ? size - off : chunk);
    files_part_end(f, &res);
    files_free(f);
}

#endif
