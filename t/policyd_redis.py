#!/usr/bin/env python3
"""policyd_redis.py - the Redis rate store against a real redis-server (TAP).

Starts its own redis-server (Debian package) on a free loopback port or a
private UNIX socket, no persistence, in a temporary directory, stopped by
PID; and policyd instances on free ports.

  1. two policyd instances share one limit: sequential random
     interleavings and two concurrent floods through both, the limit
     holds exactly; recipients too; one Redis connection per policyd
     however many Postfix connections (pipelining);
  2. smoothness on a test clock shared by both instances: no interval of
     one window carries more than the limit; keys expire by themselves;
  3. Redis stopped mid-stream, for each on_store_error: killed, then
     frozen (SIGSTOP): no request waits longer than timeout_ms plus a
     margin; "defer" answers 451 4.3.0, "memory" decides from local
     counts (and still limits); one log line per state change; recovery
     once Redis is back;
  4. AUTH: the right password works, a wrong one is refused and logged
     once, a reload with the right one recovers;
  5. pipelined requests on one connection with Redis frozen: decided
     together (one timeout, not one each), answered in order; answers
     still come after a half-close or before garbage;
     SCRIPT FLUSH mid-run (NOSCRIPT) and a UNIX socket;
  6. a reload from store "memory" to "redis", then to another window;
  7. the script alone (taken from policyd/predis_script.c) against a
     model of the memory store (pratelimit.c, prate.c): random decisions
     over 1-3 keys, limits and counts, a clock that jumps and steps back,
     windows that change: the same answer every time.
"""
import os
import random
import re
import shutil
import socket
import struct
import tempfile
import threading
import time

import tap
from policyd_proc import SRC, Conn, Policyd, RedisServer, request

if not shutil.which("redis-server"):
    tap.skip_all("redis-server not installed (tools/install-deps)")

DEFER = "action=451 4.3.0 Rate limit store unavailable, try again later"
MSGS = "action=450 4.7.1 Message rate limit exceeded, try again later"


def conf(server, limit=20, mode="defer", timeout=50, extra="", window=3600, rcpts=0, pw=""):
    return ('policyd = { listen = "@LISTEN@"; };\n'
            'hosted_domains = [ "example.com" ];\n'
            'rate_limits = { store = "redis"; on_store_error = "%s"; window = %d;\n'
            '  redis = { server = "%s"; timeout_ms = %d; key_prefix = "t:"; %s };\n'
            '  client = { messages = %d; recipients = %d; }; %s };\n'
            'listeners = { public = { relay = "hosted"; }; };\n'
            % (mode, window, server, timeout, pw, limit, rcpts, extra))


class Sender:
    """Numbered messages from one client address through a connection."""
    seq = 0

    def __init__(self, addr):
        self.c = Conn(addr)

    def msg(self, client, rcpt="u@example.com"):
        Sender.seq += 1
        return self.c.ask(rcpt, client=client, instance="m%d" % Sender.seq)


