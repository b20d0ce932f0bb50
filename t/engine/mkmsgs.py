#!/usr/bin/env python3
"""t/engine/mkmsgs.py - (re)generate the engine test messages in msgs/.

Each message isolates one MIME feature, condition, action or limit; the
expected verdicts are in cases.txt.  Run from t/engine: python3 mkmsgs.py
"""
import base64, binascii, os, quopri

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "msgs")
CRLF = "\r\n"


def w(name, text, eol=CRLF, raw=None):
    data = raw if raw is not None else text.replace("\n", eol).encode("utf-8", "surrogateescape")
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def hdr(subject="test", frm="alice@example.org", extra=""):
    return f"From: {frm}\nTo: bob@example.com\nSubject: {subject}\nMessage-ID: <x@example.org>\n{extra}"


def multipart(parts, boundary="BOUNDARY", extra_hdr="", close=True, pad=""):
    s = hdr() + extra_hdr + f'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="{boundary}"\n\nThis is a MIME message.\n'
    for p in parts:
        s += f"--{boundary}{pad}\n{p}\n"
    if close:
        s += f"--{boundary}--{pad}\n"
    return s


TEXT = "Content-Type: text/plain; charset=us-ascii\n\nHello, nothing to see here.\n"
B64EXE = base64.b64encode(b"MZ\x90\x00fake executable").decode()


def att(hdrs, body=B64EXE, cte="base64"):
    return f"{hdrs}\nContent-Transfer-Encoding: {cte}\n\n{body}\n"


os.makedirs(OUT, exist_ok=True)

# --- plain / no rule ---
w("plain.eml", hdr() + "\nJust a plain message.\n")
w("plain-lf.eml", hdr() + "\nJust a plain message.\n", eol="\n")

# --- keywords: subject, folding, RFC 2047 ---
w("subject-plain.eml", hdr("Update on Project Falcon") + "\nbody\n")
w("subject-folded.eml", hdr("Update on Project\n   Falcon schedule") + "\nbody\n")
w("subject-b.eml", hdr("=?UTF-8?B?" + base64.b64encode("Über Project Falcon".encode()).decode() + "?=") + "\nbody\n")
w("subject-q-adjacent.eml", hdr("=?utf-8?q?Project_Fal?= \n =?utf-8?Q?con_=C3=BCber?=") + "\nbody\n")
w("subject-latin1.eml", hdr("=?iso-8859-1?q?Projekt_=DCbersicht:?= project =?ISO-8859-1?B?" + base64.b64encode("falcon".encode("latin-1")).decode() + "?=") + "\nbody\n")
w("body-falcon-split-lines.eml", hdr() + "\nWe need to discuss project\n     falcon tomorrow.\n")
w("body-falcon-case.eml", hdr() + "\nPROJECT   FALCON\tis ON\n")
w("body-no-falcon.eml", hdr() + "\nproject falco n is not it, nor projectfalcon.\n")

# --- keywords: body encodings ---
w("body-b64-split.eml", hdr() + "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
  + "\n".join(base64.encodebytes(("x" * 50 + " please make the wire transfer urgent today " + "y" * 50).encode()).decode().split("\n")) + "\n")
w("body-qp-softbreak.eml", hdr() + "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
  + "Please do the wire trans=\nfer=20\n  urgent, thanks=2E\n")
w("body-latin1.eml", hdr() + "MIME-Version: 1.0\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\n"
  + "This is the Caf\xe9 Secret plan.\n", raw=(hdr() + "MIME-Version: 1.0\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\nThis is the Caf\xe9 Secret plan.\n").replace("\n", CRLF).encode("latin-1"))
w("body-sjis.eml", None, raw=(hdr() + "MIME-Version: 1.0\nContent-Type: text/plain; charset=shift_jis\n\n").replace("\n", CRLF).encode() + "東京 tokyo\r\n meeting\r\n".encode("shift_jis"))
w("body-utf16-qp.eml", hdr() + "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-16le\nContent-Transfer-Encoding: base64\n\n"
  + base64.b64encode("The tokyo meeting is moved".encode("utf-16le")).decode() + "\n")
