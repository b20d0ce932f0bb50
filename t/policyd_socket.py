#!/usr/bin/env python3
"""policyd_socket.py - policyd spoken to over its socket (TAP).

Starts policyd -f on a private loopback port with its own config and
checks the protocol handling: persistent connections, pipelining, many
concurrent connections, malformed input of every kind (closed without a
reply, while other connections keep working), half-written requests,
max_connections, -t, SIGHUP with a good and a broken config, the daemon
mode pidfile, a UNIX socket and SIGTERM.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SRC = os.environ.get("RS_SRCDIR", os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.environ.get("RS_BUILDDIR", SRC)
POLICYD = os.path.join(BUILD, "policyd", "policyd")


class Tap:
    """Minimal TAP producer (kept local: t/lib belongs to the harness)."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, diag=None):
        self.n += 1
        print("%s %d - %s" % ("ok" if cond else "not ok", self.n, name), flush=True)
        if not cond:
            self.failed += 1
            if diag is not None:
                for line in str(diag).splitlines():
                    print("#   " + line, flush=True)
        return cond

    def is_(self, got, want, name):
        return self.ok(got == want, name, "got:  %r\nwant: %r" % (got, want))

    def done(self):
        print("1..%d" % self.n, flush=True)
        return 1 if self.failed else 0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


CONF = """
policyd = {{ listen = "{listen}"; max_connections = {maxconn};
            request_timeout = 2; pidfile = "{pidfile}"; }};
hosted_domains = [ {domains} ];
listeners = {{
  public = {{ relay = "hosted"; auth = "deny"; }};
  internal = {{ relay = "anywhere"; clients = [ "10.1.1.25" ]; }};
}};
"""


def write_conf(path, listen, domains='"example.com"', maxconn=400, pidfile=""):
    with open(path, "w") as f:
        f.write(CONF.format(listen=listen, domains=domains, maxconn=maxconn,
                            pidfile=pidfile))


def request(rcpt, ctx="public", client="192.0.2.1", **extra):
    attrs = [("request", "smtpd_access_policy"), ("protocol_state", "RCPT"),
             ("protocol_name", "ESMTP"), ("client_address", client),
             ("client_name", "unknown"), ("helo_name", "client.example"),
             ("sender", "s@sender.example"), ("recipient", rcpt),
             ("recipient_count", "0"), ("queue_id", ""), ("instance", "1.2.3"),
             ("size", "0"), ("sasl_method", ""), ("sasl_username", ""),
             ("encryption_protocol", ""), ("encryption_keysize", "0"),
             ("policy_context", ctx)]
    attrs += list(extra.items())
    return "".join("%s=%s\n" % kv for kv in attrs).encode() + b"\n"


class Conn:
    def __init__(self, addr, family=socket.AF_INET):
        self.s = socket.socket(family, socket.SOCK_STREAM)
        self.s.settimeout(5)
        self.s.connect(addr)
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def reply(self, timeout=5):
        """One reply ("action=...\\n\\n") or None when the peer closed."""
        self.s.settimeout(timeout)
        while b"\n\n" not in self.buf:
            try:
                d = self.s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                return None
            if not d:
                return None
            self.buf += d
        r, self.buf = self.buf.split(b"\n\n", 1)
        return r.decode()

    def ask(self, rcpt, **kw):
        self.send(request(rcpt, **kw))
        return self.reply()

    def closed(self, timeout=5):
        """True when the server closed the connection without a reply."""
        self.s.settimeout(timeout)
        try:
            d = self.s.recv(65536)
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False
        return d == b"" and self.buf == b""

    def close(self):
        self.s.close()


