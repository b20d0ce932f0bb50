#!/usr/bin/env python3
"""t/mime_variants.py - seeded generator of malformed MIME messages, one
family per item of issue 8 (read every message the way the recipient's
client will).

    generate(seed, n) -> [(item, name, bytes)]   n variants, every item
                                                 at least n // len(ITEMS)
    mime_variants.py --seeds DIR [N]             write N small variants as
                                                 fuzz_mime seeds (a leading
                                                 byte picks chunk and API)

Each variant is a whole message: random header and part order, CRLF or LF,
random names, case and folding, the item's malformation at a random place.
t/engine_differential.py parses them with the engine and with Python.
"""
import base64, os, quopri, random, sys

EXTS = ["exe", "scr", "js", "pdf", "docm", "txt", "zip", "bat"]
WORDS = ["invoice", "report", "scan", "Rechnung", "photo", "statement", "order"]
TEXTS = ["Please see the attached file.", "the tokyo meeting moved to Friday",
         "wire transfer urgent", "Grüße aus München", "café secret plan"]


def rname(r):
    return r.choice(WORDS) + r.choice(["", "_2024", "-final", str(r.randint(1, 99))])


def fold(r, s):
    """Fold a header value at a random space (or not)."""
    sp = [i for i, c in enumerate(s) if c == " "]
    if sp and r.random() < 0.3:
        i = r.choice(sp)
        return s[:i] + "\n" + r.choice([" ", "\t"]) + s[i + 1:]
    return s


def hcase(r, name):
    return r.choice([name, name.lower(), name.upper()])


def text_part(r, text=None, charset="utf-8", cte=None):
    text = text or r.choice(TEXTS)
    cte = cte or r.choice(["7bit", "8bit", "quoted-printable", "base64"])
    raw = text.encode(charset, "replace")
    if cte == "quoted-printable":
        body = quopri.encodestring(raw).decode("ascii")
    elif cte == "base64":
        body = base64.encodebytes(raw).decode("ascii")
    else:
        body = raw.decode(charset, "replace") if charset.lower().startswith("utf") else raw.decode("latin-1")
    return (f"{hcase(r, 'Content-Type')}: text/plain; charset={charset}\n"
            f"{hcase(r, 'Content-Transfer-Encoding')}: {cte}\n\n{body}")


def att_part(r, ctype_params="", disp="", extra="", payload=None, cte="base64"):
    payload = payload if payload is not None else r.randbytes(r.randint(0, 60)) + b"MZ"
    if cte == "base64":
        body = base64.encodebytes(payload).decode("ascii")
    else:
        body = quopri.encodestring(payload).decode("ascii")
    h = f"{hcase(r, 'Content-Type')}: application/octet-stream{ctype_params}\n"
    if disp:
        h += f"{hcase(r, 'Content-Disposition')}: {disp}\n"
    h += extra
    return h + f"{hcase(r, 'Content-Transfer-Encoding')}: {cte}\n\n{body}"


def message(r, parts, boundary=None, ctype_boundary=None, frm=None, extra_hdr="", pad=""):
    """A multipart message; ctype_boundary is the parameter as written."""
    b = boundary or "b" + "".join(r.choice("0123456789abcdef") for _ in range(r.randint(4, 16)))
    param = ctype_boundary if ctype_boundary is not None else f'"{b}"'
    hdrs = [f"From: {frm or 'alice@example.org'}", "To: bob@example.com",
            f"Subject: {fold(r, 'variant ' + rname(r))}", "MIME-Version: 1.0"]
    r.shuffle(hdrs)
    s = "\n".join(hdrs) + "\n" + extra_hdr
    s += f"Content-Type: multipart/mixed; boundary={param}\n\n"
    if r.random() < 0.5:
        s += "This is a multi-part message in MIME format.\n"
    for p in parts:
        s += f"--{b}{pad}\n{p}\n"
    s += f"--{b}--{pad}\n"
    if r.random() < 0.3:
        s += "epilogue\n"
    return s