w("body-html.eml", hdr() + "MIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n<p>wire   transfer\n urgent</p>\n")
w("body-html-regex-span.eml", hdr() + "MIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n<p>wire transfer urgent</p>\n")
w("text-attachment-kw.eml", multipart([TEXT, "Content-Type: text/plain; name=\"notes.txt\"\nContent-Disposition: attachment; filename=\"notes.txt\"\n\nagenda: the TOKYO meeting\n"]))
w("binary-attachment-kw.eml", multipart([TEXT, att("Content-Type: application/octet-stream; name=\"data.bin\"", base64.b64encode(b"tokyo meeting").decode())]))
w("nested-message-kw.eml", multipart([TEXT, "Content-Type: message/rfc822\n\nFrom: x@y.example\nSubject: fwd: the tokyo meeting\n\ninner body\n"]))
w("nested-message-body-kw.eml", multipart([TEXT, "Content-Type: message/rfc822\n\nFrom: x@y.example\nSubject: fwd\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\ncaf=C3=A9 secret\n"]))
w("header-kw.eml", hdr(extra="X-Mailer: X-Evil-Marker 1.0\n") + "\nbody\n")
w("header-regex.eml", hdr(extra="X-Campaign: 123456\n") + "\nbody\n")
w("header-regex-no.eml", hdr(extra="X-Campaign: 1234567\n") + "\nbody\n")
w("tag-conf.eml", hdr("internal use only: plans") + "\nbody\n")
w("tag-then-reject.eml", multipart(["Content-Type: text/plain\n\nFor INTERNAL USE\n ONLY.\n", att('Content-Type: application/octet-stream; name="run.exe"')]))

# --- attachments: names ---
w("exe-name.eml", multipart([TEXT, att('Content-Type: application/octet-stream; name="evil.exe"')]))
w("exe-filename.eml", multipart([TEXT, att('Content-Type: application/octet-stream\nContent-Disposition: attachment; filename="evil.EXE"')]))
w("exe-name-differs.eml", multipart([TEXT, att('Content-Type: application/octet-stream; name="harmless.txt"\nContent-Disposition: attachment; filename="evil.scr"')]))
w("exe-repeated-param.eml", multipart([TEXT, att('Content-Type: application/octet-stream\nContent-Disposition: attachment; filename="ok.txt"; filename="evil.js"')]))
w("exe-case-params.eml", multipart([TEXT, att('content-type: Application/Octet-Stream; NAME="evil.exe"\nCONTENT-DISPOSITION: ATTACHMENT')]))
w("exe-2231.eml", multipart([TEXT, att("Content-Type: application/octet-stream\nContent-Disposition: attachment; filename*=UTF-8''%C3%BCber%2Eexe")]))
w("exe-2231-cont.eml", multipart([TEXT, att('Content-Type: application/octet-stream\nContent-Disposition: attachment;\n filename*0="very-long-";\n filename*1="name.e";\n filename*2="xe"')]))
w("exe-2231-cont-enc.eml", multipart([TEXT, att("Content-Type: application/octet-stream\nContent-Disposition: attachment;\n filename*1*=%2E%65xe;\n filename*0*=iso-8859-1'de'%FCber")]))
w("exe-2047-name.eml", multipart([TEXT, att('Content-Type: application/octet-stream; name="=?UTF-8?B?' + base64.b64encode("счёт.exe".encode()).decode() + '?="')]))
w("exe-quoted-comment.eml", multipart([TEXT, att('Content-Type: application/octet-stream (binary; name="no.txt") ;\n name="a;b \\"c\\".exe" (the real one)')]))
w("exe-unquoted.eml", multipart([TEXT, att('Content-Type: application/octet-stream; name=evil.exe')]))
w("exe-windows-path.eml", multipart([TEXT, att('Content-Type: application/octet-stream; name="C:\\\\Users\\\\x\\\\evil.exe. . ."')]))
w("exe-trailing-dots.eml", multipart([TEXT, att('Content-Type: application/octet-stream; name="evil.exe..."')]))
w("exe-rlo.eml", multipart([TEXT, att('Content-Type: application/octet-stream; name="=?UTF-8?Q?invoice=E2=80=AEfdp.exe?="')]))
w("exe-zero-width.eml", multipart([TEXT, att("Content-Type: application/octet-stream\nContent-Disposition: attachment; filename*=UTF-8''evil.e%E2%80%8Bxe")]))
w("exe-not-ext.eml", multipart([TEXT, att('Content-Type: application/octet-stream; name="exe.txt"')]))
w("exe-uuencode.eml", multipart([TEXT, "Content-Type: application/octet-stream\nContent-Transfer-Encoding: x-uuencode\n\nbegin 644 evil.exe\n"
  + binascii.b2a_uu(b"fake exe").decode() + "`\nend\n"]))
