/*
 * mime_fields.c - the MIME parser's header fields: Content-Type,
 * -Disposition, -Transfer-Encoding and every name a client may save a
 * part under.
 *
 * Structure (type, boundary, charset, encoding) is read as the clients
 * read it (mime_params.c, flags 0; the boundary literally, without RFC
 * 2047, trailing white space trimmed as Python does).  Names are read
 * every way a client or Python's email package reads them, and each
 * name any reading yields is kept: the client reading, RFC 822 comments
 * skipped, ',' as a separator, the value cut at a NUL byte as a C
 * program sees it, RFC 2047 decoded and not, and the legacy
 * Content-Name and X-Sun-Data-Name fields Thunderbird honours.
 *
 * A part header that goes on after a line without a colon (the body
 * starts there for Python and for us) is read on to its blank line as
 * Thunderbird does (hdr_shadow): its names count, and a field there
 * that would change the part's type, charset or encoding makes two
 * readings of the tree we cannot both follow: limit "ambiguous".
 */
#include <config.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mime_header.h"
#include "mime_parser_int.h"
#include "mymalloc.h"

/* field-name *WSP ":" (RFC 5322 4.5.8 obsolete syntax, which Postfix
 * and mail clients accept: "Content-Type : multipart/mixed" is one). */
int     mp_valid_field_name(const char *l, size_t len)
{
    size_t  i, n;

    for (i = 0; i < len && l[i] != ':' && l[i] != ' ' && l[i] != '\t'; i++)
	if (l[i] < ' ' || l[i] >= 127)
	    return 0;
    for (n = i; i < len && (l[i] == ' ' || l[i] == '\t'); i++)
	 /* void */ ;
    return n > 0 && i < len && l[i] == ':';
}

/* Every distinct name counts: one we could not keep might be the one a
 * client shows, so more than MIME_NAMES_MAX is a limit, not a drop. */
static void add_one(MIME_PARSER *mp, FRAME *f, const char *v)
{
    size_t  i;

    if (*v == 0)
	return;
    for (i = 0; i < f->part.names.n; i++)
	if (strcmp(f->part.names.v[i], v) == 0)
	    return;
    if (f->part.names.n >= MIME_NAMES_MAX) {
	mp_limit_hit(mp, "names");
	return;
    }
    strlist_add(&f->part.names, v);
}

/* Length of a character Python's str.strip() removes at p, else 0:
 * ASCII white space, \x1c-\x1f, and Unicode's (UTF-8). */
static size_t strip_len(const unsigned char *p)
{
    if ((*p >= 0x09 && *p <= 0x0d) || (*p >= 0x1c && *p <= 0x20))
	return 1;
    if (p[0] == 0xc2 && (p[1] == 0x85 || p[1] == 0xa0))
	return 2;
    if ((p[0] == 0xe1 && p[1] == 0x9a && p[2] == 0x80)
	|| (p[0] == 0xe2 && p[1] == 0x80 && ((p[2] >= 0x80 && p[2] <= 0x8a) || p[2] == 0xa8
					       || p[2] == 0xa9 || p[2] == 0xaf))
	|| (p[0] == 0xe2 && p[1] == 0x81 && p[2] == 0x9f)
	|| (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80))
	return 3;
    return 0;
}

/* The name as Python's get_filename() returns it: stripped. */
static void add_stripped(MIME_PARSER *mp, FRAME *f, const char *v)
{
    const unsigned char *s = (const unsigned char *) v, *e, *q;
    size_t  n;
    char   *copy;

    while ((n = strip_len(s)) > 0)
	s += n;
    for (e = s, q = s; *q; q += n ? n : 1)
	if ((n = strip_len(q)) == 0)
	    e = q + 1;
    /* e is past the last byte that is not white space (a continuation
     * byte of a character ends it: move to the character's end). */
    while ((*e & 0xc0) == 0x80)
	e++;
    if (s == (const unsigned char *) v && *e == 0)
	return;
    copy = mystrndup((const char *) s, (size_t) (e - s));
    add_one(mp, f, copy);
    myfree(copy);
}

/* A name as given, RFC 2047-decoded (clients decode encoded words even
 * where RFC 2047 forbids them, in quoted parameter values), and each as
 * Python strips it. */
void    mp_add_name(MIME_PARSER *mp, FRAME *f, const char *v)
{
    size_t  len = strlen(v), sz = len * 4 + 16;
    char   *dec;

    if (strstr(v, "=?") != NULL) {
	dec = mymalloc(sz);
	rfc2047_decode(v, len, dec, sz);
	add_one(mp, f, dec);
	add_stripped(mp, f, dec);
	myfree(dec);
    }
    add_one(mp, f, v);
    add_stripped(mp, f, v);
}

