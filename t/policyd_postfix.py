#!/usr/bin/env python3
"""policyd_postfix.py - policyd behind a real Postfix (t/lib/lab.py), TAP.

Each behaviour is checked twice where Postfix has its own guard in front
of policyd: once in the shipped wiring (the product as deployed), and once
with the listener's own restrictions replaced by the policy check alone,
so the refusal provably comes from policyd (its reason is in its log).

  1. public: hosted domains reach the Exchange capture, outside domains
     are refused ("Unable to relay");
  2. routing in recipient addresses, with senders <>, hosted, outside:
     refused, and nothing arrives anywhere;
  3. submission: no TLS / AUTH without TLS refused; a cipher below
     min_cipher_bits refused; TLS+AUTH relays anywhere; another user's
     MAIL FROM refused (sender_login = "match");
  4. internal: the listed client relays out, another client cannot;
  6. a user over the rate limit gets a 4xx, other users are unaffected;
  5. policyd stopped: Postfix defers with a 4xx, nothing is relayed;
  7. the shipped conf/policyd.conf (its sasl_user limits lowered to
     messages = 2, recipients = 6) behind the shipped snippets: a
     5-recipient message is 1 message and 5 recipients (accepted, not
     counted again at DATA), and the 3rd message to a bare <postmaster>,
     which only the DATA hook sees, is deferred at DATA (450 4.7.1).
"""
import os
import re
import shutil
import signal
import smtplib
import tempfile
import time
import uuid

import tap
from lab import Lab, SECOND_PORTS, USERS, require_lab, srcdir

require_lab()

POLICY = "check_policy_service,inet:127.0.0.1:10040"

CONF = """
policyd = { listen = "@LISTEN@"; };
hosted_domains = [ "example.com", "example.net" ];
rate_limits = { window = 3600; sasl_user = { messages = 3; recipients = 100; }; };
listeners = {
  public     = { relay = "hosted"; auth = "deny"; };
  submission = { relay = "authenticated"; auth = "require"; tls = "require";
                 min_cipher_bits = %(bits)d; min_tls_version = "TLSv1.2";
                 sender_login = "match"; };
  internal   = { relay = "anywhere"; clients = [ "127.0.0.1" ]; };
};
"""

USERS_RL = dict(USERS)
USERS_RL["carol@example.com"] = "carol-Secret-3"

ROUTED = [
    "user%outside.example@[127.0.0.1]",
    '"user@outside.example"',
    '"user%outside.example"',
    "user@outside.example@example.com",
    '"user@outside.example"@example.com',
    "@example.com:user@outside.example",
    "outside.example!user",
    "outside.example!user@example.com",
    "user%outside.example@example.com",
]
SENDERS = ["", "someone@example.com", "someone@sender.test"]


def raw_rcpt(lab, port, sender, rcpt, token):
    """MAIL FROM:<sender> RCPT TO:<rcpt> exactly as written (smtplib's
    quoting would rewrite these addresses).  Returns the RCPT code; when
    it is accepted, DATA is sent too, so a wrong acceptance shows up as a
    delivered message."""
    s = smtplib.SMTP(timeout=30)
    try:
        s.connect("127.0.0.1", port)
        s.ehlo("client.test")
        code, _ = s.docmd("MAIL FROM:<%s>" % sender)
        if code != 250:
            return code
        code, text = s.docmd("RCPT TO:<%s>" % rcpt)
        if code in (250, 251):
            s.docmd("DATA")
            s.send(("Subject: routed\r\nX-Lab-Token: %s\r\n\r\nbody\r\n.\r\n" % token).encode())
            s.getreply()
        return code
    finally:
        try:
            s.quit()
        except (OSError, smtplib.SMTPException):
            pass


def policyd_log(lab, mark):
    return lab.daemon_log("policyd", mark)


def policy_first(lab, listener, tail, extra=None):
    """Put policyd first in LISTENER's relay decision, ahead of TAIL
    (Postfix insists on a reachable reject there: its open relay safety
    net), so a refusal's text and policyd's log show that policyd made it."""
    settings = {"smtpd_relay_restrictions": POLICY + "," + tail,
                "smtpd_recipient_restrictions": "permit"}
    settings.update(extra or {})
    lab.postconf_master(listener, settings)


