#!/usr/bin/env python3
"""gateway_relay.py - the gateway's relay rules, end to end (TAP).

One private Postfix built from postfix-snippets (lab.py), without the
milter and the policy daemon, checked listener by listener:
  public      anonymous mail for a hosted domain reaches Exchange; mail for
              an outside domain is refused (no open relay) and goes nowhere
  submission  no AUTH before STARTTLS; MAIL without AUTH refused; after
              STARTTLS+AUTH mail goes out to the Internet and in to
              Exchange; a wrong password is refused and nothing is relayed
  internal    the Exchange host relays out, any other client is refused
  harness     the weak-TLS switch gives a 128-bit cipher on submission
"""
import ssl
import time

import tap
from lab import Lab, USERS, require_lab

require_lab()

ALICE = "alice@example.com"
ALICE_PW = USERS[ALICE]
# 127.0.0.5 plays the Exchange host; tests also connect from 127.0.0.9
EXCHANGE_IP = "127.0.0.5"
OTHER_IP = "127.0.0.9"


def settle(lab, seconds=2.0):
    """Give the queue manager time to deliver anything wrongly accepted."""
    lab.wait_queue_empty(10)
    time.sleep(seconds)


def arrived(capture, token):
    return [m for m in capture.messages() if token and token.encode() in m.data]


