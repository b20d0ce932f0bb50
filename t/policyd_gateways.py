#!/usr/bin/env python3
"""policyd_gateways.py - two real Postfix gateways, a policyd each, one
Redis: the rate limits hold across gateways, and are counted as Postfix
really asks (TAP).

Gateway A is the usual lab (t/lib/lab.py), gateway B a second private
Postfix on SECOND_PORTS beside it (same lab lock); each has its own
policyd with store = "redis" on one redis-server started here (a free
loopback port, no persistence, stopped by PID).  Every request policyd
sees comes from Postfix's smtpd, exactly as Postfix sends it.

  1. a user over the message limit on gateway A is deferred on gateway B
     too (and by B's policyd, as its log shows); other users are not;
  2. issue 16 item 7: one message with 5 recipients is one message
     (messages = 3): all 5 accepted; then 2 more messages pass, the 4th
     message is deferred;
  3. item 8: the logins erin@, Erin@ and ERIN@example.com (three SASL
     accounts) share one counter;
  4. item 9: messages to <postmaster> are counted.  Postfix never
     submits a bare <postmaster> to the recipient restrictions; the
     shipped snippets also put policyd in smtpd_data_restrictions, where
     it counts them (with DATA and with BDAT; a message counted at RCPT
     is not counted again at DATA); without that hook they would pass
     uncounted (shown).
"""
import os
import shutil
import tempfile

import tap
from lab import Lab, USERS, SECOND_PORTS, require_lab
from policyd_proc import RedisServer

require_lab()
if not shutil.which("redis-server"):
    tap.skip_all("redis-server not installed (tools/install-deps)")

PW = "shared-Secret-9"
NAMES = ("carol@example.com", "dave@example.com", "erin@example.com", "Erin@example.com",
         "ERIN@example.com", "frank@example.com", "gina@example.com", "hank@example.com",
         "ivan@example.com", "judy@example.com")
ACCOUNTS = dict(USERS)
ACCOUNTS.update({n: PW for n in NAMES})

CONF = """
policyd = { listen = "@LISTEN@"; };
hosted_domains = [ "example.com", "example.net" ];
rate_limits = { store = "redis"; window = 3600; on_store_error = "defer";
  redis = { server = "%s"; timeout_ms = 200; key_prefix = "gw:"; };
  sasl_user = { messages = 3; recipients = 100; }; };
listeners = {
  public     = { relay = "hosted"; auth = "deny"; };
  submission = { relay = "authenticated"; auth = "require"; tls = "require";
                 min_tls_version = "TLSv1.2"; sender_login = "match"; };
  internal   = { relay = "anywhere"; clients = [ "127.0.0.1" ]; };
};
"""


def submit(lab, user, rcpts=("friend@outside.example",), sender=None):
    r = lab.send("submission", sender=sender or user, rcpts=list(rcpts), starttls=True,
                 auth=(user, ACCOUNTS[user]))
    return r


def deferred(r):
    return not r.accepted and r.code is not None and 400 <= r.code < 500