w("exe-nested-depth3.eml", hdr() + 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="a"\n\n--a\n' + TEXT + '\n--a\nContent-Type: multipart/alternative; boundary="b"\n\n--b\n' + TEXT
  + '\n--b\nContent-Type: multipart/related; boundary="c"\n\n--c\n' + TEXT + '\n--c\n' + att('Content-Type: application/x-msdownload; name="deep.exe"') + '--c--\n--b--\n--a--\n')
w("exe-in-message.eml", multipart([TEXT, "Content-Type: message/rfc822\n\n" + multipart([TEXT, att('Content-Type: application/octet-stream; name="inner.exe"')], boundary="inner")]))
w("exe-missing-close.eml", multipart([TEXT, att('Content-Type: application/octet-stream; name="last.exe"')], close=False))
w("exe-padding.eml", multipart([TEXT, att('Content-Type: application/octet-stream; name="padded.exe"')], pad=" \t "))
w("exe-lf-only.eml", multipart([TEXT, att('Content-Type: application/octet-stream; name="lf.exe"')]), eol="\n")
w("boundary-prefix-line.eml", multipart(["Content-Type: text/plain\n\nline one\n--BOUNDARYX\nContent-Type: application/octet-stream; name=\"fake.exe\"\n\nstill text\n--BOUNDARY-- not a close either\n"]))
w("boundary-outer-closes-inner.eml", hdr() + 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="outer"\n\n--outer\nContent-Type: multipart/alternative; boundary="inner"\n\n--inner\n'
  + TEXT + '\n--outer\n' + att('Content-Type: application/octet-stream; name="after.exe"') + '--outer--\n')
w("single-part-attachment.eml", hdr() + 'MIME-Version: 1.0\nContent-Type: application/octet-stream; name="whole.exe"\nContent-Transfer-Encoding: base64\n\n' + B64EXE + "\n")

# --- attachments: types, globs, size, sha256 ---
w("strip-rar.eml", multipart([TEXT, att('Content-Type: application/x-rar-compressed; name="a.rar"'), "Content-Type: text/plain\n\nsecond text\n", att('Content-Type: application/x-rar; name="b.rar"')]))
w("strip-rar-single.eml", hdr() + 'MIME-Version: 1.0\nContent-Type: application/x-rar; name="only.rar"\nContent-Transfer-Encoding: base64\n\nUmFyIRoHAA==\n')
# a pending strip does not shield the rest: a later reject or keyword wins,
# and every strip rule that fires adds its parts
w("strip-then-exe.eml", multipart([TEXT, att('Content-Type: application/x-rar; name="a.rar"'), att('Content-Type: application/octet-stream; name="b.exe"')]))
w("strip-then-wire.eml", multipart([TEXT, att('Content-Type: application/x-rar; name="a.rar"'), "Content-Type: text/plain\n\nplease do the wire transfer urgent\n"]))
w("strip-two-rules.eml", multipart([TEXT, att('Content-Type: application/x-rar; name="a.rar"'), att('Content-Type: application/octet-stream; name="c.7z"'), "Content-Type: text/plain\n\nkept text\n"]))
w("glob-docm.eml", multipart([TEXT, att('Content-Type: application/octet-stream; name="Report.DOCM"')]))
w("glob-invoice.eml", multipart([TEXT, att('Content-Type: application/pdf; name="Invoice-2024-01.pdf"')]))
w("glob-no.eml", multipart([TEXT, att('Content-Type: application/pdf; name="report-invoice.pdf"')]))
w("sha256-match.eml", multipart([TEXT, att('Content-Type: application/octet-stream; name="sample.bin"', base64.b64encode(b"MALWARE-TEST-CONTENT\n").decode())]))
w("sha256-nomatch.eml", multipart([TEXT, att('Content-Type: application/octet-stream; name="sample.bin"', base64.b64encode(b"MALWARE-TEST-CONTENT!\n").decode())]))
w("size-big.eml", multipart([TEXT, att('Content-Type: application/pdf; name="big.pdf"', base64.encodebytes(os.urandom(3000) if False else bytes(range(256)) * 12).decode())]))
w("size-small-encoded-big.eml", multipart([TEXT, att('Content-Type: application/pdf; name="small.pdf"', base64.encodebytes(bytes(range(256)) * 6).decode())]))
w("size-binary-cte.eml", multipart([TEXT, att('Content-Type: application/pdf; name="raw.pdf"', "A" * 2100, cte="binary")]))