def finish(r, s):
    eol = r.choice(["\r\n", "\n"])
    return s.replace("\n", eol).encode("utf-8", "surrogateescape")


def with_attachment(r, att):
    parts = [text_part(r), att]
    if r.random() < 0.5:
        parts.append(text_part(r))
    r.shuffle(parts)
    return parts


# --- one generator per item ----------------------------------------------

def v_param_comment(r):
    n = f"{rname(r)}({r.randint(1, 9)}).{r.choice(EXTS)}"
    where = r.choice(["ct", "cd"])
    att = att_part(r, f"; name={n}" if where == "ct" else "", f"attachment; filename={n}" if where == "cd" else "")
    return message(r, with_attachment(r, att))


def v_param_space(r):
    n = f"{rname(r)} ({r.randint(1, 9)}).{r.choice(EXTS)}"
    return message(r, with_attachment(r, att_part(r, "", f"attachment; filename={n}")))


def v_param_parens(r):
    n = f"{rname(r)}.{r.choice(EXTS)}"
    disp = r.choice([f"attachment; (a; filename={n}; b)", f"attachment; (x) filename={n}",
                     f"attachment; filename={n} (comment)", f'attachment; filename="{n}" (c; d)'])
    return message(r, with_attachment(r, att_part(r, "", disp)))


def v_param_comma(r):
    n = f"{rname(r)}.{r.choice(EXTS)}"
    disp = r.choice([f"attachment, filename={n}", f"attachment; size=10, filename={n}",
                     f'attachment; filename="{n}", creation-date="x"'])
    return message(r, with_attachment(r, att_part(r, "", disp)))


def v_param_control(r):
    n = f"{rname(r)}.{r.choice(EXTS)}"
    c = r.choice(["\0", "\x01", "\x1b", "\x7f"])
    disp = r.choice([f"attachment; x=a{c}b; filename={n}", f'attachment; filename="{n}{c}.txt"',
                     f"attachment;{c} filename={n}"])
    return message(r, with_attachment(r, att_part(r, "", disp)))


def v_header_no_colon(r):
    n = f"{rname(r)}.{r.choice(EXTS)}"
    extra = r.choice(["this line has no colon\n", "X-Broken header line\n", "garbage\n"])
    extra += f"{hcase(r, 'Content-Disposition')}: attachment; filename={n}\n"
    if r.random() < 0.3:
        extra += "Content-Type: application/pdf\n"           # changes the type: ambiguous
    att = f"Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n{extra}\n" \
          + base64.encodebytes(b"MZ" + r.randbytes(20)).decode()
    return message(r, with_attachment(r, att))


def v_boundary_literal(r):
    b = r.choice(["=?us-ascii?Q?q{}?=", "----=_Part({})", "b{}(x)", "=_{}_="]).format(r.randint(1, 999))
    quoted = '"' + b + '"' if "(" not in b or r.random() < 0.5 else b
    n = f"{rname(r)}.{r.choice(EXTS)}"
    return message(r, with_attachment(r, att_part(r, f'; name="{n}"')), boundary=b, ctype_boundary=quoted)


def v_boundary_trailing_ws(r):
    b = "b" + str(r.randint(1000, 9999))
    n = f"{rname(r)}.{r.choice(EXTS)}"
    return message(r, with_attachment(r, att_part(r, f'; name="{n}"')), boundary=b,
                   ctype_boundary='"' + b + r.choice([" ", "  ", "\t"]) + '"')


def v_boundary_shadow(r):
    """Delimiters of Python's default reading of the boundary: two trees."""
    inner = "q" + str(r.randint(1, 99))
    n = f"{rname(r)}.{r.choice(EXTS)}"
    return message(r, with_attachment(r, att_part(r, f'; name="{n}"')), boundary=inner,
                   ctype_boundary=f'"=?us-ascii?Q?{inner}?="')


