#!/usr/bin/env python3
"""policyd_store.py - policyd's rate limits and life cycle without Redis (TAP).

  1. the shipped conf/policyd.conf: runs as the unprivileged relayscreen
     user when started as root, and its sender_logins example lets login
     "alice" send as alice@example.com (and not as bob);
  2. smoothness on a test clock (RS_POLICYD_TEST_CLOCK): the limit at the
     end of a "fixed window" and right after it is still one limit; a
     random stream never puts more than the limit in one window, and the
     counts come back slot by slot;
  3. shutdown removes the UNIX socket policyd bound, not the one a reload
     named (another program's), nor one that replaced its own;
  4. a fake Redis answering nonsense (garbage, errors, huge or nested
     replies, out-of-range results, closes) never crashes policyd, and
     every request is answered within timeout_ms (451 4.3.0, or from
     memory with on_store_error = "memory").
"""
import os
import pwd
import random
import shutil
import signal
import socket
import tempfile
import time

import tap
from policyd_proc import Conn, FakeRedis, Policyd, SRC, request

HOSTED = 'hosted_domains = [ "example.com" ];\n'
LISTENERS = ('listeners = { public = { relay = "hosted"; };\n'
             '  submission = { relay = "authenticated"; auth = "require"; }; };\n')
SHA = b"$40\r\n" + b"0123456789abcdef0123456789abcdef01234567" + b"\r\n"


def set_clock(path, ms):
    with open(path + ".tmp", "w") as f:
        f.write("%d\n" % ms)
    os.rename(path + ".tmp", path)


def shipped_conf(tmp):
    @tap.case("shipped conf/policyd.conf")
    def _():
        d = os.path.join(tmp, "shipped")
        os.makedirs(d)
        os.chmod(d, 0o755)
        text = open(os.path.join(SRC, "conf", "policyd.conf")).read()
        tap.like(text, r'(?m)^\s*user = "relayscreen";', "user = \"relayscreen\" is set, not commented out")
        shutil.copy(os.path.join(SRC, "conf", "sender_logins"), d)
        text = text.replace('listen = "inet:127.0.0.1:10040";', 'listen = "@LISTEN@";')
        p = Policyd(text, d, "shipped")
        try:
            # "listening on" is logged once privileges are dropped (the
            # socket accepts connections a moment before)
            tap.ok(p.wait_log("listening on"), "started")
            if os.geteuid() == 0:
                uid = pwd.getpwnam("relayscreen").pw_uid
                with open("/proc/%d/status" % p.proc.pid) as f:
                    uids = [l.split()[1:] for l in f if l.startswith("Uid:")][0]
                tap.is_eq(uids, [str(uid)] * 4, "started as root, it runs as relayscreen")
            else:
                tap.skip("not root", "runs as relayscreen")
            c = Conn(p.addr)
            tls = {"encryption_protocol": "TLSv1.3", "encryption_keysize": "256"}
            tap.is_eq(c.ask("friend@outside.example", ctx="submission", sasl_username="alice",
                            sender="alice@example.com", **tls), "action=DUNNO",
                      "login alice may send as alice@example.com")
            tap.is_eq(c.ask("friend@outside.example", ctx="submission", sasl_username="bob",
                            sender="robert@example.com", instance="2", **tls), "action=DUNNO",
                      "login bob as robert@example.com (second map address)")
            tap.like(c.ask("friend@outside.example", ctx="submission", sasl_username="alice",
                           sender="bob@example.com", instance="3", **tls),
                     r"^action=553 5\.7\.1 ", "alice may not send as bob@example.com")
            c.close()
        finally:
            p.stop()
        tap.ok(p.clean(), "no sanitizer report")


def smoothness(tmp):
    @tap.case("smoothness on a test clock (memory store)")
    def _():
        clock = os.path.join(tmp, "clock")
        set_clock(clock, 1000000000)
        conf = ('policyd = { listen = "@LISTEN@"; };\n' + HOSTED +
                'rate_limits = { window = 100; client = { messages = 10; }; };\n' + LISTENERS)
        p = Policyd(conf, tmp, "smooth", env={"RS_POLICYD_TEST_CLOCK": clock})
        try:
            tap.ok(p.wait_log("test clock"), "the test clock is announced in the log")
            c = Conn(p.addr)
            seq = [0]

            def send(t_ms, client="192.0.2.50"):
                set_clock(clock, t_ms)
                seq[0] += 1
                return c.ask("u@example.com", client=client, instance="i%d" % seq[0]) == "action=DUNNO"

            # A fixed window from 1000000 s would restart at 1000100 s.
            base = 1000000000
            first = [send(base + 99000 + i) for i in range(10)]
            tap.ok(all(first), "10 messages at 99 s pass")
            after = [send(base + 100100 + i) for i in range(10)]
            tap.ok(not any(after), "10 more at 100.1 s: none pass (a fixed window passes 10)")
            tap.ok(not send(base + 199000), "still deferred 100 s after (within a window and a slot)")
            tap.ok(send(base + 99000 + 100000 + 5000), "a window and a slot later they pass again")
            # Random stream: no closed 100 s interval with more than 10.
            rnd = random.Random(7)
            t = base + 400000
            acc, refused_unjust = [], 0
            for _ in range(600):
                t += rnd.randrange(0, 4000)
                if send(t, "192.0.2.51"):
                    acc.append(t)
                else:
                    refused_unjust += sum(1 for a in acc if a > t - 105000) < 10
            worst = max(sum(1 for b in acc if a <= b <= a + 100000) for a in acc)
            tap.ok(worst <= 10, "random stream: at most 10 in any 100 s (most %d, %d passed)"
                   % (worst, len(acc)))
            tap.ok(len(acc) > 10 * (t - base - 400000) / 105000 - 10,
                   "and the limit is used, not starved (%d passed)" % len(acc))
            tap.is_eq(refused_unjust, 0, "every refusal had 10 in the last window and slot")
            c.close()
        finally:
            p.stop()
        tap.ok(p.clean(), "no sanitizer report")