# --- sender / recipient (envelope from cases.txt args) ---
w("from-bad.eml", hdr(frm='"Friendly" <news@mail.bad.example>') + "\nhello\n")
w("from-notbad.eml", hdr(frm="news@notbad.example") + "\nhello\n")
w("combo.eml", hdr(frm="cfo@combo.example") + "\nthe quarterly\n numbers attached\n")
w("combo-nokw.eml", hdr(frm="cfo@combo.example") + "\nnothing here\n")

# --- limits ---
deep = hdr() + "MIME-Version: 1.0\n"
for i in range(15):
    deep += f'Content-Type: multipart/mixed; boundary="d{i}"\n\n--d{i}\n'
deep += "Content-Type: text/plain\n\ndeep\n"
w("limit-depth.eml", deep)
w("limit-parts.eml", multipart([TEXT] * 60))
w("limit-header-size.eml", hdr(extra="X-Long: " + "a" * 5000 + "\n") + "\nbody\n")
w("limit-header-folded-size.eml", hdr(extra="X-Long: " + "\n ".join(["a" * 70] * 80) + "\n") + "\nbody\n")
w("limit-headers.eml", hdr(extra="".join(f"X-H{i}: v\n" for i in range(150))) + "\nbody\n")
w("limit-line.eml", hdr() + "\n" + "x" * 10000 + "\n")
w("limit-part-headers.eml", multipart(["".join(f"X-H{i}: v\n" for i in range(150)) + "Content-Type: text/plain\n\nbody\n"]))

# --- caseless beyond ASCII, after charset conversion ---
w("body-koi8r.eml", None, raw=(hdr() + "MIME-Version: 1.0\nContent-Type: text/plain; charset=koi8-r\nContent-Transfer-Encoding: 8bit\n\n").replace("\n", CRLF).encode()
  + "Это секретный\r\n   Проект.\r\n".encode("koi8-r"))
w("body-polish-caps.eml", hdr() + "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
  + quopri.encodestring("ZAŻÓŁĆ GĘŚLĄ jaźń\n".encode()).decode())
w("limit-boundary.eml", multipart([TEXT, att('Content-Type: application/octet-stream; name="hidden.exe"')], boundary="b" * 300))
w("regex-backref.eml", hdr() + "\nsome text aaaaaazz more\n")
w("regex-prefilter.eml", hdr() + "\nsome text TOKKKYO\n   Cafe more\n")
w("regex-verb.eml", hdr() + "\nsome text nope more\n")

# --- an attached message in base64 is parsed all the same ---
_inner = (multipart([TEXT, att('Content-Type: application/octet-stream; name="wrapped.exe"')], boundary="in")).replace("\n", CRLF)
w("exe-in-b64-message.eml", multipart([TEXT, "Content-Type: message/rfc822; name=\"fwd.eml\"\nContent-Transfer-Encoding: base64\n\n"
  + base64.encodebytes(_inner.encode()).decode()]))
_inner2 = (multipart([TEXT, att('Content-Type: application/x-rar; name="wrapped.rar"')], boundary="in")).replace("\n", CRLF)
w("strip-in-b64-message.eml", multipart([TEXT, "Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"
  + base64.encodebytes(_inner2.encode()).decode(), "Content-Type: text/plain\n\nkeep me\n"]))

