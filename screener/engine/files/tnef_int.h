/*
 * tnef_int.h - the TNEF parser's state, shared by tnef.c (attributes,
 * attachments, bodies) and tnef_props.c (MAPI property blocks).
 */
#ifndef RS_TNEF_INT_H
#define RS_TNEF_INT_H

#include <stdint.h>
#include "files_int.h"

struct RTF;

typedef struct TNEF_LOC {         /* where a value lies in the file */
    uint64_t off, len;
    int     uni;                  /* UTF-16 string / PT_OBJECT data */
    int     set;
} TNEF_LOC;

typedef struct TNEF_ATT {
    TNEF_LOC title;               /* attAttachTitle */
    TNEF_LOC longname;            /* PR_ATTACH_LONG_FILENAME or 8.3 name */
    TNEF_LOC data;                /* attAttachData */
    TNEF_LOC obj;                 /* PR_ATTACH_DATA_OBJ */
} TNEF_ATT;

typedef struct TNEF {
    FILES  *f;
    int     d;                    /* the TNEF file's own level */
    int     fd;
    uint64_t size, total;
    const char *bad;              /* why it is unreadable */
    TNEF_ATT *att;
    size_t  natt, capatt;
    TNEF_LOC body, pbody, html, rtfc;
    struct RTF *rtf;
    int     rtf_bad;
    int     text_uni;             /* the body being streamed is UTF-16 */
    char   *u8;                   /* its UTF-8 */
} TNEF;

/* Read exactly n bytes at off; 0 or -1. */
int     tnef_read(TNEF *t, uint64_t off, void *buf, size_t n);
/* A MAPI property block at off..off+len: note the values we use, for
 * attachment a (NULL: the message). */
void    tnef_props(TNEF *t, uint64_t off, uint64_t len, TNEF_ATT *a);
/* UTF-16LE to UTF-8 (NUL ends it), into out of size bytes. */
void    tnef_utf16(const unsigned char *in, size_t n, char *out,
		   size_t size);

#endif
