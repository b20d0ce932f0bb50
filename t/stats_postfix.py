#!/usr/bin/env python3
"""stats_postfix.py - the screener's statistics, counted exactly (TAP).

A private Postfix (lab.py) with the screener keeping stats.file and
stats.prometheus (interval 1 s).  A known stream of ten messages
goes through real SMTP sessions:

  m1 m2  inbound, nothing fires                      -> pass
  m3     inbound .exe                                -> reject (exe-inbound)
  m4     inbound, keyword "tagme"                    -> pass, tag-kw fires
  m5     outbound (internal listener), held keyword  -> hold (hold-outbound)
  m6     outbound, "tagme"                           -> pass, tag-kw fires
  m7     inbound to example.net                      -> pass, the log rule
         named 'log "legal" \\ x' fires (quotes and backslash escaped in the
         files, printed escaped by --stats)
  m8     inbound to a blocked and a good recipient   -> the blocked RCPT is
         refused alone (rcpt-block), the message passes for the other
  m9     inbound, a line the regex backtracks on     -> tempfail (error:regex)
  m10    inbound, MIME nested deeper than max_depth  -> tempfail (limit:depth)

Then every figure in the state file is compared with what the stream must
give: messages and body bytes by direction (the bodies as Postfix hands
them to the milter: CRLF lines), verdicts by action, every rule by action
and direction, recipients refused, no limits or errors; the Prometheus
file has the same text; "screener --stats" prints the table and --raw the
file; the figures survive a SIGHUP reload; the files are rewritten
atomically (no temporary file left, updated time moves on) and written
one last time at exit.
"""
import email.message
import email.policy
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import tap
from milterlab import MilterLab, mime_message, skip_unless_lab, EXE, check_clean_exit

skip_unless_lab()

SCREENER = os.path.join(os.environ.get("RS_BUILDDIR", "."), "screener", "screener")
tmp = tempfile.mkdtemp(prefix="stats_postfix.")
os.chmod(tmp, 0o755)
STATS = os.path.join(tmp, "screener.stats")
PROM = os.path.join(tmp, "screener.prom")

CONF = """
milter = { user = ""; pidfile = ""; spool_dir = "/tmp"; };
direction = { outbound_daemons = ["submission", "internal"]; };
stats = { file = "%s"; prometheus = "%s"; interval = 1; };
rules = (
  { name = "rcpt-block"; recipient = { addresses = ["blocked@example.com"]; };
    action = "reject"; reply = "550 5.7.1 Not this one"; },
  { name = "exe-inbound"; direction = "inbound";
    attachment = { extensions = ["exe"]; }; action = "reject"; },
  { name = "hold-outbound"; direction = "outbound";
    keywords = { words = ["project nightingale"]; }; action = "hold"; },
  { name = "tag-kw"; keywords = { words = ["tagme"]; };
    action = "tag"; tag_header = "X-Tagged: yes"; },
  { name = "log \\"legal\\" \\\\ x"; recipient = { domains = ["example.net"]; }; action = "log"; },
  { name = "backtrack"; keywords = { regex = ["(a+)+$"]; in = ["body"]; }; action = "reject"; }
);
limits = { max_depth = 3; on_limit = "tempfail"; on_error = "tempfail"; };
""" % (STATS, PROM)