# --- a name or boundary after more parameters than are kept: a limit ---
_junk = "".join(f"; x{i}=y" for i in range(70))
w("limit-params-name.eml", multipart([TEXT, att("Content-Type: application/octet-stream" + _junk + '; name="late.exe"')]))
w("limit-params-boundary.eml", hdr() + "MIME-Version: 1.0\nContent-Type: multipart/mixed" + _junk + '; boundary="B"\n\n--B\n'
  + TEXT + "--B\n" + att('Content-Type: application/octet-stream; name="late.exe"') + "--B--\n")
w("exe-params-64.eml", multipart([TEXT, att("Content-Type: application/octet-stream" + "".join(f"; x{i}=y" for i in range(63)) + '; name="last.exe"')]))

# --- more file names on one part than are kept: a limit ---
w("limit-names.eml", multipart([TEXT, att("Content-Type: application/octet-stream"
  + "".join(f'; name="a{i}.txt"' for i in range(16)) + '\nContent-Disposition: attachment; filename="late.exe"')]))
w("exe-name-16th.eml", multipart([TEXT, att("Content-Type: application/octet-stream"
  + "".join(f'; name="a{i}.txt"' for i in range(15)) + '\nContent-Disposition: attachment; filename="late.exe"')]))

# --- a name longer than the normalised buffer keeps its extension ---
w("exe-long-name.eml", multipart([TEXT, att('Content-Type: application/octet-stream; name="' + "a" * 300 + '.exe"')]))
w("exe-long-name-2231.eml", multipart([TEXT, att("Content-Type: application/octet-stream\nContent-Disposition: attachment;\n "
  + ";\n ".join(f"filename*{i}*={'utf-8' + chr(39) * 2 if i == 0 else ''}{'%E6%96%87' * 20}" for i in range(8)) + ";\n filename*8=.exe")]))

# --- base64 goes on after a pad: what follows is not hidden ---
w("exe-in-b64-message-pad.eml", multipart([TEXT, "Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"
  + base64.b64encode(b"X-Pad: 1\r\n").decode() + "\n" + base64.encodebytes(_inner.encode()).decode()]))
w("body-b64-pad.eml", hdr() + "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
  + base64.b64encode(b"Hi!\n").decode() + "\n" + base64.encodebytes(b"please make the wire transfer urgent today\n").decode())

# --- white space before the colon of a header field (obsolete syntax) ---
w("exe-ws-colon.eml", hdr() + 'MIME-Version: 1.0\nContent-Type \t: multipart/mixed; boundary="B"\n\n--B\n' + TEXT
  + '--B\nContent-Type : multipart/mixed; boundary="C"\n\n--C\n' + att('Content-Type : application/octet-stream; name="spaced.exe"')
  + "--C--\n--B--\n")

# --- fields that disagree on the structure or the encoding: a limit ---
_two = [TEXT, att('Content-Type: application/octet-stream; name="two.exe"')]
w("limit-ambiguous-type.eml", multipart(_two).replace("Content-Type: multipart/mixed", "Content-Type: text/plain\nContent-Type: multipart/mixed", 1))
w("limit-ambiguous-boundary.eml", multipart(_two).replace('boundary="BOUNDARY"', 'boundary="OTHER"; boundary="BOUNDARY"', 1))
w("limit-ambiguous-cte.eml", multipart([TEXT, "Content-Type: message/rfc822\nContent-Transfer-Encoding: 7bit\nContent-Transfer-Encoding: base64\n\n"
  + base64.encodebytes(_inner.encode()).decode()]))
w("exe-same-type-twice.eml", multipart(_two).replace("Content-Type: multipart/mixed", 'Content-Type: multipart/mixed; boundary="BOUNDARY"\nContent-Type: Multipart/Mixed', 1))
w("regex-subroutine.eml", hdr() + "\nsome text ababc more\n")

# --- a delimiter padded beyond the line-head buffer: a limit, not content ---
w("limit-boundary-padding.eml", multipart([TEXT, att('Content-Type: application/octet-stream; name="padded.exe"')], pad=" " * 1100))

