#!/usr/bin/env python3
"""gateway_existing.py - a real Postfix started from what relayscreen-postfix
made of four existing configurations (t/postfix-configs/: Debian's stock
Internet Site; postscreen with dnsblog, tlsproxy and an SPF policy
service; OpenDKIM + OpenDMARC milters; the relay_domains + transport_maps
+ relay_recipient_maps gateway, whose tables become texthash: files), TAP.

Each is merged with apply as a user would (only the site values given),
then moved onto the lab's loopback ports and paths: service names
smtp -> 127.0.0.1:2525 and submission -> 127.0.0.1:2587, milter sockets
and table paths into a private directory, the lab's certificate,
relayhost = the Internet capture; the site's two DNS-dependent
restrictions (reject_unknown_*_domain) are left out, the lab has no DNS.
Through lab.py (holding the lab lock):
hosted domain -> Exchange capture, outside domain refused, submission
with STARTTLS + AUTH relays out (and not without AUTH), the Exchange host
relays out on the internal listener, the site's milters (recording
stand-ins, t/lib/recmilter.py) are still called, the screener first, and
the site's recipient validation and access table still refuse.
"""
import os
import re
import shutil
import sys
import tempfile

import tap
from lab import Lab, USERS, require_lab
from pfconfigs import copy_config, merge, set_args
from policystub import PolicyStub
from recmilter import Calls, RecMilter

require_lab()

ALICE, ALICE_PW = next(iter(USERS.items()))
HOSTED = ("relay_domains=example.com example.net", "exchange_nexthop=smtp:[127.0.0.1]:2526")
RUNS = {
    "debian-internet-site": dict(domain="example.com", sets=HOSTED, milters={}),
    "postscreen": dict(domain="example.com", sets=HOSTED, milters={},
                       main={"postscreen_greet_wait": "1s", "postscreen_dnsbl_timeout": "2s"}),
    "milters": dict(domain="example.org", sets=(), main={
        "transport_maps": "inline:{ example.org=smtp:[127.0.0.1]:2526, example.net=smtp:[127.0.0.1]:2526 }"},
        milters={"opendkim": ("inet:localhost:8891", "inet:127.0.0.1:0"),
                 "opendmarc": ("unix:opendmarc/opendmarc.sock", "unix:@DIR@/opendmarc.sock")}),
    "relay-gateway": dict(domain="example.com", sets=(), milters={}, tables={
        "transport": "example.com smtp:[127.0.0.1]:2526\nexample.net smtp:[127.0.0.1]:2526\n",
        "relay_recipients": "user@example.com OK\npostmaster@example.net OK\nblocked@example.com OK\n",
        "recipient_access": "blocked@example.com REJECT mailbox closed (site access table)\n"},
        refused={"nobody@example.com": r"^550 .*[Uu]ser unknown in relay recipient table",
                 "blocked@example.com": r"^5\d\d .*mailbox closed \(site access table\)"}),
}
SPF_STUB = r'''import sys
with open(sys.argv[1], "a") as log:
    for line in sys.stdin:
        if line.strip():
            log.write(line)
        else:
            log.flush()
            sys.stdout.write("action=DUNNO\n\n")
            sys.stdout.flush()
'''

# the SPF stand-in runs as nobody: a Python it may execute
PY = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable
top = tempfile.mkdtemp(prefix="rs-exist.")
os.chmod(top, 0o755)


def to_lab(name, d, run, addresses):
    """The merged pair moved onto the lab's ports and private paths;
    ADDRESSES: {site milter address: where its stand-in listens}."""
    out = os.path.join(top, name + "-run")
    os.makedirs(out)
    subs = [(r"(?m)^smtp(\s+inet\s)", r"127.0.0.1:2525\1"),
            (r"(?m)^submission(\s+inet\s)", r"127.0.0.1:2587\1"),
            (r"unix:relayscreen/screener\.sock", "unix:%s/%s-screener.sock" % (top, name)),
            (r"cidr:/etc/postfix/postscreen_access\.cidr", "cidr:%s/postscreen_access.cidr" % top),
            # the lab has no DNS: these would answer 450 "Domain not found"
            # or wait for DNS blocklists
            (r"reject_unknown_(recipient|sender)_domain,?", ""),
            (r"reject_rbl_client \S+?(,|$)", ""),
            (r"user=policyd-spf argv=/usr/bin/policyd-spf",
             "user=nobody argv=%s %s/spfstub.py %s/%s-spf.log" % (PY, top, top, name))]
    for old, new in addresses.items():
        subs.append((re.escape(old), new))
    for table, text in run.get("tables", {}).items():     # the site's tables, as text
        path = os.path.join(top, "%s-%s" % (name, table))
        with open(path, "w") as f:
            f.write(text)
        subs.append((r"hash:/etc/postfix/%s\b" % table, "texthash:" + path))
    for f in ("main.cf", "master.cf"):
        with open(os.path.join(d, f)) as src:
            text = src.read()
        for pat, rep in subs:
            text = re.sub(pat, rep, text)
        with open(os.path.join(out, f), "w") as dst:
            dst.write(text)
    return os.path.join(out, "main.cf"), os.path.join(out, "master.cf")