def restore(lab, listener, settings):
    # postconf -P takes no whitespace: lists with commas only
    lab.postconf_master(listener, {k: re.sub(r"[\s,]+", ",", v.strip()) for k, v in settings.items()})


def wait_token(capture, token, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        if capture.find(token):
            return True
        time.sleep(0.1)
    return False


def main():
    with Lab(policyd_conf=CONF % {"bits": 128}, users=USERS_RL) as lab:
        conf_path = os.path.join(lab.dir, "policyd.conf")
        orig = {}

        def save(listener, names):
            out = {}
            for n in names:
                out[n] = lab.postconf_master_get(listener, n)
            orig[listener] = out
            return out

        # 1. public relay rules -----------------------------------------
        @tap.case("public: hosted domains arrive at Exchange")
        def _():
            for rcpt in ("user@example.com", "someone@EXAMPLE.NET"):
                r = lab.send("public", rcpts=[rcpt])
                tap.ok(r.accepted, "public -> %s accepted" % rcpt, r.dump())
                tap.ok(wait_token(lab.exchange, r.token),
                       "public -> %s arrived at the Exchange capture" % rcpt)

        @tap.case("public: outside domains refused")
        def _():
            r = lab.send("public", rcpts=["user@outside.example"])
            tap.ok(not r.accepted and r.code and r.code >= 500,
                   "shipped wiring: outside recipient refused (%s %s)" % (r.code, r.text), r.dump())
            pub = save("public", ["smtpd_relay_restrictions", "smtpd_recipient_restrictions"])
            mark = lab.daemon_log_mark("policyd")
            policy_first(lab, "public", "reject_unauth_destination")
            r = lab.send("public", rcpts=["user@outside.example"])
            tap.ok(not r.accepted and r.code == 550 and "Unable to relay" in r.text,
                   "policy first: refused with \"Unable to relay\"", r.dump())
            tap.like(policyd_log(lab, mark), r"reason=relay_denied listener=public",
                     "policyd logged relay_denied")
            r = lab.send("public", rcpts=["user@example.com"])
            tap.ok(r.accepted, "policy first: hosted still accepted", r.dump())
            for name, rcpt in (("suffix", "user@example.com.outside.example"),
                               ("prefix", "user@xexample.com"),
                               ("subdomain", "user@mail.example.com")):
                r = lab.send("public", rcpts=[rcpt])
                tap.ok(not r.accepted and "Unable to relay" in r.text,
                       "policy first: hosted name as %s does not count (%s)" % (name, rcpt), r.dump())
            restore(lab, "public", pub)

        # 2. routing in recipients ----------------------------------------
        def routing_round(label):
            before_x, before_i = lab.exchange.count(), lab.internet.count()
            tokens = []
            for sender in SENDERS:
                for rcpt in ROUTED:
                    token = uuid.uuid4().hex
                    tokens.append(token)
                    code = raw_rcpt(lab, lab.address("public")[1], sender, rcpt, token)
                    tap.ok(code is not None and code >= 400,
                           "%s: <%s> from <%s> refused (%s)" % (label, rcpt, sender, code))
            lab.flush()
            time.sleep(1.5)
            lab.wait_queue_empty(10)
            leaked = [t for t in tokens if lab.exchange.find(t) or lab.internet.find(t)]
            tap.ok(not leaked and lab.exchange.count() == before_x and lab.internet.count() == before_i,
                   "%s: none of the %d routed recipients arrived anywhere" % (label, len(tokens)))

        @tap.case("routing recipients, shipped wiring")
        def _():
            routing_round("shipped")

        @tap.case("routing recipients, policy first")
        def _():
            pub = save("public", ["smtpd_relay_restrictions", "smtpd_recipient_restrictions"])
            mark = lab.daemon_log_mark("policyd")
            policy_first(lab, "public", "reject_unauth_destination")
            routing_round("policy first")
            log = policyd_log(lab, mark)
            tap.like(log, r"reason=recipient_routing", "policyd refused routing itself")
            restore(lab, "public", pub)

        # 3. submission ---------------------------------------------------
        @tap.case("submission: TLS + AUTH relays anywhere")
        def _():
            r = lab.send("submission", sender="alice@example.com", rcpts=["friend@outside.example"],
                         starttls=True, auth=("alice@example.com", USERS["alice@example.com"]))
            tap.ok(r.accepted, "alice over TLS with AUTH -> outside accepted", r.dump())
            tap.ok(wait_token(lab.internet, r.token), "arrived at the Internet capture")

        @tap.case("submission: sender login")
        def _():
            mark = lab.daemon_log_mark("policyd")
            r = lab.send("submission", sender="bob@example.com", rcpts=["friend@outside.example"],
                         starttls=True, auth=("alice@example.com", USERS["alice@example.com"]))
            tap.ok(not r.accepted and r.code == 553,
                   "alice using bob's address refused (%s %s)" % (r.code, r.text), r.dump())
            tap.like(policyd_log(lab, mark), r"reason=sender_login_mismatch",
                     "policyd logged sender_login_mismatch")

        @tap.case("submission: no TLS")
        def _():
            r = lab.send("submission", sender="alice@example.com", rcpts=["friend@outside.example"])
            tap.ok(not r.accepted and r.code and r.code >= 500,
                   "shipped wiring: no TLS refused (%s %s)" % (r.code, r.text), r.dump())
            r = lab.send("submission", sender="alice@example.com", rcpts=["friend@outside.example"],
                         auth=("alice@example.com", USERS["alice@example.com"]))
            tap.ok(not r.accepted, "shipped wiring: AUTH without TLS refused (%s %s)" % (r.code, r.text),
                   r.dump())

        @tap.case("submission: policyd refuses without TLS even if smtpd allows it")
        def _():
            sub = save("submission", ["smtpd_relay_restrictions", "smtpd_recipient_restrictions",
                                      "smtpd_tls_auth_only", "smtpd_tls_security_level",
                                      "smtpd_sender_restrictions"])
            mark = lab.daemon_log_mark("policyd")
            policy_first(lab, "submission", "permit_sasl_authenticated,reject", {"smtpd_tls_auth_only": "no",
                                            "smtpd_tls_security_level": "may",
                                            "smtpd_sender_restrictions": "permit"})
            r = lab.send("submission", sender="alice@example.com", rcpts=["friend@outside.example"])
            tap.ok(not r.accepted and r.code == 530,
                   "variant: no TLS, no AUTH refused by policyd (%s %s)" % (r.code, r.text), r.dump())
            r = lab.send("submission", sender="alice@example.com", rcpts=["friend@outside.example"],
                         auth=("alice@example.com", USERS["alice@example.com"]))
            tap.ok(r.reply("auth") and r.reply("auth")[0] == 235,
                   "variant: smtpd accepted AUTH without TLS (the misconfiguration)", r.dump())
            tap.ok(not r.accepted and r.code == 530,
                   "variant: AUTH without TLS refused by policyd (%s %s)" % (r.code, r.text), r.dump())
            log = policyd_log(lab, mark)
            tap.like(log, r"reason=tls_required", "policyd logged tls_required")
            tap.like(log, r"misconfiguration: AUTH without TLS.*reason=auth_without_tls",
                     "policyd logged AUTH without TLS as a misconfiguration")
            restore(lab, "submission", sub)

        def reload_policyd(bits):
            """Rewrite policyd.conf with min_cipher_bits = BITS, SIGHUP it,
            wait for the reload; returns the log mark taken before it."""
            with open(conf_path, "w") as f:
                f.write((CONF % {"bits": bits}).replace("@LISTEN@", "inet:127.0.0.1:%d" % lab.policy_port))
            mark = lab.daemon_log_mark("policyd")
            lab.signal_daemon("policyd", signal.SIGHUP)
            end = time.time() + 5
            while "reloaded" not in policyd_log(lab, mark) and time.time() < end:
                time.sleep(0.1)
            return mark

        @tap.case("submission: cipher below min_cipher_bits")
        def _():
            # OpenSSL 3 has no cipher under 128 bits left: make the listener
            # speak AES128 only and ask policyd for 256 bits.
            lab.set_weak_tls()
            mark = reload_policyd(256)
            r = lab.send("submission", sender="alice@example.com", rcpts=["friend@outside.example"],
                         starttls=True, auth=("alice@example.com", USERS["alice@example.com"]))
            tap.ok(r.cipher and r.cipher[2] == 128, "session cipher is 128-bit (%r)" % (r.cipher,))
            tap.ok(not r.accepted and r.code == 530 and "cipher" in r.text,
                   "128-bit cipher refused with min_cipher_bits = 256 (%s %s)" % (r.code, r.text), r.dump())
            tap.like(policyd_log(lab, mark), r"reason=cipher_too_weak", "policyd logged cipher_too_weak")
            reload_policyd(128)
            r = lab.send("submission", sender="alice@example.com", rcpts=["friend@outside.example"],
                         starttls=True, auth=("alice@example.com", USERS["alice@example.com"]))
            tap.ok(r.accepted, "same 128-bit session accepted with min_cipher_bits = 128", r.dump())

        # 4. internal -----------------------------------------------------
        @tap.case("internal: listed client relays out, others cannot")
        def _():
            r = lab.send("internal", sender="it@example.com", rcpts=["partner@outside.example"])
            tap.ok(r.accepted, "127.0.0.1 (listed) -> outside accepted", r.dump())
            tap.ok(wait_token(lab.internet, r.token), "arrived at the Internet capture")
            before = lab.internet.count()
            r = lab.send("internal", sender="it@example.com", rcpts=["partner@outside.example"],
                         source="127.0.0.9")
            tap.ok(not r.accepted, "127.0.0.9 (not listed) refused (%s %s)" % (r.code, r.text), r.dump())
            intl = save("internal", ["smtpd_relay_restrictions", "smtpd_recipient_restrictions",
                                     "smtpd_client_restrictions"])
            mark = lab.daemon_log_mark("policyd")
            policy_first(lab, "internal", "permit_mynetworks,reject", {"smtpd_client_restrictions": "permit"})
            r = lab.send("internal", sender="it@example.com", rcpts=["partner@outside.example"],
                         source="127.0.0.9")
            tap.ok(not r.accepted and r.code == 550,
                   "policy first: 127.0.0.9 refused by policyd (%s %s)" % (r.code, r.text), r.dump())
            tap.like(policyd_log(lab, mark), r"reason=client_not_allowed listener=internal",
                     "policyd logged client_not_allowed")
            restore(lab, "internal", intl)
            time.sleep(1)
            tap.is_eq(lab.internet.count(), before, "nothing from 127.0.0.9 arrived")

        # 6. rate limit ---------------------------------------------------
        @tap.case("rate limit per SASL user")
        def _():
            pw = USERS_RL["carol@example.com"]
            codes = []
            for i in range(4):
                r = lab.send("submission", sender="carol@example.com", rcpts=["x%d@outside.example" % i],
                             starttls=True, auth=("carol@example.com", pw))
                codes.append(r.code if not r.accepted else 250)
            tap.is_eq(codes[:3], [250, 250, 250], "carol's first 3 messages accepted")
            tap.ok(codes[3] in (450, 452), "carol's 4th message gets a 4xx (%s)" % codes[3])
            r = lab.send("submission", sender="bob@example.com", rcpts=["y@outside.example"],
                         starttls=True, auth=("bob@example.com", USERS["bob@example.com"]))
            tap.ok(r.accepted, "bob unaffected", r.dump())

        # 5. policyd stopped ----------------------------------------------
        @tap.case("policyd stopped: Postfix defers")
        def _():
            lab.wait_queue_empty(20)      # earlier mail still in flight
            time.sleep(0.5)
            bx, bi = lab.exchange.count(), lab.internet.count()
            lab.signal_daemon("policyd", signal.SIGTERM)
            time.sleep(1)
            r = lab.send("public", rcpts=["user@example.com"])
            tap.ok(not r.accepted and r.code and 400 <= r.code < 500,
                   "public -> hosted deferred with 4xx (%s %s)" % (r.code, r.text), r.dump())
            r = lab.send("internal", sender="it@example.com", rcpts=["partner@outside.example"])
            tap.ok(not r.accepted and r.code and 400 <= r.code < 500,
                   "internal -> outside deferred with 4xx (%s)" % r.code, r.dump())
            lab.flush()
            time.sleep(2)
            tap.ok(lab.exchange.count() == bx and lab.internet.count() == bi, "nothing relayed",
                   "exchange %d -> %d, internet %d -> %d" % (bx, lab.exchange.count(), bi, lab.internet.count()))

        log = lab.daemon_log("policyd")
        tap.ok("Sanitizer" not in log and "runtime error" not in log, "no sanitizer report from policyd")
        shipped()


def shipped_conf(d):
    """conf/policyd.conf and sender_logins as shipped, in D, but for the
    lab's policy port, the statistics file in D, the lab's Exchange host
    (127.0.0.1) and sasl_user limits low enough for the counts to show."""
    src = os.path.join(srcdir(), "conf")
    shutil.copy(os.path.join(src, "sender_logins"), d)
    with open(os.path.join(src, "policyd.conf")) as f:
        text = f.read()
    subs = ((r'listen = "inet:127\.0\.0\.1:10040";', 'listen = "inet:127.0.0.1:%d";' % SECOND_PORTS["policy"]),
            (r'"/run/relayscreen/policyd\.stats"', '"%s/policyd.stats"' % d),
            (r'clients = \[ "10\.1\.1\.25" \]', 'clients = [ "127.0.0.1" ]'),
            (r'sasl_user = \{ messages = 500; recipients = 2000; \};',
             'sasl_user = { messages = 2; recipients = 6; };'))
    for old, new in subs:
        text, n = re.subn(old, new, text)
        if n != 1:
            raise RuntimeError("conf/policyd.conf: %r not found once" % old)
    path = os.path.join(d, "policyd.conf")
    with open(path, "w") as f:
        f.write(text)
    os.chmod(d, 0o1777)          # the run user (relayscreen) writes the stats there
    return path


def shipped():
    """A second lab on SECOND_PORTS, run while the first one still holds
    the lab lock (another test would otherwise slip in between)."""
    d = tempfile.mkdtemp(prefix="policyd_shipped.")
    try:
        with Lab(policyd_conf=shipped_conf(d), ports=SECOND_PORTS, policy_port=SECOND_PORTS["policy"],
                 held_lock=True) as lab:
            def send(user, rcpts):
                return lab.send("submission", sender=user, rcpts=rcpts, starttls=True, auth=(user, USERS[user]))

            @tap.case("shipped configuration: a 5-recipient message is 1 message, 5 recipients")
            def _():
                tap.like(lab.postconf_master_get("submission", "smtpd_data_restrictions"),
                         r"\$relayscreen_policy_check", "the shipped snippets ask policyd at DATA")
                mark = lab.daemon_log_mark("policyd")
                r = send("alice@example.com", ["r%d@outside.example" % i for i in range(5)])
                tap.ok(r.accepted and list(r.rcpt_codes.values()) == [250] * 5,
                       "5 recipients, one message: all accepted (limits 2 messages, 6 recipients)", r.dump())
                r = send("alice@example.com", ["s1@outside.example", "s2@outside.example"])
                tap.is_eq(list(r.rcpt_codes.values()), [250, 452],
                          "next message: the 6th recipient passes, the 7th is over (5 counted, not 10)", r.dump())
                tap.ok(r.accepted, "... and that message goes out to the one", r.dump())
                r = send("alice@example.com", ["t@outside.example"])
                tap.ok(not r.accepted and r.code == 450,
                       "a 3rd message: 450 (the 5-recipient one counted as one message) (%s %s)" % (r.code, r.text),
                       r.dump())
                log = lab.daemon_log("policyd", mark)
                tap.is_eq((log.count("reason=rate_user_recipients"), log.count("reason=rate_user_messages"),
                           log.count("state=DATA")), (1, 1, 0),
                          "policyd refused one recipient and one message, nothing at DATA", log)

            @tap.case("shipped configuration: messages to bare <postmaster> are counted")
            def _():
                mark = lab.daemon_log_mark("policyd")
                got = [send("bob@example.com", ["postmaster"]) for _ in range(2)]
                tap.ok(all(x.accepted for x in got), "2 messages to <postmaster> accepted (messages = 2)",
                       "\n".join(x.dump() for x in got))
                r = send("bob@example.com", ["postmaster"])
                tap.ok(not r.accepted and r.stage == "data" and r.code == 450 and r.text.startswith("4.7.1"),
                       "the 3rd is deferred at DATA, as the sender sees it: %s %s" % (r.code, r.text), r.dump())
                tap.like(lab.daemon_log("policyd", mark),
                         r"action=defer reason=rate_user_messages listener=submission state=DATA",
                         "policyd's log: over the message limit at DATA")
                r = lab.send("public", rcpts=["postmaster"])
                tap.ok(r.accepted, "anonymous <postmaster> on port 25 (no sasl_user key): accepted", r.dump())
            log = lab.daemon_log("policyd")
            tap.ok("Sanitizer" not in log and "runtime error" not in log, "shipped: no sanitizer report")
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
    tap.done()
