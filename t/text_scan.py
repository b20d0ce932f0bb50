#!/usr/bin/env python3
"""t/text_scan.py - issue 10 through screener --scan: the text a reader
sees (HTML rendered, invisible characters gone, Unicode folded,
sensitive numbers found).

Each case is a message built here and the verdict it must get under
t/text/text.conf; every message runs through scan_data() at chunk sizes
1, 7 and 4096 and through the milter API at 4096, so keywords split
across chunks inside entities, tags and UTF-8 sequences are covered.
"""
import os, shlex, subprocess, sys, tempfile
from tap import ok, done

SRC = os.environ.get("RS_SRCDIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
BUILD = os.environ.get("RS_BUILDDIR", ".")
SCREENER = os.path.join(BUILD, "screener", "screener")
CONF = os.path.join(SRC, "t", "text", "text.conf")
MODES = (["--chunk", "1"], ["--chunk", "7"], ["--chunk", "4096"], ["--milter-api", "--chunk", "4096"])


def msg(body, ctype="text/plain; charset=utf-8", subject="hello", cte="8bit", extra=""):
    head = ("From: a@example.com\r\nTo: b@example.com\r\nSubject: %s\r\n"
            "MIME-Version: 1.0\r\nContent-Type: %s\r\nContent-Transfer-Encoding: %s\r\n%s\r\n"
            % (subject, ctype, cte, extra))
    if isinstance(body, str):
        body = body.encode("utf-8")
    return head.encode("utf-8") + body.replace(b"\n", b"\r\n")


def scan(data, args=(), conf=CONF):
    with tempfile.NamedTemporaryFile(suffix=".eml", delete=False) as f:
        f.write(data)
        path = f.name
    try:
        r = subprocess.run([SCREENER, "--scan", "-c", conf] + list(args) + [path],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    finally:
        os.unlink(path)
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")


def fields(line):
    out = {}
    for tok in shlex.split(line.split(": ", 1)[1]) if ": " in line else []:
        if "=" in tok:
            k, v = tok.split("=", 1)
            out.setdefault(k, v)
    return out


def case(name, data, action, rule, match=None, args=()):
    """Run one message in every mode; the verdict (and match) must hold."""
    for mode in MODES:
        rc, out, err = scan(data, list(args) + mode)
        fl = fields(out.splitlines()[0]) if out else {}
        good = fl.get("action") == action and fl.get("rule") == rule
        if match is not None:
            good = good and fl.get("match") == match
        ok(good, f"{name} {' '.join(mode)}: {action} {rule}" + (f" match={match}" if match else ""),
           f"rc={rc} out={out!r} err={err[-400:]!r}")


def b64(s):
    import base64
    return base64.b64encode(s.encode("utf-8")).decode()


def subj(s):
    return "=?utf-8?B?%s?=" % b64(s)


HTML = "text/html; charset=utf-8"
OUT = ["--direction", "outbound"]

# HTML rendered: tags, comments, references, blocks; chunk 1 cuts every
# keyword inside its entities and tags.
for name, body in [
        ("&nbsp; between the words", "<p>Merger&nbsp;Plan</p>"),
        ("legacy &nbsp without ;", "<p>merger&nbsp plan</p>"),
        ("inline tag inside the phrase", "merger <b>plan</b>"),
        ("tag inside a word", "mer<span style=\"color:red\">ger</span> plan"),
        ("comment inside a word", "mer<!-- -->ger plan"),
        ("decimal reference", "&#109;erger plan"),
        ("hex reference", "merger &#x70;&#X6c;an"),
        ("named references", "m&eacute;rger &notit; &lt;b&gt;merger&NewLine;plan"),
        ("block element between the words", "merger<br>plan"),
        ("paragraphs between the words", "<p>merger</p><p>plan</p>"),
        ("upper-case tags and attributes", "<P CLASS=x>MERGER</P>\n<DIV>PLAN</DIV>"),
        ("conditional comment then text", "<!--[if mso]>x<![endif]-->merger plan"),
]:
    case("html: " + name, msg(body, HTML), "hold", "merger")
for name, body in [
        ("style content dropped", "<style>merger plan</style>ok"),
        ("script content dropped", "<script>var a='merger plan';</script>ok"),
        ("title in head dropped", "<html><head><title>merger plan</title></head><body>ok</body></html>"),
        ("comment dropped", "<!-- merger plan -->ok"),
        ("inline tag joins the words", "merger<b></b>plan"),
        ("attribute text is not text", "<div title=\"merger plan\">ok</div>"),
]:
    case("html: " + name, msg(body, HTML), "pass", "-")
# Found by a 30-minute fuzz_text run: a long text run after <plaintext>
# went out ahead of the text still buffered before it, so the phrase was
# read backwards when the part came in one chunk.
case("html: <plaintext> after buffered text keeps the order",
     msg("merger <plaintext>plan " + "filler " * 600, HTML), "hold", "merger")
case("html: end tag of script in another case", msg("<SCRIPT>x</ScRiPt >merger plan", HTML), "hold", "merger")
case("html: href matched as its own text", msg("<a href=\"https://evil.example.net/login\">click here</a>", HTML),
     "redirect", "link", "evil.example.net")
case("html: src matched", msg("<img src='http://evil.example.net/p.png'>", HTML), "redirect", "link")
case("html: href with a reference inside", msg("<a href=\"http://evil&#46;example&period;net/\">x</a>", HTML),
     "redirect", "link")
case("html: alt text matched", msg("<img alt=\"hidden  pony\" src=x>", HTML), "redirect", "link", "hidden pony")
case("html: quoted-printable HTML", msg("<p>mer=\n<b>ger</b>&nb=\nsp;plan</p>\n", HTML, cte="quoted-printable"),
     "hold", "merger")
case("html: base64 HTML", msg(b64("<i>Merger</i>&#160;<u>Plan</u>") + "\n", HTML, cte="base64"), "hold", "merger")

# text/enriched and text/richtext.
ENR = "text/enriched; charset=utf-8"
RICH = "text/richtext; charset=utf-8"
case("enriched: commands removed", msg("<bold>mer</bold><italic>ger</italic> plan", ENR), "hold", "merger")
case("enriched: << is <", msg("<<merger plan", ENR), "hold", "merger")
case("enriched: param content hidden", msg("<color><param>merger plan</param>ok</color>", ENR), "pass", "-")
case("richtext: <nl> is a line break", msg("<bold>merger</bold><nl>plan", RICH), "hold", "merger")
case("richtext: comment hidden", msg("<comment>merger plan</comment>ok", RICH), "pass", "-")

# Invisible characters, in the body, the subject and header fields.
for name, body in [
        ("soft hyphen", "mer\u00adger plan"),
        ("zero-width space", "merger\u200b plan"),
        ("zero-width joiner", "mer\u200dger pl\u200can"),
        ("word joiner and BOM", "merger \u2060pl\ufeffan"),
        ("bidi controls", "\u202emer\u202cger \u2066plan\u2069"),
        ("combining grapheme joiner", "mer\u034fger plan"),
        ("variation selectors", "merger\ufe0f plan\U000e0100"),
]:
    case("invisible: " + name, msg(body), "hold", "merger")
    case("invisible in HTML: " + name, msg("<p>" + body + "</p>", HTML), "hold", "merger")
case("invisible: subject", msg("ok\n", subject=subj("Mer\u200bger\u00ad plan")), "hold", "merger")
case("invisible: header field", msg("ok\n", extra="X-Note: %s\r\n" % subj("blue\u200b her\u00adon")),
     "tempfail", "hdr-word")

# Unicode white space.
for name, ch in [("no-break space", "\u00a0"), ("en space", "\u2002"), ("em space", "\u2003"),
                 ("narrow no-break space", "\u202f"), ("ideographic space", "\u3000"),
                 ("line separator", "\u2028"), ("ogham space mark", "\u1680")]:
    case("white space: " + name, msg("merger" + ch + "plan\n"), "hold", "merger")

# Folding: full case folding and NFKC, every script.
case("fold: fullwidth letters", msg("ｍｅｒｇｅｒ　ＰＬＡＮ\n"), "hold", "merger")
case("fold: mathematical bold", msg("\U0001d426\U0001d41e\U0001d42b\U0001d420\U0001d41e\U0001d42b plan\n"), "hold", "merger")
case("fold: Greek, accent as a combining mark", msg("σοφι\u0301α\n"), "hold", "greek")
case("fold: Greek upper case", msg("ΣΟΦΊΑ\n"), "hold", "greek")
case("fold: full case folding (STRASSE)", msg("STRASSE\n"), "hold", "greek")
case("fold: ligature in the keyword", msg("Finance\n"), "hold", "greek")
case("fold: ligature in the text", msg("\ufb01nance\n"), "hold", "greek")
case("fold: Cyrillic look-alike is not the word", msg("m\u0435rger plan\n"), "pass", "-")

# Confusables (UTS #39 skeletons), only where the rule asks.
case("confusables: Cyrillic e", msg("S\u0435cret d\u0435al\n"), "discard", "lookalike", "confusable secret deal")
case("confusables: Greek omicron and fullwidth", msg("\uff53ecret d\u0435\u0430l\n"), "discard", "lookalike")
case("confusables: in the subject", msg("ok\n", subject=subj("\u0455ecret deal")), "discard", "lookalike")
case("confusables: the word itself", msg("a secret deal\n"), "discard", "lookalike")
case("confusables: different word", msg("secret meal\n"), "pass", "-")

# PCRE2 with UCP: \s is Unicode white space, \w Unicode letters.
case("regex \\s matches U+00A0", msg("please wire\u00a0now thanks\n"), "reject", "rx-wire")
case("regex \\s matches U+2003", msg("please wire\u2003now thanks\n"), "reject", "rx-wire")
case("regex \\w matches a non-ASCII letter", msg("the payéce is due\n"), "reject", "rx-wire")
case("regex: no match", msg("please wirenow thanks\n"), "pass", "-")

case("regex: rendered HTML", msg("zap&nbsp;<b>zop</b>", HTML), "reject", "rx-wire")
case("regex: invisible characters removed", msg("zap\u200b zo\u00adp\n"), "reject", "rx-wire")

# Detectors: card numbers and IBANs, masked in the log.
for name, body in [
        ("Visa in fours", "card 4111 1111 1111 1111 exp 12/29"),
        ("Visa in one group", "card:4111111111111111."),
        ("Mastercard with dashes", "5555-5555-5555-4444"),
        ("Amex 4-6-5", "amex 3782 822463 10005"),
        ("split by HTML cells", None),
        ("split by a line break", "card 4111 1111\n1111 1111 thanks"),
        ("fullwidth digits", "４１１１ １１１１ １１１１ １１１１"),
]:
    if body is None:
        data = msg("<tr><td>4111</td><td>1111</td><td>1111</td><td>1111</td></tr>", HTML)
    else:
        data = msg(body + "\n")
    case("card: " + name, data, "hold", "cards", "card ****1111" if "Visa" in name or "split" in name else None, OUT)
case("card: split by inline tags", msg("4111 <b>1111</b> <i>1111</i> 1111", HTML), "hold", "cards", None, OUT)
case("card: in the subject", msg("ok\n", subject="pay 4111111111111111"), "hold", "cards", None, OUT)
for name, body in [
        ("Luhn fails", "card 4111 1111 1111 1112"),
        ("no card network", "9000 0000 0000 0001"),
        ("too many digits in the group", "41111111111111111111"),
        ("odd grouping", "41 11111 11111 1111"),
        ("letters glued on", "x4111111111111111y"),
]:
    case("card: " + name + ": no match", msg(body + "\n"), "pass", "-", None, OUT)
case("card: inbound rule direction", msg("4111 1111 1111 1111\n"), "pass", "-")
IB1, IB2 = "DE89 3704 0044 0532 0130 00", "GB82 WEST 1234 5698 7654 32"
case("iban: two distinct reach min_matches 2", msg("a %s b %s\n" % (IB1, IB2)), "hold", "ibans", None, OUT)
case("iban: one is not enough", msg("a %s\n" % IB1), "pass", "-", None, OUT)
case("iban: the same twice counts once", msg("a %s b %s\n" % (IB1, IB1.replace(" ", ""))), "pass", "-", None, OUT)
case("iban: mod 97 fails", msg("a DE88 3704 0044 0532 0130 00 b %s\n" % IB2), "pass", "-", None, OUT)
case("iban: wrong length", msg("a DE89 3704 0044 0532 0130 001 b %s\n" % IB2), "pass", "-", None, OUT)
case("iban: split by tags and lines", msg("<p>GB82 <b>WEST</b>\n1234 5698<br>7654 32</p><p>de89370400440532013000</p>", HTML),
     "hold", "ibans", None, OUT)
case("iban: one in the body, one in an attachment text", msg(
    "--B\r\nContent-Type: text/plain\r\n\r\n%s\r\n--B\r\nContent-Type: text/plain\r\n"
    "Content-Disposition: attachment; filename=a.txt\r\n\r\n%s\r\n--B--\r\n" % (IB1, IB2),
    "multipart/mixed; boundary=B"), "hold", "ibans", None, OUT)

rc, out, err = scan(msg("card 4111 1111 1111 1111\n"), OUT)
ok("****1111" in out and "4111 1111 1111 1111" not in out and "4111111111111111" not in out
   and "4111111111111111" not in err, "card number masked in the output", out + err)
rc, out, err = scan(msg("%s %s\n" % (IB1, IB2)), OUT)
ok('match="iban GB****5432 (2 numbers)"' in out and "WEST" not in out, "iban masked, count shown", out)

# in = [ "filenames" ]: attachment names and container members.
def attach(name, payload="aGVsbG8=", ctype="application/octet-stream"):
    return msg("--B\r\nContent-Type: text/plain\r\n\r\nhello\r\n--B\r\nContent-Type: %s; name=\"%s\"\r\n"
               "Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"%s\"\r\n\r\n"
               "%s\r\n--B--\r\n" % (ctype, name, name, payload), "multipart/mixed; boundary=B")
case("filenames: attachment name", attach("Q3-PAYROLL.xlsx"), "reject", "names")
case("filenames: RFC 2231 name with invisible characters", msg(
    "--B\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; "
    "filename*=utf-8''pay%E2%80%8Broll.pdf\r\n\r\nx\r\n--B--\r\n", "multipart/mixed; boundary=B"), "reject", "names")
case("filenames: not in the body", msg("payroll\n"), "pass", "-")
import io, zipfile, base64
zb = io.BytesIO()
with zipfile.ZipFile(zb, "w") as z:
    z.writestr("docs/payroll-march.csv", "a,b\n")
case("filenames: a member of a zip", attach("docs.zip", base64.b64encode(zb.getvalue()).decode(), "application/zip"),
     "reject", "names")

# --explain: the first 200 characters as matched.
rc, out, _ = scan(msg("<html><head><title>T</title><style>p{}</style></head><body><p>Hello&nbsp;"
                      "<b>W\u200bORLD</b></p>ｆｕｌｌ " + "x" * 300 + "</body></html>", HTML), ["--explain"])
line = [l for l in out.splitlines() if "type=text/html" in l]
sh = fields("x: " + line[0].strip()).get("shown", "") if line else ""
ok(sh.startswith("hello world full xxx") and len(sh) == 200, "explain: shown text rendered and folded, 200 characters", out)
rc, out, _ = scan(msg("Caf\u00e9 ok\n"), ["--explain"])
ok('shown="cafe\\xcc\\x81 ok"' in out, "explain: non-ASCII folded, decomposed and escaped", out)

done()
