#!/usr/bin/env python3
"""t/engine_logic.py - rule logic that must not fail open, through
screener --scan (issue 16 items 1-6, issue 13's client condition,
envelope_only and example configs).

Each message is written here, run through scan_data() and through the
milter API (--milter-api), against a rule set of this test and against
the shipped conf/screener.conf, whose comments it takes at their word.
"""
import base64, os, resource, shlex, subprocess, sys, tempfile
from tap import ok, done

SRC = os.environ.get("RS_SRCDIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
BUILD = os.environ.get("RS_BUILDDIR", ".")
SCREENER = os.path.join(BUILD, "screener", "screener")
SHIPPED = os.path.join(SRC, "conf", "screener.conf")
TMP = tempfile.mkdtemp(prefix="rs-logic.")

CONF = """
rules = (
  { name = "partner"; direction = "inbound";
    sender = { domains = [ "trusted-partner.example" ]; }; action = "accept"; },
  { name = "abuse-desk"; recipient = { addresses = [ "abuse@example.com" ]; };
    action = "accept"; },
  { name = "blocked-from"; sender = { domains = [ "bad.example" ]; }; action = "reject"; },
  { name = "executables"; attachment = { extensions = [ "exe" ]; }; action = "reject"; },
  { name = "blocked-env"; sender = { domains = [ "blocked.example" ]; }; action = "reject"; },
  { name = "tag-ext"; recipient = { domains = [ "example.com" ]; };
    action = "tag"; tag_header = "X-Screener: ext"; subject_prefix = "[EXT]"; },
  { name = "hold-legal"; recipient = { addresses = [ "legal@example.com" ]; }; action = "hold"; }
);
"""
NOATTACH = """
rules = ( { name = "kw"; keywords = { words = [ "zzzz" ]; }; action = "hold"; } );
"""
CLIENT = """
rules = (
  { name = "partner-hosts"; client = { networks = [ "198.51.100.0/24" ]; };
    sender = { domains = [ "trusted-partner.example" ]; envelope_only = true; };
    action = "accept"; },
  { name = "logged-in"; client = { authenticated = true; }; action = "tag";
    tag_header = "X-Screener: login"; },
  { name = "from-hdr-env"; sender = { domains = [ "bad.example" ]; envelope_only = true; };
    action = "reject"; },
  { name = "executables"; attachment = { extensions = [ "exe" ]; }; action = "reject"; }
);
"""


def write(name, text):
    path = os.path.join(TMP, name)
    with open(path, "wb") as f:
        f.write(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def mime(frm, subject, parts, extra=""):
    out = (f"From: {frm}\r\nTo: victim@example.com\r\nSubject: {subject}\r\n{extra}"
           "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"XYZ\"\r\n\r\n"
           "--XYZ\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n")
    for ctype, name, data in parts:
        out += (f"--XYZ\r\nContent-Type: {ctype}; name=\"{name}\"\r\n"
                f"Content-Disposition: attachment; filename=\"{name}\"\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\n"
                + base64.encodebytes(data).decode().replace("\n", "\r\n"))
    return out + "--XYZ--\r\n"


EXE = [("application/octet-stream", "invoice.exe", b"MZ\x90\x00" * 16)]
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"

conf = write("logic.conf", CONF)
noattach = write("noattach.conf", NOATTACH)
clientconf = write("client.conf", CLIENT)
forged = write("forged.eml", mime("Mallory <mallory@trusted-partner.example>", "invoice", EXE))
forged2 = write("forged2.eml", mime("a@evil.example, Partner <b@trusted-partner.example>",
                                    "invoice", EXE))
honest = write("honest.eml", mime("mallory@evil.example", "invoice", EXE))
plain = write("plain.eml", "From: alice@sender.example\r\nTo: bob@example.com\r\n"
              "Subject: quarterly numbers\r\n\r\nhello\r\n")
badfrom = write("badfrom.eml", "From: Spoof <ceo@bad.example>\r\nSubject: hi\r\n\r\nhello\r\n")
forgedhdr = write("forgedhdr.eml",
                  "From: alice@sender.example\r\nSubject: hi\r\nX-Relayscreen: clean\r\n"
                  "X-Relayscreen-Original-Recipients: ceo@example.com\r\n"
                  "x-screener: confidential\r\nX-Relayscreenish: other\r\n\r\nhello\r\n")


def scan(args, msg, c=conf, api=False):
    cmd = [SCREENER, "--scan", "-c", c] + args + (["--milter-api"] if api else []) + [msg]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")


def fields(out):
    line = out.splitlines()[0] if out else ""
    d = {}
    for tok in shlex.split(line.split(": ", 1)[1]) if ": " in line else []:
        if "=" in tok:
            k, v = tok.split("=", 1)
            d.setdefault(k, v)
    return d


def expect(desc, args, msg, want, c=conf):
    """want: dict of fields the output line must have (None: absent)."""
    for api in (False, True):
        rc, out, err = scan(args, msg, c, api)
        f = fields(out)
        good = all(f.get(k) == v for k, v in want.items())
        ok(good, f"{desc}{' (milter API)' if api else ''}", f"out={out!r} err={err[-300:]!r}")


E = ["--sender", "mallory@evil.example", "--rcpt", "victim@example.com"]

# 1. An accept on a sender never matches the From: header alone.
expect("forged partner From: with an .exe is rejected", E, forged,
       {"action": "reject", "rule": "executables"})
expect("a partner address second in From: changes nothing", E, forged2,
       {"action": "reject", "rule": "executables"})
expect("control: honest From: rejected alike", E, honest, {"action": "reject", "rule": "executables"})
expect("envelope sender of the partner is accepted",
       ["--sender", "x@trusted-partner.example", "--rcpt", "victim@example.com"], honest,
       {"action": "accept", "rule": "partner"})
expect("block rules still see the From: header", ["--sender", "a@sender.example"], badfrom,
       {"action": "reject", "rule": "blocked-from"})

# 2. An accept on one recipient exempts that recipient only.
expect("CC'd abuse@: the .exe is still rejected for the victim",
       E + ["--rcpt", "abuse@example.com"], honest,
       {"action": "reject", "rule": "executables", "exempt_rcpts": "1"})
expect("abuse@ alone: exempt", ["--rcpt", "abuse@example.com"], honest,
       {"action": "accept", "rule": "abuse-desk"})
expect("blocked envelope sender: victim refused alone, abuse@ kept",
       ["--sender", "x@blocked.example", "--rcpt", "victim@example.com",
        "--rcpt", "abuse@example.com"], plain,
       {"action": "accept", "rule": "abuse-desk", "refused_rcpts": "1"})
expect("blocked envelope sender, no exempt recipient: rejected",
       ["--sender", "x@blocked.example", "--rcpt", "victim@example.com"], plain,
       {"action": "reject", "rule": "blocked-env"})
expect("exempt recipients see no tag of the rules after their accept",
       ["--rcpt", "abuse@example.com"], plain, {"action": "accept", "subject": None})

# 3. A tag decided before Subject: prefixes the real Subject.
expect("tag and hold decided at RCPT: the real Subject is prefixed",
       ["--rcpt", "bob@example.com", "--rcpt", "legal@example.com"], plain,
       {"action": "hold", "rule": "hold-legal", "subject": "[EXT] quarterly numbers"})
expect("tag at RCPT, no Subject: one is added with the prefix",
       ["--rcpt", "bob@example.com"], badfrom,
       {"action": "reject", "subject": "[EXT] hi"})

# 4. Header lines are not kept without bound (a guard: the names were
# kept by the milter, which header_names_bounded.lua measures).
many = write("many.eml", "From: a@sender.example\r\n" + "a: b\r\n" * 300000 + "\r\nhi\r\n")
before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
rc, out, err = scan([], many)
f = fields(out)
ok(f.get("rule") == "limit:headers", "300,000 header lines: limit:headers", out + err[-200:])
after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
ok(after < 64 * 1024, f"scan of 300,000 header lines stays under 64 MB ({after} kB max RSS)")

# 5. Hidden characters in part names: a few lines, then a count.
zw = [("application/octet-stream", f"f{i}\u200b.txt", b"x") for i in range(900)]
flood = write("flood.eml", mime("a@sender.example", "names", zw))
rc, out, err = scan([], flood)
n = err.count("hidden control characters (bidi or zero width)")
ok(n <= 5, f"attachment rules: at most 5 per-part lines ({n})", err[-300:])
ok("895 more parts with hidden control characters" in err, "the rest summarised", err[-300:])
rc, out, err = scan([], flood, noattach)
ok(err.count("hidden control characters") == 0, "no attachment rule: no such line at all", err[-300:])

# 6. Forged screener fields are counted for removal, whatever the verdict.
expect("forged X-Relayscreen* and tag fields to remove", ["--rcpt", "bob@example.com"],
       forgedhdr, {"removed_headers": "3"})
expect("removed with an accept decided at MAIL too",
       ["--sender", "x@trusted-partner.example", "--rcpt", "bob@example.com"], forgedhdr,
       {"action": "accept", "removed_headers": "3"})

# issue 13: the client condition and envelope_only.
expect("client network and envelope sender: accepted",
       ["--client", "198.51.100.7", "--sender", "x@trusted-partner.example",
        "--rcpt", "victim@example.com"], honest,
       {"action": "accept", "rule": "partner-hosts", "match": "x@trusted-partner.example"}, clientconf)
expect("partner envelope sender from elsewhere: screened",
       ["--client", "203.0.113.9", "--sender", "x@trusted-partner.example",
        "--rcpt", "victim@example.com"], honest,
       {"action": "reject", "rule": "executables"}, clientconf)
expect("listed network but another sender: screened",
       ["--client", "198.51.100.7", "--sender", "x@evil.example"], honest,
       {"action": "reject", "rule": "executables"}, clientconf)
expect("client authenticated = true matches a login",
       ["--client", "192.0.2.1", "--login", "alice", "--sender", "alice@example.com"], plain,
       {"action": "tag", "rule": "logged-in"}, clientconf)
expect("client authenticated = true: no login, no match",
       ["--client", "192.0.2.1", "--sender", "alice@example.com"], plain,
       {"action": "pass"}, clientconf)
expect("envelope_only: a From: header alone does not match", ["--sender", "a@sender.example"],
       badfrom, {"action": "pass"}, clientconf)

# The shipped example configuration, taken at its comments' word.
SE = ["--client", "203.0.113.9", "--sender", "mallory@evil.example", "--rcpt", "victim@example.com"]
expect("shipped conf: forged partner From: with an .exe is rejected", SE, forged,
       {"action": "reject", "rule": "executables"}, SHIPPED)
expect("shipped conf: forged partner envelope from elsewhere is rejected",
       ["--client", "203.0.113.9", "--sender", "x@trusted-partner.example",
        "--rcpt", "victim@example.com"], honest, {"action": "reject", "rule": "executables"}, SHIPPED)
expect("shipped conf: the partner's own servers are accepted",
       ["--client", "198.51.100.20", "--sender", "x@trusted-partner.example",
        "--rcpt", "victim@example.com"], honest, {"action": "accept", "rule": "partner-allowlist"},
       SHIPPED)
expect("shipped conf: CC'd abuse@ does not let the .exe through", SE + ["--rcpt", "abuse@example.com"],
       forged, {"action": "reject", "rule": "executables", "exempt_rcpts": "1"}, SHIPPED)
expect("shipped conf: abuse@ alone is exempt",
       ["--client", "203.0.113.9", "--sender", "x@evil.example", "--rcpt", "abuse@example.com"],
       forged, {"action": "accept", "rule": "abuse-desk"}, SHIPPED)
SN = ["--client", "203.0.113.9", "--sender", "x@sender.example", "--rcpt", "bob@example.com"]
def ooxml():
    """A small, well-formed Office Open XML zip (no macros inside)."""
    import io, zipfile
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("word/document.xml", '<?xml version="1.0"?><document/>')
    return b.getvalue()


docm = write("docm.eml", mime("x@sender.example", "report",
                              [("application/octet-stream", "report.docm", ooxml())]))
expect("shipped conf: a .docm sent as application/octet-stream is stripped", SN, docm,
       {"action": "strip", "rule": "office-macros"}, SHIPPED)
macro = write("macro.eml", mime("x@sender.example", "report",
                                [("application/vnd.ms-word.document.macroEnabled.12", "report.doc",
                                  ooxml())]))
expect("shipped conf: a macro type under another name is stripped", SN, macro,
       {"action": "strip", "rule": "office-macro-types"}, SHIPPED)
empty = write("empty.eml", mime("x@sender.example", "nothing",
                                [("application/octet-stream", "empty.txt", b"")]))
expect("shipped conf: an empty attachment is not discarded", SN, empty, {"action": "pass"}, SHIPPED)
eicar = write("eicar.eml", mime("x@sender.example", "test", [("application/octet-stream",
                                                               "eicar.txt", EICAR)]))
expect("shipped conf: the EICAR test file is discarded", SN, eicar,
       {"action": "discard", "rule": "known-malware"}, SHIPPED)

# issue 13: --scan names actions as the milter logs them, names the rule
# that decided (a tag rule, not a log rule that fired first), reads "-".
TAGLOG = write("taglog.conf", """
rules = (
  { name = "log-first"; recipient = { domains = [ "example.com" ]; }; action = "log"; },
  { name = "tag-second"; keywords = { words = [ "quarterly" ]; }; action = "tag";
    subject_prefix = "[Q]"; }
);
""")
expect("a log rule then a tag rule: the tag decides", ["--rcpt", "bob@example.com"], plain,
       {"action": "tag", "rule": "tag-second"}, TAGLOG)
expect("the log rule alone: action=log", ["--rcpt", "bob@example.com"], badfrom,
       {"action": "log", "rule": "log-first"}, TAGLOG)
expect("nothing fired: action=pass rule=-", [], badfrom, {"action": "pass", "rule": "-"}, TAGLOG)
with open(forged, "rb") as f:
    r = subprocess.run([SCREENER, "--scan", "-c", conf] + E + ["-"], stdin=f, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
out = r.stdout.decode("utf-8", "replace")
ok(out.startswith("-: ") and fields(out).get("rule") == "executables" and r.returncode == 1,
   "a message on standard input (-)", out)
with open(forged, "rb") as f:
    r = subprocess.run([SCREENER, "--scan", "-c", conf, "--milter-api"] + E + ["-"], stdin=f,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
out = r.stdout.decode("utf-8", "replace")
ok(fields(out).get("rule") == "executables", "standard input through the milter API", out)

# issue 13: audit mode, per rule and global: evaluated, shown with what it
# would have done, and the message goes on as if the rule did not exist.
AUDIT = write("audit.conf", """
audit = true;
rules = (
  { name = "exe"; attachment = { extensions = [ "exe" ]; }; action = "reject"; },
  { name = "strip-exe"; attachment = { extensions = [ "exe" ]; }; action = "strip"; },
  { name = "abuse"; recipient = { addresses = [ "abuse@example.com" ]; }; action = "accept"; },
  { name = "blocked"; sender = { domains = [ "evil.example" ]; }; action = "reject"; },
  { name = "tagit"; recipient = { domains = [ "example.com" ]; }; action = "tag";
    subject_prefix = "[T]"; tag_header = "X-Screener: t"; },
  { name = "hold-word"; mode = "enforce"; keywords = { words = [ "holdme" ]; }; action = "hold"; }
);
""")
PER = write("audit-rule.conf", """
rules = (
  { name = "exe-new"; mode = "audit"; attachment = { extensions = [ "exe" ]; }; action = "reject"; },
  { name = "exe-old"; attachment = { extensions = [ "exe" ]; }; action = "discard"; }
);
""")
for api in (False, True):
    sfx = " (milter API)" if api else ""
    rc, out, err = scan(E + ["--rcpt", "abuse@example.com"], honest, AUDIT, api)
    f = fields(out)
    ok(f.get("action") == "pass" and rc == 0 and "subject" not in f and "tag" not in f,
       "global audit: the message goes on untouched" + sfx, out)
    for want in ("audit=blocked:reject", "audit=abuse:accept", "audit=exe:reject",
                 "audit=strip-exe:strip", "audit=tagit:tag"):
        ok(want in out, f"global audit: {want} shown" + sfx, out)
    rc, out, err = scan(["--rcpt", "victim@example.com"], write("hold.eml", mime(
        "a@sender.example", "holdme", EXE)), AUDIT, api)
    ok(fields(out).get("action") == "hold" and "audit=" in out,
       "mode = enforce under a global audit still acts" + sfx, out)
    rc, out, err = scan(E, honest, PER, api)
    ok(fields(out).get("rule") == "exe-old" and "audit=exe-new:reject" in out,
       "an audit rule first: the enforced rule after it decides" + sfx, out)

# Config errors, each as FILE:LINE: message.
BAD = [
    ('{ name = "a"; mode = "dry"; sender = { domains = ["x.example"]; }; action = "reject"; }',
     '"mode"'),
    ('{ name = "a"; sender = { domains = ["x.example"]; envelope_only = false; }; action = "accept"; }',
     "an accept matches the envelope sender only"),
    ('{ name = "a"; recipient = { addresses = ["abuse@x.example"]; }; keywords = { words = ["w"]; };'
     ' action = "accept"; }', "can combine only with sender and client conditions"),
    ('{ name = "a"; client = { }; action = "reject"; }', "client: needs networks or authenticated"),
    ('{ name = "a"; client = { networks = ["10.0.0.1/8"]; }; action = "reject"; }',
     'client: bad network "10.0.0.1/8"'),
    ('{ name = "a"; recipient = { addresses = ["a@x.example"]; envelope_only = true; }; action = "log"; }',
     'unknown'),
]
for i, (rule, want) in enumerate(BAD):
    path = write(f"bad{i}.conf", "rules = (\n" + rule + "\n);\n")
    r = subprocess.run([SCREENER, "-t", "-c", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    err = r.stderr.decode("utf-8", "replace")
    ok(r.returncode == 1 and f"{path}:2:" in err and want in err, f"config error: {want}", err)

for fn in os.listdir(TMP):
    os.unlink(os.path.join(TMP, fn))
os.rmdir(TMP)
done()
