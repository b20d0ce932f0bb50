/*
 * files_int.h - the FILES state shared by the files/ readers: one ENT per
 * open nesting level (entity.c runs its life cycle), the limits and the
 * attachment-wide flags.  The readers (container.c, tnef.c, ole.c, the
 * inline decoder glue) report the files they find with ent_begin(),
 * ent_data()... ent_end() one level below their own.
 */
#ifndef RS_FILES_INT_H
#define RS_FILES_INT_H

#include <openssl/evp.h>

#include "files.h"
#include "files_limits.h"
#include "filetype.h"

struct INLINE;

typedef struct ENT {
    int     open;
    char    path[FILE_PATH_MAX];  /* shown: "docs.zip/inner/invoice.exe" */
    char    name[FILE_PATH_MAX];  /* own name as found */
    unsigned char *head;          /* first bytes, FILE_HEAD_MAX */
    size_t  nhead;
    int     long_head;            /* sniff only after FILE_HEAD_MAX */
    int     decided;              /* kind known, spool started or not */
    FKIND   kind;
    uint64_t size;                /* bytes fed */
    int     all;                  /* every byte was fed (the reader says) */
    uint64_t declared;            /* size the container states */
    int     declared_known;
    EVP_MD_CTX *sha;
    int     sha_on;
    int     spool_fd;             /* -1: not spooled */
    uint64_t spooled;
    int     pdf_on, pdf_k;        /* "/Encrypt" matcher */
    char    dtype[128];
    const char *dtype_alias;
    char    digest[65];
} ENT;

struct FILES {
    const SCONF *conf;
    const SCONF_LIMITS *lim;
    FILES_CONF *fc;
    unsigned needs;               /* FN_* */
    int     exact_types;          /* every file's type from libmagic */
    const FILES_OUT *out;
    void   *ctx;
    ENT    *ent;                  /* levels 0..nent-1 */
    int     nent;
    unsigned flags;               /* FF_* of the current part */
    const char *limit;            /* limit hit in the current part */
    char    why[256];             /* first reason it is unreadable */
    char    flag_path[3][FILE_PATH_MAX];  /* where each FF_* was found */
    uint64_t members;             /* per message */
    uint64_t expanded;            /* per message */
    int     is_text;
    struct INLINE *inl;
    unsigned char *buf;           /* FILE_CHUNK read buffer, made by the
				   * first container walk */
};

/* entity.c */
void    ent_begin(FILES *f, int d, const char *name);
void    ent_declared(FILES *f, int d, uint64_t size);
void    ent_data(FILES *f, int d, const void *buf, size_t len);
int     ent_wants(const FILES *f, int d);
void    ent_end(FILES *f, int d);
void    files_flag(FILES *f, unsigned flag, const char *why);
void    files_limit(FILES *f, const char *what);
/* Count one more file inside a container; 0, or -1 at the limit. */
int     files_member(FILES *f);
/* n more bytes read out of a container of size csize that has given
 * *total so far; 0, or -1 at a limit (expansion or ratio). */
int     files_expand(FILES *f, uint64_t n, uint64_t *total, uint64_t csize);
/* Is a stated size beyond the ratio limit for a container of csize? */
int     files_ratio_bad(const FILES *f, uint64_t size, uint64_t csize);

/* zipcheck.c: the central directory of a zip in fd; 0, or -1 when it
 * is unreadable (flagged) or over the member limit. */
int     zip_check(FILES *f, int fd, uint64_t size);

/* rarcheck.c: flag RAR encryption libarchive does not report; 1 when
 * the headers themselves are encrypted (nothing more to read). */
int     rar_check(FILES *f, int fd, uint64_t size);

/* The readers: d is the container's own level, fd its spool. */
void    container_walk(FILES *f, int d, int fd, uint64_t size);
void    tnef_walk(FILES *f, int d, int fd, uint64_t size);
void    ole_walk(FILES *f, int d, int fd, uint64_t size);

#endif
