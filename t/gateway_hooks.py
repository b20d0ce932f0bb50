#!/usr/bin/env python3
"""gateway_hooks.py - the Postfix side of the policy and milter hooks (TAP).

The snippets' hooks, checked without the real daemons: a stand-in policy
server (lib/policystub.py) records what each listener sends and when, and
answers as told; then the failure actions are checked with nothing
listening: the policy service down defers with 451 4.3.5, the milter down
tempfails.  Neither ever lets mail through.
"""
import time

import tap
from lab import Lab, USERS, require_lab
from policystub import PolicyStub

require_lab()

PORT = 10049                     # not policyd's 10040: a stand-in
ALICE = "alice@example.com"
ALICE_PW = USERS[ALICE]
EXCHANGE_IP = "127.0.0.5"
OTHER_IP = "127.0.0.9"
verdicts = {}                    # recipient -> action; default DUNNO


def decide(req):
    return verdicts.get(req.get("recipient", ""), "DUNNO")


def arrived(lab, token):
    return [m for c in (lab.exchange, lab.internet) for m in c.messages()
            if token and token.encode() in m.data]


stub = PolicyStub(PORT, decide).start()
try:
    # milter wired by the merge, but switched off until its own case
    with Lab(policy_hook=True, policy_port=PORT, milter_hook=True,
             internal_clients=(EXCHANGE_IP,), main_cf={"smtpd_milters": ""}) as lab:

        @tap.case("policy: what each listener sends")
        def _():
            r = lab.send("public", rcpts=["user@example.com"])
            tap.ok(r.accepted, "public: hosted domain accepted (DUNNO)", r.dump())
            q = stub.seen(recipient="user@example.com", protocol_state="RCPT")
            tap.ok(q, "public: policy consulted for the hosted recipient at RCPT")
            if q:
                tap.is_eq(q[-1].get("policy_context"), "public", "public: policy_context=public")
                tap.is_eq(q[-1].get("client_address"), "127.0.0.1", "client_address sent")
                tap.is_eq(q[-1].get("sasl_username"), "", "no SASL user")
            # and once more at DATA (the snippets' hook for bare <postmaster>)
            q = stub.seen(recipient="user@example.com", protocol_state="DATA")
            tap.ok(q and q[-1].get("policy_context") == "public"
                   and q[-1].get("recipient_count") == "1", "public: asked again at DATA")
            r = lab.send("public", rcpts=["victim@aol.com"])
            tap.like(r.text, "Relay access denied", "public: aol.com refused by the relay check", r.dump())
            tap.is_eq(stub.seen(recipient="victim@aol.com"), [],
                      "the policy service never sees a recipient refused by reject_unauth_destination")

            r = lab.send("submission", sender=ALICE, rcpts=["friend@aol.com"], starttls=True,
                         auth=(ALICE, ALICE_PW))
            tap.ok(r.accepted, "submission: accepted (DUNNO)", r.dump())
            q = stub.seen(recipient="friend@aol.com", policy_context="submission")
            tap.ok(q, "submission: policy_context=submission")
            if q:
                tap.is_eq(q[-1].get("sasl_username"), ALICE, "sasl_username sent")
                tap.is_eq(q[-1].get("sasl_method"), "PLAIN", "sasl_method sent")
                tap.like(q[-1].get("encryption_protocol", ""), r"^TLSv1\.[23]$", "encryption_protocol sent")
                tap.like(q[-1].get("encryption_keysize", ""), r"^\d+$", "encryption_keysize sent")

            r = lab.send("internal", sender=ALICE, rcpts=["out@aol.com"], source=EXCHANGE_IP)
            tap.ok(r.accepted, "internal: the Exchange host is accepted (DUNNO)", r.dump())
            q = stub.seen(recipient="out@aol.com")
            tap.ok(q and q[-1].get("policy_context") == "internal", "internal: policy_context=internal")
            r = lab.send("internal", sender=ALICE, rcpts=["other@aol.com"], source=OTHER_IP)
            tap.ok(not r.accepted, "internal: another client refused", r.dump())
            tap.is_eq(stub.seen(recipient="other@aol.com"), [], "and the policy service is not asked")

        @tap.case("policy: may refuse, may not open a relay")
        def _():
            verdicts["blocked@example.com"] = "REJECT 5.7.1 blocked by the stub"
            verdicts["friend2@aol.com"] = "OK"
            verdicts["later@example.com"] = "DEFER_IF_PERMIT 4.7.1 come back later"
            r = lab.send("public", rcpts=["blocked@example.com"])
            tap.ok(not r.accepted and r.code == 554 and "blocked by the stub" in r.text,
                   "policy REJECT -> 554", r.dump())
            r = lab.send("public", rcpts=["later@example.com"])
            tap.ok(not r.accepted and r.code == 450, "policy DEFER_IF_PERMIT -> 450", r.dump())
            r = lab.send("public", rcpts=["friend2@aol.com"])
            tap.like(r.text, "Relay access denied", "policy OK cannot open the public listener", r.dump())
            r = lab.send("submission", sender=ALICE, rcpts=["friend2@aol.com"], starttls=True)
            tap.ok(not r.accepted, "policy OK cannot bypass AUTH on submission", r.dump())
            r = lab.send("internal", rcpts=["friend2@aol.com"], source=OTHER_IP)
            tap.ok(not r.accepted, "policy OK cannot open the internal listener", r.dump())
            lab.wait_queue_empty(10)
            time.sleep(1)
            tap.is_eq([m.rcpts for m in lab.internet.messages() if "friend2@aol.com" in m.rcpts], [],
                      "nothing for friend2@aol.com went out")

        @tap.case("policy service down: 451 4.3.5")
        def _():
            stub.stop()
            t0 = time.monotonic()
            r = lab.send("public", rcpts=["user2@example.com"])
            took = time.monotonic() - t0
            tap.ok(not r.accepted and r.code == 451 and "4.3.5" in r.text,
                   "deferred with 451 4.3.5", r.dump())
            tap.ok(took < 15, "within the policy timeouts (%.1fs)" % took)
            r2 = lab.send("submission", sender=ALICE, rcpts=["friend@aol.com"], starttls=True,
                          auth=(ALICE, ALICE_PW))
            tap.ok(not r2.accepted and str(r2.code).startswith("4"), "submission deferred too", r2.dump())
            lab.wait_queue_empty(10)
            time.sleep(1)
            tap.is_eq(arrived(lab, r.token) + arrived(lab, r2.token), [], "nothing delivered")

        @tap.case("milter down: tempfail")
        def _():
            lab.postconf({"smtpd_milters": "unix:" + lab.screener_socket,
                          "relayscreen_policy_check": ""})
            r = lab.send("public", rcpts=["user3@example.com"])
            tap.ok(not r.accepted and str(r.code).startswith("4"), "public: 4xx without the screener", r.dump())
            r2 = lab.send("internal", sender=ALICE, rcpts=["out3@aol.com"], source=EXCHANGE_IP)
            tap.ok(not r2.accepted and str(r2.code).startswith("4"), "internal: 4xx too", r2.dump())
            tap.ok(lab.wait_log(r"connect to Milter service unix:%s: (No such file|Connection refused)" % lab.screener_socket),
                   "the log says why")
            lab.wait_queue_empty(10)
            time.sleep(1)
            tap.is_eq(arrived(lab, r.token) + arrived(lab, r2.token), [], "nothing delivered")
finally:
    try:
        stub.stop()
    except Exception:
        pass

tap.done()
