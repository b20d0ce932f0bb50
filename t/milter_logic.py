#!/usr/bin/env python3
"""milter_logic.py - rule logic through a real Postfix (TAP).

One private gateway (lab.py) whose screener runs every rule in audit
mode (audit = true) except those marked mode = "enforce":
  1 audit      an inbound .exe an audit rule would reject is delivered,
               and the screener logs audit=1 action=reject with Postfix's
               queue id (issue 13)
  2 forged     copies of the screener's own fields a message brings along
               (X-Relayscreen-*) are gone at the Exchange capture; ours
               is there once (issue 16, item 6: Postfix's header indexes)
  3 exempt     abuse@ exempt by an accept rule: alone it gets the .scr an
               enforced rule refuses; CC'd with another recipient the
               message is refused at DATA for both, and the log says why
               (issue 16, item 2)
  4 From:      a forged partner From: does not pass the partner allowlist
               (issue 16, item 1)
"""
import time

import tap
from milterlab import MilterLab, mime_message, skip_unless_lab, EXE, check_clean_exit

skip_unless_lab()

SCR = b"MZ" + b"\x00" * 62 + b"screensaver"

CONF = """
milter = { user = ""; pidfile = ""; spool_dir = "/tmp"; };
audit = true;
rules = (
  { name = "partner"; mode = "enforce"; direction = "inbound";
    sender = { domains = ["partner.test"]; }; action = "accept"; },
  { name = "abuse-desk"; mode = "enforce";
    recipient = { addresses = ["abuse@example.com"]; }; action = "accept"; },
  { name = "exe-new"; attachment = { extensions = ["exe"]; }; action = "reject"; },
  { name = "scr-enforced"; mode = "enforce"; attachment = { extensions = ["scr"]; };
    action = "reject"; reply = "550 5.7.1 Screensavers are refused"; },
  { name = "tag-inbound"; mode = "enforce"; direction = "inbound";
    recipient = { domains = ["example.com"]; };
    action = "tag"; tag_header = "X-Relayscreen-Screened: inbound"; }
);
"""


def logged(lab, queue_id, *what):
    """The screener logged a line with QUEUE_ID and every WHAT."""
    end = time.monotonic() + 10
    while time.monotonic() < end:
        for line in lab.screener_log().splitlines():
            if queue_id and queue_id in line and all(w in line for w in what):
                return True
        time.sleep(0.1)
    return False


with MilterLab(CONF) as lab:

    @tap.case("1 audit: the .exe an audit rule would reject is delivered")
    def _():
        data, token = mime_message("someone@sender.test", ["user@example.com"],
                                   attachments=[("tool.exe", EXE, "application/octet-stream")])
        r = lab.send("public", sender="someone@sender.test", rcpts=["user@example.com"], data=data)
        tap.ok(r.accepted, "accepted: nothing refused", r.dump())
        got = lab.wait_delivered(lab.exchange, token)
        tap.is_eq(len(got), 1, "delivered to the Exchange capture")
        tap.ok(logged(lab, r.queue_id, "action=reject", "rule=exe-new", "audit=1"),
               "audit=1 action=reject rule=exe-new logged with the queue id",
               lab.screener_log()[-1500:])
        tap.ok(logged(lab, r.queue_id, "action=tag", "rule=tag-inbound"),
               "the enforced tag rule acted")

    @tap.case("2 forged screener fields are deleted, ours added once")
    def _():
        data, token = mime_message("someone@sender.test", ["user@example.com"], headers={
            "X-Relayscreen-Screened": "clean", "X-Relayscreen-Original-Recipients": "ceo@example.com",
            "X-Relayscreen-Verdict": "pass"})
        r = lab.send("public", sender="someone@sender.test", rcpts=["user@example.com"], data=data)
        tap.ok(r.accepted, "accepted", r.dump())
        got = lab.wait_delivered(lab.exchange, token)
        tap.is_eq(len(got), 1, "delivered")
        if got:
            m = got[0].email
            tap.is_eq(m.get_all("X-Relayscreen-Screened"), ["inbound"], "only our tag field")
            tap.is_eq(m.get_all("X-Relayscreen-Original-Recipients"), None,
                      "forged original recipients gone")
            tap.is_eq(m.get_all("X-Relayscreen-Verdict"), None, "forged X-Relayscreen-* gone")
            tap.ok(m.get("X-Lab-Token") == token and m.get("Subject"), "the rest intact")

    @tap.case("3 abuse@ exempt: alone it gets the .scr, CC'd the message is refused")
    def _():
        data, token = mime_message("someone@sender.test", ["abuse@example.com"],
                                   attachments=[("fun.scr", SCR, "application/octet-stream")])
        r = lab.send("public", sender="someone@sender.test", rcpts=["abuse@example.com"], data=data)
        tap.ok(r.accepted, "abuse@ alone: accepted", r.dump())
        got = lab.wait_delivered(lab.exchange, token)
        tap.ok(len(got) == 1 and got[0].rcpts == ["abuse@example.com"], "delivered to abuse@",
               repr(got))
        tap.ok(logged(lab, r.queue_id, "action=accept", "rule=abuse-desk"), "accept logged")
        rcpts = ["user@example.com", "abuse@example.com"]
        data, token = mime_message("someone@sender.test", rcpts,
                                   attachments=[("fun.scr", SCR, "application/octet-stream")])
        r = lab.send("public", sender="someone@sender.test", rcpts=rcpts, data=data)
        tap.ok(not r.accepted and r.code == 550 and r.stage == "data",
               "CC'd: refused at end of DATA (one reply for both)", r.dump())
        tap.like(r.text or "", r"Screensavers are refused", "with the rule's reply")
        qid = (lab.wait_log(r"(\w+): milter-reject: END-OF-MESSAGE") or [None, None])[1]
        tap.ok(qid and logged(lab, qid, "rule=scr-enforced", "exempt_rcpts=1"),
               "the verdict counts the exempt recipient", lab.screener_log()[-1500:])
        tap.ok(qid and logged(lab, qid, "note=", "one reply to DATA"), "and says why")

    @tap.case("4 a forged partner From: does not pass the allowlist")
    def _():
        data, token = mime_message("Partner <sales@partner.test>", ["user@example.com"],
                                   attachments=[("fun.scr", SCR, "application/octet-stream")])
        r = lab.send("public", sender="mallory@sender.test", rcpts=["user@example.com"], data=data)
        tap.ok(not r.accepted and r.code == 550, "refused", r.dump())
        data, token = mime_message("sales@partner.test", ["user@example.com"],
                                   attachments=[("fun.scr", SCR, "application/octet-stream")])
        r = lab.send("public", sender="sales@partner.test", rcpts=["user@example.com"], data=data)
        tap.ok(r.accepted, "the partner's envelope sender: accepted", r.dump())

    tap.run("screener exits cleanly", check_clean_exit, lab)

tap.done()
