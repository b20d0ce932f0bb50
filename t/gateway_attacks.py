#!/usr/bin/env python3
"""gateway_attacks.py - protocol attacks on the gateway's listeners, through
the real Postfix (TAP).

One private Postfix built from postfix-snippets (lab.py), attacked with a
raw-socket client (lib/rawsmtp.py); every case asserts what arrived at the
Exchange and Internet captures:
  settings    the hardening settings of main.cf.gateway / master.cf.gateway
              reach the running Postfix (postconf -c DIR, postconf -P)
  smuggling   a body with a non-standard end-of-data (<LF>.<LF>,
              <CR><LF>.<LF>, <LF>.<CR><LF>, <CR>.<CR><LF>) followed by
              MAIL/RCPT/DATA and a forged second message, on all three
              listeners: never a second message; the first is delivered
              whole.  The captures end DATA at <LF>.<LF> too (like an old
              receiver), so a whole message at the Internet capture also
              shows the gateway does not pass the smuggling on.  With the
              pre-3.9 settings on the public listener the
              LF variants DO split (the attack works), and each of the two
              defences alone stops the forged message
  pipelining  commands before the greeting, after EHLO, after HELO, message
              text before DATA's 354: 554 and disconnect, nothing delivered;
              legal RFC 2920 pipelining (swaks --pipeline, a group after the
              end of DATA) still delivers
  commands    VRFY refused, MAIL before HELO refused, unlisted recipients
              of a hosted domain refused once relay_recipient_maps is set
  TLS         submission: TLS 1.1 and non-"high" ciphers refused, TLS 1.2
              and 1.3 accepted (TLS 1.1 accepted with the old floor); the
              public listener stays opportunistic
  AUTH        tarpit (soft/hard error limits, error sleep) and the AUTH rate
              limit; connection, message and concurrency limits (anvil);
              $mynetworks is exempt from them
Needs root (else skipped).  About two minutes, most of it tarpit delays.
"""
import base64
import shutil
import ssl
import subprocess
import time
import uuid
import warnings

import tap
from hardening import MAIN, LISTENER
from lab import Lab, USERS, require_lab
from rawsmtp import RawSMTP

require_lab()

ALICE = "alice@example.com"
ALICE_PW = USERS[ALICE]
EXCHANGE_IP = "127.0.0.5"          # plays the Exchange host (internal listener)
HOST = "127.0.0.1"
# Variants of a non-standard end-of-data: the body of the probe ends with
# one of them, then the smuggled transaction follows.
EODS = (b"\n.\n", b"\r\n.\n", b"\n.\r\n", b"\r.\r\n")
# Which of them Postfix < 3.9's default (smtpd_forbid_bare_newline = no)
# takes as the end of DATA: every one with a bare <LF>.  A bare <CR> was
# never a line end for Postfix.
SPLIT_BEFORE = (b"\n.\n", b"\r\n.\n", b"\n.\r\n")

def token():
    return uuid.uuid4().hex


def carrying(lab, tok):
    """Messages at either capture whose bytes contain TOK, as
    [(capture name, message)]."""
    return [(c.name, m) for c in (lab.exchange, lab.internet) for m in c.find(tok)]


def settle(lab, want=0, toks=(), timeout=15):
    """Wait until the queue is empty and, when WANT > 0, until WANT
    messages carrying one of TOKS arrived; then a little longer, so that a
    message that should NOT arrive has had every chance to."""
    end = time.monotonic() + timeout
    lab.wait_queue_empty(timeout)
    while want and time.monotonic() < end:
        if len({m.path for t in toks for _, m in carrying(lab, t)}) >= want:
            break
        time.sleep(0.2)
    time.sleep(1.0)


def connect(lab, listener, source=None, helo=True):
    """A RawSMTP to LISTENER after its greeting (and EHLO); on submission
    also STARTTLS and AUTH as alice."""
    c = RawSMTP(*lab.address(listener), source=source)
    c.reply()
    if helo:
        c.cmd("EHLO client.test")
    if listener == "submission":
        c.cmd("STARTTLS")
        c.starttls(lab.tls_context())
        c.cmd("EHLO client.test")
        blob = ("\0%s\0%s" % (ALICE, ALICE_PW)).encode()
        c.cmd("AUTH PLAIN " + base64.b64encode(blob).decode())
    return c


