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


# PCRE2 with UCP: \s is Unicode white space, \w Unicode letters.
case("regex \\s matches U+00A0", msg("please wire\u00a0now thanks\n"), "reject", "rx-wire")
case("regex \\s matches U+2003", msg("please wire\u2003now thanks\n"), "reject", "rx-wire")
case("regex \\w matches a non-ASCII letter", msg("the payéce is due\n"), "reject", "rx-wire")
case("regex: no match", msg("please wirenow thanks\n"), "pass", "-")

done()