typedef struct PCTX {
    MIME_PARSER *mp;
    FRAME  *f;
    int     is_ctype;
    char    boundary[MIME_BOUNDARY_MAX + 1];    /* other readings' */
    int     has_boundary;
} PCTX;

static void trim_boundary(char *b)
{
    size_t  l = strlen(b);

    while (l > 0 && isspace((unsigned char) b[l - 1]))
	b[--l] = 0;
}

static void set_boundary(FRAME *f, char *value)
{
    size_t  l;

    trim_boundary(value);
    l = strlen(value);
    if (f->bparam > 0 || f->long_boundary) {
	/* A second, different boundary: clients pick one or the other. */
	if (f->long_boundary || strcmp(value, f->boundary) != 0)
	    f->conflict = 1;
    } else if (l > 0 && l <= MIME_BOUNDARY_MAX) {
	memcpy(f->boundary, value, l + 1);
	f->bparam = l;
    } else if (l > MIME_BOUNDARY_MAX) {
	f->long_boundary = 1;
    }
}

/* The client reading of Content-Type / Content-Disposition. */
static void client_param(void *ctx, const char *name, const char *value)
{
    PCTX   *pc = ctx;
    FRAME  *f = pc->f;

    if (strcmp(name, "name") == 0 || strcmp(name, "filename") == 0) {
	/* Clients take either name from either field. */
	mp_add_name(pc->mp, f, value);
    } else if (pc->is_ctype && strcmp(name, "charset") == 0
	       && !f->part.charset[0]) {
	mp_copy_str(f->part.charset, sizeof(f->part.charset), value);
    } else if (pc->is_ctype && strcmp(name, "boundary") == 0) {
	char   *b = mystrdup(value);

	set_boundary(f, b);
	myfree(b);
    }
}

/* Other readings: names, and the boundary to compare. */
static void other_param(void *ctx, const char *name, const char *value)
{
    PCTX   *pc = ctx;

    if (strcmp(name, "name") == 0 || strcmp(name, "filename") == 0)
	mp_add_name(pc->mp, pc->f, value);
    else if (pc->is_ctype && strcmp(name, "boundary") == 0
	     && !pc->has_boundary) {
	pc->has_boundary = 1;
	mp_copy_str(pc->boundary, sizeof(pc->boundary), value);
	trim_boundary(pc->boundary);
    }
}

static void add_shadow(FRAME *f, const char *b)
{
    size_t  l = strlen(b);
    int     i;

    if (l == 0 || l > MIME_BOUNDARY_MAX || f->nshadow == MIME_SHADOWS
	|| (f->bparam == l && memcmp(f->boundary, b, l) == 0))
	return;
    for (i = 0; i < f->nshadow; i++)
	if (strcmp(f->shadow[i], b) == 0)
	    return;
    memcpy(f->shadow[f->nshadow], b, l + 1);
    f->slen[f->nshadow++] = l;
}

/* The boundary as Python's default policy has it: comments skipped
 * (pc->boundary) and encoded words decoded, either way. */
static void shadow_boundaries(FRAME *f, PCTX *pc)
{
    char    dec[4 * MIME_BOUNDARY_MAX + 16];

    if (pc->has_boundary)
	add_shadow(f, pc->boundary);
    if (f->bparam && strstr(f->boundary, "=?")) {
	rfc2047_decode(f->boundary, f->bparam, dec, sizeof(dec));
	trim_boundary(dec);
	add_shadow(f, dec);
    }
    if (pc->has_boundary && strstr(pc->boundary, "=?")) {
	rfc2047_decode(pc->boundary, strlen(pc->boundary), dec, sizeof(dec));
	trim_boundary(dec);
	add_shadow(f, dec);
    }
}

/* Every reading of a parameter field; returns the client reading's
 * token in tok, -1 when a reading had too many parameters. */
static int read_params(MIME_PARSER *mp, FRAME *f, const char *value,
		               int is_ctype, int names_only, char *tok,
		               size_t toksize)
{
    PCTX    pc;
    char    other[128];
    int     rc = 0;

    memset(&pc, 0, sizeof(pc));
    pc.mp = mp;
    pc.f = f;
    pc.is_ctype = is_ctype && !names_only;
    if (mime_parse_params(value, tok, toksize, 0,
			  names_only ? other_param : client_param, &pc) < 0)
	rc = -1;
    pc.is_ctype = is_ctype && !names_only;
    if (mime_parse_params(value, other, sizeof(other), PARAM_RFC822,
			  other_param, &pc) < 0)
	rc = -1;
    pc.is_ctype = 0;
    if (mime_parse_params(value, other, sizeof(other), PARAM_COMMA,
			  other_param, &pc) < 0)
	rc = -1;
    if (mime_parse_params(value, other, sizeof(other), PARAM_RAW,
			  other_param, &pc) < 0)
	rc = -1;
    if (is_ctype && !names_only)
	shadow_boundaries(f, &pc);
    return rc;
}

