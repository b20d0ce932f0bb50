#!/usr/bin/env python3
"""milter_crash.py - the screener killed with SIGKILL mid-stream (TAP).

200 messages go to the public listener from 4 parallel clients; the
screener tags every inbound message.  After 60 the screener is killed with
SIGKILL, after 140 it is started again.  Every message must end either
delivered (250) or tempfailed to its client (4xx: milter_default_action =
tempfail); the tempfailed ones are sent again after the restart and must
then be delivered.  None may be lost, none delivered twice, and every
delivered message must carry the screener's tag (none delivered
unscreened).  Then a storm of SIGHUPs while mail flows: every message is
still screened and the screener survives (ASan/UBSan builds check the
rule swap for races and leaks).
"""
import signal
import threading
import time

import tap
from milterlab import MilterLab, skip_unless_lab, check_clean_exit

skip_unless_lab()

N = 200
KILL_AT, RESTART_AT = 60, 140
CONF = """
milter = { user = ""; pidfile = ""; spool_dir = "/tmp"; };
rules = (
  { name = "tag-inbound"; direction = "inbound";
    recipient = { domains = ["example.com"]; };
    action = "tag"; tag_header = "X-Relayscreen-Screened: inbound"; }
);
"""

with MilterLab(CONF) as lab:
    msgs = [lab.make_message("s%d@sender.test" % i, ["user%d@example.com" % (i % 7)],
                             subject="crash %d" % i) for i in range(N)]
    results = [None] * N
    lock = threading.Lock()
    done = [0]

    def worker(k):
        for i in range(k, N, 4):
            data, _ = msgs[i]
            r = lab.send("public", sender="s%d@sender.test" % i,
                         rcpts=["user%d@example.com" % (i % 7)], data=data)
            with lock:
                results[i] = r
                done[0] += 1

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    killed = restarted = False
    while any(t.is_alive() for t in threads):
        with lock:
            n = done[0]
        if not killed and n >= KILL_AT:
            lab.kill_screener(signal.SIGKILL)
            killed = True
        if killed and not restarted and n >= RESTART_AT:
            lab.start_screener()
            restarted = True
        time.sleep(0.01)
    for t in threads:
        t.join()
    if not restarted:
        lab.start_screener()

    accepted = [i for i in range(N) if results[i].accepted]
    tempfailed = [i for i in range(N) if not results[i].accepted
                  and results[i].code and 400 <= results[i].code < 500]
    other = [i for i in range(N) if i not in accepted and i not in tempfailed]
    tap.diag("first pass: %d accepted, %d tempfailed, %d other"
             % (len(accepted), len(tempfailed), len(other)))
    tap.ok(killed, "the screener was killed mid-stream")
    tap.is_eq(other, [], "every message was either accepted or tempfailed",)
    for i in other[:5]:
        tap.diag("message %d: %s" % (i, results[i].dump()))
    tap.ok(len(tempfailed) > 0, "some messages were tempfailed while it was down (%d)" % len(tempfailed))
    tap.ok(len(accepted) > KILL_AT // 2, "messages before and after were accepted (%d)" % len(accepted))

    retry_bad = []
    for i in tempfailed:
        data, _ = msgs[i]
        r = lab.send("public", sender="s%d@sender.test" % i,
                     rcpts=["user%d@example.com" % (i % 7)], data=data)
        if not r.accepted:
            retry_bad.append((i, r))
    tap.is_eq([i for i, _ in retry_bad], [], "every tempfailed message accepted when retried")

    lab.wait_queue_empty(60)
    got = lab.exchange.wait_for(N, 60)
    by_token = {}
    for m in got:
        by_token.setdefault(m.header("X-Lab-Token"), []).append(m)
    tokens = [tok for _, tok in msgs]
    lost = [i for i, tok in enumerate(tokens) if tok not in by_token]
    dup = [i for i, tok in enumerate(tokens) if len(by_token.get(tok, [])) > 1]
    untagged = [m.header("X-Lab-Token") for m in got
                if m.header("X-Relayscreen-Screened") != "inbound"]
    tap.is_eq(lost, [], "none lost: all %d delivered" % N)
    tap.is_eq(dup, [], "none delivered twice")
    tap.is_eq(untagged, [], "none delivered unscreened: every delivered message carries the tag")
    tap.is_eq(len(got), N, "exactly %d deliveries" % N)

    @tap.case("SIGHUP storm while mail flows")
    def _():
        # Reloads swap the rules under the messages' feet: every message
        # must still be screened (tagged) and nothing may crash.
        before = lab.exchange.count()
        out = [None] * 60
        stop = threading.Event()

        def flow(k):
            for i in range(k, 60, 3):
                out[i] = lab.send("public", rcpts=["user%d@example.com" % (i % 7)])

        def hup():
            while not stop.is_set():
                lab.signal_screener(signal.SIGHUP)
                time.sleep(0.01)
        ts = [threading.Thread(target=flow, args=(k,)) for k in range(3)]
        h = threading.Thread(target=hup)
        h.start()
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        stop.set()
        h.join()
        tap.ok(all(r and r.accepted for r in out), "all 60 accepted during the reloads",
               "\n".join(r.dump() for r in out if r and not r.accepted)[:2000])
        got = lab.exchange.wait_for(before + 60, 30)[before:]
        tap.is_eq(len(got), 60, "all delivered")
        tap.ok(all(m.header("X-Relayscreen-Screened") == "inbound" for m in got),
               "all screened (tagged)")
        tap.ok(lab.screener_log().count("reloaded") >= 3, "reloads happened meanwhile (%d)"
               % lab.screener_log().count("reloaded"))

    tap.run("screener exits cleanly", check_clean_exit, lab)

tap.done()
