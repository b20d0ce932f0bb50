"""policyd_proc.py - policyd, redis-server and a fake Redis for the tests.

    from policyd_proc import Policyd, RedisServer, FakeRedis, Conn, request
    with RedisServer(tmp) as redis:             # a real redis-server
        d = Policyd(conf_text, tmp, "a")        # policyd -f, own port
        c = Conn(d.addr)
        c.ask("user@example.com", instance="m1")

Everything runs on 127.0.0.1 ports chosen free at start (never the lab's
2525-2527, 2587, 2025, 10040) or on UNIX sockets in the test's own
directory, and is stopped by PID, also when the test fails.

  free_port()                        an unused loopback port (not the lab's)
  request(rcpt, **attrs) -> bytes    a RCPT request as Postfix 3.7 sends it
  Conn(addr).ask(rcpt, **attrs)      one request, its "action=..." reply
  Policyd(conf, dir, name, env=)     "@LISTEN@" in conf becomes its address;
                                     .log(), .wait_log(s), .hup(), .stop()
  RedisServer(dir, password=None)    redis-server --save '' --appendonly no;
                                     .cli(*args), .kill(), .start(),
                                     .pause() / .resume() (SIGSTOP/SIGCONT)
  FakeRedis(replies)                 a TCP server answering each command
                                     with the next of replies (bytes or a
                                     function of the command's bytes)
"""
import os
import signal
import socket
import subprocess
import threading
import time

SRC = os.environ.get("RS_SRCDIR") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("RS_BUILDDIR") or SRC
POLICYD = os.path.join(BUILD, "policyd", "policyd")
LAB_PORTS = {2025, 2525, 2526, 2527, 2587, 10040}


def free_port():
    while True:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        if port not in LAB_PORTS:
            return port


def request(rcpt, ctx="public", client="192.0.2.1", state="RCPT", **extra):
    """A request as Postfix sends it at RCPT (recipient_count is 0 there)."""
    attrs = {"request": "smtpd_access_policy", "protocol_state": state,
             "protocol_name": "ESMTP", "client_address": client,
             "client_name": "unknown", "helo_name": "client.example",
             "sender": "s@sender.example", "recipient": rcpt,
             "recipient_count": "0", "queue_id": "", "instance": "1.2.3",
             "size": "0", "sasl_method": "", "sasl_username": "",
             "encryption_protocol": "", "encryption_keysize": "0",
             "policy_context": ctx}
    attrs.update(extra)
    return "".join("%s=%s\n" % kv for kv in attrs.items()).encode() + b"\n"


