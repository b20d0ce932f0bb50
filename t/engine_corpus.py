#!/usr/bin/env python3
"""t/engine_corpus.py - real-world and CPython email test messages.

Every message must parse (screener --scan --explain) without crash, hang
or error exit, and the attachment names the engine reports must equal the
names Python's email package finds under either policy (default and
compat32: the engine screens every reading; for each part of walk():
get_filename(), i.e. Content-Disposition filename, else Content-Type
name), except for the deliberate differences listed in DIFFERENCES with
the reason.  (t/engine_differential.py compares parts, names, decoded
text and digests, of these and of generated malformed messages.)  The real-world corpus is t/corpus/ (in the
repository, with its licence); the CPython one is skipped where Python's
test package is not installed.
"""
import email, email.policy, email.utils, glob, os, re, subprocess, sys
from tap import ok, done, skip

SRC = os.environ.get("RS_SRCDIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
BUILD = os.environ.get("RS_BUILDDIR", ".")
SCREENER = os.path.join(BUILD, "screener", "screener")
CONF = os.path.join(SRC, "t", "engine", "corpus.conf")

# file base name -> reason the engine deliberately differs from Python
DIFFERENCES = {
    "attachment_with_base64_encoded_name.eml":
        "name==?utf-8?B?...?= unquoted: Python's parser drops the value; mail "
        "clients decode the encoded word and show the name, so the engine does",
    "attachment_with_unquoted_name.eml":
        "name=This is a test.txt unquoted: Python stops at the space; clients "
        "show the whole name, which is what an extension rule must see",
    "msg_15.txt":
        "inner multipart reuses the outer boundary: Python gives the inner part "
        "no start boundary and loses the attachment; the engine lets the "
        "innermost multipart take the delimiters and still sees xx.gif",
}





def unescape(v):
    """Undo kvlog/printable escaping (\\\\, \\", \\xHH) to bytes."""
    out = bytearray()
    i = 0
    while i < len(v):
        c = v[i]
        if c == "\\" and i + 1 < len(v):
            if v[i + 1] == "x" and i + 3 < len(v) + 1:
                out.append(int(v[i + 2:i + 4], 16))
                i += 4
                continue
            out += v[i + 1].encode()
            i += 2
            continue
        out += c.encode()
        i += 1
    return bytes(out)


KV = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)')


def engine_names(path):
    r = subprocess.run([SCREENER, "--scan", "--explain", "-c", CONF, path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    names = []
    for line in r.stdout.decode("ascii", "replace").splitlines()[1:]:
        for k, v in KV.findall(line):
            if k == "name":
                if v.startswith('"'):
                    v = v[1:-1]
                names.append(unescape(v).decode("utf-8", "replace"))
    return r.returncode, names, r.stdout.decode("ascii", "replace"), r.stderr.decode("utf-8", "replace")


def python_names(path):
    names = []
    for pol in (email.policy.default, email.policy.compat32):
        names += python_names_policy(path, pol)
    return names


def python_names_policy(path, pol):
    with open(path, "rb") as f:
        m = email.message_from_bytes(f.read(), policy=pol)
    names = []
    for part in m.walk():
        for get in (part.get_filename, lambda: part.get_param("name")):
            try:
                fn = get()
            except Exception:
                fn = None
            if isinstance(fn, tuple):   # RFC 2231 value not yet decoded
                fn = email.utils.collapse_rfc2231_value(fn)
            if fn:
                # compat32 leaves 8-bit bytes as surrogates and folding
                # in place; the engine unfolds and sees the bytes (UTF-8)
                fn = str(fn).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                # (compat32 turns 8-bit header bytes into U+FFFD: lossy, no
                # client's reading of the bytes)
                if pol is email.policy.compat32 and "\ufffd" in fn:
                    continue
                names.append(fn.replace("\r", "").replace("\n", ""))
    return names


dirs = [os.path.join(SRC, "t", "corpus", "real-world")]   # t/corpus/README.md
try:
    import test
    dirs.append(os.path.join(os.path.dirname(test.__file__), "test_email", "data"))
except ImportError:
    pass

files = []
for d in dirs:
    if not os.path.isdir(d):
        if d.endswith("data"):
            skip(f"corpus {d} not found")
        else:
            ok(False, f"the repository's corpus {d} is there")
        continue
    if d.endswith("data"):
        files += sorted(glob.glob(os.path.join(d, "msg_*.txt")))
    else:
        files += sorted(p for p in glob.glob(os.path.join(d, "**", "*"), recursive=True)
                        if os.path.isfile(p) and not os.path.basename(p).startswith(".")
                        and os.path.basename(p) not in ("LICENSE", "README.md"))

for path in files:
    rel = os.path.relpath(path, os.path.dirname(os.path.dirname(path)))
    try:
        rc, ours, out, err = engine_names(path)
    except subprocess.TimeoutExpired:
        ok(False, f"{rel}: parses without hang")
        continue
    ok(rc in (0, 1) and "action=" in out, f"{rel}: parses (rc {rc})", out + err)
    py = python_names(path)
    base = os.path.basename(path)
    if base in DIFFERENCES:
        ok(sorted(set(py)) != sorted(set(ours)), f"{rel}: names differ as documented: {DIFFERENCES[base]}",
           f"python={py} engine={ours}")
    else:
        ok(sorted(set(py)) == sorted(set(ours)), f"{rel}: names equal Python's {sorted(set(py))}",
           f"python={py}\nengine={ours}")

done()