def shared_limit(tmp, redis):
    @tap.case("two instances share one limit")
    def _():
        a = Policyd(conf(redis.server), tmp, "a")
        b = Policyd(conf(redis.server), tmp, "b")
        try:
            sa, sb = Sender(a.addr), Sender(b.addr)
            rnd = random.Random(3)
            for round_ in range(5):
                client = "198.51.100.%d" % (10 + round_)
                order = [rnd.choice("ab") for _ in range(40)]
                got = [(sa if w == "a" else sb).msg(client) for w in order]
                passed = sum(g == "action=DUNNO" for g in got)
                tap.is_eq(passed, 20, "interleaving %d (%s...): 20 of 40 pass across A and B"
                          % (round_ + 1, "".join(order[:12])))
                tap.ok(all(g in ("action=DUNNO", MSGS) for g in got), "the rest get 450 4.7.1", got)
            # concurrent floods through both, 20 connections each
            results = []
            lock = threading.Lock()

            def flood(p, n):
                s = Sender(p.addr)
                out = [s.msg("198.51.100.99") for _ in range(n)]
                with lock:
                    results.extend(out)
            ts = [threading.Thread(target=flood, args=(p, 10)) for p in (a, b) for _ in range(20)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            tap.is_eq(sum(r == "action=DUNNO" for r in results), 20,
                      "400 concurrent messages through A and B: exactly 20 pass")
            tap.is_eq(len(results), 400, "every request answered")
            clients = redis.cli("CLIENT", "LIST")
            n = len([l for l in clients.splitlines() if "cmd=evalsha" in l or "cmd=script" in l])
            tap.is_eq(n, 2, "one Redis connection per policyd (40 Postfix connections)", clients)
            # recipients of one message
            ra = Policyd(conf(redis.server, limit=0, rcpts=5), tmp, "ra")
            rb = Policyd(conf(redis.server, limit=0, rcpts=5), tmp, "rb")
            ca, cb = Conn(ra.addr), Conn(rb.addr)
            got = [(ca if i % 2 else cb).ask("r%d@example.com" % i, client="198.51.100.77",
                                             instance="one") for i in range(8)]
            tap.is_eq([g == "action=DUNNO" for g in got], [True] * 5 + [False] * 3,
                      "recipients: 5 pass across both, then 452", got)
            for p in (ra, rb):
                p.stop()
        finally:
            a.stop()
            b.stop()
        tap.ok(a.clean() and b.clean(), "no sanitizer report")


def set_clock(path, ms):
    with open(path + ".tmp", "w") as f:
        f.write("%d\n" % ms)
    os.rename(path + ".tmp", path)


def smoothness(tmp, redis):
    @tap.case("smoothness on a shared test clock")
    def _():
        clock = os.path.join(tmp, "clock")
        base = 1700000000000
        set_clock(clock, base)
        env = {"RS_POLICYD_TEST_CLOCK": clock}
        a = Policyd(conf(redis.server, limit=10, window=100), tmp, "ca", env=env)
        b = Policyd(conf(redis.server, limit=10, window=100), tmp, "cb", env=env)
        try:
            sa, sb = Sender(a.addr), Sender(b.addr)

            def send(t, who, client="203.0.113.1"):
                set_clock(clock, t)
                return (sa if who else sb).msg(client) == "action=DUNNO"
            tap.ok(all(send(base + 99000 + i, i % 2) for i in range(10)), "10 at 99 s pass")
            tap.ok(not any(send(base + 100100 + i, i % 2) for i in range(10)),
                   "10 more at 100.1 s: none pass (no double burst at a boundary)")
            tap.ok(send(base + 99000 + 105000, 0), "they pass again a window and a slot later")
            rnd = random.Random(11)
            t = base + 500000
            acc, unjust = [], 0
            for i in range(500):
                t += rnd.randrange(0, 4000)
                if send(t, rnd.randrange(2), "203.0.113.2"):
                    acc.append(t)
                else:
                    unjust += sum(1 for x in acc if x > t - 105000) < 10
            worst = max(sum(1 for y in acc if x <= y <= x + 100000) for x in acc)
            tap.ok(worst <= 10, "random stream through A and B: at most 10 in any 100 s "
                   "(most %d, %d passed)" % (worst, len(acc)))
            tap.is_eq(unjust, 0, "every refusal had 10 within the last window and slot")
            ttl = int(redis.cli("PTTL", "t:c2:203.0.113.2").strip())
            tap.ok(0 < ttl <= 110000, "the key expires by itself, a window and a slot or two after its newest count (PTTL %d ms)" % ttl)
        finally:
            a.stop()
            b.stop()


def outage(tmp, redis, mode):
    @tap.case("Redis stopped mid-stream, on_store_error = %s" % mode)
    def _():
        p = Policyd(conf(redis.server, limit=5, mode=mode, timeout=50), tmp, "o" + mode)
        try:
            s = Sender(p.addr)
            tap.is_eq(s.msg("192.0.2.%d" % (1 if mode == "defer" else 2)), "action=DUNNO",
                      "Redis up: decided in Redis")
            m = p.mark()
            redis.kill()
            replies, slowest = [], 0
            for i in range(8):
                t0 = time.monotonic()
                replies.append(s.msg("192.0.2.%d" % (3 if mode == "defer" else 4)))
                slowest = max(slowest, time.monotonic() - t0)
            if mode == "defer":
                tap.ok(all(r == DEFER for r in replies), "killed: every request deferred 451 4.3.0",
                       replies)
            else:
                tap.is_eq([r == "action=DUNNO" for r in replies], [True] * 5 + [False] * 3,
                          "killed: decided from memory, local limit 5 still holds", replies)
            tap.ok(slowest < 0.050 + 0.10, "killed: slowest answer %.1f ms" % (slowest * 1000))
            log = p.log(m)
            tap.is_eq(log.count(": unavailable ("), 1, "one log line for the outage, not one per request",
                      log)
            redis.start()
            back = None
            end = time.monotonic() + 10
            while time.monotonic() < end:
                if s.msg("192.0.2.%d" % (5 if mode == "defer" else 6)) == "action=DUNNO" \
                   and "connected" in p.log(m):
                    back = time.monotonic() - (end - 10)
                    break
                time.sleep(0.1)
            tap.ok(back is not None, "recovered after Redis restarted (%.1f s)" % (back or -1))
            # frozen: connected but silent
            m = p.mark()
            redis.pause()
            try:
                times, replies = [], []
                for i in range(5):
                    t0 = time.monotonic()
                    replies.append(s.msg("192.0.2.%d" % (7 if mode == "defer" else 8)))
                    times.append(time.monotonic() - t0)
            finally:
                redis.resume()
            tap.ok(max(times) < 0.050 + 0.10, "frozen: no request waits longer than timeout_ms + "
                   "100 ms (slowest %.1f ms)" % (max(times) * 1000))
            tap.ok(times[0] >= 0.040, "frozen: the first request waited for its timeout (%.1f ms)"
                   % (times[0] * 1000))
            tap.ok(max(times[1:]) < 0.040, "the next ones were answered at once while Redis owes "
                   "a late reply (slowest %.1f ms)" % (max(times[1:]) * 1000))
            want = DEFER if mode == "defer" else "action=DUNNO"
            tap.ok(all(r == want for r in replies), "frozen: answered %s" % want[7:30], replies)
            log = p.log(m)
            tap.ok(log.count("no reply within") == 1, "one log line for the late replies", log)
            # (with "memory" every answer is DUNNO: the log line tells
            # when Redis decides again)
            ok_again = False
            end = time.monotonic() + 5
            while time.monotonic() < end and not ok_again:
                ok_again = s.msg("192.0.2.%d" % (9 if mode == "defer" else 10)) == "action=DUNNO" \
                    and "replying in time again" in p.log(m)
                time.sleep(0.05)
            tap.ok(ok_again, "answers from Redis again once it runs, and says so")
            tap.is_eq(p.log(m).count("replying in time again"), 1, "once")
        finally:
            p.stop()
        tap.ok(p.clean(), "no sanitizer report")


def pipelined(tmp, redis):
    @tap.case("pipelined requests are decided together, answered in order")
    def _():
        p = Policyd(conf(redis.server, limit=1000, timeout=50), tmp, "pl")
        try:
            c = Conn(p.addr)
            Sender.seq += 1
            tap.is_eq(c.ask("u@example.com", client="192.0.2.60", instance="w%d" % Sender.seq),
                      "action=DUNNO", "connected")
            reqs, want = b"", []
            for i in range(12):
                out = i % 3 == 2
                reqs += request("u%d@%s" % (i, "outside.example" if out else "example.com"),
                                client="192.0.2.60", instance="pl%d" % i)
                want.append("action=550 5.7.1 Unable to relay for <u%d@outside.example>" % i
                            if out else DEFER)
            redis.pause()
            try:
                t0 = time.monotonic()
                c.send(reqs)
                got = [c.reply() for _ in want]
                took = time.monotonic() - t0
            finally:
                redis.resume()
            tap.is_eq(got, want, "Redis frozen: 12 pipelined requests answered in order "
                      "(relay refusals at once, rate decisions deferred)")
            tap.ok(took < 0.050 * 2 + 0.15, "all within one timeout, not one each (%.0f ms)"
                   % (took * 1000))
            # the client sends and shuts its side: the answers still come
            time.sleep(0.3)
            d = Conn(p.addr)
            d.send(b"".join(request("v%d@example.com" % i, client="192.0.2.61",
                                    instance="h%d" % i) for i in range(5)))
            d.s.shutdown(socket.SHUT_WR)
            got = [d.reply() for _ in range(5)]
            tap.is_eq(got, ["action=DUNNO"] * 5, "half-closed after 5 requests: 5 answers", got)
            tap.is_eq(d.reply(), None, "then the connection is closed")
            # a request, then garbage: the answer, then the close
            g = Conn(p.addr)
            g.send(request("w@example.com", client="192.0.2.62", instance="g1") + b"garbage\n\n")
            tap.is_eq(g.reply(), "action=DUNNO", "request before garbage answered (after Redis)")
            tap.is_eq(g.reply(), None, "then the connection is closed")
        finally:
            p.stop()
        tap.ok(p.clean(), "no sanitizer report")


def auth(tmp):
    @tap.case("Redis with a password")
    def _():
        d = os.path.join(tmp, "auth")
        os.makedirs(d)
        with RedisServer(d, password="pw-Secret-42") as r:
            with open(os.path.join(d, "good.pass"), "w") as f:
                f.write("pw-Secret-42\n")
            with open(os.path.join(d, "bad.pass"), "w") as f:
                f.write("wrong\n")
            p = Policyd(conf(r.server, limit=3, pw='password_file = "good.pass";'), d, "pg")
            s = Sender(p.addr)
            got = [s.msg("192.0.2.30") for _ in range(4)]
            tap.is_eq(got[:3], ["action=DUNNO"] * 3, "right password: decided in Redis")
            tap.is_eq(got[3], MSGS, "and limited")
            tap.ok(r.cli("EXISTS", "t:c2:192.0.2.30").strip() == "1", "the key is in Redis")
            p.stop()
            q = Policyd(conf(r.server, limit=3, pw='password_file = "bad.pass";'), d, "pb")
            s = Sender(q.addr)
            got = [s.msg("192.0.2.31") for _ in range(3)]
            tap.ok(all(g == DEFER for g in got), "wrong password: deferred", got)
            tap.ok(q.wait_log("AUTH refused"), "AUTH refusal logged")
            time.sleep(1.5)
            tap.ok(q.log().count("AUTH refused") == 1, "not logged once per request or retry",
                   q.log())
            tap.ok(q.hup(conf(r.server, limit=3, pw='password_file = "good.pass";')), "reload")
            ok_ = False
            end = time.monotonic() + 8
            while time.monotonic() < end and not ok_:
                ok_ = s.msg("192.0.2.31") == "action=DUNNO"
                time.sleep(0.1)
            tap.ok(ok_, "reload with the right password: decided in Redis again")
            q.stop()


def noscript_unix(tmp, redis):
    @tap.case("NOSCRIPT and a UNIX socket")
    def _():
        p = Policyd(conf(redis.server, limit=4), tmp, "ns")
        try:
            s = Sender(p.addr)
            tap.is_eq(s.msg("192.0.2.40"), "action=DUNNO", "first decision")
            redis.cli("SCRIPT", "FLUSH")
            got = [s.msg("192.0.2.40") for _ in range(4)]
            tap.is_eq(got, ["action=DUNNO"] * 3 + [MSGS], "after SCRIPT FLUSH: counting goes on", got)
            tap.unlike(p.log(), r"unavailable", "NOSCRIPT is no outage")
        finally:
            p.stop()
        d = os.path.join(tmp, "unix")
        os.makedirs(d)
        with RedisServer(d, unix=True) as r:
            u = Policyd(conf(r.server, limit=2), d, "un")
            s = Sender(u.addr)
            got = [s.msg("192.0.2.41") for _ in range(3)]
            tap.is_eq(got, ["action=DUNNO"] * 2 + [MSGS], "over a UNIX socket", got)
            u.stop()


def reload_store(tmp, redis):
    @tap.case("reload from memory to redis")
    def _():
        mem = conf(redis.server, limit=2).replace('store = "redis";', 'store = "memory";')
        mem = re.sub(r"redis = \{[^}]*\};", "", mem)
        p = Policyd(mem, tmp, "rl")
        try:
            s = Sender(p.addr)
            s.msg("192.0.2.50")
            tap.ok(redis.cli("EXISTS", "t:c2:192.0.2.50").strip() == "0", "memory store: nothing in Redis")
            tap.ok(p.hup(conf(redis.server, limit=2)), "SIGHUP to store = \"redis\"")
            tap.ok(p.wait_log("connected"), "connected to Redis")
            tap.is_eq(s.msg("192.0.2.50"), "action=DUNNO", "decided in Redis")
            tap.ok(redis.cli("EXISTS", "t:c2:192.0.2.50").strip() == "1", "the key is in Redis")
            got = [s.msg("192.0.2.50") for _ in range(2)]
            tap.is_eq(got, ["action=DUNNO", MSGS], "limit 2 reached in Redis", got)
            tap.ok(p.hup(conf(redis.server, limit=2, window=7200)), "SIGHUP: window 3600 -> 7200")
            tap.is_eq(s.msg("192.0.2.50"), "action=DUNNO", "another window: the counts start again")
            tap.is_eq(s.msg("192.0.2.50"), "action=DUNNO", "and count on")
            tap.is_eq(s.msg("192.0.2.50"), MSGS, "to the limit")
            tap.unlike(p.log(), r"redis .*: unavailable", "a reload that keeps the server keeps the connection")
        finally:
            p.stop()


def lua_script():
    """The script's text, as the C string in predis_script.c holds it."""
    with open(os.path.join(SRC, "policyd", "predis_script.c")) as f:
        body = f.read().split("const char predis_script[] =\n", 1)[1].split(";\n", 1)[0]
    return "".join(eval(line) for line in body.split("\n") if line.strip().startswith('"'))


class Resp:
    """Just enough of a Redis client for EVALSHA."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.f = self.s.makefile("rb")

    def call(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.s.sendall(out)
        line = self.f.readline()
        if line[:1] == b"$":
            return self.f.read(int(line[1:]) + 2)[:-2]
        return line.strip()


class MemModel:
    """The memory store's decision (rate_lookup, rate_over, rate_add) with
    the script's check (a limit refuses even a request adding nothing)."""
    RING = 21

    def __init__(self):
        self.keys = {}

    def lookup(self, k, cur):
        e = self.keys.get(k)
        if e is None:
            e = self.keys[k] = {"head": cur, "sum": [0, 0], "ring": [[0, 0] for _ in range(self.RING)]}
        elif cur > e["head"]:
            for s in range(e["head"] + 1, min(cur, e["head"] + self.RING) + 1):
                slot = e["ring"][s % self.RING]
                e["sum"] = [e["sum"][0] - slot[0], e["sum"][1] - slot[1]]
                slot[0] = slot[1] = 0
            e["head"] = cur
        return e

    def decide(self, keys, lims, adds, cur):
        ents = []
        for i, k in enumerate(keys):
            e = self.lookup(k, cur)
            ents.append(e)
            for d in (0, 1):
                if lims[i][d] > 0 and e["sum"][d] + adds[i][d] > lims[i][d]:
                    return 2 * i + 1 + d
        for e, add in zip(ents, adds):
            for d in (0, 1):
                e["ring"][e["head"] % self.RING][d] += add[d]
                e["sum"][d] += add[d]
        return 0


def script_model(redis):
    @tap.case("the script against the memory store's model")
    def _():
        r = Resp(redis.port)
        sha = r.call("SCRIPT", "LOAD", lua_script()).decode()
        rnd = random.Random(7)
        model, window, now = MemModel(), 100, 1700000000000
        differ, refused = [], 0
        for i in range(4000):
            now += rnd.choice([0, 1, 10, 1000, 4000, 20000, 60000, -3000, -20000])
            if rnd.random() < 0.003 and window != 60:
                window, model = 60 if window == 100 else 100, MemModel()
            slot = window * 1000 // 20
            keys = rnd.sample(["u:a", "c:b", "d:c", "c:e"], rnd.randint(1, 3))
            lims = [(rnd.choice([0, 5, 10, 30]), rnd.choice([0, 10, 40])) for _ in keys]
            adds = [(rnd.choice([0, 1]), rnd.randint(0, 5)) for _ in keys]
            want = model.decide(keys, lims, adds, now // slot)
            packed = struct.pack("<qqq", now, slot, MemModel.RING) + b"".join(
                struct.pack("<qqqq", lims[j][0], lims[j][1], adds[j][0], adds[j][1])
                for j in range(len(keys)))
            got = int(r.call("EVALSHA", sha, len(keys), *(["m:" + k for k in keys] + [packed]))[1:])
            refused += want != 0
            if got != want:
                differ.append((i, keys, lims, adds, want, got))
        tap.ok(not differ, "4000 random decisions (%d refused): the same as the memory store%s"
               % (refused, "" if not differ else "; first difference %r" % (differ[0],)))


def main():
    tmp = tempfile.mkdtemp(prefix="policyd_redis.")
    redis = RedisServer(tmp)
    try:
        shared_limit(tmp, redis)
        smoothness(tmp, redis)
        outage(tmp, redis, "defer")
        outage(tmp, redis, "memory")
        pipelined(tmp, redis)
        noscript_unix(tmp, redis)
        reload_store(tmp, redis)
        script_model(redis)
        auth(tmp)
    finally:
        redis.kill()
    if not tap.failed():
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        tap.diag("files kept in %s" % tmp)
    tap.done()


if __name__ == "__main__":
    main()
