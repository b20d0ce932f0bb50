#!/usr/bin/env python3
"""stats_policyd.py - policyd's decision statistics, counted exactly (TAP).

A real policyd -f on a loopback port, with stats.file, stats.prometheus
and interval 1, answers a known stream of policy requests (Postfix's
protocol, spoken by the test):

  5 to a hosted domain on "public"                 -> pass
  3 to aol.com on "public"                         -> reject relay_denied
  2 on an unknown listener                         -> defer unknown_listener
  1 from a client "internal" does not allow        -> reject client_not_allowed
  1 connection sending garbage                     -> dropped, malformed

Then the state file must hold exactly those figures, the Prometheus file
the same, "policyd --stats" the table, --raw the file; SIGHUP keeps the
figures; SIGTERM writes them once more.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import tap

BUILD = os.environ.get("RS_BUILDDIR", ".")
POLICYD = os.path.join(BUILD, "policyd", "policyd")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(rcpt, ctx="public", client="192.0.2.1"):
    attrs = [("request", "smtpd_access_policy"), ("protocol_state", "RCPT"),
             ("protocol_name", "ESMTP"), ("client_address", client),
             ("client_name", "unknown"), ("helo_name", "client.example"),
             ("sender", "s@sender.example"), ("recipient", rcpt),
             ("queue_id", ""), ("instance", "1.2.3"), ("size", "0"),
             ("sasl_method", ""), ("sasl_username", ""),
             ("encryption_protocol", ""), ("encryption_keysize", "0"),
             ("policy_context", ctx)]
    return "".join("%s=%s\n" % kv for kv in attrs).encode() + b"\n"


def ask(addr, reqs):
    """Send the requests on one connection; the replies."""
    with socket.create_connection(addr, timeout=5) as s:
        s.sendall(b"".join(reqs))
        buf = b""
        while buf.count(b"\n\n") < len(reqs):
            d = s.recv(65536)
            if not d:
                break
            buf += d
    return [r.decode() for r in buf.split(b"\n\n")[:len(reqs)]]


LINE = re.compile(r'^(\w+)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def figures(path):
    out = {}
    with open(path) as f:
        for line in f:
            m = LINE.match(line.rstrip("\n"))
            if m and not line.startswith("#"):
                out[(m.group(1), frozenset(LABEL.findall(m.group(2) or "")))] = float(m.group(3))
    return out


def decisions(figs):
    return {(dict(k[1])["listener"], dict(k[1])["decision"], dict(k[1])["reason"]): v
            for k, v in figs.items() if k[0] == "relayscreen_policyd_decisions_total"}


def wait_for(path, pred, timeout=10):
    end = time.monotonic() + timeout
    figs = {}
    while time.monotonic() < end:
        try:
            figs = figures(path)
            if pred(figs):
                break
        except OSError:
            pass
        time.sleep(0.2)
    return figs


tmp = tempfile.mkdtemp(prefix="stats_policyd.")
os.chmod(tmp, 0o755)
stats, prom = os.path.join(tmp, "policyd.stats"), os.path.join(tmp, "policyd.prom")
port = free_port()
conf = os.path.join(tmp, "policyd.conf")
with open(conf, "w") as f:
    f.write('''policyd = { listen = "inet:127.0.0.1:%d"; pidfile = ""; };
stats = { file = "%s"; prometheus = "%s"; interval = 1; };
hosted_domains = [ "example.com" ];
listeners = {
  public = { relay = "hosted"; auth = "deny"; };
  internal = { relay = "anywhere"; clients = [ "10.1.1.25" ]; };
};
''' % (port, stats, prom))
log = open(os.path.join(tmp, "policyd.log"), "w")
p = subprocess.Popen([POLICYD, "-f", "-c", conf], stdout=log, stderr=subprocess.STDOUT)
addr = ("127.0.0.1", port)
try:
    end = time.monotonic() + 10
    while time.monotonic() < end:
        try:
            socket.create_connection(addr, timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)

    @tap.case("the stream")
    def _():
        r = ask(addr, [request("user%d@example.com" % i) for i in range(5)])
        tap.is_eq(r, ["action=DUNNO"] * 5, "5 passes")
        r = ask(addr, [request("victim@aol.com")] * 3)
        tap.ok(len(r) == 3 and all(x.startswith("action=5") for x in r), "3 relay refusals", r)
        r = ask(addr, [request("user@example.com", ctx="nosuch")] * 2)
        tap.ok(len(r) == 2 and all(x.startswith("action=4") for x in r), "2 deferrals", r)
        r = ask(addr, [request("x@aol.com", ctx="internal", client="192.0.2.99")])
        tap.ok(len(r) == 1 and r[0].startswith("action=5"), "1 client refused on internal", r)
        with socket.create_connection(addr, timeout=5) as s:
            s.sendall(b"\x00\x01garbage without equals\n\n")
            tap.is_eq(s.recv(100), b"", "garbage: closed without a reply")

    figs = wait_for(stats, lambda f: sum(decisions(f).values()) >= 11
                    and f.get(("relayscreen_policyd_dropped_total",
                               frozenset({("why", "malformed")})), 0) >= 1)

    @tap.case("the figures")
    def _():
        tap.is_eq(decisions(figs), {
            ("public", "pass", "-"): 5,
            ("public", "reject", "relay_denied"): 3,
            ("-", "defer", "unknown_listener"): 2,
            ("internal", "reject", "client_not_allowed"): 1,
        }, "decisions by listener, decision and reason, exactly")
        tap.is_eq({dict(k[1])["why"]: v for k, v in figs.items()
                   if k[0] == "relayscreen_policyd_dropped_total"}, {"malformed": 1},
                  "one connection dropped for malformed input")
        strip_time = lambda s: re.sub(r"(?m)^relayscreen_policyd_updated_time_seconds .*$", "", s)
        time.sleep(1.5)
        with open(stats) as a, open(prom) as b:
            tap.is_eq(strip_time(b.read()), strip_time(a.read()), "the Prometheus file holds the same")
        tap.is_eq(sorted(os.listdir(tmp)), ["policyd.conf", "policyd.log", "policyd.prom",
                                            "policyd.stats"], "no temporary file left")

    @tap.case("policyd --stats")
    def _():
        r = subprocess.run([POLICYD, "--stats", "-c", conf], capture_output=True, text=True)
        tap.is_eq(r.returncode, 0, "exit 0", r.stderr)
        tap.like(r.stdout, r"(?m)^requests  11: pass 5, reject 4, defer 2; connections dropped 1 "
                 r"\(malformed 1\)$", "summary line")
        tap.like(r.stdout, r"(?m)^public +reject +relay_denied +3$", "relay_denied row")
        tap.like(r.stdout, r"(?m)^- +defer +unknown_listener +2$", "unknown listener row")
        r = subprocess.run([POLICYD, "--stats", "--raw", "-c", conf], capture_output=True, text=True)
        tap.ok(r.returncode == 0 and "# TYPE relayscreen_policyd_decisions_total counter" in r.stdout,
               "--raw prints the exposition")

    @tap.case("SIGHUP keeps the figures, SIGTERM writes them")
    def _():
        p.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        tap.is_eq(ask(addr, [request("late@example.com")]), ["action=DUNNO"], "served after reload")
        p.send_signal(signal.SIGTERM)
        tap.is_eq(p.wait(timeout=10), 0, "exit 0 on SIGTERM")
        tap.is_eq(decisions(figures(stats)).get(("public", "pass", "-")), 6,
                  "the last figures written at exit, counted across the reload")
finally:
    if p.poll() is None:
        p.kill()
        p.wait()
    log.close()
    shutil.rmtree(tmp, ignore_errors=True)
tap.done()