def v_delimiter_padding(r):
    n = f"{rname(r)}.{r.choice(EXTS)}"
    return message(r, with_attachment(r, att_part(r, f'; name="{n}"')), pad=r.choice([" ", "\t", " \t", "\f", "\v"]))


def v_legacy_names(r):
    n = f"{rname(r)}.{r.choice(EXTS)}"
    h = r.choice(["Content-Name", "X-Sun-Data-Name"])
    return message(r, with_attachment(r, att_part(r, "", "", f"{h}: {n}\n")))


def v_message_types(r):
    n = f"{rname(r)}.{r.choice(EXTS)}"
    inner = message(r, with_attachment(r, att_part(r, f'; name="{n}"')))
    t = r.choice(["message/news", "message/x-unknown", "message/partial; id=1; number=1", "application/pgp"])
    if t == "application/pgp":
        part = f"Content-Type: application/pgp; format=text\n\n-----BEGIN PGP MESSAGE-----\n{r.choice(TEXTS)}\n"
    else:
        part = f"Content-Type: {t}\n\n{inner}"
    return message(r, [text_part(r), part])


def v_b64_after_pad(r):
    a = r.randbytes(r.choice([1, 2, 4, 5, 7, 8]))
    b = r.randbytes(r.randint(1, 40))
    body = base64.b64encode(a).decode() + r.choice(["\n", "", "\n\n"]) + base64.encodebytes(b).decode()
    if r.random() < 0.3:
        att = f"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n" + \
              base64.b64encode(b"Hi!\n").decode() + "\n" + base64.encodebytes(r.choice(TEXTS).encode()).decode()
    else:
        att = f'Content-Type: application/octet-stream; name="{rname(r)}.bin"\nContent-Transfer-Encoding: base64\n\n' + body
    return message(r, with_attachment(r, att))


def v_qp_trailing_ws(r):
    lines = [r.choice(TEXTS) + r.choice([" ", "\t", "  \t", ""]) for _ in range(r.randint(1, 5))]
    body = "\n".join(lines) + r.choice(["", "=", " "])
    ctype = r.choice(['application/octet-stream; name="data.bin"', "text/plain; charset=utf-8"])
    att = f"Content-Type: {ctype}\nContent-Transfer-Encoding: quoted-printable\n\n{body}"
    return message(r, with_attachment(r, att))


def v_from(r):
    local, dom = r.choice(["bob", "spammer", "x.y"]), r.choice(["evil.example", "mail.bad.example"])
    frm = r.choice([f"Bob <{local}@ {dom}>", f"{local}@(comment){dom}", f"{local}@{dom.replace('.', '(x).', 1)}",
                    f"Team: {local}@{dom};", f'"{local}"@{dom}', f'"{local}@{dom}" <ok@good.example>',
                    f"{local} @ {dom}", f"<{local}@{dom}>, other@good.example", f"Undisclosed: ;"])
    hdr = r.choice(["", f"Reply-To: {frm}\n", f"Sender: {frm}\n"])
    return message(r, [text_part(r)], frm=frm if not hdr else None, extra_hdr=hdr)


def v_filename_trailing(r):
    tail = r.choice(["%C2%A0", "%E3%80%80", "%E2%80%82", "%E2%80%8A", "%C2%85", "%C2%9F", "%09", "."])
    n = f"{rname(r)}.{r.choice(EXTS)}"
    if r.random() < 0.5:
        disp = f"attachment; filename*=UTF-8''{n}{tail}"
    else:
        disp = 'attachment; filename="' + n + r.choice(["*", "?", "<>", "|", "::$DATA", ":zone.id", ". . ", '\\"']) + '"'
    return message(r, with_attachment(r, att_part(r, "", disp)))


