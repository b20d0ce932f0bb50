#!/usr/bin/env python3
"""files_postfix.py - what a recipient can open, through a real Postfix
with the screener as its milter (TAP; needs root, queues on the lab lock).

Containers are made at test time (t/files/mkfiles.py).  Through real SMTP
sessions on the lab's listeners:
  1 reject  a .zip holding inner/invoice.exe: 550 with the rule's reply,
            the verdict logged with file=docs.zip/inner/invoice.exe
  2 nested  zip in 7z in zip: refused, the whole path logged
  3 detected an MZ file named statement.pdf: refused as an exe
  4 TNEF    Exchange's own winmail.dat, sent out through the internal
            listener by the Exchange host, carrying x.exe: refused
  5 uuencode a message without MIME headers carrying begin 644 evil.exe
  6 strip   a zip holding run.bat is removed, the notice is in its place,
            the other attachment arrives unchanged
  7 hold    an encrypted zip sits in the hold queue; so does a zip holding a
            zip holding help.hta (a names rule on a member)
  8 macros  a .docx with vbaProject.bin: refused with its own reply
  9 unreadable a truncated zip: discarded (250, delivered nowhere)
 10 limits  a zip nested past max_archive_depth, outbound where no
            unreadable rule applies: 451 (limits.on_limit)
 10b       and the other limits (members, size, expansion, ratio) alike
 11 clean   a clean zip and a plain docx are delivered
 12 rar     compressed RAR 4 and RAR 5 (libarchive's test fixtures,
            t/files/libarchive): refused on a member's SHA-256
Every verdict is in the screener's log with Postfix's queue id, and the
screener exits cleanly at the end.
"""
import os
import sys
import time
import zipfile

import tap
from milterlab import MilterLab, mime_message, parts, skip_unless_lab, check_clean_exit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "files"))
import mkfiles as m  # noqa: E402

skip_unless_lab()

CONF = """
milter = { user = ""; pidfile = ""; spool_dir = "/tmp"; };
direction = { outbound_daemons = ["submission", "internal"]; };
rules = (
  { name = "exe"; attachment = { extensions = ["exe", "scr"]; };
    action = "reject"; reply = "550 5.7.1 Executables are refused, even inside archives"; },
  { name = "macros"; attachment = { macros = true; };
    action = "reject"; reply = "550 5.7.1 Documents with macros are refused"; },
  { name = "strip-bat"; attachment = { extensions = ["bat"]; }; action = "strip"; },
  { name = "encrypted"; attachment = { encrypted = true; }; action = "hold"; },
  { name = "hold-hta"; attachment = { names = ["*.hta"]; }; action = "hold"; },
  { name = "known"; attachment = { sha256 = ["%s", "%s"]; };
    action = "reject"; reply = "550 5.7.1 A known file"; },
  { name = "unreadable"; direction = "inbound"; attachment = { unreadable = true; };
    action = "discard"; }
);
limits = { max_archive_depth = 3; max_archive_members = 50; max_archive_size = "4M";
           max_archive_expansion = "8M"; max_archive_ratio = 1000; };
""" % (m.RAR4_BEST_HTML_SHA, m.RAR5_TEST_BIN_SHA)

EXE_ZIP = m.zip_of([("inner/invoice.exe", m.MZ), ("readme.txt", b"read me")])


def logged(lab, qid, *what):
    end = time.monotonic() + 10
    while time.monotonic() < end:
        for line in lab.screener_log().splitlines():
            if qid and qid in line and all(w in line for w in what):
                return True
        time.sleep(0.1)
    return False


def refused(lab, name, data, code, text, rule, file=None, listener="public",
            sender="mallory@sender.test", rcpt="user@example.com"):
    mark = len(lab.log())
    r = lab.send(listener, sender=sender, rcpts=[rcpt], data=data)
    tap.ok(not r.accepted and r.stage == "data", "%s: refused at end of DATA" % name, r.dump())
    tap.is_eq(r.code, code, "%s: code %d" % (name, code))
    tap.like(r.text or "", text, "%s: reply text" % name)
    found = lab.wait_log(r"(\w+): milter-reject: END-OF-MESSAGE", since=mark)
    qid = found.group(1) if found else None
    want = ["rule=" + rule] + (["file=" + file] if file else [])
    tap.ok(qid and logged(lab, qid, *want), "%s: logged with %s" % (name, " ".join(want)),
           lab.screener_log()[-1500:])


