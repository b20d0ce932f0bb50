"""pfconfigs.py - the realistic existing Postfix configurations of
t/postfix-configs/ and what relayscreen-postfix is run with on each, for
t/gateway_configs.py (merge, no Postfix started) and t/gateway_existing.py
(a real Postfix from the merged result).

    d = copy_config("milters", top)        # a private copy, own queue
    r = merge(d, "apply", *CONFIGS["milters"]["sets"])
    before, after = view(d0), view(d)      # what Postfix itself reads

Postfix's own reading (postconf -n / -P / -M) is what the tests compare,
not the script's parser.
"""
import os
import re
import shutil
import subprocess
import time

SRC = os.environ.get("RS_SRCDIR") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(SRC, "postfix-snippets", "relayscreen-postfix")
CONFIGS_DIR = os.path.join(SRC, "t", "postfix-configs")
PATH = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
INTERNAL = ("internal_listen=10.1.2.3:2025", "internal_clients=10.1.2.25")
HOSTED = ("relay_domains=example.com example.net", "exchange_nexthop=smtp:[10.1.2.25]:25")

# name -> the --set values it needs, and what it is
CONFIGS = {
    "debian-internet-site": dict(sets=HOSTED + INTERNAL, what="Debian 12's stock Internet Site"),
    "postscreen": dict(sets=HOSTED + INTERNAL, what="postscreen with dnsblog and tlsproxy"),
    "milters": dict(sets=INTERNAL, what="OpenDKIM (inet) and OpenDMARC (unix) milters"),
    "dovecot-sasl": dict(sets=HOSTED + INTERNAL, what="Dovecot SASL on submission and smtps"),
    "smarthost-dane": dict(sets=HOSTED + INTERNAL, what="relayhost with SASL client auth and DANE"),
    "relay-gateway": dict(sets=INTERNAL, what="relay_domains + transport_maps + relay_recipient_maps"),
}


def set_args(sets):
    out = []
    for s in sets:
        out += ["--set", s]
    return out


def copy_config(name, top, sub=None):
    """TOP/SUB (default NAME): the committed pair plus a private queue and
    data directory (so "postfix check" touches nothing of the system's)."""
    d = os.path.join(top, sub or name)
    os.makedirs(d)
    os.makedirs(d + ".spool")        # not below d: postfix check wants d all root's
    os.chmod(top, 0o755)
    os.chmod(d, 0o755)
    for f in ("main.cf", "master.cf"):
        shutil.copyfile(os.path.join(CONFIGS_DIR, name, f), os.path.join(d, f))
    with open(os.path.join(d, "main.cf"), "a") as f:
        f.write("queue_directory = %s.spool\ndata_directory = %s.data\n" % (d, d))
    return d


def merge(d, *args):
    """Run relayscreen-postfix -c D ARGS; CompletedProcess (out, err)."""
    return subprocess.run(["python3", SCRIPT, "-c", d] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, env=dict(os.environ, PATH=PATH))


def read(d, name="main.cf"):
    with open(os.path.join(d, name), "rb") as f:
        return f.read()


def files(d):
    return read(d, "main.cf"), read(d, "master.cf")


def postconf(d, *args):
    """postconf -c D ARGS (files aged first: postconf would wait)."""
    t = time.time() - 3
    for f in ("main.cf", "master.cf"):
        os.utime(os.path.join(d, f), (t, t))
    p = subprocess.run(["postconf", "-c", d] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, env=dict(os.environ, PATH=PATH))
    return p.stdout, p.stderr


def pairs(out):
    d = {}
    for line in out.splitlines():
        k, sep, v = line.partition(" =")
        if sep:
            d[k] = v.strip()
    return d


class View:
    """What Postfix reads from a config directory."""

    def __init__(self, d):
        n, w1 = postconf(d, "-n")
        p, w2 = postconf(d, "-P")
        m, w3 = postconf(d, "-M")
        self.params = pairs(n)
        self.params.pop("config_directory", None)
        self.options = pairs(p)
        self.services = {}
        for line in m.splitlines():
            f = line.split()
            if len(f) >= 8:
                self.services["%s/%s" % (f[0], f[1])] = f[:8]
        self.warnings = set((w1 + w2 + w3).splitlines())
        self.dir = d

    def expand(self, name):
        return postconf(self.dir, "-xh", name)[0].strip()


LIST = re.compile(r"(_restrictions|_milters|_maps|_macros|mynetworks)$")


def words(value):
    return [w for w in re.split(r"[\s,]+", value or "") if w]


def subsequence(old, new):
    """True when the words of OLD appear in NEW in the same order."""
    it = iter(words(new))
    return all(any(w == x for x in it) for w in words(old))


def postfix_check(d):
    """(ok, output) of "postfix -c D check" (under script(1): Postfix
    prints its messages only to a terminal)."""
    for f in ("main.cf", "master.cf"):
        t = time.time() - 3
        os.utime(os.path.join(d, f), (t, t))
    p = subprocess.run(["script", "-qec", "postfix -c %s check" % d, "/dev/null"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, env=dict(os.environ, PATH=PATH))
    out = p.stdout.replace("\r", "").strip()
    return p.returncode == 0 and not re.search(r"(?i)warning|fatal|error", out), out
