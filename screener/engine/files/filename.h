/*
 * filename.h - attachment names as Windows and mail clients save them.
 */
#ifndef RS_FILENAME_H
#define RS_FILENAME_H

#include <stddef.h>

#define ATTACH_NAME_MAX 256
#define NAME_VARIANTS 3

/* The forms a decoded (UTF-8) name can take on disk, each normalised
 * (path components, invisible and control characters removed, trailing
 * dots, Unicode white space and characters Windows cannot store
 * trimmed, ASCII case folded): [0] with an NTFS stream suffix cut
 * ("a.exe::$DATA", "a.exe:x" are a.exe), then, where they differ, the
 * form with those characters replaced by '_' as clients do, and the form
 * with runs of white space collapsed.  Writes up to NAME_VARIANTS
 * distinct forms (ATTACH_NAME_MAX bytes each; a longer name keeps its
 * start and its end, the extension) and returns their number (>= 1).
 * *controls is set when invisible or control characters were removed. */
size_t  filename_variants(const char *name, char out[][ATTACH_NAME_MAX],
			  int *controls);

#endif
