#!/usr/bin/env python3
"""milter_postfix.py - the screener in a real Postfix (TAP).

One private gateway (lab.py) with the screener wired into every listener,
and one rule per action.  Through real SMTP sessions:
  1 reject   inbound .exe refused at end of DATA with the configured reply,
             nothing reaches the Exchange capture
  2 hold     outbound (STARTTLS + AUTH on submission) with a held keyword is
             accepted, sits in the hold queue (postqueue -j), and is
             delivered after postsuper -H
  3 redirect only the redirect address receives it, originals recorded
  4 discard  the client gets 250, nothing is delivered, verdict logged
  5 strip    the .bat part is gone, a notice is in its place, every other
             part's decoded content is unchanged
  6 tag      the tag header arrives at the Exchange capture
  7 direction  the same message inbound and outbound: each its verdict
  8 SMTP limits  HELO / MAIL FROM / RCPT TO over their lengths are refused
             (Postfix reports a HELO-stage milter reject at MAIL FROM)
 10 SIGHUP with a broken config: old rules keep working, error logged
Every verdict is found in the screener's log with Postfix's queue id.
"""
import signal
import time

import tap
from lab import USERS
from milterlab import MilterLab, mime_message, parts, skip_unless_lab, EXE, PDF, check_clean_exit

skip_unless_lab()

ALICE = "alice@example.com"
AUTH = (ALICE, USERS[ALICE])

CONF = """
milter = { user = ""; pidfile = ""; spool_dir = "/tmp"; };
direction = { outbound_daemons = ["submission", "internal"];
              outbound_authenticated = true; };
smtp = { max_helo_length = 64; max_mail_length = 100; max_rcpt_length = 100;
         max_recipients = 20; };
rules = (
  { name = "exe-inbound"; direction = "inbound";
    attachment = { extensions = ["exe"]; };
    action = "reject"; reply = "550 5.7.1 Executable attachments are not accepted"; },
  { name = "hold-outbound"; direction = "outbound";
    keywords = { words = ["project nightingale"]; }; action = "hold"; },
  { name = "redirect-inbound"; direction = "inbound";
    keywords = { words = ["please-redirect-me"]; };
    action = "redirect"; redirect_to = "review@example.com"; },
  { name = "discard-any"; keywords = { words = ["please-discard-me"]; };
    action = "discard"; },
  { name = "strip-bat"; attachment = { extensions = ["bat"]; }; action = "strip"; },
  { name = "tag-inbound"; direction = "inbound";
    recipient = { domains = ["example.com", "example.net"]; };
    action = "tag"; tag_header = "X-Relayscreen-Screened: inbound"; }
);
"""


def logged(lab, queue_id, what):
    """The screener logged WHAT on a line with QUEUE_ID."""
    end = time.monotonic() + 10
    while time.monotonic() < end:
        for line in lab.screener_log().splitlines():
            if queue_id and queue_id in line and what in line:
                return True
        time.sleep(0.1)
    return False


def settle(lab):
    lab.wait_queue_empty(15)
    time.sleep(1.0)


