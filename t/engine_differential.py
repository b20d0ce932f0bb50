#!/usr/bin/env python3
"""t/engine_differential.py - the engine reads what Python's email reads.

Every message of the corpora (t/engine/msgs, t/corpus/real-world, Python's
own test_email data, ../shared/corpus/real-world when present) and a seeded set of malformed
variants (t/mime_variants.py, RS_DIFF_N of them, default 2550, seed
RS_DIFF_SEED, default 8; every item of issue 8; RS_DIFF_VERBOSE=1 names
each listed difference as it is seen) is parsed by the engine's
MIME parser (t/mime_dump, chunk sizes 1, 7, 64 and 4096 in turn) and by
Python's email package under policy=default and policy=compat32.  Compared:

  parts     the content types in walk order (per policy)
  names     every file name (Python: get_filename() and the name
            parameter under both policies; the engine screens every
            reading, so its set must be their union)
  text      the decoded text of each text/* part, white space collapsed
            as keyword matching does (per policy)
  digest    SHA-256 of each other leaf's decoded bytes: Python's must be
            one of the engine's (it digests both readings)
  addresses From/Sender/Reply-To addresses Python finds must be among the
            engine's

A difference fails the test unless DIFFERENCES lists it (the item or the
corpus file, and the kind) with its reason.  The closing lines print the
number of messages compared and how often each listed difference occurred.
Every generated message also goes through screener --scan (no crash).
"""
import email, email.policy, email.utils, fnmatch, glob, hashlib, os, re, subprocess, sys, tempfile
from collections import Counter
from tap import ok, done, skip, diag

