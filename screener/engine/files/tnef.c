#include <config.h>
#include "files_int.h"
void    tnef_walk(FILES *f, int d, int fd, uint64_t size) { (void) f; (void) d; (void) fd; (void) size; }