# --- a multipart in base64: its delimiters are hidden, a limit ---
w("limit-ambiguous-b64-multipart.eml", hdr() + 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="B"\nContent-Transfer-Encoding: base64\n\n'
  + base64.encodebytes(("--B\n" + TEXT + "--B\n" + att('Content-Type: application/octet-stream; name="enc.exe"') + "--B--\n").replace("\n", CRLF).encode()).decode())

# --- uuencode: a second file after "end" is named too ---
_uu = binascii.b2a_uu(b"fake exe").decode()
w("exe-uu-second-file.eml", multipart([TEXT, "Content-Type: application/octet-stream\nContent-Transfer-Encoding: x-uuencode\n\n"
  + "begin 644 readme.txt\n" + _uu + "`\nend\nbegin 644 second.exe\n" + _uu + "`\nend\n"]))
w("limit-uu-names.eml", multipart([TEXT, "Content-Type: application/octet-stream\nContent-Transfer-Encoding: x-uuencode\n\n"
  + "".join(f"begin 644 f{i}.txt\n" + _uu + "`\nend\n" for i in range(5))]))

# --- a no-break space between the words of a keyword ---
w("body-nbsp.eml", hdr() + "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
  + "Notes on the tokyo=C2=A0meeting.\n")

# --- issue 8: read every message the way the recipient's client will ---
_ct = "Content-Type: application/octet-stream"
# parameters: no comments, unquoted values run to ';', ',' separates, NUL
w("exe-param-paren.eml", multipart([TEXT, att(_ct + "; name=invoice(1).exe")]))
w("exe-param-space.eml", multipart([TEXT, att(_ct + "\nContent-Disposition: attachment; filename=Invoice (2).exe")]))
w("exe-param-in-parens.eml", multipart([TEXT, att(_ct + "\nContent-Disposition: attachment; (a; filename=evil.exe; b)")]))
w("exe-param-comma.eml", multipart([TEXT, att(_ct + "\nContent-Disposition: attachment, filename=evil.exe")]))
w("exe-param-nul.eml", multipart([TEXT, att(_ct + "\nContent-Disposition: attachment; x=a\0b; filename=evil.exe")]))
w("exe-param-nul-cut.eml", multipart([TEXT, att(_ct + "\nContent-Disposition: attachment; filename=\"evil.exe\0.txt\"")]))
w("exe-header-no-colon.eml", multipart([TEXT, _ct + "\nContent-Transfer-Encoding: base64\nthis line has no colon\nContent-Disposition: attachment; filename=evil.exe\n\n" + B64EXE + "\n"]))
w("limit-ambiguous-no-colon-type.eml", multipart([TEXT, "Content-Type: text/plain\nno colon here\nContent-Type: application/pdf\n\nbody\n"]))
# boundaries: literal (no RFC 2047), unquoted with '(', trailing white space
_bexe = [TEXT, att(_ct + '; name="b.exe"')]
w("exe-boundary-2047.eml", multipart(_bexe, boundary="=?us-ascii?Q?q1?="))
w("exe-boundary-paren.eml", multipart(_bexe, boundary="----=_Part(7)").replace('boundary="----=_Part(7)"', "boundary=----=_Part(7)"))
w("exe-boundary-trailing-space.eml", multipart(_bexe, boundary="b1").replace('boundary="b1"', 'boundary="b1 "'))
w("limit-ambiguous-boundary-2047.eml", multipart(_bexe, boundary="q1").replace('boundary="q1"', 'boundary="=?us-ascii?Q?q1?="'))
w("limit-ambiguous-delimiter-ff.eml", multipart(_bexe, pad="\f"))
# legacy name fields Thunderbird honours
w("exe-content-name.eml", multipart([TEXT, att(_ct + "\nContent-Name: evil.exe")]))
w("exe-x-sun-data-name.eml", multipart([TEXT, att(_ct + "\nX-Sun-Data-Name: evil.exe")]))
# types: message/news is a message, other message/* text and message, application/pgp text
_inner3 = multipart([TEXT, att(_ct + '; name="news.exe"')], boundary="nb")
w("exe-message-news.eml", multipart([TEXT, "Content-Type: message/news\n\n" + _inner3]))
w("exe-message-unknown.eml", multipart([TEXT, "Content-Type: message/x-unknown\n\n" + _inner3]))
w("kw-message-unknown.eml", multipart([TEXT, "Content-Type: message/x-unknown\n\nnot a header line\nthe tokyo meeting\n"]))
w("kw-application-pgp.eml", multipart([TEXT, "Content-Type: application/pgp; format=text\n\n-----BEGIN PGP MESSAGE-----\nthe tokyo meeting\n"]))
# transfer encodings: data after a base64 pad; QP trailing white space
_mal = b"MALWARE-TEST-PAYLOAD\n\n"     # 22 bytes: its base64 ends in a pad
w("sha256-b64-after-pad.eml", multipart([TEXT, att(_ct + '; name="sample.bin"', base64.b64encode(_mal).decode() + "\n" + base64.b64encode(b"more data after the pad").decode())]))
# (content "MALWARE-TEST-CONTENT\n" with white space after its last line:
# no line break of its own, so CRLF or LF transport gives the same bytes)
w("sha256-qp-trailing-space.eml", multipart([TEXT, _ct + '; name="sample.bin"\nContent-Transfer-Encoding: quoted-printable\n\n'
  + "MALWARE-TEST-CONTENT=0A \t "]))