static void no_param(void *ctx, const char *name, const char *value)
{
}

static int is_legacy_name(const char *name)
{
    return strcasecmp(name, "Content-Name") == 0
	|| strcasecmp(name, "X-Sun-Data-Name") == 0;
}

/* The fields that matter, as read (names_only: a second reading of a
 * field that only its names may come from). */
static void content_field(MIME_PARSER *mp, FRAME *f, const char *name,
			          const char *value, int names_only)
{
    char    tok[128];

    if (strcasecmp(name, "Content-Type") == 0) {
	if (read_params(mp, f, value, 1, names_only, tok, sizeof(tok)) < 0) {
	    mp_limit_hit(mp, "parameters");
	    return;
	}
	if (names_only)
	    return;
	if (!f->part.has_type) {
	    f->part.has_type = 1;
	    mp_copy_str(f->part.type, sizeof(f->part.type), tok);
	} else if (*tok && strcmp(tok, f->part.type) != 0) {
	    f->conflict = 1;
	}
    } else if (strcasecmp(name, "Content-Disposition") == 0) {
	if (read_params(mp, f, value, 0, names_only, tok, sizeof(tok)) < 0) {
	    mp_limit_hit(mp, "parameters");
	    return;
	}
	if (!f->got_disp && !names_only) {
	    f->got_disp = 1;
	    mp_copy_str(f->part.disposition, sizeof(f->part.disposition), tok);
	}
    } else if (strcasecmp(name, "Content-Transfer-Encoding") == 0
	       && !names_only) {
	(void) mime_parse_params(value, tok, sizeof(tok), 0, no_param, NULL);
	if (!f->got_cte) {
	    f->got_cte = 1;
	    f->part.cte = cte_by_name(tok);
	} else if (cte_by_name(tok) != f->part.cte) {
	    f->conflict = 1;
	}
    } else if (is_legacy_name(name)) {
	mp_add_name(mp, f, value);
    }
}

void    mp_process_field(MIME_PARSER *mp, FRAME *f, const char *name,
			          const char *value)
{
    if (++f->nheaders > mp->lim.max_headers) {
	mp_limit_hit(mp, "headers");
	return;
    }
    mp->cb->header(mp->ctx, &f->part, name, value);
    content_field(mp, f, name, value, 0);
    /* Fields that disagree on the structure or the encoding: which one a
     * client believes differs, and the other reading could hide parts or
     * text.  Refuse rather than guess. */
    if (f->conflict)
	mp_limit_hit(mp, "ambiguous");
}

/* Split "Name : value" in place; NULL when there is no colon. */
static char *split_field(char *field, char **value)
{
    char   *colon, *v, *e;

    if ((colon = strchr(field, ':')) == NULL)
	return NULL;
    *colon = 0;
    for (e = colon; e > field && (e[-1] == ' ' || e[-1] == '\t');)
	*--e = 0;
    for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
	 /* void */ ;
    hdr_unfold(v);
    for (e = v + strlen(v); e > v && (e[-1] == ' ' || e[-1] == '\t');)
	*--e = 0;
    *value = v;
    return field;
}

/* A NUL byte in a field does not end it for clients that count bytes:
 * it becomes a space; C programs see the value cut there, so that
 * reading's names are taken as well.  Returns the cut copy, or NULL. */
static char *field_nuls(MIME_PARSER *mp)
{
    char   *cut = NULL, *p;

    if (memchr(mp->field, 0, mp->flen) == NULL)
	return NULL;
    cut = mystrdup(mp->field);
    for (p = mp->field; p < mp->field + mp->flen; p++)
	if (*p == 0)
	    *p = ' ';
    return cut;
}

void    mp_flush_field(MIME_PARSER *mp, FRAME *f)
{
    char   *cut, *name, *v;

    if (!mp->have_field)
	return;
    mp->have_field = 0;
    mp->field[mp->flen] = 0;
    cut = field_nuls(mp);
    if ((name = split_field(mp->field, &v)) != NULL)
	mp_process_field(mp, f, name, v);
    if (cut && !mp->dead && (name = split_field(cut, &v)) != NULL)
	content_field(mp, f, name, v, 1);
    myfree(cut);
}

