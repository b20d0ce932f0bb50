#!/usr/bin/env python3
"""t/engine_latent.py - latent bugs of issue 14 that --scan and -t show:
milter.spool_max = 0 was taken and silently became 64 MiB (the
documented default is 100M, held in one place now); a rule set too large
to load ran the daemon out of memory (now refused like any broken file);
and part paths in verdicts were cut at 31 characters, so deeply nested
parts all printed as the same part= value.
"""
import os, shlex, subprocess, tempfile
from tap import ok, done

BUILD = os.environ.get("RS_BUILDDIR", ".")
SCREENER = os.path.join(BUILD, "screener", "screener")
TMP = tempfile.mkdtemp(prefix="rs-latent.")


def write(name, text):
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def run(args):
    r = subprocess.run([SCREENER] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")


def fields(line):
    d = {}
    for tok in shlex.split(line.split(": ", 1)[1]) if ": " in line else []:
        if "=" in tok:
            k, v = tok.split("=", 1)
            d.setdefault(k, v)
    return d


# spool_max = 0: refused with file and line, not a silent 64 MiB.
conf = write("spool0.conf", "milter = {\n  spool_max = 0;\n  user = \"\";\n};\n")
rc, out, err = run(["-t", "-c", conf])
ok(rc == 1 and f"{conf}:2:" in err and "spool_max" in err, "spool_max = 0 is a config error", err)
conf = write("spool1.conf", "milter = {\n  spool_max = \"1K\";\n  user = \"\";\n};\n")
rc, out, err = run(["-t", "-c", conf])
ok(rc == 0, "spool_max = 1K is fine", err)


# A rule set too large to load is refused with file and line (a reload
# keeps the old rules) instead of running out of memory: list files hold
# at most 64 MiB in all, the keyword automaton at most 2^25 cells.
big = os.path.join(TMP, "big-list.txt")
with open(big, "w") as f:
    for i in range(700000):
        f.write("%06d%s\n" % (i, "x" * 93))
conf = write("big.conf", 'milter = { user = ""; };\nrules = (\n'
             '  { name = "big"; keywords = { words_file = "big-list.txt"; }; action = "hold"; }\n);\n')
rc, out, err = run(["-t", "-c", conf])
ok(rc == 1 and f"{big}:" in err and "list files hold more than 64 MiB in all" in err,
   "70 MB of list entries: refused with file and line", err[-400:])
ok("too many to build" in err, "and the keywords read so far are too many to build", err[-400:])
os.unlink(big)


def deep(depth, last):
    """A message nested depth multiparts deep; the .exe is child `last`
    of the innermost one."""
    out = ("From: a@b.example\r\nSubject: deep\r\nMIME-Version: 1.0\r\n"
           "Content-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n")
    for d in range(1, depth):
        out += f"--b{d-1}\r\nContent-Type: multipart/mixed; boundary=\"b{d}\"\r\n\r\n"
    for i in range(1, last):
        out += f"--b{depth-1}\r\nContent-Type: text/plain\r\n\r\npart {i}\r\n"
    out += (f"--b{depth-1}\r\nContent-Type: application/octet-stream; name=\"x.exe\"\r\n\r\n"
            f"MZ\r\n--b{depth-1}--\r\n")
    for d in range(depth - 2, -1, -1):
        out += f"--b{d}--\r\n"
    return out


conf = write("deep.conf", 'rules = ( { name = "exe"; attachment = { extensions = ["exe"]; };'
                          ' action = "reject"; } );\nlimits = { max_depth = 100; };\n')
for depth in (40, 99):
    paths = {}
    for last in (2, 3):
        msg = write(f"deep{depth}-{last}.eml", deep(depth, last))
        want = "1" + ".1" * (depth - 1) + f".{last}"
        for mode in ([], ["--milter-api"]):
            rc, out, err = run(["--scan", "-c", conf] + mode + [msg])
            f = fields(out.splitlines()[0] if out else "")
            ok(f.get("rule") == "exe" and f.get("part") == want,
               f"depth {depth}, child {last}{' (milter API)' if mode else ''}: the whole path "
               f"({len(want)} characters)", out[:300] + err[-200:])
            paths[last] = f.get("part")
    ok(paths[2] != paths[3], f"depth {depth}: two different parts log differently")

# --explain lists every part by its whole path too.
rc, out, err = run(["--scan", "-c", conf, "--explain", os.path.join(TMP, "deep40-3.eml")])
want = "part=1" + ".1" * 39 + ".3 "
ok(want in out, "--explain shows the whole path", out[-400:])

for fn in os.listdir(TMP):
    os.unlink(os.path.join(TMP, fn))
os.rmdir(TMP)
done()