with Lab(internal_clients=(EXCHANGE_IP,)) as lab:

    @tap.case("public: hosted domain -> Exchange")
    def _():
        r = lab.send("public", sender="someone@sender.test", rcpts=["user@example.com"])
        tap.ok(r.accepted, "public accepts anonymous mail for example.com", r.dump())
        tap.ok(r.features.get("starttls") is not None, "public offers STARTTLS")
        tap.is_eq(r.auth_offered, None, "public does not offer AUTH")
        lab.exchange.wait_for(1, 15)
        got = arrived(lab.exchange, r.token)
        tap.is_eq(len(got), 1, "the message arrived at the Exchange capture")
        if got:
            tap.is_eq(got[0].rcpts, ["user@example.com"], "envelope recipient kept")
            tap.is_eq(got[0].mail_from, "someone@sender.test", "envelope sender kept")
        tap.is_eq(arrived(lab.internet, r.token), [], "nothing went to the Internet")
        r2 = lab.send("public", rcpts=["postmaster@example.net"], starttls=True)
        tap.ok(r2.accepted and r2.cipher, "public with STARTTLS, second hosted domain", r2.dump())
        lab.exchange.wait_for(2, 15)
        tap.is_eq(len(arrived(lab.exchange, r2.token)), 1, "example.net arrived at Exchange")

    @tap.case("public: no open relay")
    def _():
        r = lab.send("public", sender="spammer@sender.test", rcpts=["victim@aol.com"])
        tap.ok(not r.accepted, "relay to aol.com not accepted", r.dump())
        tap.like(str(r.rcpt_codes.get("victim@aol.com")), r"^5\d\d$", "refused with 5xx at RCPT")
        tap.like(r.text, r"Relay access denied", "reply says relay access denied")
        r2 = lab.send("public", sender="alice@example.com", rcpts=["victim@aol.com"], starttls=True)
        tap.ok(not r2.accepted and str(r2.code).startswith("5"),
               "still refused with STARTTLS and a hosted-domain sender", r2.dump())
        r3 = lab.send("public", rcpts=["victim@aol.com"], auth=(ALICE, ALICE_PW))
        tap.ok(r3.reply("auth") and str(r3.reply("auth")[0]).startswith("5"),
               "AUTH is refused on the public listener", r3.dump())
        settle(lab)
        tap.is_eq(arrived(lab.internet, r.token) + arrived(lab.internet, r2.token), [],
                  "nothing arrived at the Internet capture")
        tap.is_eq(arrived(lab.exchange, r.token), [], "nothing arrived at Exchange")
        tap.is_eq(lab.postqueue_json(), [], "nothing left in the queue")

    @tap.case("submission: TLS and AUTH required")
    def _():
        r = lab.send("submission", sender=ALICE, rcpts=["friend@aol.com"])
        tap.is_eq(r.auth_offered, None, "AUTH not offered before STARTTLS")
        tap.ok(r.features.get("starttls") is not None, "STARTTLS offered")
        tap.ok(not r.accepted and r.stage == "mail" and str(r.code).startswith("5"),
               "MAIL before STARTTLS refused with 5xx", r.dump())
        r = lab.send("submission", sender=ALICE, rcpts=["friend@aol.com"], auth=(ALICE, ALICE_PW))
        tap.ok(r.reply("auth") and r.reply("auth")[0] != 235,
               "AUTH before STARTTLS refused", r.dump())
        r = lab.send("submission", sender=ALICE, rcpts=["friend@aol.com"], starttls=True)
        tap.ok(r.auth_offered_tls and "PLAIN" in r.auth_offered_tls,
               "AUTH PLAIN offered after STARTTLS", r.dump())
        tap.ok(not r.accepted and r.stage == "mail" and str(r.code).startswith("5"),
               "MAIL without AUTH (after STARTTLS) refused with 5xx", r.dump())
        settle(lab, 1)
        tap.is_eq(arrived(lab.internet, r.token), [], "nothing relayed")

    @tap.case("submission: authenticated users relay")
    def _():
        r = lab.send("submission", sender=ALICE, rcpts=["friend@aol.com"],
                     starttls=True, auth=(ALICE, ALICE_PW))
        tap.ok(r.accepted, "STARTTLS + AUTH PLAIN: mail to aol.com accepted", r.dump())
        tap.ok(r.cipher and r.cipher[2] >= 128, "TLS session %s" % (r.cipher,))
        lab.internet.wait_for(1, 15)
        got = arrived(lab.internet, r.token)
        tap.is_eq(len(got), 1, "arrived at the Internet capture")
        if got:
            tap.is_eq(got[0].rcpts, ["friend@aol.com"], "Internet capture: recipient")
            tap.is_eq(got[0].helo, "gateway.test", "delivered by the gateway (HELO)")
        r = lab.send("submission", sender=ALICE, rcpts=["colleague@example.com"],
                     starttls=True, auth=("bob@example.com", USERS["bob@example.com"]), mech="LOGIN")
        tap.ok(r.accepted, "AUTH LOGIN (bob): mail to a hosted domain accepted", r.dump())
        lab.exchange.wait_for(1, 15)
        deadline = time.monotonic() + 15
        while not arrived(lab.exchange, r.token) and time.monotonic() < deadline:
            time.sleep(0.2)
        tap.is_eq(len(arrived(lab.exchange, r.token)), 1, "arrived at the Exchange capture")
        tap.is_eq(arrived(lab.internet, r.token), [], "and not at the Internet capture")
        tap.ok(lab.wait_log(r"sasl_method=LOGIN, sasl_username=bob@example.com"),
               "the log records the SASL login")

    @tap.case("submission: wrong password")
    def _():
        mark = lab.log_mark()
        r = lab.send("submission", sender=ALICE, rcpts=["friend@aol.com"],
                     starttls=True, auth=(ALICE, "wrong-password"))
        tap.ok(r.reply("auth") and r.reply("auth")[0] == 535,
               "wrong password refused with 535", r.dump())
        tap.ok(not r.accepted, "no transaction after the failed AUTH")
        r2 = lab.send("submission", sender=ALICE, rcpts=["friend@aol.com"],
                      starttls=True, auth=("mallory@example.com", "x"))
        tap.ok(r2.reply("auth") and str(r2.reply("auth")[0]).startswith("5"),
               "unknown user refused", r2.dump())
        settle(lab)
        tap.is_eq(arrived(lab.internet, r.token) + arrived(lab.internet, r2.token), [],
                  "nothing relayed")
        tap.ok(lab.wait_log(r"SASL PLAIN authentication failed", since=mark),
               "the failure is logged")

    @tap.case("internal: only the Exchange host relays out")
    def _():
        r = lab.send("internal", sender=ALICE, rcpts=["friend@aol.com"], source=EXCHANGE_IP)
        tap.ok(r.accepted, "from %s (Exchange): outbound accepted" % EXCHANGE_IP, r.dump())
        lab.internet.wait_for(1, 15)
        deadline = time.monotonic() + 15
        while not arrived(lab.internet, r.token) and time.monotonic() < deadline:
            time.sleep(0.2)
        got = arrived(lab.internet, r.token)
        tap.is_eq(len(got), 1, "arrived at the Internet capture")
        r2 = lab.send("internal", sender="x@example.com", rcpts=["friend@aol.com"], source=OTHER_IP)
        tap.ok(not r2.accepted and str(r2.code).startswith("5"),
               "from %s: refused with 5xx" % OTHER_IP, r2.dump())
        r3 = lab.send("internal", sender="x@example.com", rcpts=["user@example.com"], source=OTHER_IP)
        tap.ok(not r3.accepted, "from %s: even a hosted domain is refused" % OTHER_IP, r3.dump())
        r4 = lab.send("internal", rcpts=["friend@aol.com"], source="127.0.0.1")
        tap.ok(not r4.accepted, "from 127.0.0.1 (not listed): refused", r4.dump())
        settle(lab)
        tap.is_eq(arrived(lab.internet, r2.token) + arrived(lab.internet, r4.token)
                  + arrived(lab.exchange, r3.token), [], "nothing from the others arrived")

    @tap.case("logs name the listener")
    def _():
        log = lab.log()
        for name in ("public", "submission", "internal"):
            tap.like(log, r"postfix/%s/smtpd\[" % name, "log lines from postfix/%s/smtpd" % name)

    @tap.case("harness: weak TLS on submission")
    def _():
        lab.set_weak_tls("submission")
        r = lab.send("submission", sender=ALICE, rcpts=["friend@aol.com"], starttls=True,
                     auth=(ALICE, ALICE_PW))
        tap.ok(r.cipher and r.cipher[1] == "TLSv1.2" and r.cipher[2] == 128,
               "TLS 1.2 with a 128-bit cipher: %s" % (r.cipher,), r.dump())
        tap.ok(r.accepted, "still relays (no policy daemon here)", r.dump())
        r = lab.send("submission", sender=ALICE, rcpts=["friend@aol.com"], starttls=True,
                     tls_max=ssl.TLSVersion.TLSv1_2, tls_ciphers="ECDHE-ECDSA-AES128-GCM-SHA256")
        tap.is_eq(r.cipher and r.cipher[0], "ECDHE-ECDSA-AES128-GCM-SHA256", "client can pick the cipher")

tap.done()