def smuggle(lab, listener, eod, rcpt, source=None):
    """Send the smuggling probe.  Returns (client, first token, smuggled
    token, replies after the probe body).  The body goes out in one write,
    as a relaying MTA would send it."""
    t1, t2 = token(), token()
    c = connect(lab, listener, source=source)
    for line in ("MAIL FROM:<someone@sender.test>", "RCPT TO:<%s>" % rcpt, "DATA"):
        c.cmd(line)
    body = (b"From: someone@sender.test\r\nTo: %s\r\nSubject: quarterly figures\r\n"
            b"X-Lab-Token: %s\r\n\r\nFirst part of the honest message.\r\nlast honest line"
            % (rcpt.encode(), t1.encode()))
    smuggled = (b"MAIL FROM:<ceo@example.com>\r\nRCPT TO:<%s>\r\nDATA\r\n"
                b"From: CEO <ceo@example.com>\r\nTo: %s\r\nSubject: urgent wire transfer\r\n"
                b"X-Lab-Token: %s\r\n\r\nPlease wire the money today.\r\n.\r\n"
                % (rcpt.encode(), rcpt.encode(), t2.encode()))
    # QUIT pipelined after the final end-of-data (legal), so that the
    # server's replies end with its 221 and the hang-up
    c.send(body + eod + smuggled + b"QUIT\r\n")
    got = c.drain(15)
    c.close()
    return c, t1, t2, got


def check_not_split(lab, listener, eod, rcpt, capture, source=None, label=""):
    """The probe yields at most one message, and that one is whole."""
    c, t1, t2, got = smuggle(lab, listener, eod, rcpt, source)
    queued = [r for r in got if r.code == 250 and "queued as" in r.text]
    settle(lab, 1 if queued else 0, (t1, t2))
    first, forged = carrying(lab, t1), carrying(lab, t2)
    every = {m.path: (n, m) for n, m in first + forged}
    what = "%s %s%r" % (listener, label, eod)
    detail = c.dump() + "\n" + "\n".join(repr(r) for r in got)
    tap.ok(len(every) <= 1, "%s: no second message at either capture (%d)" % (what, len(every)), detail)
    tap.ok(all(m.mail_from != "ceo@example.com" for _, m in every.values()),
           "%s: nothing with the forged envelope sender" % what)
    tap.ok(len(queued) <= 1, "%s: at most one 'queued as' reply" % what, detail)
    if every:
        name, m = next(iter(every.values()))
        tap.is_eq(name, capture, "%s: delivered to the %s capture" % (what, capture))
        whole = (t1.encode() in m.data and b"last honest line" in m.data
                 and b"Please wire the money today." in m.data)
        tap.ok(whole, "%s: the first message arrived whole (the smuggled text is its body)" % what,
               m.data.decode("utf-8", "replace")[-800:])
    else:
        tap.ok(not queued and any(r.code >= 400 for r in got),
               "%s: or it was refused" % what, detail)


def reset_listener(lab, listener, names):
    """Drop the -o overrides NAMES from LISTENER again, and reload."""
    svc = "%s:%d/inet" % lab.address(listener)
    for n in names:
        subprocess.run(["postconf", "-c", lab.etc, "-PX", "%s/%s" % (svc, n)], check=True)
    lab.reload()


