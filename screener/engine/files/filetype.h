/*
 * filetype.h - what a file is, from its first bytes: the container
 * formats the readers open (own signature checks, cheap and exact), and
 * the MIME type libmagic names (files_conf_new() loads its database once
 * per rule set; one handle, used under a lock).
 */
#ifndef RS_FILETYPE_H
#define RS_FILETYPE_H

#include <stddef.h>
#include "files.h"

typedef enum FKIND {
    FK_NONE = 0,
    FK_ARCHIVE,                   /* libarchive: zip, 7z, rar, tar, ... */
    FK_COMPRESSED,                /* libarchive raw: gz, bz2, xz, zstd */
    FK_TNEF,
    FK_OLE,                       /* OLE2 compound file */
    FK_PDF,
} FKIND;

/* The kind of the file whose first n bytes are head.  final: no more
 * bytes will come (else FK_NONE may change with more). */
FKIND   filetype_sniff(const unsigned char *head, size_t n);
/* Are n bytes enough for filetype_sniff() to be final? */
int     filetype_sniff_done(size_t n, int long_head);

/* Detected MIME type of head[0..n) into out (lower case), "" when the
 * rule set needs no types; *alias the second name of that type or NULL.
 * Not exact: libmagic is asked only when a rule could see its answer
 * (magicgate.c); exact (--explain): always. */
void    filetype_detect(FILES_CONF *fc, const unsigned char *head, size_t n,
			int exact, char *out, size_t outsize,
			const char **alias);
/* The table's other name of a type (x-rar: vnd.rar), or NULL. */
const char *filetype_alias(const char *dtype);

unsigned files_conf_needs(const FILES_CONF *fc);

#endif