def main():
    tmp = tempfile.mkdtemp(prefix="policyd_gw.")
    redis = RedisServer(tmp)
    try:
        conf = CONF % redis.server
        with Lab(policyd_conf=conf, users=ACCOUNTS) as a, \
                Lab(policyd_conf=conf, users=ACCOUNTS, ports=SECOND_PORTS,
                    policy_port=SECOND_PORTS["policy"], held_lock=True) as b:

            @tap.case("two gateways share the limit")
            def _():
                got = [submit(a, "carol@example.com") for _ in range(3)]
                tap.ok(all(r.accepted for r in got), "carol: 3 messages through gateway A",
                       "\n".join(r.dump() for r in got))
                mark = b.daemon_log_mark("policyd")
                r = submit(b, "carol@example.com")
                tap.ok(deferred(r), "carol's 4th message, through gateway B: deferred (%s %s)"
                       % (r.code, r.text), r.dump())
                tap.like(b.daemon_log("policyd", mark), r"reason=rate_user_messages.*carol@example\.com",
                         "gateway B's policyd deferred it")
                r = submit(a, "carol@example.com")
                tap.ok(deferred(r), "and through gateway A (%s)" % r.code, r.dump())
                r = submit(b, "gina@example.com")
                tap.ok(r.accepted, "another user passes on gateway B", r.dump())
                tap.ok(redis.cli("EXISTS", "gw:u2:carol@example.com").strip() == "1",
                       "the shared count is in Redis")

            @tap.case("item 7: a message with 5 recipients is one message")
            def _():
                rcpts = ["r%d@outside.example" % i for i in range(5)]
                r = submit(a, "dave@example.com", rcpts)
                tap.ok(r.accepted and all(c == 250 for c in r.rcpt_codes.values()),
                       "dave: all 5 recipients of one message accepted (messages = 3)", r.dump())
                got = [submit(b if i else a, "dave@example.com") for i in range(2)]
                tap.ok(all(x.accepted for x in got), "2 more messages (on A and B) pass",
                       "\n".join(x.dump() for x in got))
                r = submit(b, "dave@example.com", ["a@outside.example", "b@outside.example"])
                tap.ok(deferred(r) and all(400 <= c < 500 for c in r.rcpt_codes.values()),
                       "the 4th message is deferred, each of its RCPTs (%s)" % r.rcpt_codes, r.dump())

            @tap.case("item 8: logins in any case share one counter")
            def _():
                got = [submit(a, u) for u in ("erin@example.com", "Erin@example.com", "ERIN@example.com")]
                tap.ok(all(r.accepted for r in got), "erin@, Erin@, ERIN@: one message each accepted",
                       "\n".join(r.dump() for r in got))
                for u in ("Erin@example.com", "ERIN@example.com"):
                    r = submit(b, u)
                    tap.ok(deferred(r), "%s's next message deferred: one counter (%s)" % (u, r.code),
                           r.dump())

            @tap.case("item 9: messages to <postmaster> are counted")
            def _():
                # Postfix never submits a bare <postmaster> to the recipient
                # restrictions (RFC 5321 4.5.1); the shipped snippets ask
                # policyd at DATA too, where it counts what no RCPT did.
                tap.like(a.postconf_master_get("submission", "smtpd_data_restrictions"),
                         r"\$relayscreen_policy_check", "the merged snippets ask policyd at DATA")
                mark = a.daemon_log_mark("policyd")
                got = [submit(a, "hank@example.com", ["postmaster"]) for _ in range(3)]
                tap.ok(all(r.accepted for r in got), "shipped wiring: 3 messages to <postmaster> accepted",
                       "\n".join(r.dump() for r in got))
                r = submit(a, "hank@example.com", ["postmaster"])
                tap.ok(deferred(r) and r.stage == "data" and r.code == 450 and r.text.startswith("4.7.1"),
                       "the 4th to <postmaster> is deferred at DATA (%s %s)" % (r.code, r.text), r.dump())
                tap.like(a.daemon_log("policyd", mark), r"reason=rate_user_messages listener=submission state=DATA",
                         "policyd counted it at DATA")
                r = submit(a, "ivan@example.com", ["postmaster", "x@outside.example", "y@outside.example"])
                tap.ok(r.accepted, "a message to <postmaster> and 2 others: accepted", r.dump())
                got = [submit(a, "ivan@example.com") for _ in range(3)]
                tap.is_eq([x.accepted for x in got], [True, True, False],
                          "it counted once: 2 more messages pass, the 3rd is deferred")
                # BDAT (CHUNKING, as Exchange sends): Postfix asks at DATA too
                got = [a.send("submission", sender="judy@example.com", rcpts=["postmaster"], starttls=True,
                              auth=("judy@example.com", PW), bdat=True) for _ in range(4)]
                tap.ok("chunking" in got[0].features_tls, "CHUNKING offered")
                tap.is_eq([(x.stage, x.code) for x in got], [("bdat", 250)] * 3 + [("bdat", 450)],
                          "with BDAT: 3 messages to <postmaster> accepted, the 4th deferred",
                          "\n".join(x.dump() for x in got))
                # Without the DATA hook they pass uncounted.
                a.postconf_master("submission", {"smtpd_data_restrictions": ""})
                got = [submit(a, "frank@example.com", ["postmaster"]) for _ in range(4)]
                tap.ok(all(r.accepted for r in got),
                       "DATA hook taken out (RCPT only): 4 messages to <postmaster> pass uncounted",
                       "\n".join(r.dump() for r in got))

            for lab, name in ((a, "A"), (b, "B")):
                log = lab.daemon_log("policyd")
                tap.ok("Sanitizer" not in log and "runtime error" not in log,
                       "gateway %s: no sanitizer report from policyd" % name)
                tap.unlike(log, r"redis .*: unavailable", "gateway %s: Redis never unavailable" % name)
    finally:
        redis.kill()
    if not tap.failed():
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        tap.diag("redis files kept in %s" % tmp)
    tap.done()


if __name__ == "__main__":
    main()
