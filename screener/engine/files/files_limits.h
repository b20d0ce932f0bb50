/*
 * files_limits.h - the container limits' defaults, in one place (the
 * limits group of screener.conf; sconf_files.c loads them, screener.conf(5)
 * and conf/screener.conf document them), and the fixed bounds of the
 * readers that are not configurable.
 */
#ifndef RS_FILES_LIMITS_H
#define RS_FILES_LIMITS_H

/* limits { ... } defaults */
#define DEF_ARCHIVE_DEPTH      4              /* nested containers opened */
#define DEF_ARCHIVE_MEMBERS    10000          /* files inside, per message */
#define DEF_ARCHIVE_SIZE       (50ULL << 20)  /* one container, compressed */
#define DEF_ARCHIVE_EXPANSION  (512ULL << 20) /* read out, per message */
#define DEF_ARCHIVE_RATIO      1000           /* read out / container size */
#define DEF_ARCHIVE_DICTIONARY (64ULL << 20)  /* LZMA dictionary (xz -9, 7z -mx9) */

/* Upper bounds of the settings themselves. */
#define MAX_ARCHIVE_DEPTH      16
#define MAX_ARCHIVE_MEMBERS    10000000UL
#define MAX_ARCHIVE_DICTIONARY (4ULL << 30)

/* Fixed bounds of the readers. */
#define FILE_HEAD_SNIFF   4096            /* bytes that name most formats */
#define FILE_HEAD_MAX     40960           /* ISO 9660/UDF: descriptors at 32K */
#define FILE_PATH_MAX     1024            /* member path shown in verdicts */
#define FILE_CHUNK        65536           /* read unit from containers */
#define TNEF_ATTACH_MAX   10000           /* attachments in one TNEF */
#define TNEF_NAME_MAX     4096            /* a TNEF file name attribute */
#define TNEF_PROPS_MAX    100000          /* MAPI properties per block */
#define OLE_DIR_MAX       65536           /* OLE directory entries */
#define OLE_STREAM_MAX    (4U << 20)      /* OLE stream read for macros */
#define INLINE_LINE_MAX   1024            /* uuencode/yEnc/BinHex line */

#endif
