/*
 * files.h - what a recipient can open: the files inside an attachment
 * (archives, TNEF, inline uuencode/yEnc/BinHex blocks), their true types
 * (libmagic), and whether they are encrypted, unreadable or carry
 * macros.
 *
 * One FILES per SCAN.  For each MIME leaf part the scan feeds its decoded
 * content: files_part_begin(), files_part_data()..., files_part_end().
 * Every file found inside (at any depth up to limits.max_archive_depth)
 * is reported through FILES_OUT.file as it is found; the part's own facts
 * and the attachment-wide flags come back from files_part_end().  The
 * content is read only as far as the rule set needs (FILES_CONF.needs):
 * names need the directory only, types the first bytes, digests all.
 *
 * Memory is bounded whatever the input: a container is spooled to an
 * unnamed temporary file, never held in memory; each open level keeps
 * FILE_HEAD_MAX bytes, a digest context and a reader.
 */
#ifndef RS_FILES_H
#define RS_FILES_H

#include <stddef.h>
#include <stdint.h>
#include "sconf.h"

/* Attachment-wide flags (the attachment or anything inside it). */
#define FF_ENCRYPTED   (1u << 0)
#define FF_UNREADABLE  (1u << 1)
#define FF_MACROS      (1u << 2)

/* FILES_CONF.needs */
#define FN_TYPES       (1u << 0)  /* detected types (own signatures) */
#define FN_MAGIC       (1u << 5)  /* detected_types rules: libmagic too */
#define FN_DIGEST      (1u << 1)  /* SHA-256 of members */
#define FN_SIZE        (1u << 2)  /* sizes of members */
#define FN_ENCRYPTED   (1u << 3)  /* read PDFs through for /Encrypt */
#define FN_TEXT_TYPES  (1u << 4)  /* a detected_types glob can match text/ */

/* Per rule set: what the rules need and the libmagic handle. */
typedef struct FILES_CONF FILES_CONF;

FILES_CONF *files_conf_new(unsigned needs, char *err, size_t errsize);
void    files_conf_free(FILES_CONF *fc);
/* The rules look at this detected type (a detected_types pattern), or
 * at the types implying this extension: libmagic is asked only about
 * files it could name one of them (magicgate.c). */
void    files_conf_watch_type(FILES_CONF *fc, const char *pattern);
void    files_conf_watch_ext(FILES_CONF *fc, const char *ext);
/* libmagic lookups made so far. */
unsigned long files_conf_lookups(FILES_CONF *fc);

/* What the rules see of one file. */
typedef struct FILE_FACTS {
    const char *path;             /* "docs.zip/inner/invoice.exe" */
    const char *name;             /* its own name (last component) */
    const char *dtype;            /* detected MIME type, "" unknown */
    const char *dtype_alias;      /* another name of that type, or NULL */
    const char *ext;              /* extension the type implies, or NULL */
    uint64_t size;
    int     size_known;
    const char *digest;           /* lower-case hex SHA-256, or NULL */
    int     depth;                /* 0: the part itself */
} FILE_FACTS;

typedef struct FILES_OUT {
    /* A file inside the current part (depth >= 1). */
    void    (*file) (void *ctx, const FILE_FACTS *f);
    /* Text a recipient reads (a TNEF body), for keyword rules: each
     * text starts with text_begin() (html: render it as HTML first),
     * and a call of text() with buf NULL ends it. */
    void    (*text_begin) (void *ctx, int html);
    void    (*text) (void *ctx, const char *buf, size_t len);
} FILES_OUT;

typedef struct FILES FILES;

FILES  *files_new(const SCONF *conf, const FILES_OUT *out, void *ctx);
void    files_free(FILES *f);
/* --explain: every file's type from libmagic, even where no rule could
 * see it (filetype_detect()). */
void    files_set_exact_types(FILES *f, int on);

/* One MIME leaf part.  name: its first name or NULL; is_file: a client
 * offers it as a file (open it if it is a container); is_text: look for
 * inline uuencode/yEnc/BinHex blocks. */
void    files_part_begin(FILES *f, const char *name, int is_file,
			 int is_text);
void    files_part_data(FILES *f, const void *buf, size_t len);

/* Does the files layer still want this part's content?  Once it does
 * not (a non-container's first bytes seen), the caller may stop
 * decoding it. */
int     files_part_wants(const FILES *f);

/* End of the part: its own facts (valid until the next call), the flags,
 * and the limit hit inside it ("archive_ratio"...) or NULL. */
typedef struct FILES_RESULT {
    FILE_FACTS own;
    unsigned flags;
    const char *limit;
    const char *why;              /* unreadable: what went wrong */
    const char *flag_path[3];     /* encrypted, unreadable, macros: the
				   * file where each was found */
} FILES_RESULT;

void    files_part_end(FILES *f, FILES_RESULT *res);

/* The extension a detected type implies (the documented table), or NULL. */
const char *filetype_ext(const char *dtype);

#endif