def unlink_on_exit(tmp):
    @tap.case("shutdown removes only the socket it bound")
    def _():
        conf = ('policyd = { listen = "@LISTEN@"; };\n' + HOSTED + LISTENERS)
        p = Policyd(conf, tmp, "unx", unix=True)
        bound = p.addr
        other = os.path.join(tmp, "other.sock")
        o = socket.socket(socket.AF_UNIX)
        o.bind(other)
        o.listen(1)
        try:
            tap.ok(p.hup(conf.replace("@LISTEN@", "unix:" + other)), "reload naming another socket")
            tap.ok(p.wait_log("takes a restart"), "listen change logged as needing a restart")
            tap.is_eq(p.stop(), 0, "SIGTERM: clean exit")
            tap.ok(not os.path.exists(bound), "its own socket removed")
            tap.ok(os.path.exists(other), "the other program's socket left alone")
        finally:
            o.close()
        # A socket that replaced policyd's own (another instance) stays.
        p = Policyd(conf, tmp, "unx2", unix=True)
        os.unlink(p.addr)
        n = socket.socket(socket.AF_UNIX)
        n.bind(p.addr)
        try:
            p.stop()
            tap.ok(os.path.exists(p.addr), "a socket that replaced its own is left alone")
        finally:
            n.close()


GARBAGE = [
    ("random bytes", lambda rnd: bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 300)))),
    ("error reply", lambda rnd: b"-ERR nonsense\r\n"),
    ("status OK", lambda rnd: b"+OK\r\n"),
    ("out-of-range integer", lambda rnd: b":99\r\n"),
    ("negative integer", lambda rnd: b":-1\r\n"),
    ("huge integer", lambda rnd: b":999999999999999999999999\r\n"),
    ("nil", lambda rnd: b"$-1\r\n"),
    ("huge array count", lambda rnd: b"*2147483647\r\n"),
    ("over-range array count", lambda rnd: b"*99999999999\r\n"),
    ("array of 100", lambda rnd: b"*100\r\n" + b":1\r\n" * 100),
    ("nested arrays", lambda rnd: b"*1\r\n" * 12 + b":0\r\n"),
    ("huge bulk announced", lambda rnd: b"$2000000000\r\nabc"),
    ("bulk of 200 KB", lambda rnd: b"$200000\r\n" + b"x" * 200000 + b"\r\n"),
    ("endless line", lambda rnd: b"+" + b"y" * 300000),
    ("bad length", lambda rnd: b"$abc\r\n"),
    ("integer then garbage", lambda rnd: b":0\r\n\x00\x01\x02garbage\r\n"),
    ("NOSCRIPT forever", lambda rnd: b"-NOSCRIPT No matching script\r\n"),
    ("close", lambda rnd: None),
]


def fake_redis(tmp):
    @tap.case("a fake Redis answering nonsense")
    def _():
        rnd = random.Random(12)
        cases = GARBAGE + [("random mix %d" % i, GARBAGE[i % len(GARBAGE)][1]) for i in range(6)]
        for mode in ("defer", "memory"):
            for name, make in cases:
                def reply(data, make=make):
                    # SCRIPT LOAD gets a valid SHA-1, so EVALSHA follows
                    if b"SCRIPT" in data and b"EVALSHA" not in data:
                        return SHA
                    return make(rnd)
                fake = FakeRedis([reply])
                conf = ('policyd = { listen = "@LISTEN@"; };\n' + HOSTED +
                        'rate_limits = { store = "redis"; on_store_error = "%s";\n'
                        '  redis = { server = "%s"; timeout_ms = 40; };\n'
                        '  client = { messages = 100; }; };\n' % (mode, fake.server) + LISTENERS)
                p = Policyd(conf, tmp, "fake")
                try:
                    time.sleep(0.05)
                    c = Conn(p.addr)
                    got, slowest = [], 0
                    for i in range(4):
                        r, dt = c.timed("u@example.com", instance="g%d" % i)
                        got.append(r)
                        slowest = max(slowest, dt)
                    # DUNNO from a reply that happened to be valid (":0")
                    # or from memory; else the store error's deferral
                    want = {"action=DUNNO"}
                    if mode == "defer":
                        want.add("action=451 4.3.0 Rate limit store unavailable, try again later")
                    tap.ok(all(g in want for g in got) and p.alive(),
                           "%s (%s): every request answered, still running" % (name, mode),
                           "%r\n%s" % (got, p.log()[-1500:]))
                    tap.ok(slowest < 0.040 + 0.25, "%s (%s): slowest answer %.0f ms (timeout 40 ms)"
                           % (name, mode, slowest * 1000))
                    c.close()
                finally:
                    p.stop()
                    fake.stop()
                tap.ok(p.clean() and ("unavailable" in p.log() or "no reply within" in p.log()),
                       "%s (%s): logged the store's state, no sanitizer report" % (name, mode),
                       p.log()[-1500:])
                os.unlink(p.logfile)


def main():
    tmp = tempfile.mkdtemp(prefix="policyd_store.")
    os.chmod(tmp, 0o755)
    shipped_conf(tmp)
    smoothness(tmp)
    unlink_on_exit(tmp)
    fake_redis(tmp)
    if not tap.failed():
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        tap.diag("files kept in %s" % tmp)
    tap.done()


if __name__ == "__main__":
    main()
