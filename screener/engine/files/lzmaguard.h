/*
 * lzmaguard.h - the LZMA decoders' dictionary bound (lzmaguard.c):
 * limits.max_archive_dictionary, applied to every liblzma decoder that
 * libarchive starts in this thread between enter and leave.
 */
#ifndef RS_LZMAGUARD_H
#define RS_LZMAGUARD_H

#include <stdint.h>

/* Around a container walk; nested walks keep the outer limit. */
void    lzma_guard_enter(uint64_t max_dictionary);
void    lzma_guard_leave(void);

/* Was a decoder refused (or stopped) for its dictionary since the last
 * call?  Clears the mark. */
int     lzma_guard_refused(void);

#endif
