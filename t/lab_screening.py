#!/usr/bin/env python3
"""lab_screening.py - "t/lab up" shows screening, not only relaying (TAP).

Runs t/lab up (the README's quick start lab: a private Postfix with the
example screener.conf and policyd.conf) and checks that its report shows,
with the log lines that explain them: an inbound .exe rejected, an
outbound macro document stripped (delivered with the rest), an outbound keyword held
with the relayscreen-held lines to list and release it (which then work),
a redirect to security@ only, a tag on the subject; then t/lab down.
Skips when a lab is already up (it is not the test's to stop).
"""
import os
import re
import subprocess

import tap
from milterlab import skip_unless_lab

skip_unless_lab()
SRC = os.environ.get("RS_SRCDIR", "..")
BUILD = os.environ.get("RS_BUILDDIR", ".")
LAB = os.path.join(SRC, "t", "lab")
if os.path.exists("/tmp/relayscreen-lab/lab.json"):
    tap.skip_all("a lab is up (t/lab down stops it)")


def section(out, title):
    m = re.search(r"(?ms)^== %s\n(.*?)(?=^== |^The gateway keeps running)" % re.escape(title), out)
    return m.group(1) if m else ""


try:
    r = subprocess.run([LAB, "up", "--builddir", BUILD], capture_output=True, text=True, timeout=600)
    out = r.stdout
    tap.is_eq(r.returncode, 0, "t/lab up exits 0", r.stderr[-2000:])
    tap.like(out, r"screener: yes", "with the screener")

    s = section(out, "screening: inbound mail with an .exe attachment (rejected)")
    tap.like(s, r"REFUSED: 550 5\.7\.1 Executable attachments are not accepted", ".exe: refused", s)
    tap.like(s, r"screener\| .*action=reject rule=executables .*file=invoice\.exe", ".exe: the verdict line")
    tap.like(s, r"arrived at: nowhere", ".exe: delivered nowhere")

    s = section(out, "screening: outbound macro document (stripped, the rest delivered)")
    tap.like(s, r"action=strip rule=office-macros .*file=form\.docm", "macro: the strip verdict", s)
    tap.like(s, r"arrived at: internet", "macro: the rest delivered to the Internet")
    tap.unlike(s, r"part: .*form\.docm", "macro: without the .docm part")

    s = section(out, 'screening: outbound mail naming "project falcon" (held)')
    tap.like(s, r"action=hold rule=falcon", "held: the verdict line", s)
    m = re.search(r"in the hold queue: (\w+)", s)
    tap.ok(m, "held: in the hold queue")
    cmds = re.findall(r"(?m)^     (\S*relayscreen-held .*)$", s)
    tap.is_eq(len(cmds), 3, "held: list, show and release lines printed")
    if m and len(cmds) == 3:
        lst = subprocess.run(cmds[0].split(), capture_output=True, text=True)
        tap.like(lst.stdout, r"(?m)^%s .* falcon +project falcon$" % m.group(1),
                 "held: the printed list line lists it with its rule", lst.stdout + lst.stderr)
        rel = subprocess.run(cmds[2].split(), capture_output=True, text=True)
        tap.ok(rel.returncode == 0 and "released" in rel.stdout, "held: the printed release line releases it",
               rel.stdout + rel.stderr)

    s = section(out, 'screening: inbound "wire transfer urgent" (redirected)')
    tap.like(s, r"action=redirect rule=wire", "redirect: the verdict line", s)
    tap.like(s, r"delivered to security@example\.com;", "redirect: to security@ only")
    tap.like(s, r"X-Relayscreen-Original-Recipients: accounts@example\.com", "redirect: originals recorded")

    s = section(out, 'screening: outbound "strictly confidential" (tagged)')
    tap.like(s, r"action=tag rule=confidential-tag", "tag: the verdict line", s)
    tap.like(s, r"Subject: \[CONFIDENTIAL\] Figures", "tag: the subject prefix")
    tap.like(s, r"X-Screener: confidential", "tag: the header")
finally:
    d = subprocess.run([LAB, "down"], capture_output=True, text=True, timeout=120)
    tap.like(d.stdout, r"lab: stopped", "t/lab down")
tap.done()