def tls_client(lab, version=None, ciphers=None):
    """An ssl context limited to one VERSION (ssl.TLSVersion) and CIPHERS;
    SECLEVEL 0 so that Debian's OpenSSL 3 will offer TLS 1.1 at all."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx = lab.tls_context()
        if version is not None:
            ctx.minimum_version = version
            ctx.maximum_version = version
        ctx.set_ciphers((ciphers or "DEFAULT") + ":@SECLEVEL=0")
    return ctx


def try_tls(lab, listener, ctx, source=None):
    """STARTTLS on LISTENER with CTX: (protocol, cipher) or the SSL error."""
    c = RawSMTP(*lab.address(listener), source=source)
    try:
        c.reply()
        c.cmd("EHLO client.test")
        r = c.cmd("STARTTLS")
        if not r or r.code != 220:
            return None, "STARTTLS: %r" % (r,)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            version, cipher = c.starttls(ctx)
        ehlo = c.cmd("EHLO client.test")
        return (version, cipher[0]), ehlo.text if ehlo else "no EHLO reply"
    except (ssl.SSLError, OSError) as e:
        return None, "%s: %s" % (type(e).__name__, e)
    finally:
        c.close()


def refused_sync(c, what, toks=()):
    """C's server answered 554 5.5.0 (protocol synchronization) and hung up."""
    got = c.drain(10)
    tap.ok(any(r.code == 554 and "synchronization" in r.text for r in got),
           "%s: 554 SMTP protocol synchronization" % what, c.dump())
    tap.ok(c.closed(5), "%s: connection closed" % what)
    tap.ok(not any(r.code == 250 and "queued as" in r.text for r in got), "%s: nothing queued" % what)
    c.close()
    return got


def auth_blob(user, password):
    return base64.b64encode(("\0%s\0%s" % (user, password)).encode()).decode()


def submission_tls(lab, source):
    """A RawSMTP on submission after STARTTLS and the second EHLO."""
    c = RawSMTP(*lab.address("submission"), source=source)
    c.reply()
    c.cmd("EHLO client.test")
    c.cmd("STARTTLS")
    c.starttls(lab.tls_context())
    c.cmd("EHLO client.test")
    return c


def greet_codes(lab, listener, source, n):
    """Open and close N connections from SOURCE; their greeting codes."""
    codes = []
    for _ in range(n):
        with RawSMTP(*lab.address(listener), source=source) as c:
            r = c.reply(10)
            codes.append(r.code if r else None)
    return codes