LABELS = ["unicodeFEFF", "iso-10646-ucs-2", "csunicode", "ucs-2", "unicode", "utf-16", "utf-16le",
          "unicodeFFFE", "utf-16be", "unicode-1-1-utf-7", "utf-7", "unicode-1-1-utf-8", "x-unicode20utf8",
          "latin1", "l1", "cp819", "iso_8859-1:1987", "ks_c_5601-1987", "windows-949", "x-sjis",
          "ms_kanji", "koi", "cyrillic", "x-mac-roman", "sun_eu_greek", "logical", "dos-874", "x-gbk"]
CODECS = {"unicodeFEFF": "utf-16le", "iso-10646-ucs-2": "utf-16le", "csunicode": "utf-16le",
          "ucs-2": "utf-16le", "unicode": "utf-16le", "utf-16": "utf-16", "utf-16le": "utf-16le",
          "unicodeFFFE": "utf-16be", "utf-16be": "utf-16be", "unicode-1-1-utf-7": "utf-7", "utf-7": "utf-7",
          "unicode-1-1-utf-8": "utf-8", "x-unicode20utf8": "utf-8", "latin1": "latin-1", "l1": "latin-1",
          "cp819": "latin-1", "iso_8859-1:1987": "latin-1", "ks_c_5601-1987": "cp949", "windows-949": "cp949",
          "x-sjis": "cp932", "ms_kanji": "cp932", "koi": "koi8-r", "cyrillic": "iso-8859-5",
          "x-mac-roman": "mac-roman", "sun_eu_greek": "iso-8859-7", "logical": "iso-8859-8",
          "dos-874": "cp874", "x-gbk": "gbk"}
SAMPLES = {"utf-16le": "the tokyo meeting – café", "utf-16": "the tokyo meeting – café",
           "utf-16be": "the tokyo meeting – café", "utf-7": "the tokyo meeting – café",
           "utf-8": "the tokyo meeting – café", "latin-1": "the tokyo meeting, café",
           "cp949": "the tokyo meeting 회의", "cp932": "the tokyo meeting 東京", "koi8-r": "встреча в Токио",
           "iso-8859-5": "встреча в Токио", "mac-roman": "the tokyo meeting, café",
           "iso-8859-7": "συνάντηση στο Τόκιο", "iso-8859-8": "פגישה בטוקיו", "cp874": "ประชุม tokyo",
           "gbk": "东京会议 tokyo meeting"}


def v_charset_label(r):
    label = r.choice(LABELS)
    codec = CODECS[label]
    raw = SAMPLES[codec].encode(codec)
    body = base64.encodebytes(raw).decode()
    part = f"Content-Type: text/plain; charset={label}\nContent-Transfer-Encoding: base64\n\n{body}"
    return message(r, [part] + ([text_part(r)] if r.random() < 0.5 else []))


ITEMS = {
    "param-comment": v_param_comment, "param-space": v_param_space, "param-parens": v_param_parens,
    "param-comma": v_param_comma, "param-control": v_param_control, "header-no-colon": v_header_no_colon,
    "boundary-literal": v_boundary_literal, "boundary-trailing-ws": v_boundary_trailing_ws,
    "boundary-shadow": v_boundary_shadow, "delimiter-padding": v_delimiter_padding,
    "legacy-names": v_legacy_names, "message-types": v_message_types, "b64-after-pad": v_b64_after_pad,
    "qp-trailing-ws": v_qp_trailing_ws, "from": v_from, "filename-trailing": v_filename_trailing,
    "charset-label": v_charset_label,
}


def generate(seed, n):
    r = random.Random(seed)
    keys = sorted(ITEMS)
    out = []
    for i in range(n):
        item = keys[i % len(keys)]
        out.append((item, f"{item}-{i:05d}.eml", finish(r, ITEMS[item](r))))
    return out


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--seeds":
        d, n = sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 2 * len(ITEMS)
        os.makedirs(d, exist_ok=True)
        for k, (item, name, data) in enumerate(generate(8, n)):
            with open(os.path.join(d, name[:-4]), "wb") as f:
                f.write(bytes([(k * 37) % 256]) + data[:4096])
    else:
        sys.exit("usage: mime_variants.py --seeds DIR [N]")