LINE = re.compile(r'^(\w+)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def figures(path):
    """{(metric, frozenset(labels)): value} of an exposition file."""
    out = {}
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                continue
            m = LINE.match(line.rstrip("\n"))
            if m:
                labels = frozenset((k, re.sub(r"\\(.)", lambda e: "\n" if e.group(1) == "n" else e.group(1), v))
                                   for k, v in LABEL.findall(m.group(2) or ""))
                out[(m.group(1), labels)] = float(m.group(3))
    return out


def get(figs, metric, **labels):
    return figs.get(("relayscreen_screener_" + metric, frozenset(labels.items())), 0)


def body_len(data):
    """Body bytes as the milter sees them: after the blank line, CRLF."""
    data = data.replace(b"\r\n", b"\n")
    body = data.split(b"\n\n", 1)[1]
    if not body.endswith(b"\n"):
        body += b"\n"
    return len(body.replace(b"\n", b"\r\n"))


def wait_figs(pred, timeout=15):
    end = time.monotonic() + timeout
    figs = {}
    while time.monotonic() < end:
        try:
            figs = figures(STATS)
            if pred(figs):
                break
        except OSError:
            pass
        time.sleep(0.2)
    return figs


sent = {"inbound": 0, "outbound": 0}
try:
    with MilterLab(CONF) as lab:

        def send(listener, sender, rcpts, text="Hello.\n", attachments=(), direction="inbound"):
            data, token = mime_message(sender, rcpts, text=text, attachments=attachments)
            r = lab.send(listener, sender=sender, rcpts=rcpts, data=data)
            sent[direction] += body_len(data)
            return r

        @tap.case("the stream of ten messages")
        def _():
            r = send("public", "a@sender.test", ["user@example.com"])
            tap.ok(r.accepted, "m1 inbound pass", r.dump())
            r = send("public", "b@sender.test", ["user@example.com"])
            tap.ok(r.accepted, "m2 inbound pass", r.dump())
            r = send("public", "c@sender.test", ["user@example.com"],
                     attachments=[("run.exe", EXE, "application/octet-stream")])
            tap.ok(not r.accepted and r.code == 550, "m3 inbound .exe rejected", r.dump())
            r = send("public", "d@sender.test", ["user@example.com"], text="please tagme\n")
            tap.ok(r.accepted, "m4 inbound tagged", r.dump())
            r = send("internal", "alice@example.com", ["friend@aol.com"],
                     text="About project nightingale.\n", direction="outbound")
            tap.ok(r.accepted, "m5 outbound held", r.dump())
            r = send("internal", "alice@example.com", ["friend@aol.com"], text="tagme too\n",
                     direction="outbound")
            tap.ok(r.accepted, "m6 outbound tagged", r.dump())
            r = send("public", "e@sender.test", ["carol@example.net"])
            tap.ok(r.accepted, "m7 inbound to legal", r.dump())
            r = send("public", "f@sender.test", ["blocked@example.com", "user@example.com"])
            tap.ok(r.accepted and r.rcpt_codes.get("blocked@example.com") == 550,
                   "m8 the blocked recipient refused alone, the message accepted", r.dump())
            r = send("public", "g@sender.test", ["user@example.com"], text="a" * 5000 + "b\n")
            tap.ok(not r.accepted and r.code == 451, "m9 regex error: tempfail", r.dump())
            inner = email.message.EmailMessage()
            inner.set_content("deep\n")
            for _ in range(5):
                outer = email.message.EmailMessage()
                outer.make_mixed()
                outer.attach(inner)
                inner = outer
            sender, rcpts = "h@sender.test", ["user@example.com"]
            for k, v in (("From", sender), ("To", rcpts[0]), ("Subject", "deep")):
                inner[k] = v
            data = inner.as_bytes(policy=email.policy.SMTP)
            r = lab.send("public", sender=sender, rcpts=rcpts, data=data)
            sent["inbound"] += body_len(data)
            tap.ok(not r.accepted and r.code == 451, "m10 too deep: tempfail", r.dump())

        figs = wait_figs(lambda f: sum(get(f, "messages_total", direction=d)
                                       for d in ("inbound", "outbound")) >= 10)

        @tap.case("totals")
        def _():
            tap.is_eq(get(figs, "messages_total", direction="inbound"), 8, "messages inbound")
            tap.is_eq(get(figs, "messages_total", direction="outbound"), 2, "messages outbound")
            tap.is_eq(get(figs, "body_bytes_total", direction="inbound"), sent["inbound"],
                      "body bytes inbound")
            tap.is_eq(get(figs, "body_bytes_total", direction="outbound"), sent["outbound"],
                      "body bytes outbound")
            want = {"pass": 6, "reject": 1, "hold": 1, "accept": 0, "tempfail": 2,
                    "discard": 0, "redirect": 0, "strip": 0}
            got = {a: get(figs, "verdicts_total", action=a) for a in want}
            tap.is_eq(got, want, "verdicts by action")
            tap.is_eq(get(figs, "rcpt_refused_total"), 1, "recipients refused alone")
            tap.is_eq({dict(k[1])["limit"]: v for k, v in figs.items()
                       if k[0] == "relayscreen_screener_limits_total"}, {"depth": 1}, "limits by kind")
            tap.is_eq({dict(k[1])["what"]: v for k, v in figs.items()
                       if k[0] == "relayscreen_screener_errors_total"}, {"regex": 1}, "errors by kind")
            tap.ok(0 < get(figs, "scan_cpu_seconds_total") < 10, "scan cpu time counted")

        @tap.case("rules by action and direction")
        def _():
            rules = {(dict(k[1])["rule"], dict(k[1])["action"], dict(k[1])["direction"]): v
                     for k, v in figs.items() if k[0] == "relayscreen_screener_rule_fired_total"}
            tap.is_eq(rules, {
                ("rcpt-block", "reject", "inbound"): 1,
                ("exe-inbound", "reject", "inbound"): 1,
                ("hold-outbound", "hold", "outbound"): 1,
                ("tag-kw", "tag", "inbound"): 1,
                ("tag-kw", "tag", "outbound"): 1,
                ('log "legal" \\ x', "log", "inbound"): 1,
            }, "every rule that fired, exactly")

        @tap.case("the files")
        def _():
            with open(STATS) as a:
                text = a.read()
            t0 = get(figures(STATS), "updated_time_seconds")
            time.sleep(2.5)
            tap.ok(get(figures(STATS), "updated_time_seconds") > t0, "rewritten every interval")
            tap.ok(os.path.exists(PROM), "the Prometheus textfile is written too")
            strip_time = lambda s: re.sub(r"(?m)^relayscreen_screener_updated_time_seconds .*$", "", s)
            with open(STATS) as a, open(PROM) as b:
                tap.is_eq(strip_time(b.read()), strip_time(a.read()), "with the same figures")
            tap.is_eq(sorted(os.listdir(tmp)), ["screener.prom", "screener.stats"],
                      "no temporary file left (write, then rename)")
            tap.like(text, r"(?m)^# TYPE relayscreen_screener_rule_fired_total counter$",
                     "Prometheus TYPE lines")

        @tap.case("screener --stats")
        def _():
            conf = lab.screener_conf_path
            r = subprocess.run([SCREENER, "--stats", "-c", conf], capture_output=True, text=True)
            tap.is_eq(r.returncode, 0, "exit 0", r.stderr)
            tap.like(r.stdout, r"(?m)^messages  10 \(inbound 8, outbound 2\), body bytes %d, "
                     % (sent["inbound"] + sent["outbound"]), "message line")
            tap.like(r.stdout, r"(?m)^verdicts  pass 6, accept 0, reject 1, tempfail 2, discard 0, "
                     r"hold 1, redirect 0, strip 0$", "verdict line")
            tap.like(r.stdout, r"(?m)^tag-kw +2 +1 +1  tag 2$", "tag-kw: 2 fired, 1 in, 1 out")
            tap.like(r.stdout, r"(?m)^rcpt-block +1 +1 +0  reject 1$", "rcpt-block row")
            tap.like(r.stdout, r'(?m)^log \\"legal\\" \\\\ x +1 +1 +0  log 1$',
                     "a rule name with quotes and a backslash, escaped")
            tap.like(r.stdout, r"(?m)^limits    1, errors 1, recipients refused alone 1$", "limits line")
            r2 = subprocess.run([SCREENER, "--stats", "--raw", "-c", conf], capture_output=True)
            tap.ok(r2.returncode == 0 and r2.stdout.startswith(b"# HELP relayscreen_screener_"),
                   "--raw prints the exposition")
            bare = os.path.join(tmp, "nostats.conf")
            with open(bare, "w") as f:
                f.write("rules = ();\n")
            r = subprocess.run([SCREENER, "--stats", "-c", bare], capture_output=True, text=True)
            tap.ok(r.returncode == 1 and "stats.file is not set" in r.stderr,
                   "--stats without stats.file: exit 1, says why", r.stderr)
            os.unlink(bare)

        @tap.case("SIGHUP keeps the figures; exit writes them once more")
        def _():
            since = len(lab.screener_log())
            lab.signal_screener(signal.SIGHUP)
            tap.ok(lab.wait_screener_log("reload", since=since), "reloaded", lab.screener_log()[since:])
            r = send("public", "z@sender.test", ["user@example.com"])
            tap.ok(r.accepted, "m11 after the reload", r.dump())
            figs2 = wait_figs(lambda f: get(f, "messages_total", direction="inbound") >= 9)
            tap.is_eq(get(figs2, "messages_total", direction="inbound"), 9, "counted on from 8")
            check_clean_exit(lab)
            last = figures(STATS)
            tap.is_eq(get(last, "verdicts_total", action="pass"), 7, "final figures written at exit")
finally:
    shutil.rmtree(tmp, ignore_errors=True)
tap.done()
