/*
 * charset_labels.c - charset labels as browsers and mail clients know
 * them, mapped to the names iconv knows.
 *
 * The table is the WHATWG Encoding Standard's label table (every label
 * of every encoding; what Thunderbird, Gmail's web client and every
 * browser accept), plus the UTF-7 labels mail clients still decode.
 * Deviations, each on purpose: WHATWG's "replacement" encoding (ISO-2022-
 * KR/CN, HZ) would turn the whole text into one U+FFFD, which hides it
 * from rules while older clients (Outlook) show it, so those labels map
 * to the real decoders; x-user-defined maps to ISO-8859-1 (its upper
 * half is private-use characters no rule names).  US-ASCII, which
 * WHATWG reads as windows-1252, is passed through by charset.c: 8-bit
 * bytes under that label are UTF-8 more often than anything else.
 */
#include <config.h>

#include <string.h>
#include <strings.h>

#include "charset.h"

typedef struct LABELS {
    const char *iconv;
    const char *labels;           /* space-separated, lower case */
} LABELS;

static const LABELS table[] = {
    {"UTF-8", "unicode-1-1-utf-8 unicode11utf8 unicode20utf8 utf-8 utf8 "
    "x-unicode20utf8"},
    {"IBM866", "866 cp866 csibm866 ibm866"},
    {"ISO-8859-2", "csisolatin2 iso-8859-2 iso-ir-101 iso8859-2 iso88592 "
    "iso_8859-2 iso_8859-2:1987 l2 latin2"},
    {"ISO-8859-3", "csisolatin3 iso-8859-3 iso-ir-109 iso8859-3 iso88593 "
    "iso_8859-3 iso_8859-3:1988 l3 latin3"},
    {"ISO-8859-4", "csisolatin4 iso-8859-4 iso-ir-110 iso8859-4 iso88594 "
    "iso_8859-4 iso_8859-4:1988 l4 latin4"},
    {"ISO-8859-5", "csisolatincyrillic cyrillic iso-8859-5 iso-ir-144 "
    "iso8859-5 iso88595 iso_8859-5 iso_8859-5:1988"},
    {"ISO-8859-6", "arabic asmo-708 csiso88596e csiso88596i "
	"csisolatinarabic ecma-114 iso-8859-6 iso-8859-6-e iso-8859-6-i "
    "iso-ir-127 iso8859-6 iso88596 iso_8859-6 iso_8859-6:1987"},
    {"ISO-8859-7", "csisolatingreek ecma-118 elot_928 greek greek8 "
	"iso-8859-7 iso-ir-126 iso8859-7 iso88597 iso_8859-7 "
    "iso_8859-7:1987 sun_eu_greek"},
    {"ISO-8859-8", "csiso88598e csisolatinhebrew hebrew iso-8859-8 "
	"iso-8859-8-e iso-ir-138 iso8859-8 iso88598 iso_8859-8 "
    "iso_8859-8:1988 visual csiso88598i iso-8859-8-i logical"},
    {"ISO-8859-10", "csisolatin6 iso-8859-10 iso-ir-157 iso8859-10 "
    "iso885910 l6 latin6"},
    {"ISO-8859-13", "iso-8859-13 iso8859-13 iso885913"},
    {"ISO-8859-14", "iso-8859-14 iso8859-14 iso885914"},
    {"ISO-8859-15", "csisolatin9 iso-8859-15 iso8859-15 iso885915 "
    "iso_8859-15 l9"},
    {"ISO-8859-16", "iso-8859-16"},
    {"KOI8-R", "cskoi8r koi koi8 koi8-r koi8_r"},
    {"KOI8-U", "koi8-ru koi8-u"},
    {"MACINTOSH", "csmacintosh mac macintosh x-mac-roman"},
    {"CP874", "dos-874 iso-8859-11 iso8859-11 iso885911 tis-620 "
    "windows-874"},
    {"CP1250", "cp1250 windows-1250 x-cp1250"},
    {"CP1251", "cp1251 windows-1251 x-cp1251"},
    {"CP1252", "cp1252 cp819 csisolatin1 ibm819 iso-8859-1 iso-ir-100 "
	"iso8859-1 iso88591 iso_8859-1 iso_8859-1:1987 l1 latin1 "
    "windows-1252 x-cp1252"},
    {"CP1253", "cp1253 windows-1253 x-cp1253"},
    {"CP1254", "cp1254 csisolatin5 iso-8859-9 iso-ir-148 iso8859-9 "
    "iso88599 iso_8859-9 iso_8859-9:1989 l5 latin5 windows-1254 x-cp1254"},
    {"CP1255", "cp1255 windows-1255 x-cp1255"},
    {"CP1256", "cp1256 windows-1256 x-cp1256"},
    {"CP1257", "cp1257 windows-1257 x-cp1257"},
    {"CP1258", "cp1258 windows-1258 x-cp1258"},
    {"MAC-CYRILLIC", "x-mac-cyrillic x-mac-ukrainian"},
    {"GB18030", "chinese csgb2312 csiso58gb231280 gb2312 gb_2312 "
    "gb_2312-80 gbk iso-ir-58 x-gbk gb18030"},
    {"BIG5-HKSCS", "big5 big5-hkscs cn-big5 csbig5 x-x-big5"},
    {"EUC-JP", "cseucpkdfmtjapanese euc-jp x-euc-jp"},
    {"ISO-2022-JP", "csiso2022jp iso-2022-jp"},
    {"CP932", "csshiftjis ms932 ms_kanji shift-jis shift_jis sjis "
    "windows-31j x-sjis"},
    {"CP949", "cseuckr csksc56011987 euc-kr iso-ir-149 korean "
    "ks_c_5601-1987 ks_c_5601-1989 ksc5601 ksc_5601 windows-949"},
    {"ISO-2022-KR", "csiso2022kr iso-2022-kr"},
    {"ISO-2022-CN", "iso-2022-cn"},
    {"ISO-2022-CN-EXT", "iso-2022-cn-ext"},
    {"UTF-16BE", "unicodefffe utf-16be"},
    {"UTF-16LE", "csunicode iso-10646-ucs-2 ucs-2 unicode unicodefeff "
    "utf-16 utf-16le"},
    {"ISO-8859-1", "x-user-defined"},
    {"UTF-7", "utf-7 utf7 unicode-1-1-utf-7 csunicode11utf7 "
    "x-unicode-2-0-utf-7 unicode-2-0-utf-7"},
};

/* Is the word w (length n) one of the space-separated labels? */
static int has_label(const char *labels, const char *w, size_t n)
{
    const char *p = labels, *e;

    while (*p) {
	e = strchr(p, ' ');
	if (e == NULL)
	    e = p + strlen(p);
	if ((size_t) (e - p) == n && strncasecmp(p, w, n) == 0)
	    return 1;
	p = *e ? e + 1 : e;
    }
    return 0;
}

const char *charset_iconv_name(const char *label)
{
    const char *e;
    size_t  i, n;

    /* WHATWG: leading and trailing ASCII white space is not part of it. */
    while (*label == ' ' || *label == '\t' || *label == '\n'
	   || *label == '\r' || *label == '\f')
	label++;
    for (e = label + strlen(label); e > label && (e[-1] == ' '
			|| e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'
						  || e[-1] == '\f'); e--)
	 /* void */ ;
    n = (size_t) (e - label);
    if (n == 0 || n > 64)
	return NULL;
    for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
	if (has_label(table[i].labels, label, n))
	    return table[i].iconv;
    return NULL;
}