class Policyd:
    def __init__(self, conf, log, args=("-f",)):
        self.log = log
        self.logf = open(log, "ab")
        self.proc = subprocess.Popen([POLICYD, "-c", conf] + list(args),
                                     stdout=self.logf, stderr=self.logf)

    def wait_listen(self, addr, family=socket.AF_INET):
        for _ in range(100):
            try:
                s = socket.socket(family, socket.SOCK_STREAM)
                s.connect(addr)
                s.close()
                return True
            except OSError:
                time.sleep(0.05)
        return False

    def logtext(self):
        with open(self.log, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_log(self, needle, timeout=5):
        end = time.time() + timeout
        while time.time() < end:
            if needle in self.logtext():
                return True
            time.sleep(0.05)
        return False

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.logf.close()
        return self.proc.returncode


def main():
    t = Tap()
    tmp = tempfile.mkdtemp(prefix="policyd_socket.")
    port = free_port()
    addr = ("127.0.0.1", port)
    conf = os.path.join(tmp, "policyd.conf")
    log = os.path.join(tmp, "policyd.log")
    write_conf(conf, "inet:127.0.0.1:%d" % port)

    # -t
    r = subprocess.run([POLICYD, "-t", "-c", conf], capture_output=True, text=True)
    t.is_(r.returncode, 0, "-t on a good config exits 0")
    example = os.path.join(SRC, "conf", "policyd.conf")
    r = subprocess.run([POLICYD, "-t", "-c", example], capture_output=True, text=True)
    t.is_(r.returncode, 0, "-t accepts the example conf/policyd.conf")
    bad = os.path.join(tmp, "bad.conf")
    with open(bad, "w") as f:
        f.write('policyd = { listen = "inet:127.0.0.1:1"; };\n'
                'listeners = { public = { relay = "sideways"; }; };\n')
    r = subprocess.run([POLICYD, "-t", "-c", bad], capture_output=True, text=True)
    t.is_(r.returncode, 1, "-t on a broken config exits 1")
    t.ok(bad + ":2:" in r.stderr, "-t names FILE:LINE", r.stderr)

    d = Policyd(conf, log)
    procs = [d]
    try:
        t.ok(d.wait_listen(addr), "policyd -f listens on its port")

        # Persistent connection reused for many requests.
        c = Conn(addr)
        answers = [c.ask("u%d@example.com" % i) for i in range(200)]
        t.ok(all(a == "action=DUNNO" for a in answers),
             "200 requests on one persistent connection all answered DUNNO")
        t.is_(c.ask("u@outside.example"),
              "action=550 5.7.1 Unable to relay for <u@outside.example>",
              "outside recipient refused on the same connection")
        t.is_(c.ask("u@example.com", ctx="nosuch"),
              "action=451 4.3.5 Policy configuration problem, try again later",
              "unknown listener deferred")
        t.ok(d.wait_log("reason=unknown_listener"), "unknown listener logged")

        # Pipelined requests in one write.
        c.send(request("a@example.com") + request("b@outside.example") +
               request("c@example.com"))
        t.is_([c.reply(), c.reply(), c.reply()],
              ["action=DUNNO", "action=550 5.7.1 Unable to relay for <b@outside.example>",
               "action=DUNNO"], "three pipelined requests answered in order")

        # Request written one byte at a time.
        data = request("slow@example.com")
        for i in range(len(data)):
            c.send(data[i:i + 1])
        t.is_(c.reply(), "action=DUNNO", "request written byte by byte answered")

        # Unknown attributes ignored; absent and empty alike.
        c.send(b"request=smtpd_access_policy\nprotocol_state=RCPT\n"
               b"policy_context=public\nrecipient=x@example.com\n"
               b"some_future_attribute=1\n\n")
        t.is_(c.reply(), "action=DUNNO", "minimal request with an unknown attribute")

        # Many connections at once.
        many = [Conn(addr) for _ in range(300)]
        for i, m in enumerate(many):
            m.send(request("m%d@example.com" % i))
        got = [m.reply() for m in many]
        t.ok(all(g == "action=DUNNO" for g in got),
             "300 concurrent connections answered",
             "%d answered" % sum(g == "action=DUNNO" for g in got))
        for m in many:
            m.send(request("again@outside.example"))
        got = [m.reply() for m in many]
        t.ok(all(g and g.startswith("action=550 ") for g in got),
             "300 concurrent connections reused")

        # Malformed input: closed without a reply; others unaffected.
        cases = [
            ("binary garbage", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" * 20 + b"\n\n"),
            ("line without =", b"hello policyd\n\n"),
            ("NUL in a value", b"request=smtpd_access_policy\nrecipient=a\0b@example.com\n\n"),
            ("no request=", b"protocol_state=RCPT\nrecipient=a@example.com\n\n"),
            ("wrong request type", b"request=junk\nrecipient=a@example.com\n\n"),
            ("over-long line", b"request=smtpd_access_policy\nsender=" + b"x" * 5000 + b"\n\n"),
            ("over-long line, no newline", b"y" * 40000),
            ("too many attributes",
             b"request=smtpd_access_policy\n" + b"a=1\n" * 200 + b"\n"),
            ("request too large",
             b"request=smtpd_access_policy\n" + (b"pad=" + b"p" * 4000 + b"\n") * 9 + b"\n"),
            ("empty request", b"\n"),
            ("duplicate attribute",
             b"request=smtpd_access_policy\nrecipient=a@example.com\n"
             b"recipient=b@outside.example\n\n"),
        ]
        for name, data in cases:
            bad = Conn(addr)
            try:
                bad.send(data)
            except (BrokenPipeError, ConnectionResetError):
                pass
            t.ok(bad.closed(), "%s: connection closed without a reply" % name)
            bad.close()
            t.is_(c.ask("ok@example.com"), "action=DUNNO",
                  "%s: other connection keeps working" % name)
        t.ok(d.wait_log("event=malformed reason=\"too many attributes\""),
             "malformed input logged with its reason")

        # A good request followed by garbage: the reply, then the close.
        g = Conn(addr)
        g.send(request("first@example.com") + b"garbage\n\n")
        t.is_(g.reply(), "action=DUNNO", "request before garbage still answered")
        t.ok(g.closed(), "then the connection is closed")
        g.close()

        # Half-written request, then the client goes away.
        h = Conn(addr)
        h.send(request("half@example.com")[:40])
        time.sleep(0.1)
        h.close()
        t.ok(d.wait_log("event=cut_off"), "request cut off mid-way is logged")
        t.is_(c.ask("ok@example.com"), "action=DUNNO", "server fine after a cut-off request")

        # Half-written request left hanging: others are served at once, and
        # the hanging one is closed after request_timeout (2s).
        h = Conn(addr)
        h.send(request("hang@example.com")[:60])
        t0 = time.time()
        t.is_(c.ask("ok@example.com"), "action=DUNNO", "served while a request hangs")
        t.ok(time.time() - t0 < 0.5, "without waiting for the hanging request")
        t.ok(h.closed(timeout=6), "hanging request closed after request_timeout")
        t.ok(d.wait_log("request not completed in time"), "timeout logged")
        h.close()

        # A client that never reads its replies cannot grow our buffers.
        nr = socket.socket()
        nr.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        nr.connect(addr)
        nr.setblocking(False)
        blob = request("flood@example.com") * 50
        sent = 0
        end = time.time() + 3
        while time.time() < end:
            try:
                sent += nr.send(blob)
            except BlockingIOError:
                time.sleep(0.01)
            except OSError:
                break
        t.is_(c.ask("ok@example.com"), "action=DUNNO",
              "served while a client floods requests and reads no replies")
        nr.close()

        # max_connections (400): open up to the limit, the next one is refused.
        for m in many:
            m.close()
        time.sleep(0.3)
        extra = [Conn(addr) for _ in range(398)]   # + c = 399
        last = Conn(addr)                          # 400th: accepted
        t.is_(last.ask("lim@example.com"), "action=DUNNO", "400th connection served")
        over = Conn(addr)
        t.ok(over.closed(), "401st connection closed (max_connections)")
        t.ok(d.wait_log("max_connections=400 reached"), "max_connections logged")
        for m in extra + [last, over]:
            m.close()
        time.sleep(0.3)

        # SIGHUP with a good config: new hosted domain applies.
        write_conf(conf, "inet:127.0.0.1:%d" % port, domains='"example.com", "example.org"')
        d.proc.send_signal(signal.SIGHUP)
        t.ok(d.wait_log("reloaded"), "SIGHUP reload logged")
        t.is_(c.ask("u@example.org"), "action=DUNNO", "reloaded rules apply on an open connection")

        # SIGHUP with a broken config keeps the old one.
        with open(conf, "w") as f:
            f.write("listeners = { public = { relay = ; }; };\n")
        d.proc.send_signal(signal.SIGHUP)
        t.ok(d.wait_log("keeping the old configuration"), "broken config on SIGHUP: kept old, logged")
        t.ok(conf + ":1:" in d.logtext(), "reload failure names FILE:LINE")
        t.is_(c.ask("u@example.org"), "action=DUNNO", "old rules still in force")
        t.is_(c.ask("u@outside.example"),
              "action=550 5.7.1 Unable to relay for <u@outside.example>",
              "old rules still refuse")
        t.ok(d.proc.poll() is None, "still running after the broken reload")
        c.close()

        rc = d.stop()
        t.is_(rc, 0, "SIGTERM: clean exit")
        t.ok("stopped" in d.logtext(), "stop logged")
        t.ok("Sanitizer" not in d.logtext() and "runtime error" not in d.logtext(),
             "no sanitizer report", d.logtext()[-3000:])

        # Daemon mode with a pidfile, on a UNIX socket.
        sock = os.path.join(tmp, "policyd.sock")
        pidfile = os.path.join(tmp, "policyd.pid")
        conf2 = os.path.join(tmp, "unix.conf")
        write_conf(conf2, "unix:" + sock, pidfile=pidfile)
        r = subprocess.run([POLICYD, "-c", conf2], capture_output=True, text=True)
        t.is_(r.returncode, 0, "daemon mode: parent exits 0")
        pid = None
        for _ in range(100):
            if os.path.exists(pidfile) and os.path.exists(sock):
                try:
                    pid = int(open(pidfile).read().strip())
                    break
                except ValueError:
                    pass
            time.sleep(0.05)
        t.ok(pid is not None, "pidfile written")
        if pid:
            u = Conn(sock, socket.AF_UNIX)
            t.is_(u.ask("u@example.com"), "action=DUNNO", "served over the UNIX socket")
            u.close()
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                if not os.path.exists(pidfile):
                    break
                time.sleep(0.05)
            t.ok(not os.path.exists(pidfile), "SIGTERM removes the pidfile")
            t.ok(not os.path.exists(sock), "and the socket")
    finally:
        for p in procs:
            p.stop()
    if not t.failed:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print("# files kept in %s" % tmp)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
