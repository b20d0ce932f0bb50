/*
 * ole.h - a bounded reader of OLE2 compound files (MS-CFB): the format of
 * legacy Office documents, MSI packages, vbaProject.bin and encrypted
 * OOXML.  It reads the allocation tables and the directory from a spool
 * file and reads streams (regular or mini) up to a caller's bound.
 * Every sector number is checked against the file, every chain is cut at
 * as many steps as the file has sectors, so loops and lies end as errors.
 */
#ifndef RS_OLE_H
#define RS_OLE_H

#include <stddef.h>
#include <stdint.h>

#define OLE_STORAGE 1
#define OLE_STREAM  2
#define OLE_ROOT    5

typedef struct OLE_ENTRY {
    char    name[96];             /* UTF-8 */
    int     type;                 /* OLE_* or 0 unused */
    uint32_t start;
    uint64_t size;
} OLE_ENTRY;

typedef struct OLE OLE;

/* Open the compound file in fd (size bytes); NULL with *err set. */
OLE    *ole_open(int fd, uint64_t size, const char **err);
void    ole_close(OLE *o);
size_t  ole_count(const OLE *o);
const OLE_ENTRY *ole_entry(const OLE *o, size_t i);
/* Read up to max bytes of stream e into buf; bytes read, or -1. */
long    ole_read(OLE *o, const OLE_ENTRY *e, unsigned char *buf, size_t max);

#endif