void    mp_field_append(MIME_PARSER *mp, const char *s, size_t n)
{
    if (mp->flen + n > mp->lim.max_header_size) {
	mp_limit_hit(mp, "header_size");
	return;
    }
    if (mp->flen + n + 1 > mp->fcap)
	mp->field = mygrow(mp->field, &mp->fcap, mp->flen + n + 1, 1);
    memcpy(mp->field + mp->flen, s, n);
    mp->flen += n;
}

/* Thunderbird's reading of a header that went on past a line without a
 * colon (hdr_shadow). */

typedef struct SHADOW_CT {
    char    charset[64];
} SHADOW_CT;

static void shadow_ct_param(void *ctx, const char *name, const char *value)
{
    SHADOW_CT *sc = ctx;

    if (strcmp(name, "charset") == 0 && !sc->charset[0])
	mp_copy_str(sc->charset, sizeof(sc->charset), value);
}

/* A field of that reading: its names count; one that changes what the
 * part is makes a second tree we cannot follow as well. */
static void shadow_apply(MIME_PARSER *mp, FRAME *f, const char *name,
			         const char *value)
{
    MIME_PART *p = &f->part;
    SHADOW_CT sc;
    char    tok[128];
    int     differs = 0;

    if (strcasecmp(name, "Content-Type") == 0) {
	memset(&sc, 0, sizeof(sc));
	(void) mime_parse_params(value, tok, sizeof(tok), 0, shadow_ct_param,
				 &sc);
	differs = (*tok && strcmp(tok, p->type) != 0)
	    || (p->is_text && sc.charset[0]
		&& strcasecmp(sc.charset, p->charset) != 0);
    } else if (strcasecmp(name, "Content-Transfer-Encoding") == 0) {
	(void) mime_parse_params(value, tok, sizeof(tok), 0, no_param, NULL);
	differs = cte_by_name(tok) != p->cte;
    } else if (strcasecmp(name, "Content-Disposition") == 0) {
	(void) mime_parse_params(value, tok, sizeof(tok), 0, no_param, NULL);
	if (!p->disposition[0])
	    mp_copy_str(p->disposition, sizeof(p->disposition), tok);
    }
    if (differs) {
	mp_limit_hit(mp, "ambiguous");
	return;
    }
    content_field(mp, f, name, value, 1);
}

static void shadow_flush(MIME_PARSER *mp, FRAME *f)
{
    char   *name, *v, *p;

    if (!mp->shadow_field)
	return;
    mp->shadow_field = 0;
    mp->field[mp->flen] = 0;
    for (p = mp->field; p < mp->field + mp->flen; p++)
	if (*p == 0)
	    *p = ' ';
    if ((name = split_field(mp->field, &v)) != NULL)
	shadow_apply(mp, f, name, v);
}

static int content_name(const char *l, size_t len)
{
    return (len >= 8 && strncasecmp(l, "Content-", 8) == 0)
	|| (len >= 15 && strncasecmp(l, "X-Sun-Data-Name", 15) == 0);
}

void    mp_shadow_line(MIME_PARSER *mp, FRAME *f, const char *l, size_t len)
{
    if (!f->hdr_shadow || mp->dead)
	return;
    f->shadow_lines++;
    f->shadow_bytes += len;
    if (len == 0 || f->shadow_lines > (size_t) mp->lim.max_headers
	|| f->shadow_bytes > mp->lim.max_header_size) {
	/* The blank line ends that header; past our header limits we
	 * stop reading it (documented). */
	mp_shadow_end(mp, f);
	return;
    }
    if (l[0] == ' ' || l[0] == '\t') {
	if (mp->shadow_field)
	    mp_field_append(mp, l, len);
	return;
    }
    shadow_flush(mp, f);
    if (!mp->dead && mp_valid_field_name(l, len)) {
	mp->flen = 0;
	mp->shadow_field = 1;
	mp_field_append(mp, l, len);
    }
}

/* A line longer than we collect: a field of that reading we cannot see
 * whole is a limit if it could be one that matters. */
void    mp_shadow_long(MIME_PARSER *mp, FRAME *f, const char *l, size_t len)
{
    if (!f->hdr_shadow || mp->dead)
	return;
    if ((l[0] == ' ' || l[0] == '\t') ? mp->shadow_field
	&& content_name(mp->field, mp->flen)
	: mp_valid_field_name(l, len) && content_name(l, len)) {
	mp_limit_hit(mp, "ambiguous");
	return;
    }
    shadow_flush(mp, f);
}

void    mp_shadow_end(MIME_PARSER *mp, FRAME *f)
{
    if (!f->hdr_shadow)
	return;
    shadow_flush(mp, f);
    f->hdr_shadow = 0;
}
