/*
 * textpipe.h - one text stream from decoded part content to what rules
 * see: rendered by its type (HTML, enriched, richtext; plain as is),
 * then folded (fold.h), whose sink receives the visible and the folded
 * text.  Every stage streams with bounded state.
 */
#ifndef RS_TEXTPIPE_H
#define RS_TEXTPIPE_H

#include <stddef.h>
#include "enriched.h"
#include "fold.h"
#include "html.h"

typedef enum TEXT_KIND {
    TEXT_PLAIN = 0, TEXT_HTML, TEXT_ENRICHED, TEXT_RICHTEXT,
} TEXT_KIND;

typedef struct TEXT_PIPE {
    TEXT_KIND kind;
    FOLD_STREAM fold;
    union {
	HTML    html;
	ENRICHED enr;
    }       r;
} TEXT_PIPE;

/* The renderer of a lower-case MIME type ("text/html"). */
TEXT_KIND text_kind(const char *type);

void    tp_begin(TEXT_PIPE *tp, TEXT_KIND kind, const FOLD_SINK *sink);
void    tp_feed(TEXT_PIPE *tp, const char *buf, size_t len);
void    tp_end(TEXT_PIPE *tp);

#endif