def scenarios(name, lab, run, calls):
    dom = run["domain"]
    site = list(run["milters"])
    # the null sender: the postscreen site checks sender domains in DNS,
    # which the lab does not have
    r = lab.send("public", sender="", rcpts=["user@" + dom], source="127.0.0.9")
    tap.ok(r.accepted, "%s: public accepts mail for %s" % (name, dom), r.dump())
    tap.ok(lab.exchange.wait_for(1, 20) and lab.exchange.find(r.token),
           "%s: ... and it reaches the Exchange capture" % name)
    tap.is_eq(calls.for_token(r.token), ["screener"] + site,
              "%s: milters called: the screener, then the site's own %s" % (name, site))

    r2 = lab.send("public", sender="", rcpts=["friend@aol.com"], source="127.0.0.9")
    code = r2.rcpt_codes.get("friend@aol.com") or 0
    tap.ok(not r2.accepted and code >= 400, "%s: public refuses an outside domain (%s)" % (name, code), r2.dump())

    r3 = lab.send("submission", sender=ALICE, rcpts=["friend@aol.com"], starttls=True, auth=(ALICE, ALICE_PW))
    tap.ok(r3.accepted and r3.cipher, "%s: submission with STARTTLS + AUTH relays out" % name, r3.dump())
    tap.ok(lab.internet.wait_for(1, 20) and lab.internet.find(r3.token),
           "%s: ... and it reaches the Internet capture" % name)
    want = ["screener"] + (["opendkim"] if name == "milters" else [])
    tap.is_eq(calls.for_token(r3.token), want, "%s: submission milters: %s" % (name, want))
    r4 = lab.send("submission", sender=ALICE, rcpts=["friend@aol.com"], starttls=True)
    tap.ok(not r4.accepted, "%s: submission without AUTH is refused" % name, r4.dump())

    for rcpt, want in run.get("refused", {}).items():
        r7 = lab.send("public", sender="", rcpts=[rcpt], source="127.0.0.9")
        tap.like("%s %s" % (r7.rcpt_codes.get(rcpt), r7.text), want,
                 "%s: %s refused by the site's own recipient checks" % (name, rcpt))
    r5 = lab.send("internal", sender=ALICE, rcpts=["friend@aol.com"], source="127.0.0.5")
    tap.ok(r5.accepted, "%s: the Exchange host relays out on the internal listener" % name, r5.dump())
    r6 = lab.send("internal", sender=ALICE, rcpts=["friend@aol.com"], source="127.0.0.9")
    tap.ok(not r6.accepted, "%s: nobody else may use the internal listener" % name, r6.dump())
    if name == "postscreen":
        tap.like(lab.log(), r"postfix/postscreen\[\d+\]: PASS NEW", "postscreen: postscreen passed the client on")
        try:
            with open(os.path.join(top, "postscreen-spf.log")) as f:
                spf = f.read()
        except OSError:
            spf = ""
        tap.like(spf, r"recipient=user@example\.com", "postscreen: the site's SPF policy service is still asked")


def run_config(name, run, stub):
    d = copy_config(name, top)
    sets = list(run["sets"]) + ["internal_listen=127.0.0.1:2025", "internal_clients=127.0.0.5",
                                "policy_service=inet:127.0.0.1:%d" % stub.server_address[1]]
    r = merge(d, "apply", *set_args(sets))
    tap.is_eq(r.returncode, 0, "%s: apply" % name, r.stdout + r.stderr)
    calls = Calls()
    milters = [RecMilter("screener", "unix:%s/%s-screener.sock" % (top, name), calls).start()]
    addresses = {}
    for mname, (site, addr) in run["milters"].items():
        m = RecMilter(mname, addr.replace("@DIR@", top), calls).start()
        milters.append(m)
        addresses[site] = m.address
    merged = to_lab(name, d, run, addresses)
    state = os.path.join(top, name + "-lab")
    tls = os.path.join(state, "tls")
    main = {"inet_interfaces": "127.0.0.1", "inet_protocols": "ipv4", "myhostname": "gateway.test",
            "myorigin": "gateway.test", "mynetworks": "127.0.0.1/32", "relayhost": "[127.0.0.1]:2527",
            "smtpd_tls_cert_file": os.path.join(tls, "gateway.pem"),
            "smtpd_tls_key_file": os.path.join(tls, "gateway.key")}
    main.update(run.get("main", {}))
    try:
        with Lab(merged=merged, main_cf=main, state_dir=state, internal_clients=("127.0.0.5",),
                 quiet=True) as lab:
            scenarios(name, lab, run, calls)
            if tap.failed():
                tap.diag(lab.log()[-4000:])
    finally:
        for m in milters:
            m.stop()


with open(os.path.join(top, "spfstub.py"), "w") as f:
    f.write(SPF_STUB)
with open(os.path.join(top, "postscreen_access.cidr"), "w") as f:
    f.write("192.0.2.0/24 reject\n")
for n in ("postscreen-spf.log",):
    open(os.path.join(top, n), "w").close()
    os.chmod(os.path.join(top, n), 0o666)
stub = PolicyStub(port=0, decide=lambda req: "DUNNO").start()     # any free port
try:
    for name, run in RUNS.items():
        tap.run(name, run_config, name, run, stub)
finally:
    stub.stop()
    if not tap.failed():
        shutil.rmtree(top, ignore_errors=True)
    else:
        tap.diag("kept %s" % top)

tap.done()