with Lab(internal_clients=(EXCHANGE_IP,)) as lab:

    @tap.case("the hardening settings reach the running Postfix")
    def _():
        for k, v in MAIN.items():
            tap.is_eq(lab.postconf_get(k), v, "main.cf: %s = %s" % (k, v))
        for listener, settings in LISTENER.items():
            for k, v in settings.items():
                tap.is_eq(lab.postconf_master_get(listener, k), v, "%s: -o %s=%s" % (listener, k, v))
        anvil = subprocess.run(["postconf", "-c", lab.etc, "-M", "anvil/unix"], stdout=subprocess.PIPE,
                               text=True).stdout
        tap.like(anvil, r"(?m)^anvil\s+unix\s.*\banvil\s*$", "master.cf runs the anvil service the limits need")

    @tap.case("smuggling: never a second message (shipped settings)")
    def _():
        for eod in EODS:
            check_not_split(lab, "public", eod, "user@example.com", "exchange")
        for eod in EODS:
            check_not_split(lab, "submission", eod, "friend@aol.com", "internet")
        for eod in EODS:
            check_not_split(lab, "internal", eod, "friend@aol.com", "internet", source=EXCHANGE_IP)

    @tap.case("smuggling: the probe splits with the pre-3.9 settings (fails before)")
    def _():
        old = {"smtpd_forbid_bare_newline": "no", "smtpd_forbid_unauth_pipelining": "no"}
        lab.postconf_master("public", old)
        try:
            for eod in EODS:
                c, t1, t2, got = smuggle(lab, "public", eod, "user@example.com")
                split = eod in SPLIT_BEFORE
                settle(lab, 2 if split else 1, (t1, t2))
                first, forged = carrying(lab, t1), carrying(lab, t2)
                if split:
                    tap.ok(len(forged) == 1 and forged[0][1].mail_from == "ceo@example.com"
                           and t1.encode() not in forged[0][1].data,
                           "old settings, %r: the forged message from ceo@example.com arrives on its own" % eod,
                           c.dump())
                    tap.ok(len(first) == 1 and b"Please wire" not in first[0][1].data,
                           "old settings, %r: and the first one is cut at the fake end" % eod)
                else:
                    tap.ok(len({m.path for _, m in first + forged}) == 1,
                           "old settings, %r: no split even so (a bare CR never ended a line)" % eod)
        finally:
            reset_listener(lab, "public", old)

    @tap.case("smuggling: each defence alone stops the forged message")
    def _():
        names = ("smtpd_forbid_bare_newline", "smtpd_forbid_unauth_pipelining")
        lab.postconf_master("public", {names[0]: "normalize", names[1]: "no"})
        try:
            for eod in SPLIT_BEFORE:
                check_not_split(lab, "public", eod, "user@example.com", "exchange",
                                label="bare-newline defence alone, ")
            lab.postconf_master("public", {names[0]: "no", names[1]: "yes"})
            for eod in SPLIT_BEFORE:
                c, t1, t2, got = smuggle(lab, "public", eod, "user@example.com")
                settle(lab, 1, (t1,))
                tap.is_eq(carrying(lab, t2), [], "pipelining defence alone, %r: no forged message" % eod)
                tap.ok(any(r.code == 554 and "synchronization" in r.text for r in got),
                       "pipelining defence alone, %r: the smuggled DATA is refused (554)" % eod, c.dump())
        finally:
            reset_listener(lab, "public", names)

    @tap.case("unauthorised pipelining: refused, connection closed")
    def _():
        tok = token()
        msg = "Subject: pipelined\r\nX-Lab-Token: %s\r\n\r\nhello\r\n.\r\n" % tok
        group = "MAIL FROM:<bot@sender.test>\r\nRCPT TO:<user@example.com>\r\nDATA\r\n"
        c = RawSMTP(*lab.address("public"))
        c.send("EHLO bot.test\r\n" + group + msg + "QUIT\r\n")          # before the greeting
        got = refused_sync(c, "everything before the greeting")
        tap.ok(not any(r.code == 220 for r in got), "before the greeting: not even a 220 greeting")
        c = RawSMTP(*lab.address("public"))
        c.reply()
        c.send("EHLO bot.test\r\n" + group)                              # EHLO must end a group
        refused_sync(c, "MAIL pipelined after EHLO")
        c = RawSMTP(*lab.address("public"))
        c.reply()
        c.cmd("HELO bot.test")                                            # no PIPELINING offered
        c.send("MAIL FROM:<bot@sender.test>\r\nRCPT TO:<user@example.com>\r\n")
        refused_sync(c, "MAIL+RCPT pipelined after HELO")
        c = connect(lab, "public")
        c.send(group + msg)                                               # text before DATA's 354
        refused_sync(c, "message text before the reply to DATA")
        c = connect(lab, "submission")
        c.send(group.replace("user@example.com", "friend@aol.com") + msg)
        refused_sync(c, "submission: message text before the reply to DATA")
        settle(lab)
        tap.is_eq(carrying(lab, tok), [], "none of these delivered anything")

    @tap.case("legal RFC 2920 pipelining still delivers")
    def _():
        tok = token()
        p = subprocess.run(["swaks", "--server", HOST, "--port", str(lab.address("public")[1]),
                            "--helo", "client.test", "--from", "someone@sender.test",
                            "--to", "user@example.com", "--pipeline", "--header", "X-Lab-Token: " + tok],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60) \
            if shutil.which("swaks") else None
        if p is None:
            tap.skip("swaks not installed", "swaks --pipeline")
        else:
            tap.is_eq(p.returncode, 0, "swaks --pipeline: exit 0", p.stdout[-2000:])
            tap.like(p.stdout, r"-> MAIL FROM:.*\n\s*-> RCPT TO:.*\n\s*-> DATA",
                     "swaks sent MAIL, RCPT and DATA as one group")
            settle(lab, 1, (tok,))
            tap.is_eq([n for n, _ in carrying(lab, tok)], ["exchange"], "and the message arrived at Exchange")
        t1, t2 = token(), token()
        c = connect(lab, "public")
        group = "MAIL FROM:<someone@sender.test>\r\nRCPT TO:<user@example.com>\r\nDATA\r\n"
        c.send(group)
        first = c.replies(3)
        c.send("Subject: one\r\nX-Lab-Token: %s\r\n\r\none\r\n.\r\n%s" % (t1, group))
        second = c.replies(4)
        c.send("Subject: two\r\nX-Lab-Token: %s\r\n\r\ntwo\r\n.\r\nQUIT\r\n" % t2)
        last = c.drain(5)
        c.close()
        tap.is_eq([r.code for r in first + second + last], [250, 250, 354, 250, 250, 250, 354, 250, 221],
                  "raw client: a group after the end of DATA is legal and answered", c.dump())
        settle(lab, 2, (t1, t2))
        tap.ok(len(carrying(lab, t1)) == 1 and len(carrying(lab, t2)) == 1, "both messages arrived")

    @tap.case("VRFY refused, HELO required")
    def _():
        for listener, source in (("public", None), ("internal", EXCHANGE_IP)):
            with RawSMTP(*lab.address(listener), source=source) as c:
                c.reply()
                r = c.cmd("MAIL FROM:<someone@sender.test>")
                tap.ok(r and r.code == 503 and "HELO" in r.text, "%s: MAIL before HELO refused (503)" % listener,
                       c.dump())
                c.cmd("EHLO client.test")
                r = c.cmd("VRFY user@example.com")
                tap.ok(r and r.code == 502, "%s: VRFY refused (502)" % listener, c.dump())
        c = submission_tls(lab, None)
        tap.unlike(c.dump(), r"250[ -]VRFY", "submission: VRFY not even announced")
        r = c.cmd("VRFY alice@example.com")
        tap.ok(r and r.code == 502, "submission: VRFY refused (502)", c.dump())
        c.close()
        lab.postconf_master("public", {"disable_vrfy_command": "no", "smtpd_helo_required": "no"})
        try:
            with RawSMTP(*lab.address("public")) as c:
                c.reply()
                r = c.cmd("MAIL FROM:<someone@sender.test>")
                tap.is_eq(r and r.code, 250, "Postfix's defaults: MAIL without HELO would be accepted")
                c.cmd("RSET")
                r = c.cmd("VRFY user@example.com")
                tap.ok(r and r.code in (250, 252), "Postfix's defaults: VRFY would answer (%s)"
                       % (r and r.code))
        finally:
            reset_listener(lab, "public", ("disable_vrfy_command", "smtpd_helo_required"))

    @tap.case("recipient validation once relay_recipient_maps is set")
    def _():
        lab.postconf({"relay_recipient_maps": "inline:{ user@example.com=OK, postmaster@example.net=OK }"})
        try:
            r = lab.send("public", rcpts=["nosuchuser@example.com"])
            tap.ok(not r.accepted and r.rcpt_codes.get("nosuchuser@example.com") == 550,
                   "public: unlisted recipient of a hosted domain refused at RCPT (550)", r.dump())
            tap.like(r.text, r"User unknown in relay recipient table", "... as unknown in the relay recipient table")
            r2 = lab.send("public", rcpts=["user@example.com"])
            tap.ok(r2.accepted, "public: a listed recipient is accepted", r2.dump())
            r3 = lab.send("submission", sender=ALICE, rcpts=["nosuchuser@example.com"], starttls=True,
                          auth=(ALICE, ALICE_PW))
            tap.ok(not r3.accepted and r3.rcpt_codes.get("nosuchuser@example.com") == 550,
                   "submission: refused even for an authenticated user (no backscatter)", r3.dump())
            settle(lab, 1, (r2.token,))
            tap.is_eq([n for n, _ in carrying(lab, r2.token)], ["exchange"], "the listed one reached Exchange")
            tap.is_eq(carrying(lab, r.token) + carrying(lab, r3.token), [], "the unlisted ones went nowhere")
        finally:
            lab.postconf({"relay_recipient_maps": ""})

    @tap.case("submission: TLS floor")
    def _():
        medium = subprocess.run(["openssl", "ciphers", "MEDIUM:LOW:@SECLEVEL=0"], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        if medium.returncode != 0:
            tap.diag("this OpenSSL has no MEDIUM or LOW ciphers: the only non-\"high\" ciphers a client "
                     "can offer are the NULL-encryption ones")
        v11 = tls_client(lab, ssl.TLSVersion.TLSv1_1)
        mark = lab.log_mark()
        got, why = try_tls(lab, "submission", v11)
        tap.is_eq(got, None, "TLS 1.1 refused", why)
        tap.ok(lab.wait_log(r"submission/smtpd.*unsupported protocol", since=mark),
               "... by the server (log: unsupported protocol)")
        mark = lab.log_mark()
        got, why = try_tls(lab, "submission", tls_client(lab, ssl.TLSVersion.TLSv1_2, "eNULL"))
        tap.is_eq(got, None, "only non-high (NULL) ciphers offered: refused", why)
        tap.ok(lab.wait_log(r"submission/smtpd.*no shared cipher", since=mark),
               "... by the server (log: no shared cipher)")
        got, why = try_tls(lab, "submission", tls_client(lab, ssl.TLSVersion.TLSv1_2))
        tap.ok(got and got[0] == "TLSv1.2", "TLS 1.2 accepted: %s" % (got,), why)
        tap.like(why, r"AUTH PLAIN", "and AUTH is offered inside it")
        got, why = try_tls(lab, "submission", tls_client(lab, ssl.TLSVersion.TLSv1_3))
        tap.ok(got and got[0] == "TLSv1.3", "TLS 1.3 accepted: %s" % (got,), why)
        got, why = try_tls(lab, "public", v11)
        tap.ok(got and got[0] == "TLSv1.1",
               "public: TLS 1.1 still accepted (opportunistic: better than plaintext)", why)
        got, why = try_tls(lab, "public", tls_client(lab, ssl.TLSVersion.TLSv1_3))
        tap.ok(got and got[0] == "TLSv1.3", "public: TLS 1.3 accepted", why)
        r = lab.send("public", starttls=True, tls_max=ssl.TLSVersion.TLSv1_2)
        tap.ok(r.accepted, "public: mail over STARTTLS still accepted", r.dump())
        lab.postconf_master("submission", {"smtpd_tls_mandatory_protocols": ">=TLSv1"})
        try:
            got, why = try_tls(lab, "submission", v11)
            tap.ok(got and got[0] == "TLSv1.1", "with Postfix 3.7's default floor TLS 1.1 got in (fails before)",
                   why)
        finally:
            lab.postconf_master("submission", {"smtpd_tls_mandatory_protocols":
                                               LISTENER["submission"]["smtpd_tls_mandatory_protocols"]})
        got, why = try_tls(lab, "submission", v11)
        tap.is_eq(got, None, "floor restored: TLS 1.1 refused again", why)

    @tap.case("submission: AUTH tarpit")
    def _():
        c = submission_tls(lab, "127.0.0.31")
        bad = auth_blob(ALICE, "guess-%d")
        got = [c.cmd("AUTH PLAIN " + bad, timeout=30) for _ in range(5)]
        tap.ok(all(r and r.code == 535 for r in got), "five wrong passwords: 535 each", c.dump())
        times = [round(r.elapsed, 1) for r in got if r]
        tap.ok(len(times) == 5 and all(t < 2.5 for t in times[:3]), "the first three answered at once: %s" % times)
        tap.ok(len(times) == 5 and all(t >= 4.5 for t in times[3:]),
               "after the 3rd error each reply waits smtpd_error_sleep_time (5s): %s" % times)
        r = c.cmd("AUTH PLAIN " + auth_blob(ALICE, ALICE_PW), timeout=30)
        tap.ok(r and r.code == 421 and "too many errors" in r.text,
               "after the 5th error: 421 too many errors, even for the right password", c.dump())
        tap.ok(c.closed(5), "and the connection is closed")
        c.close()

    @tap.case("submission: AUTH rate limit per client")
    def _():
        bad = auth_blob(ALICE, "wrong")
        codes = []
        for _ in range(5):
            c = submission_tls(lab, "127.0.0.32")
            codes += [r.code if r else None for r in (c.cmd("AUTH PLAIN " + bad), c.cmd("AUTH PLAIN " + bad))]
            c.close()
        tap.is_eq(codes, [535] * 10, "ten wrong passwords over five connections: 535 each")
        c = submission_tls(lab, "127.0.0.32")
        r = c.cmd("AUTH PLAIN " + auth_blob(ALICE, ALICE_PW))
        tap.ok(r and r.code == 450 and "too many AUTH commands" in r.text,
               "the 11th AUTH within the minute: 450 too many AUTH commands (even with the right password)",
               c.dump())
        c.close()
        c = submission_tls(lab, "127.0.0.37")
        r = c.cmd("AUTH PLAIN " + auth_blob(ALICE, ALICE_PW))
        tap.is_eq(r and r.code, 235, "another client is not affected")
        c.close()
        codes = []
        for _ in range(6):
            c = submission_tls(lab, HOST)
            codes += [r.code if r else None for r in (c.cmd("AUTH PLAIN " + bad), c.cmd("AUTH PLAIN " + bad))]
            c.close()
        c = submission_tls(lab, HOST)
        r = c.cmd("AUTH PLAIN " + auth_blob(ALICE, ALICE_PW))
        tap.ok(codes == [535] * 12 and r and r.code == 235, "a client in $mynetworks is exempt (12 fails, then 235)",
               "%s %r" % (codes, r))
        c.close()
        tap.ok(lab.wait_log(r"AUTH command rate limit exceeded: 11 from \S+\[127\.0\.0\.32\]"),
               "the log names the client over the limit")

    @tap.case("connection, message and concurrency limits (anvil)")
    def _():
        codes = greet_codes(lab, "public", "127.0.0.33", 61)
        tap.ok(codes[:60] == [220] * 60 and codes[60] == 421,
               "public: 60 connections a minute from one client, the 61st gets 421", codes)
        tap.is_eq(greet_codes(lab, "public", "127.0.0.38", 1), [220], "public: another client still gets in")
        codes = greet_codes(lab, "public", HOST, 65)
        tap.is_eq(codes, [220] * 65, "public: a client in $mynetworks is exempt")
        codes = greet_codes(lab, "submission", "127.0.0.36", 31)
        tap.ok(codes[:30] == [220] * 30 and codes[30] == 421,
               "submission: 30 connections a minute, the 31st gets 421", codes)
        mails = []
        for _ in range(5):
            with RawSMTP(*lab.address("public"), source="127.0.0.34") as c:
                c.reply()
                c.cmd("EHLO client.test")
                for _ in range(25):
                    r = c.cmd("MAIL FROM:<someone@sender.test>")
                    mails.append(r.code if r else None)
                    c.cmd("RSET")
        tap.ok(mails[:120] == [250] * 120 and set(mails[120:]) == {450},
               "public: 120 MAIL transactions a minute, then 450", mails)
        held = []
        try:
            for _ in range(21):
                c = RawSMTP(*lab.address("public"), source="127.0.0.35")
                held.append(c)
                r = c.reply(10)
                c.code = r.code if r else None
            codes = [c.code for c in held]
            tap.ok(codes[:20] == [220] * 20 and codes[20] == 421,
                   "public: 20 simultaneous connections from one client, the 21st gets 421", codes)
        finally:
            for c in held:
                c.close()
        log = lab.log()
        tap.like(log, r"Connection rate limit exceeded: 61 from \S+\[127\.0\.0\.33\]", "logged: connection rate")
        tap.like(log, r"Message delivery request rate limit exceeded: 121 from \S+\[127\.0\.0\.34\]",
                 "logged: message rate")
        tap.like(log, r"Connection concurrency limit exceeded: 21 from \S+\[127\.0\.0\.35\]",
                 "logged: concurrency")

tap.done()
