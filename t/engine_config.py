#!/usr/bin/env python3
"""t/engine_config.py - screener -t: every config problem is reported as
FILE:LINE: message, all of them, exit 1; good configs exit 0 with one
line "FILE: OK (N rules; runs as USER:GROUP, ...)"."""
import os, subprocess, sys, tempfile
from tap import ok, done

SRC = os.environ.get("RS_SRCDIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
BUILD = os.environ.get("RS_BUILDDIR", ".")
SCREENER = os.path.join(BUILD, "screener", "screener")



def check(path):
    r = subprocess.run([SCREENER, "-t", "-c", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    return r.returncode, r.stderr.decode("utf-8", "replace") + r.stdout.decode("utf-8", "replace")


for conf in ("conf/screener.conf", "t/engine/test.conf"):
    rc, out = check(os.path.join(SRC, conf))
    path = os.path.join(SRC, conf)
    ok(rc == 0 and out.startswith(path + ": OK (") and out.count("\n") == 1,
       f"{conf} passes screener -t", out)

BAD = r'''rules = (
  { name = "a"; bogus = 1; keywords = { words = [ "x" ]; regex = [ "a(b" ]; }; action = "reject"; },
  { name = "b"; attachment = { extensions = "exe"; min_size = "10Q"; }; action = "explode"; },
  { name = "c"; sender = { domains = [ "x.example" ]; }; action = "redirect"; },
  { name = "d"; keywords = { words_file = "nonexistent.txt"; }; action = "log"; },
  { name = "e"; keywords = { words = [ "x" ]; in = [ "footer" ]; }; action = "tag"; },
  { name = "f"; attachment = { sha256 = [ "abc" ]; }; action = "strip"; },
  { name = "g"; action = "reject"; reply = "450 4.7.1 no"; sender = { domains = "a.example"; }; },
  { name = "h"; direction = "sideways"; sender = { domains = "a.example"; }; action = "hold"; },
  { name = "h"; keywords = { words = 5; }; action = "strip"; },
  { name = "i"; keywords = { regex_file = "bad-regex.txt"; }; action = "log"; },
  { name = "j"; sender = { addresses = [ "not an address" ]; }; action = "tag"; tag_header = "Bad Header"; },
  { name = "k"; recipient = { }; }
);
limits = { max_depth = 0; on_limit = "strip"; max_line_length = 10; };
milter = { socket = "tcp:25"; socket_mode = "999"; timeout = "x"; spool_dir = "rel"; };
smtp = { reply = "hello"; max_recipients = -1; };
log = { facility = "nope"; };
direction = { outbound_networks = [ "10.0.0.1/8" ]; outbound_authenticated = "yes"; };
extra = 1;
'''
EXPECT = [
    (20, 'unknown key "extra"'),
    (2, 'unknown key "bogus"'),
    (2, 'bad regex "a(b": missing closing parenthesis at offset 3'),
    (3, '"min_size": bad size'),
    (3, 'unknown action "explode"'),
    (4, 'redirect needs "redirect_to"'),
    (5, 'cannot read list file'),
    (6, '"in": "footer" is not one of subject, headers, body'),
    (6, 'tag needs "tag_header" and/or "subject_prefix"'),
    (7, 'bad sha256 "abc"'),
    (8, 'bad reply "450 4.7.1 no"'),
    (9, 'unknown value "sideways"'),
    (10, 'duplicate rule name "h"'),
    (10, '"words" must be a string or a list of strings'),
    (10, 'strip needs an attachment condition'),
    (11, 'bad regex "x[": missing terminating ] for character class at offset 2'),
    (12, 'bad address "not an address"'),
    (12, 'bad tag_header "Bad Header"'),
    (13, 'missing "action"'),
    (13, 'recipient: needs addresses or domains'),
    (15, '"max_depth" must be between 1 and 100'),
    (15, '"on_limit": "strip" is not one of'),
    (15, '"max_line_length" must be at least 1000'),
    (16, '"socket" must be unix:/absolute/path or inet:port@host'),
    (16, '"socket_mode" must be an octal mode'),
    (16, '"timeout" must be an integer, not a string'),
    (16, '"spool_dir" must be an absolute path'),
    (17, '"reply" must look like "554 5.5.2 text"'),
    (17, '"max_recipients" must be between'),
    (18, 'unknown syslog facility "nope"'),
    (19, 'bad network "10.0.0.1/8"'),
    (19, '"outbound_authenticated" must be true or false'),
]

with tempfile.TemporaryDirectory() as td:
    os.chmod(td, 0o755)     # -t opens every file as the run user
    bad = os.path.join(td, "bad.conf")
    with open(bad, "w") as f:
        f.write(BAD)
    with open(os.path.join(td, "bad-regex.txt"), "w") as f:
        f.write("# a comment\nok\\s+regex\nx[\n")
    rc, out = check(bad)
    ok(rc == 1, "bad config: exit 1", out)
    lines = out.splitlines()
    for line, text in EXPECT:
        ok(any(l.startswith(f"{bad}:{line}: ") and text in l for l in lines), f"line {line}: {text}", out)
    ok(all(l.startswith(bad + ":") for l in lines), "every line is FILE:LINE: message", out)

    syn = os.path.join(td, "syntax.conf")
    with open(syn, "w") as f:
        f.write("rules = (\n  { name = \"x\" \n);\n")
    rc, out = check(syn)
    ok(rc == 1 and out.startswith(syn + ":3: "), "syntax error: FILE:LINE", out)

    good = os.path.join(td, "lists.conf")
    os.mkdir(os.path.join(td, "l"))
    with open(os.path.join(td, "l", "ext.txt"), "w") as f:
        f.write("# executables\n exe \n\n.SCR # trailing comment\n")
    with open(good, "w") as f:
        f.write('rules = ( { name = "x"; attachment = { extensions_file = "l/ext.txt"; }; action = "reject"; } );\n')
    rc, out = check(good)
    ok(rc == 0 and out.startswith(good + ": OK (1 rule; runs as relayscreen:") and out.count("\n") == 1,
       "relative list file, comments, blanks: ok", out)
    msg = os.path.join(td, "m.eml")
    with open(msg, "w") as f:
        f.write('Content-Type: application/octet-stream; name="A.Scr"\n\nx\n')
    r = subprocess.run([SCREENER, "--scan", "-c", good, msg], stdout=subprocess.PIPE)
    ok(b"action=reject rule=x" in r.stdout, "extension from list file matches", r.stdout)

    empty = os.path.join(td, "empty.conf")
    open(empty, "w").close()
    rc, out = check(empty)
    ok(rc == 0, "empty config: defaults", out)

done()