class Conn:
    """One persistent policy connection."""

    def __init__(self, addr, timeout=5):
        fam = socket.AF_UNIX if isinstance(addr, str) else socket.AF_INET
        self.s = socket.socket(fam, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(addr)
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def reply(self, timeout=5):
        """The next reply ("action=..."), or None when the peer closed."""
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

    def timed(self, rcpt, **kw):
        """(reply, seconds it took)."""
        t0 = time.monotonic()
        r = self.ask(rcpt, **kw)
        return r, time.monotonic() - t0

    def close(self):
        self.s.close()


def _stop_pid(proc, grace=10):
    if proc is None or proc.poll() is not None:
        return proc.returncode if proc else None
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    return proc.returncode


class Policyd:
    """policyd -f with CONF (text; "@LISTEN@" becomes its listen address,
    "@DIR@" its directory) in DIR/NAME.conf, log in DIR/NAME.log."""

    def __init__(self, conf, directory, name="policyd", env=None, unix=False, args=()):
        self.dir = directory
        self.name = name
        self.port = None if unix else free_port()
        self.addr = os.path.join(directory, name + ".sock") if unix else ("127.0.0.1", self.port)
        self.listen = "unix:" + self.addr if unix else "inet:127.0.0.1:%d" % self.port
        self.conf = os.path.join(directory, name + ".conf")
        self.logfile = os.path.join(directory, name + ".log")
        self.write_conf(conf)
        e = dict(os.environ)
        e.update(env or {})
        self._logf = open(self.logfile, "ab")
        self.proc = subprocess.Popen([POLICYD, "-f", "-c", self.conf] + list(args),
                                     stdout=self._logf, stderr=self._logf, env=e)
        if not self.wait_listen():
            raise RuntimeError("policyd %s did not listen: %s" % (name, self.log()[-2000:]))

    def write_conf(self, conf):
        with open(self.conf, "w") as f:
            f.write(conf.replace("@LISTEN@", self.listen).replace("@DIR@", self.dir))

    def wait_listen(self, timeout=10):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                return False
            try:
                Conn(self.addr, 1).close()
                return True
            except OSError:
                time.sleep(0.05)
        return False

    def log(self, since=0):
        with open(self.logfile, "rb") as f:
            f.seek(since)
            return f.read().decode("utf-8", "replace")

    def mark(self):
        return os.path.getsize(self.logfile)

    def wait_log(self, needle, timeout=5, since=0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if needle in self.log(since):
                return True
            time.sleep(0.05)
        return needle in self.log(since)

    def hup(self, conf=None, timeout=5):
        """Rewrite the config (if given), SIGHUP, wait for the reload."""
        if conf is not None:
            self.write_conf(conf)
        m = self.mark()
        self.proc.send_signal(signal.SIGHUP)
        return self.wait_log("reload", timeout, m)

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        rc = _stop_pid(self.proc)
        if not self._logf.closed:
            self._logf.close()
        return rc

    def clean(self):
        """No sanitizer report in the log."""
        t = self.log()
        return "Sanitizer" not in t and "runtime error" not in t


class RedisServer:
    """A private redis-server on a free loopback port (or a UNIX socket
    in DIR), no persistence, stopped by PID."""

    def __init__(self, directory, password=None, unix=False):
        self.dir = directory
        self.password = password
        self.port = free_port()
        self.sock = os.path.join(directory, "redis.sock") if unix else None
        self.proc = None
        self.start()

    def start(self):
        args = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port),
                "--save", "", "--appendonly", "no", "--dir", self.dir,
                "--protected-mode", "no", "--daemonize", "no"]
        if self.sock:
            args += ["--unixsocket", self.sock, "--unixsocketperm", "777", "--port", "0"]
        if self.password:
            args += ["--requirepass", self.password]
        self._logf = open(os.path.join(self.dir, "redis-%d.log" % self.port), "ab")
        self.proc = subprocess.Popen(args, stdout=self._logf, stderr=self._logf, cwd=self.dir)
        end = time.monotonic() + 10
        while time.monotonic() < end:
            try:
                if self.cli("PING", check=False).strip() in ("PONG", "NOAUTH Authentication required."):
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    @property
    def server(self):
        """What policyd.conf's redis.server names."""
        return "unix:" + self.sock if self.sock else "127.0.0.1:%d" % self.port

    def cli(self, *args, check=True):
        cmd = ["redis-cli"] + (["-s", self.sock] if self.sock else ["-h", "127.0.0.1", "-p", str(self.port)])
        env = dict(os.environ)
        if self.password:
            env["REDISCLI_AUTH"] = self.password
        p = subprocess.run(cmd + [str(a) for a in args], capture_output=True, text=True, timeout=10,
                           env=env)
        if check and p.returncode != 0:
            raise RuntimeError("redis-cli %s: %s" % (args, p.stderr))
        return p.stdout

    def pause(self):
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
        _stop_pid(self.proc)
        if not self._logf.closed:
            self._logf.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()
        return False


class FakeRedis:
    """A TCP server on a free loopback port that answers each command it
    reads (one recv of RESP) with the next entry of REPLIES, cycling;
    an entry is bytes, None (close the connection), or a function of the
    bytes received returning bytes.  Counts connections."""

    def __init__(self, replies):
        self.replies = list(replies)
        self.port = free_port()
        self.connections = 0
        self._stop = False
        self.ls = socket.socket()
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind(("127.0.0.1", self.port))
        self.ls.listen(16)
        self.ls.settimeout(0.2)
        self.t = threading.Thread(target=self._serve, daemon=True)
        self.t.start()

    @property
    def server(self):
        return "127.0.0.1:%d" % self.port

    def _serve(self):
        i = 0
        while not self._stop:
            try:
                c, _ = self.ls.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections += 1
            c.settimeout(0.5)
            try:
                while not self._stop:
                    try:
                        data = c.recv(65536)
                    except socket.timeout:
                        continue
                    if not data:
                        break
                    r = self.replies[i % len(self.replies)]
                    i += 1
                    if callable(r):
                        r = r(data)
                    if r is None:
                        break
                    c.sendall(r)
            except OSError:
                pass
            finally:
                c.close()

    def stop(self):
        self._stop = True
        self.ls.close()
        self.t.join(5)
