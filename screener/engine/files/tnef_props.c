/*
 * tnef_props.c - MAPI property blocks inside TNEF (MS-OXTNEF 2.1.3.4):
 * a count, then per property its type, id, an optional name (named
 * properties), and one or more values.  Only where the values we use lie
 * is recorded; every count and length is checked against what is left
 * of the block, so a lying field ends the block as unreadable.
 */
#include <config.h>

#include <string.h>

#include "spool.h"
#include "tnef_int.h"

/* Property types (the low 12 bits; 0x1000 marks multiple values). */
#define PT_SHORT     0x0002
#define PT_LONG      0x0003
#define PT_FLOAT     0x0004
#define PT_DOUBLE    0x0005
#define PT_CURRENCY  0x0006
#define PT_APPTIME   0x0007
#define PT_ERROR     0x000A
#define PT_BOOLEAN   0x000B
#define PT_OBJECT    0x000D
#define PT_I8        0x0014
#define PT_STRING8   0x001E
#define PT_UNICODE   0x001F
#define PT_SYSTIME   0x0040
#define PT_CLSID     0x0048
#define PT_BINARY    0x0102
#define PT_NULL      0x0001
#define MV_FLAG      0x1000

/* Property ids we use. */
#define PR_BODY               0x1000
#define PR_RTF_COMPRESSED     0x1009
#define PR_BODY_HTML          0x1013
#define PR_ATTACH_DATA_OBJ    0x3701
#define PR_ATTACH_FILENAME    0x3704
#define PR_ATTACH_LONG_FILENAME 0x3707

typedef struct CUR {
    TNEF   *t;
    uint64_t off, end;
} CUR;

int     tnef_read(TNEF *t, uint64_t off, void *buf, size_t n)
{
    long    r;

    if (off > t->size || n > t->size - off)
	return -1;
    r = spool_pread(t->fd, buf, n, off);
    return r == (long) n ? 0 : -1;
}

static int cur_u32(CUR *c, uint32_t *v)
{
    unsigned char b[4];

    if (c->end - c->off < 4 || tnef_read(c->t, c->off, b, 4) < 0)
	return -1;
    *v = (uint32_t) b[0] | (uint32_t) b[1] << 8 | (uint32_t) b[2] << 16
	| (uint32_t) b[3] << 24;
    c->off += 4;
    return 0;
}

static int cur_skip(CUR *c, uint64_t n)
{
    if (c->end - c->off < n)
	return -1;
    c->off += n;
    return 0;
}

static uint64_t pad4(uint64_t n)
{
    return (n + 3) & ~(uint64_t) 3;
}

static size_t fixed_size(unsigned type)
{
    switch (type) {
    case PT_NULL: case PT_SHORT: case PT_LONG: case PT_FLOAT:
    case PT_ERROR: case PT_BOOLEAN:
	return 4;
    case PT_DOUBLE: case PT_CURRENCY: case PT_APPTIME: case PT_I8:
    case PT_SYSTIME:
	return 8;
    case PT_CLSID:
	return 16;
    default:
	return 0;
    }
}

static void note(TNEF *t, TNEF_ATT *a, unsigned id, unsigned type,
		         uint64_t off, uint64_t len)
{
    int     uni = type == PT_UNICODE;

    if (a == NULL) {
	TNEF_LOC *l = id == PR_BODY ? &t->pbody : id == PR_BODY_HTML
	    ? &t->html : id == PR_RTF_COMPRESSED ? &t->rtfc : NULL;

	if (l && !l->set && (type == PT_STRING8 || type == PT_BINARY
			     || type == PT_UNICODE)) {
	    l->off = off;
	    l->len = len;
	    l->uni = uni;
	    l->set = 1;
	}
	return;
    }
    if ((id == PR_ATTACH_LONG_FILENAME
	 || (id == PR_ATTACH_FILENAME && !a->longname.set))
	&& (type == PT_STRING8 || type == PT_UNICODE)) {
	a->longname.off = off;
	a->longname.len = len;
	a->longname.uni = uni;
	a->longname.set = 1;
    } else if (id == PR_ATTACH_DATA_OBJ && !a->obj.set
	       && (type == PT_BINARY || (type == PT_OBJECT && len >= 16))) {
	a->obj.off = off;
	a->obj.len = len;
	a->obj.uni = type == PT_OBJECT;	/* skip its interface id */
	a->obj.set = 1;
    }
}