SRC = os.environ.get("RS_SRCDIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
BUILD = os.environ.get("RS_BUILDDIR", ".")
DUMP = os.path.join(BUILD, "t", "mime_dump")
SCREENER = os.path.join(BUILD, "screener", "screener")
CONF = os.path.join(SRC, "t", "engine", "corpus.conf")
N = int(os.environ.get("RS_DIFF_N", "2550"))
SEED = int(os.environ.get("RS_DIFF_SEED", "8"))
sys.path.insert(0, os.path.join(SRC, "t"))
import mime_variants  # noqa: E402

# (item or corpus file glob, kind glob) -> why the engine deliberately
# reads it otherwise.  Items are mime_variants.ITEMS; corpus files are
# "msgs:NAME" (t/engine/msgs), "pytest:NAME", "corpus:DIR/NAME".
DIFFERENCES = [
    # generated variants (mime_variants.ITEMS)
    ("param-comma", "names-extra",
     "',' is read as a parameter separator too (a reading some clients "
     "have): the names after it are screened; Python ignores them"),
    ("param-control", "names-extra",
     "a value with a NUL byte is also read cut at the NUL, as a C program "
     "reads it; Python keeps the whole value"),
    ("header-no-colon", "names-extra",
     "a part header goes on past a line without a colon for Thunderbird: "
     "the names it finds there are screened; for Python the body starts there"),
    ("header-no-colon", "limit",
     "a Content-Type (or encoding) there that differs: two trees, "
     "limit:ambiguous"),
    ("header-no-colon", "digest:*",
     "the header lines become base64 body for Python; when the data "
     "characters leave one over, Python returns the undecoded text"),
    ("boundary-literal", "parts:default",
     "Python's default policy reads RFC 822 comments and RFC 2047 in the "
     "boundary parameter; no client does (compat32 agrees with the engine): "
     "the boundary is literal"),
    ("boundary-shadow", "limit",
     "delimiters of Python's default reading of the boundary (RFC 2047 "
     "decoded), none of the literal one: two trees, limit:ambiguous"),
    ("delimiter-padding", "limit",
     "a delimiter padded with \\f or \\v: Thunderbird strips it, Python does "
     "not: two trees, limit:ambiguous"),
    ("legacy-names", "names-extra",
     "Content-Name and X-Sun-Data-Name name the part for Thunderbird; Python "
     "does not read them"),
    ("filename-trailing", "names-extra",
     "the name as written besides Python's stripped one (clients that do not "
     "strip save it; Windows then trims it as filename.c does)"),
    ("b64-after-pad", "text:*",
     "base64 text goes on after a pad for the engine (some clients show what "
     "follows, so it is screened); Python stops at the first pad"),
    ("charset-label", "charset:*",
     "a WHATWG label Python's codecs do not know (unicodeFEFF, "
     "iso-10646-ucs-2, csunicode, unicodeFFFE, ucs-2, x-mac-roman, logical, "
     "sun_eu_greek, ...): the engine decodes it as browsers and clients do"),
    # the engine's own test messages (t/engine/msgs)
    ("msgs:limit-*", "limit", "made to hit a limit"),
    ("msgs:*", "names-extra",
     "made for this issue: names of the other readings (comma, NUL cut, "
     "Thunderbird's header reading, legacy fields, raw encoded words, "
     "uuencode begin lines) that Python does not take"),
    ("msgs:exe-boundary-*", "parts:default", "(see boundary-literal)"),
    ("msgs:exe-in-b64-message*", "parts:*",
     "a base64 message/rfc822 part: the engine decodes and parses it (clients "
     "show its parts); Python parses the base64 text as a message"),
    ("msgs:strip-in-b64-message.eml", "parts:*", "(the same)"),
    ("msgs:body-b64-pad.eml", "text:*", "(see b64-after-pad)"),
    ("msgs:body-label-*", "charset:*", "(see charset-label)"),
    ("msgs:exe-ws-colon.eml", "parts:*",
     "white space before the colon (RFC 5322 obsolete syntax), which Postfix "
     "and clients accept; Python ends the header there"),
    ("msgs:exe-quoted-comment.eml", "parts:*",
     "a comment after the type: the engine takes the type before it; Python "
     "keeps '(binary' in the type"),
    ("msgs:exe-uu-second-file.eml", "digest:*",
     "two uuencoded files in one part: the engine decodes both (both names "
     "screened); Python the first"),
    # Python's test messages and the real-world corpus
    ("pytest:msg_15.txt", "*",
     "an inner multipart reuses the outer boundary (engine_corpus.py)"),
    ("pytest:msg_*", "parts:*",
     "message/delivery-status (Python makes a part of each header block; "
     "clients show one text) and deliberately broken multiparts"),
    ("corpus:multipart_report_emails/*", "parts:*", "(delivery-status, the same)"),
    ("corpus:mime_emails/raw_email_with_mimepart_without_content_type.eml", "parts:*",
     "(delivery-status, the same)"),
    ("corpus:*", "parts:default",
     "JavaMail boundaries (----=_Part...) that Python's default policy cuts at "
     "'=' (see boundary-literal)"),
    ("corpus:*", "text:*",
     "real mail: us-ascii or unlabelled text with 8-bit bytes (the engine "
     "passes the bytes on), ISO-8859-1 read as windows-1252 (WHATWG), header "
     "lines with white space before the colon (obsolete syntax clients and "
     "Postfix accept; Python ends the header there, so they are text to it)"),
    ("corpus:*", "names-*", "see engine_corpus.py DIFFERENCES"),
    ("corpus:plain_emails/raw_email10.eml", "charset:*",
     "charset=X-UNKNOWN: the engine passes the bytes on, Python fails"),
    ("corpus:plain_emails/mix_caps_content_type.eml", "addresses-missing",
     "'From: Big Bug bb@bug.com': Python makes 'Big Bug bb' the local part; "
     "clients show bb@bug.com (the engine's; same domain)"),
    ("corpus:error_emails/multiple_content_types.eml", "limit",
     "two Content-Type fields: limit:ambiguous"),
]


def listed(item, kind):
    for ig, kg, _ in DIFFERENCES:
        if fnmatch.fnmatchcase(item, ig) and fnmatch.fnmatchcase(kind, kg):
            return (ig, kg)
    return None


# --- the engine's reading ------------------------------------------------

def unhex(h):
    return b"" if h == "-" else bytes.fromhex(h)


def engine_read(paths):
    recs = {}
    for i in range(0, len(paths), 400):
        batch = paths[i:i + 400]
        r = subprocess.run([DUMP, CONF] + batch, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
        if r.returncode != 0:
            raise RuntimeError(f"mime_dump exit {r.returncode}: {r.stderr[-500:]!r}")
        cur = None
        for line in r.stdout.decode("ascii").splitlines():
            f = line.split(" ")
            if f[0] == "F":
                cur = {"parts": [], "names": set(), "texts": {}, "digests": {}, "addrs": set(), "limits": []}
                recs[unhex(f[1]).decode("utf-8", "surrogateescape")] = cur
            elif f[0] == "P":
                cur["parts"].append((int(f[1]), f[2], unhex(f[3]).decode("utf-8", "replace"), f[4] if len(f) > 4 else ""))
            elif f[0] == "N":
                cur["names"].add(unhex(f[2]).decode("utf-8", "replace"))
            elif f[0] == "T":
                cur["texts"][f[1]] = unhex(f[2]).decode("utf-8", "replace")
            elif f[0] == "D":
                cur["digests"][f[1]] = set(f[2:])
            elif f[0] == "A":
                cur["addrs"].add(canon_addr(unhex(f[1]).decode("utf-8", "replace")))
            elif f[0] == "L":
                cur["limits"].append(f[1])
        for rec in recs.values():
            rec["parts"].sort()
    return recs


# --- Python's readings ---------------------------------------------------

def canon_addr(a):
    a = a.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return a.replace('"', "").replace("\\", "").lower().rstrip(".")


def good_addr(a):
    """An address to compare (not '@x', not compat32's lossy U+FFFD)."""
    return re.fullmatch(r"[^@\s]+@[^@\s]+", a) is not None and "\ufffd" not in a


def norm_text(t):
    t = re.sub("\ufffd+", "\ufffd", t)
    return " ".join(t.split())


def norm_name(fn, pol):
    fn = str(fn).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if pol is email.policy.compat32 and "\ufffd" in fn:
        return None          # compat32's lossy reading of 8-bit bytes
    return fn.replace("\r", "").replace("\n", "").replace("\0", " ")


def python_text(part, pol):
    try:
        if pol is email.policy.default:
            return part.get_content()
        cs = part.get_content_charset() or "us-ascii"
        return (part.get_payload(decode=True) or b"").decode(cs, "replace")
    except LookupError:
        return None
    except Exception:
        return None


def python_read(data, pol):
    m = email.message_from_bytes(data, policy=pol)
    out = {"types": [], "names": set(), "texts": {}, "digests": {}, "addrs": set()}
    for i, part in enumerate(m.walk()):
        out["types"].append(part.get_content_type())
        for get in (part.get_filename, lambda: part.get_param("name")):
            try:
                fn = get()
            except Exception:
                fn = None
            if isinstance(fn, tuple):
                fn = email.utils.collapse_rfc2231_value(fn)
            if fn and norm_name(fn, pol):
                out["names"].add(norm_name(fn, pol))
        if part.is_multipart() or part.get_content_maintype() in ("multipart", "message"):
            continue
        if part.get_content_maintype() == "text":
            out["texts"][i] = python_text(part, pol)
        else:
            try:
                out["digests"][i] = hashlib.sha256(part.get_payload(decode=True) or b"").hexdigest()
            except Exception:
                pass
    for h in ("From", "Sender", "Reply-To"):
        try:
            if pol is email.policy.default:
                for v in m.get_all(h, []):
                    out["addrs"] |= {canon_addr(a.addr_spec) for a in v.addresses}
            else:
                out["addrs"] |= {canon_addr(a) for _, a in email.utils.getaddresses(m.get_all(h, []))}
        except Exception:
            pass
    return out


def compare(data, rec):
    """The kinds of difference between the engine's record and Python."""
    kinds = set()
    if rec["limits"]:
        kinds.add("limit")
        return kinds
    readings = {"default": python_read(data, email.policy.default),
                "compat32": python_read(data, email.policy.compat32)}
    etypes = [t for _, _, t, _ in rec["parts"]]
    epath = {i: p for i, p, _, _ in rec["parts"]}
    pynames = set()
    for pname, py in readings.items():
        pynames |= py["names"]
        if py["types"] != etypes:
            kinds.add("parts:" + pname)
            continue
        for i, t in py["texts"].items():
            et = rec["texts"].get(epath.get(i))
            if et is None:
                continue                    # not text to the engine
            if t is None:
                kinds.add("charset:" + pname)
            elif norm_text(t) != norm_text(et):
                kinds.add("text:" + pname)
        for i, d in py["digests"].items():
            ed = rec["digests"].get(epath.get(i))
            if ed is not None and d not in ed:
                kinds.add("digest:" + pname)
        if not {a for a in py["addrs"] if good_addr(a)} <= rec["addrs"]:
            kinds.add("addresses-missing")
    if pynames - rec["names"]:
        kinds.add("names-missing")
    if rec["names"] - pynames:
        kinds.add("names-extra")
    return kinds


# --- the messages --------------------------------------------------------

work = tempfile.mkdtemp(prefix="rs-diff-")
msgs = []      # (item, path)
for item, name, data in mime_variants.generate(SEED, N):
    p = os.path.join(work, name)
    with open(p, "wb") as f:
        f.write(data)
    msgs.append((item, p))
ngen = len(msgs)
for p in sorted(glob.glob(os.path.join(SRC, "t", "engine", "msgs", "*.eml"))):
    msgs.append(("msgs:" + os.path.basename(p), p))
try:
    import test
    for p in sorted(glob.glob(os.path.join(os.path.dirname(test.__file__), "test_email", "data", "msg_*.txt"))):
        msgs.append(("pytest:" + os.path.basename(p), p))
except ImportError:
    skip("Python's test_email data not installed")
for real in (os.path.join(SRC, "t", "corpus", "real-world"),
             os.path.join(SRC, "..", "shared", "corpus", "real-world")):
    if not os.path.isdir(real):
        skip(f"corpus {real} not found (compared without it)")
        continue
    for p in sorted(glob.glob(os.path.join(real, "**", "*"), recursive=True)):
        if os.path.isfile(p) and not os.path.basename(p).startswith(".") \
                and os.path.basename(p) not in ("LICENSE", "README.md"):
            msgs.append(("corpus:" + os.path.relpath(p, real), p))

recs = engine_read([p for _, p in msgs])
seen = Counter()
bad = 0
per_item = Counter()
for item, p in msgs:
    with open(p, "rb") as f:
        data = f.read()
    rec = recs.get(p)
    if rec is None:
        ok(False, f"{item}: the engine read {p}")
        bad += 1
        continue
    per_item[item.split(":")[0] if ":" in item else item] += 1
    for kind in sorted(compare(data, rec)):
        key = listed(item, kind)
        if key:
            seen[key] += 1
            if os.environ.get("RS_DIFF_VERBOSE"):
                diag(f"listed: {item} {kind}")
            continue
        bad += 1
        ok(False, f"{item} ({os.path.basename(p)}): unlisted difference {kind}",
           f"engine parts={[t for _, _, t, _ in rec['parts']]} names={sorted(rec['names'])}\n"
           f"python default={python_read(data, email.policy.default)}\n"
           f"python compat32={python_read(data, email.policy.compat32)}\n"
           f"engine texts={rec['texts']}")

for item in sorted(mime_variants.ITEMS):
    ok(per_item[item] >= N // len(mime_variants.ITEMS) - 1, f"item {item}: {per_item[item]} variants compared")
ok(ngen >= 2000, f"{ngen} generated variants (seed {SEED}), {len(msgs) - ngen} corpus messages")
ok(bad == 0, f"{len(msgs)} messages compared with Python's email (default and compat32): "
   f"{bad} unlisted differences")
diag("listed differences seen (item, kind: count):")
for (ig, kg), n in sorted(seen.items()):
    diag(f"  {ig}, {kg}: {n}")

# The same messages through screener --scan: every one gets a verdict.
paths = [p for _, p in msgs[:ngen]]
lines = 0
for i in range(0, len(paths), 500):
    r = subprocess.run([SCREENER, "--scan", "-c", os.path.join(SRC, "t", "engine", "test.conf")] + paths[i:i + 500],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    lines += r.stdout.count(b" action=")
    if r.returncode not in (0, 1):
        break
ok(lines == len(paths), f"screener --scan gives every generated message a verdict ({lines}/{len(paths)})")
for p in paths:
    os.unlink(p)
os.rmdir(work)
done()