with MilterLab(CONF) as lab:

    @tap.case("1 reject: a zip member")
    def _():
        data, _ = mime_message("mallory@sender.test", ["user@example.com"],
                               attachments=[("docs.zip", EXE_ZIP, "application/zip")])
        refused(lab, "zip", data, 550, r"Executables are refused", "exe",
                "docs.zip/inner/invoice.exe")

    @tap.case("2 nested members: zip in 7z in zip")
    def _():
        inner = m.sevenz({"inner.zip": EXE_ZIP})
        data, _ = mime_message("mallory@sender.test", ["user@example.com"],
                               attachments=[("outer.zip", m.zip_of([("mid.7z", inner)]), "application/zip")])
        refused(lab, "nested", data, 550, r"Executables", "exe",
                "outer.zip/mid.7z/inner.zip/inner/invoice.exe")

    @tap.case("3 detected type: MZ named statement.pdf")
    def _():
        data, _ = mime_message("mallory@sender.test", ["user@example.com"],
                               attachments=[("statement.pdf", m.MZ, "application/pdf")])
        refused(lab, "MZ as pdf", data, 550, r"Executables", "exe", "statement.pdf")

    @tap.case("4 TNEF from the Exchange host, outbound")
    def _():
        tn = m.tnef([("Quarterly figures.exe", m.MZ)], body=b"see attached")
        data, _ = mime_message("alice@example.com", ["partner@aol.com"],
                               attachments=[("winmail.dat", tn, "application/ms-tnef")])
        refused(lab, "TNEF", data, 550, r"Executables", "exe",
                '"winmail.dat/Quarterly figures.exe"', listener="internal",
                sender="alice@example.com", rcpt="partner@aol.com")

    @tap.case("5 uuencode in a message without MIME headers")
    def _():
        data = m.plain_message(m.uuencode("evil.exe", m.MZ), subject="no mime")
        refused(lab, "uuencode", data, 550, r"Executables", "exe", "evil.exe")

    @tap.case("6 strip: the zip holding run.bat goes, the pdf stays")
    def _():
        pdf = b"%PDF-1.4\n" + os.urandom(2000) + b"\n%%EOF\n"
        data, token = mime_message("someone@sender.test", ["user@example.com"],
                                   attachments=[("tools.zip", m.zip_of([("run.bat", b"@echo off")]),
                                                 "application/zip"),
                                                ("report.pdf", pdf, "application/pdf")])
        r = lab.send("public", sender="someone@sender.test", rcpts=["user@example.com"], data=data)
        tap.ok(r.accepted, "accepted", r.dump())
        got = lab.wait_delivered(lab.exchange, token)
        tap.is_eq(len(got), 1, "delivered once")
        if got:
            after = parts(got[0].data)
            names = [p[0] for p in after]
            tap.ok("tools.zip" not in names, "no tools.zip part", repr(names))
            tap.ok(("report.pdf", "application/pdf", pdf) in after, "report.pdf unchanged")
            tap.ok(any(b"tools.zip" in (p[2] or b"") for p in after), "a notice names it")
        tap.ok(logged(lab, r.queue_id, "rule=strip-bat", "file=tools.zip/run.bat"),
               "strip logged with the member's path")

    @tap.case("7 hold: an encrypted zip")
    def _():
        data, token = mime_message("someone@sender.test", ["user@example.com"],
                                   attachments=[("secret.zip", m.zip_encrypted({"a.txt": b"x"}),
                                                 "application/zip")])
        r = lab.send("public", sender="someone@sender.test", rcpts=["user@example.com"], data=data)
        tap.ok(r.accepted, "accepted", r.dump())
        held = []
        end = time.monotonic() + 10
        while time.monotonic() < end and not held:
            held = [q for q in lab.postqueue_json() if q.get("queue_id") == r.queue_id]
            time.sleep(0.2)
        tap.ok(held and held[0].get("queue_name") == "hold", "in the hold queue", repr(held))
        tap.ok(logged(lab, r.queue_id, "rule=encrypted", "match=encrypted"), "hold logged")

    @tap.case("7b hold: a member named *.hta, two levels down")
    def _():
        inner = m.zip_of([("fun/help.hta", b"<html></html>")])
        data, token = mime_message("someone@sender.test", ["user@example.com"],
                                   attachments=[("pack.zip", m.zip_of([("in.zip", inner)]),
                                                 "application/zip")])
        r = lab.send("public", sender="someone@sender.test", rcpts=["user@example.com"], data=data)
        tap.ok(r.accepted, "accepted", r.dump())
        held = []
        end = time.monotonic() + 10
        while time.monotonic() < end and not held:
            held = [q for q in lab.postqueue_json() if q.get("queue_id") == r.queue_id]
            time.sleep(0.2)
        tap.ok(held and held[0].get("queue_name") == "hold", "in the hold queue", repr(held))
        tap.ok(logged(lab, r.queue_id, "rule=hold-hta", "file=pack.zip/in.zip/fun/help.hta"),
               "hold logged with the member's path")

    @tap.case("8 macros: a docx with vbaProject.bin")
    def _():
        data, _ = mime_message("mallory@sender.test", ["user@example.com"],
                               attachments=[("invoice.docx", m.docm(), "application/octet-stream")])
        refused(lab, "docm", data, 550, r"Documents with macros", "macros",
                "invoice.docx/word/vbaProject.bin")

    @tap.case("9 unreadable: a truncated zip is discarded")
    def _():
        data, token = mime_message("someone@sender.test", ["user@example.com"],
                                   attachments=[("broken.zip", m.zip_of([("a.txt", b"x" * 500)])[:70],
                                                 "application/zip")])
        r = lab.send("public", sender="someone@sender.test", rcpts=["user@example.com"], data=data)
        tap.ok(r.accepted and r.code == 250, "client got 250", r.dump())
        lab.wait_queue_empty(15)
        time.sleep(1)
        tap.is_eq(lab.exchange.find(token), [], "delivered nowhere")
        tap.ok(logged(lab, r.queue_id, "rule=unreadable"), "discard logged")

    @tap.case("10 limits: nested past max_archive_depth")
    def _():
        z = m.zip_of([("x.txt", b"x")])
        for i in range(4):
            z = m.zip_of([("l%d.zip" % i, z)])
        data, _ = mime_message("alice@example.com", ["partner@aol.com"],
                               attachments=[("deep.zip", z, "application/zip")])
        # outbound: no unreadable rule applies, so limits.on_limit decides
        r = lab.send("internal", sender="alice@example.com", rcpts=["partner@aol.com"], data=data)
        tap.ok(not r.accepted and r.code == 451, "451 (on_limit tempfail)", r.dump())
        tap.ok(lab.wait_screener_log("limit:archive_depth"), "limit:archive_depth logged")

    def over_limit(what, name, data_bytes):
        data, _ = mime_message("alice@example.com", ["partner@aol.com"],
                               attachments=[(name, data_bytes, "application/octet-stream")])
        mark = len(lab.screener_log())
        r = lab.send("internal", sender="alice@example.com", rcpts=["partner@aol.com"], data=data)
        tap.ok(not r.accepted and r.code == 451, "%s: 451 (on_limit tempfail)" % what, r.dump())
        tap.ok(lab.wait_screener_log("rule=limit:" + what, since=mark),
               "%s: rule=limit:%s logged" % (what, what), lab.screener_log()[mark:])

    @tap.case("10b every other container limit, outbound")
    def _():
        import io, random, tarfile
        over_limit("archive_members", "many.zip", m.zip_of([("f%d.txt" % i, b"x") for i in range(60)]))
        over_limit("archive_size", "big.zip", m.zip_of([("r.bin", b"DATA" + os.urandom(5 << 20))],
                                                       zipfile.ZIP_STORED))
        rnd = random.Random(3)
        words = [b"alpha", b"bravo", b"charlie", b"delta", b"echo", b"foxtrot", b"golf"]
        text = b" ".join(rnd.choice(words) for _ in range(2 << 20))
        b = io.BytesIO()
        with tarfile.open(fileobj=b, mode="w:gz") as t:
            ti = tarfile.TarInfo("words.txt")
            ti.size = len(text)
            t.addfile(ti, io.BytesIO(text))
        over_limit("archive_expansion", "words.tgz", b.getvalue())
        over_limit("archive_ratio", "zeros.zip", m.zip_of([("zeros.bin", bytes(20 << 20))]))

    @tap.case("11 clean archives are delivered")
    def _():
        data, token = mime_message("someone@sender.test", ["user@example.com"],
                                   attachments=[("docs.zip", m.zip_of([("a.txt", b"hello")]), "application/zip"),
                                                ("plain.docx", m.zip_of([("[Content_Types].xml", b"<T/>"),
                                                                         ("word/document.xml", b"<d/>")]),
                                                 "application/octet-stream")])
        r = lab.send("public", sender="someone@sender.test", rcpts=["user@example.com"], data=data)
        tap.ok(r.accepted, "accepted", r.dump())
        tap.is_eq(len(lab.wait_delivered(lab.exchange, token)), 1, "delivered")

    @tap.case("12 compressed RAR 4 and RAR 5 (libarchive's fixtures): a member's SHA-256")
    def _():
        for label, fixture, file in (("rar4", m.RAR4_BEST, "a.rar/LibarchiveAddingTest.html"),
                                     ("rar5", m.RAR5_COMPRESSED, "a.rar/test.bin")):
            data, _ = mime_message("mallory@sender.test", ["user@example.com"],
                                   attachments=[("a.rar", m.libarchive_rar(fixture),
                                                 "application/vnd.rar")])
            refused(lab, label, data, 550, r"A known file", "known", file)

    tap.run("screener exits cleanly", check_clean_exit, lab)

tap.done()