/* One property: tag, name, values. */
static int one_prop(CUR *c, TNEF_ATT *a)
{
    uint32_t tag, kind, n, nvals, k;
    unsigned type, id, base;

    if (cur_u32(c, &tag) < 0)
	return -1;
    type = tag & 0xffff;
    id = tag >> 16;
    base = type & ~MV_FLAG & 0xfff;
    if (id >= 0x8000) {			/* named: GUID, kind, id or name */
	if (cur_skip(c, 16) < 0 || cur_u32(c, &kind) < 0
	    || cur_u32(c, &n) < 0)
	    return -1;
	if (kind == 1 && cur_skip(c, pad4(n)) < 0)
	    return -1;
    }
    if ((type & MV_FLAG) || base == PT_STRING8 || base == PT_UNICODE
	|| base == PT_BINARY || base == PT_OBJECT) {
	if (cur_u32(c, &nvals) < 0 || nvals > (c->end - c->off) / 4)
	    return -1;
    } else {
	nvals = 1;
    }
    for (k = 0; k < nvals; k++) {
	if (base == PT_STRING8 || base == PT_UNICODE || base == PT_BINARY
	    || base == PT_OBJECT) {
	    if (cur_u32(c, &n) < 0 || n > c->end - c->off)
		return -1;
	    if (k == 0 && !(type & MV_FLAG))
		note(c->t, a, id, base, c->off, n);
	    if (cur_skip(c, pad4(n) <= c->end - c->off ? pad4(n) : n) < 0)
		return -1;
	} else if (fixed_size(base) == 0) {
	    return -1;
	} else if (cur_skip(c, pad4(fixed_size(base))) < 0) {
	    return -1;
	}
    }
    return 0;
}

void    tnef_props(TNEF *t, uint64_t off, uint64_t len, TNEF_ATT *a)
{
    CUR     c;
    uint32_t count, i;

    c.t = t;
    c.off = off;
    c.end = off + len;
    if (cur_u32(&c, &count) < 0 || count > TNEF_PROPS_MAX
	|| count > (c.end - c.off) / 4) {
	t->bad = "bad MAPI property count";
	return;
    }
    for (i = 0; i < count; i++)
	if (one_prop(&c, a) < 0) {
	    t->bad = "bad MAPI property";
	    return;
	}
}

void    tnef_utf16(const unsigned char *in, size_t n, char *out,
		           size_t size)
{
    size_t  i, o = 0;

    for (i = 0; i + 1 < n; i += 2) {
	uint32_t cp = (uint32_t) in[i] | (uint32_t) in[i + 1] << 8;

	if (cp == 0)
	    break;
	if (cp >= 0xd800 && cp < 0xdc00 && i + 3 < n) {
	    uint32_t lo = (uint32_t) in[i + 2] | (uint32_t) in[i + 3] << 8;

	    if (lo >= 0xdc00 && lo < 0xe000) {
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		i += 2;
	    }
	}
	if (o + 5 > size)
	    break;
	if (cp < 0x80)
	    out[o++] = (char) cp;
	else if (cp < 0x800) {
	    out[o++] = (char) (0xc0 | cp >> 6);
	    out[o++] = (char) (0x80 | (cp & 63));
	} else if (cp < 0x10000) {
	    out[o++] = (char) (0xe0 | cp >> 12);
	    out[o++] = (char) (0x80 | ((cp >> 6) & 63));
	    out[o++] = (char) (0x80 | (cp & 63));
	} else {
	    out[o++] = (char) (0xf0 | cp >> 18);
	    out[o++] = (char) (0x80 | ((cp >> 12) & 63));
	    out[o++] = (char) (0x80 | ((cp >> 6) & 63));
	    out[o++] = (char) (0x80 | (cp & 63));
	}
    }
    out[o] = 0;
}