# addresses as a client shows them; Sender and Reply-To count too
for _n, _f in (("space-at", "Spam <spammer@ evil.example>"), ("comment-at", "spammer@(x)evil.example"),
               ("comment-domain", "spammer@evil(x).example"), ("group", "Team: spammer@evil.example;"),
               ("quoted-local", '"spammer"@evil.example'), ("display-name", '"spammer@evil.example" <ok@good.example>'),
               ("encoded-display", "=?utf-8?q?spammer=40evil=2Eexample?= <ok@good.example>")):
    w(f"from-{_n}.eml", hdr(frm=_f) + "\nhello\n")
w("reply-to-bad.eml", hdr(extra="Reply-To: x@mail.bad.example\n") + "\nhello\n")
w("sender-bad.eml", hdr(extra="Sender: <x @ bad.example>\n") + "\nhello\n")
# file names: what Windows and clients trim from the end when saving
for _n, _enc in (("nbsp", "%C2%A0"), ("ideographic-space", "%E3%80%80"), ("en-space", "%E2%80%82"),
                 ("nel", "%C2%85"), ("hair-space-dot", "%E2%80%8A."), ("c1-control", "%C2%9F")):
    w(f"exe-trail-{_n}.eml", multipart([TEXT, att(_ct + "\nContent-Disposition: attachment; filename*=UTF-8''evil.exe" + _enc)]))
for _n, _tail in (("star", "*"), ("question", "?"), ("quote-lt-gt-pipe", '\\"<>|'), ("ntfs-stream", "::$DATA"), ("ntfs-named-stream", ":zone")):
    w(f"exe-trail-{_n}.eml", multipart([TEXT, att(_ct + '\nContent-Disposition: attachment; filename="evil.exe' + _tail + '"')]))
# charset labels of the WHATWG table that iconv does not know by that name
_kw = "Notes: the tokyo meeting moved."
w("body-label-unicodefeff.eml", hdr() + "MIME-Version: 1.0\nContent-Type: text/plain; charset=unicodeFEFF\nContent-Transfer-Encoding: base64\n\n"
  + base64.b64encode(_kw.encode("utf-16le")).decode() + "\n")
w("body-label-ucs2.eml", hdr() + "MIME-Version: 1.0\nContent-Type: text/plain; charset=iso-10646-ucs-2\nContent-Transfer-Encoding: base64\n\n"
  + base64.b64encode(_kw.encode("utf-16le")).decode() + "\n")
w("body-label-utf16-bom-be.eml", hdr() + "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-16\nContent-Transfer-Encoding: base64\n\n"
  + base64.b64encode(_kw.encode("utf-16")[:0] + b"\xfe\xff" + _kw.encode("utf-16be")).decode() + "\n")
w("body-label-utf7.eml", hdr() + "MIME-Version: 1.0\nContent-Type: text/plain; charset=unicode-1-1-utf-7\n\nNotes: the +AHQAbwBrAHkAbw- meeting moved.\n")