with MilterLab(CONF) as lab:

    @tap.case("1 reject: inbound .exe")
    def _():
        data, token = mime_message("mallory@sender.test", ["user@example.com"],
                                   attachments=[("invoice.exe", EXE, "application/octet-stream")])
        r = lab.send("public", sender="mallory@sender.test", rcpts=["user@example.com"], data=data)
        tap.ok(not r.accepted, "refused", r.dump())
        tap.is_eq(r.stage, "data", "at end of DATA")
        tap.is_eq(r.code, 550, "with the configured code")
        tap.like(r.text, r"5\.7\.1 Executable attachments are not accepted", "and text")
        settle(lab)
        tap.is_eq(lab.exchange.find(token), [], "nothing reached the Exchange capture")
        qid = (lab.wait_log(r"(\w+): milter-reject: END-OF-MESSAGE") or [None, None])[1]
        tap.ok(qid and logged(lab, qid, "exe-inbound"),
               "verdict in the screener log with Postfix's queue id %s" % qid, lab.screener_log()[-2000:])

    @tap.case("2 hold: outbound keyword, released with postsuper -H")
    def _():
        data, token = mime_message(ALICE, ["friend@aol.com"], text="About project nightingale.\n")
        r = lab.send("submission", sender=ALICE, rcpts=["friend@aol.com"], data=data,
                     starttls=True, auth=AUTH)
        tap.ok(r.accepted, "accepted", r.dump())
        held = []
        end = time.monotonic() + 10
        while time.monotonic() < end and not held:
            held = [q for q in lab.postqueue_json() if q.get("queue_id") == r.queue_id]
            time.sleep(0.2)
        tap.ok(held and held[0].get("queue_name") == "hold", "in the hold queue (postqueue -j)",
               repr(held))
        tap.is_eq(lab.internet.find(token), [], "not delivered while held")
        tap.ok(logged(lab, r.queue_id, "hold"), "hold logged with the queue id")
        lab.postsuper("-H", r.queue_id)
        lab.flush()
        got = lab.wait_delivered(lab.internet, token)
        tap.is_eq(len(got), 1, "delivered after release")

    @tap.case("3 redirect: only the redirect address receives it")
    def _():
        rcpts = ["bob@example.com", "carol@example.net"]
        data, token = mime_message("someone@sender.test", rcpts, text="please-redirect-me now\n")
        r = lab.send("public", sender="someone@sender.test", rcpts=rcpts, data=data)
        tap.ok(r.accepted, "accepted", r.dump())
        got = lab.wait_delivered(lab.exchange, token)
        settle(lab)
        got = lab.exchange.find(token)
        tap.is_eq(len(got), 1, "one delivery")
        if got:
            tap.is_eq(got[0].rcpts, ["review@example.com"], "to the redirect address only")
            orig = got[0].header("X-Relayscreen-Original-Recipients") or ""
            tap.ok("bob@example.com" in orig and "carol@example.net" in orig,
                   "original recipients recorded", orig)
        tap.ok(logged(lab, r.queue_id, "redirect"), "redirect logged with the queue id")

    @tap.case("4 discard: 250, delivered nowhere, logged")
    def _():
        data, token = mime_message("someone@sender.test", ["user@example.com"],
                                   text="please-discard-me\n")
        r = lab.send("public", sender="someone@sender.test", rcpts=["user@example.com"], data=data)
        tap.ok(r.accepted and r.code == 250, "client got 250", r.dump())
        settle(lab)
        tap.is_eq(lab.exchange.find(token) + lab.internet.find(token), [], "delivered nowhere")
        tap.ok(logged(lab, r.queue_id, "discard"), "discard logged with the queue id")
        tap.ok(lab.wait_log(r"%s: milter-discard" % r.queue_id), "Postfix logged the discard too")

    @tap.case("5 strip: the .bat part replaced by a notice, the rest intact")
    def _():
        bat = b"@echo off\r\ndel /q c:\\*\r\n"
        text = "Numbers attached.\n"
        data, token = mime_message("someone@sender.test", ["user@example.com"], text=text,
                                   attachments=[("report.pdf", PDF, "application/pdf"),
                                                ("run.bat", bat, "application/octet-stream")])
        r = lab.send("public", sender="someone@sender.test", rcpts=["user@example.com"], data=data)
        tap.ok(r.accepted, "accepted", r.dump())
        got = lab.wait_delivered(lab.exchange, token)
        tap.is_eq(len(got), 1, "delivered")
        if not got:
            return
        before, after = parts(data), parts(got[0].data)
        names = [p[0] for p in after]
        tap.ok("run.bat" not in names, "no .bat part", repr(names))
        tap.ok(any(b"run.bat" in (p[2] or b"") and b"removed" in (p[2] or b"") for p in after),
               "a notice in its place", repr(after))
        keep = [p for p in before if p[0] != "run.bat"]
        tap.ok(all(p in after for p in keep), "every other part decodes to the same content",
               "before: %r\nafter: %r" % ([(p[0], p[1], len(p[2])) for p in keep],
                                         [(p[0], p[1], len(p[2] or b"")) for p in after]))
        tap.ok(logged(lab, r.queue_id, "strip"), "strip logged with the queue id")

    @tap.case("6 tag: the header arrives at the Exchange capture")
    def _():
        r = lab.send("public", sender="someone@sender.test", rcpts=["user@example.com"])
        tap.ok(r.accepted, "accepted", r.dump())
        got = lab.wait_delivered(lab.exchange, r.token)
        tap.ok(got and got[0].header("X-Relayscreen-Screened") == "inbound",
               "X-Relayscreen-Screened: inbound", got and got[0].data[:800])

    @tap.case("7 direction: the same message inbound and outbound")
    def _():
        data, token = mime_message(ALICE, ["user@example.com"],
                                   attachments=[("tool.exe", EXE, "application/octet-stream")])
        r_in = lab.send("public", sender="someone@sender.test", rcpts=["user@example.com"], data=data)
        tap.ok(not r_in.accepted and r_in.code == 550, "inbound (public): refused", r_in.dump())
        r_out = lab.send("submission", sender=ALICE, rcpts=["user@example.com"], data=data,
                         starttls=True, auth=AUTH)
        tap.ok(r_out.accepted, "outbound (submission + AUTH): accepted", r_out.dump())
        got = lab.wait_delivered(lab.exchange, token)
        tap.is_eq(len(got), 1, "the outbound copy was delivered")
        tap.ok(got and got[0].header("X-Relayscreen-Screened") is None,
               "and not tagged as inbound")

    @tap.case("8 SMTP argument limits")
    def _():
        # Postfix answers EHLO itself and reports a milter's HELO-stage
        # reject at the next command (MAIL FROM).
        r = lab.send("public", helo="h" * 70 + ".example", rcpts=["user@example.com"])
        tap.ok(not r.accepted and r.stage in ("ehlo", "mail") and 500 <= (r.code or 0) < 600,
               "EHLO argument over 64 refused (%s %s at %s)" % (r.code, r.text, r.stage), r.dump())
        tap.ok(lab.wait_screener_log("smtp:max_helo_length"), "HELO limit logged")
        r = lab.send("public", sender="a" * 100 + "@sender.test", rcpts=["user@example.com"])
        tap.is_eq(r.stage, "mail", "MAIL FROM over 100 refused at MAIL", )
        tap.ok(r.code and 500 <= r.code < 600, "with a 5xx (%s %s)" % (r.code, r.text), r.dump())
        r = lab.send("public", rcpts=["b" * 100 + "@example.com"])
        tap.ok(r.rcpt_codes and 500 <= list(r.rcpt_codes.values())[0] < 600,
               "RCPT TO over 100 refused with a 5xx", r.dump())
        tap.ok("smtp:max_mail_length" in lab.screener_log(), "limit logged")

    @tap.case("10 SIGHUP with a broken config keeps the old rules")
    def _():
        with open(lab.screener_conf_path, "a") as f:
            f.write("rules = ( { name = \"broken\"; action = \"nonsense\"; } );\n")
        mark = len(lab.screener_log())
        lab.signal_screener(signal.SIGHUP)
        tap.ok(lab.wait_screener_log("keeping the rules loaded before", since=mark),
               "the error is logged", lab.screener_log()[mark:])
        tap.like(lab.screener_log()[mark:], r"screener\.conf:\d+:", "with file and line")
        data, token = mime_message("m@sender.test", ["user@example.com"],
                                   attachments=[("again.exe", EXE, "application/octet-stream")])
        r = lab.send("public", sender="m@sender.test", rcpts=["user@example.com"], data=data)
        tap.ok(not r.accepted and r.code == 550, "old rules still refuse the .exe", r.dump())
        r = lab.send("public", rcpts=["user@example.com"])
        tap.ok(r.accepted, "and still accept clean mail", r.dump())

    tap.run("screener exits cleanly", check_clean_exit, lab)

tap.done()
