#!/usr/bin/env python3
"""held_postfix.py - relayscreen-held against a real Postfix hold queue (TAP).

A private Postfix (lab.py) with the screener holding outbound mail that
names a keyword.  Two such messages and one clean one go through the
internal listener; then relayscreen-held -c <lab etc> --log <logs>:
  list     shows exactly the two held ones, each with the rule that held
           it and the keyword it matched (from the screener's verdict line
           and Postfix's milter-hold line)
  show     names the rule, the match and the hold reason, then the header
  release  one is delivered to the Internet capture and leaves the queue
  delete   the other is gone without delivery
and it refuses, changing nothing, a queue id that is not held (exit 1) and
a string that is no queue id (exit 2).
"""
import os
import re
import subprocess
import time

import tap
from milterlab import MilterLab, mime_message, skip_unless_lab

skip_unless_lab()

HELD = os.path.join(os.environ.get("RS_BUILDDIR", "."), "held", "relayscreen-held")

CONF = """
milter = { user = ""; pidfile = ""; spool_dir = "/tmp"; };
direction = { outbound_daemons = ["submission", "internal"]; };
rules = (
  { name = "falcon"; direction = "outbound";
    keywords = { words = ["project falcon"]; in = ["subject", "body"]; };
    action = "hold"; }
);
"""

with MilterLab(CONF) as lab:
    logs = ["--log", lab.maillog, "--log", os.path.join(lab.dir, "screener.log")]

    def held_tool(*args):
        r = subprocess.run([HELD, "-c", lab.etc] + logs + list(args),
                           capture_output=True, text=True, timeout=60)
        return r.returncode, r.stdout, r.stderr

    def hold_ids():
        return sorted(q["queue_id"] for q in lab.postqueue_json() if q.get("queue_name") == "hold")

    sent = {}

    @tap.case("two messages held, one delivered")
    def _():
        for name, text in (("a", "The project falcon plan.\n"), ("b", "More on project falcon.\n"),
                           ("clean", "Nothing to see.\n")):
            data, token = mime_message("alice@example.com", ["friend@aol.com"], text=text)
            r = lab.send("internal", sender="alice@example.com", rcpts=["friend@aol.com"], data=data)
            tap.ok(r.accepted, "%s accepted" % name, r.dump())
            sent[name] = (r.queue_id, token)
        end = time.monotonic() + 15
        while time.monotonic() < end and len(hold_ids()) < 2:
            time.sleep(0.2)
        tap.is_eq(hold_ids(), sorted([sent["a"][0], sent["b"][0]]), "both in the hold queue")
        lab.wait_delivered(lab.internet, sent["clean"][1])

    @tap.case("list")
    def _():
        rc, out, err = held_tool("list")
        tap.is_eq(rc, 0, "exit 0", err)
        for name in ("a", "b"):
            qid = sent[name][0]
            tap.like(out, r"(?m)^%s +\S+ \S+ +\d+  alice@example.com +falcon +project falcon$" % qid,
                     "%s listed with rule falcon and its match" % name, out)
        tap.ok(sent["clean"][0] not in out, "the delivered one is not listed", out)
        tap.like(out, r"(?m)^ +to: friend@aol.com$", "recipients shown")

    @tap.case("show")
    def _():
        qid = sent["a"][0]
        rc, out, err = held_tool("show", qid)
        tap.is_eq(rc, 0, "exit 0", err)
        tap.like(out, r"(?m)^rule: +falcon$", "rule")
        tap.like(out, r"(?m)^match: +project falcon$", "match")
        # Postfix 3.7 logs its own words, later versions the milter's reason
        tap.like(out, r"(?m)^reason: +(relayscreen:rule=falcon|milter triggers HOLD action)$",
                 "Postfix's milter-hold line")
        tap.like(out, r"(?m)^verdict: +queue_id=%s .*action=hold" % qid, "the verdict line")
        tap.like(out, r"(?m)^X-Lab-Token: %s$" % sent["a"][1], "then the header (postcat)")
        tap.unlike(out, r"The project falcon plan", "no body without --body")
        rc, out, err = held_tool("show", "--body", qid)
        tap.like(out, r"The project falcon plan", "--body adds it")

    @tap.case("refusals change nothing")
    def _():
        rc, out, err = held_tool("release", sent["clean"][0] or "ABCDEF123")
        tap.ok(rc == 1 and "not in the hold queue" in err, "a delivered id: exit 1", err)
        rc, out, err = held_tool("delete", "../../etc")
        tap.ok(rc == 2 and "not a queue id" in err, "not a queue id: exit 2", err)
        rc, out, err = held_tool("delete", sent["a"][0], "ABCDEF123")
        tap.is_eq(rc, 1, "one bad id among good ones: exit 1")
        tap.is_eq(len(hold_ids()), 2, "and both are still held")

    @tap.case("release and delete")
    def _():
        rc, out, err = held_tool("release", sent["a"][0])
        tap.ok(rc == 0 and "%s: released" % sent["a"][0] in out, "release: exit 0", out + err)
        got = lab.wait_delivered(lab.internet, sent["a"][1])
        tap.is_eq(len(got), 1, "the released message reaches the Internet capture")
        rc, out, err = held_tool("delete", sent["b"][0])
        tap.ok(rc == 0 and "%s: deleted" % sent["b"][0] in out, "delete: exit 0", out + err)
        tap.is_eq(hold_ids(), [], "the hold queue is empty")
        time.sleep(1)
        tap.is_eq(lab.internet.find(sent["b"][1]), [], "the deleted message was never delivered")
        rc, out, err = held_tool("list")
        tap.ok(rc == 0 and out.strip() == "no held mail", "list: no held mail", out)

tap.done()
