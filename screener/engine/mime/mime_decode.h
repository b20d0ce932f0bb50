/*
 * mime_decode.h - streaming Content-Transfer-Encoding decoders.
 *
 * Each decoder keeps its state between calls, so input may be cut
 * anywhere (inside a base64 quantum, after a QP '=', inside a uuencoded
 * line, in white space at the end of a QP line).  out must hold len + DECODE_SLACK bytes (output held back from
 * earlier calls, e.g. a uuencoded line, may come out with the last byte).
 */
#ifndef RS_MIME_DECODE_H
#define RS_MIME_DECODE_H

#include <stddef.h>
#include <stdint.h>

typedef enum CTE {
    CTE_IDENTITY = 0,             /* 7bit, 8bit, binary, none, unknown */
    CTE_BASE64,
    CTE_QP,
    CTE_UUENCODE,
} CTE;

#define UU_LINE_MAX 256
#define UU_NAMES_MAX 4                /* files kept per uuencoded part */
#define DECODE_SLACK UU_LINE_MAX
#define QP_HOLD_MAX 128               /* trailing white space held back */

typedef struct DECODER {
    CTE     cte;
    uint32_t acc;                 /* base64: bits collected */
    int     nbits;                /* base64: sextets in acc */
    int     qp;                   /* QP: 0, 1 after '=', 2 after "=X" */
    int     qp_hi;
    unsigned char qp_first;       /* the X of "=X" */
    int     uu_state;             /* 0 before "begin", 1 data, 2 end */
    char    uu_line[UU_LINE_MAX];
    size_t  uu_len;
    char    uu_name[UU_NAMES_MAX][256];   /* from the "begin" lines */
    int     uu_nnames;
    int     uu_more;              /* more "begin" lines than that */
    /* Python's reading (the alternative one screened besides the
     * clients'): base64 ends at the first pad that completes a quantum
     * (binascii.a2b_base64), QP keeps trailing white space and "= "
     * (binascii.a2b_qp).  Otherwise base64 goes on after a pad and QP
     * deletes the white space at the end of each line (RFC 2045 6.7). */
    int     python;
    int     pads, stopped;        /* base64, Python's reading */
    unsigned char qp_hold[QP_HOLD_MAX];   /* "[ \t]*\r?" at a chunk end */
    size_t  qp_nhold;
} DECODER;

CTE     cte_by_name(const char *name);
/* Value of a hex digit (either case), -1 if c is none. */
int     hex_digit(int c);
void    decoder_init(DECODER *d, CTE cte);
/* The same, for Python's reading. */
void    decoder_init_python(DECODER *d, CTE cte);
/* Decode len bytes of in; returns the number of bytes written to out. */
size_t  decoder_run(DECODER *d, const unsigned char *in, size_t len,
		    unsigned char *out);
/* End of input: returns bytes written to out (at most DECODE_SLACK). */
size_t  decoder_finish(DECODER *d, unsigned char *out);

#endif
