/*
 * pflight.c - a connection's requests waiting for the rate store, in
 * arrival order (see pflight.h).
 */
#include <config.h>

#include <string.h>

#include "mymalloc.h"
#include "pflight.h"
#include "pstore.h"

void    pflight_fill(PFLIGHT *f, void *conn, const PPARSER *p, const PREQ *req,
		             const PDECISION *d, const RATE_QUERY *q)
{
    int     i;

    myfree(f->text);
    memset(f, 0, sizeof(*f));
    f->conn = conn;
    f->d = *d;
    f->q = *q;
    /* The request is the first req_end bytes of the parser's buffer. */
    f->text = mymemdup(p->buf, p->req_end);
    f->req.nattr = req->nattr;
    for (i = 0; i < PA_COUNT; i++)
	f->req.attr[i] = req->attr[i] ? f->text + (req->attr[i] - p->buf) : NULL;
}

void    pflight_push(PFLIGHTQ *fq, PFLIGHT *f)
{
    f->next = NULL;
    if (fq->tail)
	fq->tail->next = f;
    else
	fq->head = f;
    fq->tail = f;
    fq->n++;
}

PFLIGHT *pflight_pop_done(PFLIGHTQ *fq)
{
    PFLIGHT *f = fq->head;

    if (f == NULL || !f->done)
	return NULL;
    fq->head = f->next;
    if (fq->head == NULL)
	fq->tail = NULL;
    fq->n--;
    f->next = NULL;
    return f;
}

void    pflight_free(PFLIGHT *f)
{
    if (f == NULL)
	return;
    myfree(f->text);
    myfree(f);
}

void    pflight_clear(PFLIGHTQ *fq)
{
    PFLIGHT *f, *next;

    for (f = fq->head; f; f = next) {
	next = f->next;
	pstore_cancel(f->pending);
	pflight_free(f);
    }
    memset(fq, 0, sizeof(*fq));
}
