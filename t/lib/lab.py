"""lab.py - a private relayscreen gateway (real Postfix) on loopback.

    from lab import Lab
    with Lab() as lab:                          # holds /tmp/relayscreen-lab.lock
        r = lab.send("public", rcpts=["user@example.com"])
        assert r.accepted
        msgs = lab.exchange.wait_for(1)         # what the "Exchange host" got

What Lab() builds, in a fresh directory (mkdtemp, or state_dir):
  etc/       main.cf + master.cf: Debian's stock main.cf.debian and
             master.cf.dist, merged with postfix-snippets/relayscreen-postfix
             (only addresses, ports, names and paths changed), then the lab
             settings below; every service runs without chroot.
  spool/     queue_directory;  data/  data_directory;  maillog  (postlogd)
  tls/       a test CA (ca.pem) and the gateway's certificate (gateway.test,
             IP 127.0.0.1), made with openssl
  etc/sasl/  smtpd.conf + sasldb2 (Cyrus auxprop/sasldb, PLAIN LOGIN) with USERS
  exchange/, internet/  spools of the two capture SMTP servers
  lab.json   PIDs and paths, so "t/lab down" can stop a detached lab

Listeners (all 127.0.0.1): public 2525, submission 2587, internal 2025;
Exchange capture 2526 (transport_maps for the hosted domains), Internet
capture 2527 (relayhost).  Optional: policyd (policyd_conf=, listening on
policy_port, default 10040) and screener (screener_conf=, socket
DIR/screener.sock); without them the merge uses --no-policy / --no-milter.

Everything started is stopped by PID or "postfix -c DIR stop" on exit, on
exceptions and on SIGTERM/SIGINT.  The directory is removed afterwards
unless keep=True, RS_LAB_KEEP=1, or a TAP test failed (then its path is
printed as a TAP comment).

API (see each docstring):
  require_lab()                     skip the TAP file unless a lab can run
  Lab(...)                          see the class doc for the options
  lab.send(listener, sender=, rcpts=, data=, starttls=, auth=(u, p),
           mech=, source=, helo=, tls_ciphers=, tls_max=, bdat=) -> SendResult
  lab.exchange / lab.internet       Capture: messages(), wait_for(n, t),
                                    find(token), clear(), count()
  lab.log(since=0), lab.log_mark(), lab.wait_log(regex, timeout, since)
  lab.log_for(queue_id)
  lab.daemon_log(name, since), lab.daemon_log_mark(name),
  lab.signal_daemon(name, sig)      policyd / screener (stderr logs)
  lab.postconf({name: value}, reload=True), lab.postconf_get(name)
  lab.postconf_master(listener, {name: value}), lab.set_weak_tls()
  lab.reload(), lab.flush(), lab.postqueue_json(), lab.postsuper(*args),
  lab.wait_queue_empty(timeout)
  lab.tls_context(ciphers, max_version), lab.ca_file, lab.address(name),
  lab.dir, lab.etc, lab.maillog, lab.screener_socket, lab.procs
"""
import atexit
import base64
import email.message
import email.policy
import email.utils
import fcntl
import json
import os
import re
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import uuid

from capture import Capture

HOST = "127.0.0.1"
PORTS = {"public": 2525, "submission": 2587, "internal": 2025,
         "exchange": 2526, "internet": 2527, "policy": 10040}
# A second gateway (Lab(ports=SECOND_PORTS, held_lock=True) beside a first)
SECOND_PORTS = {"public": 2625, "submission": 2687, "internal": 2125,
                "exchange": 2626, "internet": 2627, "policy": 10140}
LOCK_FILE = "/tmp/relayscreen-lab.lock"


def lock_held_by_ancestor(path=LOCK_FILE):
    """True when one of our ancestors holds the lab lock, as in "flock
    /tmp/relayscreen-lab.lock make check TESTS=...": make's test driver
    does not pass the descriptor down, so opening the file and locking it
    again would wait for our own parent until the timeout.  The holder is
    read from /proc/locks."""
    try:
        st = os.stat(path)
        dev = "%02x:%02x:%d" % (os.major(st.st_dev), os.minor(st.st_dev), st.st_ino)
        with open("/proc/locks") as f:
            holders = {int(w[4]) for w in (line.split() for line in f)
                       if len(w) > 5 and w[1] == "FLOCK" and w[5] == dev}
        pid = os.getppid()
        while pid > 1:
            if pid in holders:
                return True
            with open("/proc/%d/stat" % pid) as f:
                pid = int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return False
DOMAINS = ("example.com", "example.net")
USERS = {"alice@example.com": "alice-Secret-1", "bob@example.com": "bob-Secret-2"}
MYHOSTNAME = "gateway.test"
LISTENERS = ("public", "submission", "internal")
# -o settings that make a listener negotiate TLS 1.2 with a 128-bit AES
# cipher: the weakest Debian 12's OpenSSL 3 still has (no 3DES/RC4/export)
WEAK_TLS = {"smtpd_tls_mandatory_protocols": ">=TLSv1.2,<=TLSv1.2",
            "smtpd_tls_protocols": ">=TLSv1.2,<=TLSv1.2",
            "smtpd_tls_mandatory_ciphers": "high",
            "smtpd_tls_ciphers": "high",
            "tls_high_cipherlist": "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA"}


def srcdir():
    d = os.environ.get("RS_SRCDIR")
    return d or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def builddir():
    return os.environ.get("RS_BUILDDIR") or srcdir()


def _diag(msg):
    for line in str(msg).splitlines():
        sys.stdout.write("# " + line + "\n")
    sys.stdout.flush()


def _run(cmd, check=True, input=None, **kw):
    """Run CMD, return CompletedProcess (text); raise with its output on failure."""
    p = subprocess.run(cmd, input=input, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, **kw)
    if check and p.returncode != 0:
        raise RuntimeError("%s: exit %d\n%s" % (" ".join(cmd), p.returncode, p.stdout))
    return p


def _postfix_cmd(args, check=True):
    """Run a Postfix command.  They report errors only to syslog (absent
    here) and to stderr when it is a terminal, so on failure run it again
    under script(1) to capture the reason."""
    p = _run(args, check=False)
    if p.returncode != 0:
        again = _run(["script", "-qec", " ".join(args), "/dev/null"], check=False)
        p = subprocess.CompletedProcess(args, p.returncode, (p.stdout + again.stdout).replace("\r", ""))
        if check:
            raise RuntimeError("%s: exit %d\n%s" % (" ".join(args), p.returncode, p.stdout))
    return p


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child of ours is not alive
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _kill_pid(pid, grace=5.0):
    """SIGTERM PID, wait up to GRACE seconds, then SIGKILL."""
    if not pid or not _pid_alive(pid):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    end = time.monotonic() + grace
    while time.monotonic() < end:
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        except ChildProcessError:
            pass
        if not _pid_alive(pid):
            return
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def wait_port(host, port, timeout=15.0):
    """True once a TCP connect to HOST:PORT succeeds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with socket.create_connection((host, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def require_lab():
    """Skip the calling TAP test file unless a lab can run here: root,
    Postfix, openssl and saslpasswd2 installed, RS_SKIP_LAB unset."""
    import tap
    if os.environ.get("RS_SKIP_LAB"):
        tap.skip_all("RS_SKIP_LAB is set")
    tap.require_root()
    path = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    for tool in ("postfix", "postconf", "postqueue", "openssl", "saslpasswd2"):
        if not shutil.which(tool, path=path):
            tap.skip_all("%s not installed (tools/install-deps)" % tool)


class SendResult:
    """What happened to one SMTP transaction made by Lab.send().

    replies    list of (stage, code, text): "connect", "ehlo", "starttls",
               "ehlo-tls", "auth", "mail", "rcpt <addr>", "data", "quit"
    features   EHLO keywords (lower case) before STARTTLS; features_tls after
    auth_offered / auth_offered_tls   the AUTH mechanisms offered (list/None)
    accepted   True when the message was queued (250 after DATA)
    code, text the reply that ended the transaction (the refusal, or DATA's)
    stage      the stage of that reply
    rcpt_codes {rcpt: code}
    queue_id   Postfix queue id from "queued as ...", if accepted
    cipher     (name, protocol, bits) of the TLS session, if any
    token      unique X-Lab-Token header value put in the message
    error      exception text when the connection itself failed
    """

    def __init__(self):
        self.replies = []
        self.features = {}
        self.features_tls = {}
        self.auth_offered = None
        self.auth_offered_tls = None
        self.accepted = False
        self.code = None
        self.text = ""
        self.stage = None
        self.rcpt_codes = {}
        self.queue_id = None
        self.cipher = None
        self.token = None
        self.error = None

    def add(self, stage, code, text):
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        self.replies.append((stage, code, text))
        self.stage, self.code, self.text = stage, code, text

    def reply(self, stage):
        """(code, text) of the first reply at STAGE (prefix match), or None."""
        for s, c, t in self.replies:
            if s == stage or s.startswith(stage + " "):
                return (c, t)
        return None

    def __repr__(self):
        return "<SendResult accepted=%s %s %s %r>" % (self.accepted, self.stage, self.code, self.text)

    def dump(self):
        return "\n".join("%-24s %s %s" % (s, c, t.replace("\n", " | ")) for s, c, t in self.replies) + \
            ("\nerror: %s" % self.error if self.error else "")


class Lab:
    """A running private gateway; see the module doc.

    Lab(domains=DOMAINS, users=USERS, internal_clients=("127.0.0.1",),
        policyd_conf=None, policy_port=10040, screener_conf=None,
        main_cf=None, master_cf=None, weak_submission_tls=False,
        state_dir=None, keep=None, snippet_args=(), policy_hook=None,
        milter_hook=None, merged=None)

    policyd_conf / screener_conf: a path, or the config text itself (in
    which "@LISTEN@" becomes "inet:127.0.0.1:<policy_port>" and "@SOCKET@"
    "unix:<dir>/screener.sock").  Giving one starts that daemon from
    $RS_BUILDDIR and wires Postfix to it; otherwise the hook is left out.
    main_cf: {param: value} set after the merge.  master_cf:
    {"public"|"submission"|"internal": {param: value}} as -o overrides.
    policy_hook / milter_hook: True wires Postfix to policy_port / the
    screener socket without starting the daemon (something else serves
    it, or nothing: then the hook's failure action shows); False leaves
    the hook out even when the daemon is started.
    weak_submission_tls: the submission listener only speaks TLS 1.2 with
    AES128 ciphers ({cipher_bits} = 128; OpenSSL 3 in Debian 12 has no
    sub-128-bit cipher left), so a policy with min_cipher_bits > 128 sees
    a too-weak session.  snippet_args: extra relayscreen-postfix arguments.
    ports: {name: port} replacing PORTS entries for this lab (a second
    gateway beside the first: SECOND_PORTS); held_lock=True when another
    Lab of this process already holds the lab lock (flock would wait on
    it forever).
    merged: (main.cf, master.cf) already merged by the caller (listeners on
    the lab's ports): copied instead of merging the stock files.
    """

    def __init__(self, domains=DOMAINS, users=None, internal_clients=("127.0.0.1",),
                 policyd_conf=None, policy_port=PORTS["policy"], screener_conf=None,
                 main_cf=None, master_cf=None, weak_submission_tls=False,
                 state_dir=None, keep=None, snippet_args=(), quiet=False,
                 policy_hook=None, milter_hook=None, ports=None, held_lock=False, merged=None):
        self.ports = dict(PORTS)
        self.ports.update(ports or {})
        self.held_lock = held_lock
        self.domains = tuple(domains)
        self.merged = merged
        self.users = dict(USERS if users is None else users)
        self.internal_clients = tuple(internal_clients)
        self.policyd_conf = policyd_conf
        self.policy_port = policy_port
        self.screener_conf = screener_conf
        self.extra_main = dict(main_cf or {})
        self.extra_master = {k: dict(v) for k, v in (master_cf or {}).items()}
        self.weak_submission_tls = weak_submission_tls
        self.state_dir = state_dir
        self.keep = keep
        self.snippet_args = list(snippet_args)
        self.quiet = quiet
        # wire Postfix to the daemons (default: when they are started)
        self.policy_hook = policyd_conf is not None if policy_hook is None else policy_hook
        self.milter_hook = screener_conf is not None if milter_hook is None else milter_hook
        self.host = HOST
        self.dir = None
        self.procs = {}            # name -> pid of processes we started
        self._popen = {}           # name -> Popen of the same
        self.master_started = False
        self._lock_fd = None
        self._stopped = True
        self._old_handlers = {}

    # --- paths ----------------------------------------------------------------
    @property
    def etc(self):
        return os.path.join(self.dir, "etc")

    @property
    def spool(self):
        return os.path.join(self.dir, "spool")

    @property
    def maillog(self):
        return os.path.join(self.dir, "maillog")

    @property
    def ca_file(self):
        """PEM file of the lab CA: verify the gateway's certificate with it."""
        return os.path.join(self.dir, "tls", "ca.pem")

    @property
    def screener_socket(self):
        return os.path.join(self.dir, "screener.sock")

    def address(self, listener):
        """(host, port) of a listener or capture: public, submission,
        internal, exchange, internet, policy."""
        if listener == "policy":
            return (self.host, self.policy_port)
        return (self.host, self.ports[listener])

    # --- start/stop -------------------------------------------------------------
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self):
        if os.geteuid() != 0:
            raise RuntimeError("Lab needs root (it starts a private Postfix)")
        self._lock()
        self._stopped = False
        atexit.register(self.stop)
        self._install_signals()
        try:
            self._make_dir()
            self._make_tls()
            self._make_sasl()
            self.exchange = self._start_capture("exchange", "exchange.test")
            self.internet = self._start_capture("internet", "mx.internet.test")
            if self.policyd_conf is not None:
                self._start_policyd()
            if self.screener_conf is not None:
                self._start_screener()
            self._configure_postfix()
            self._start_postfix()
            self._write_state()
        except BaseException:
            self.stop()
            raise
        return self

    def _lock(self):
        if self.held_lock or lock_held_by_ancestor():
            return
        fd = os.open(LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not self.quiet:
                _diag("waiting for %s (another lab is running; \"t/lab down\" stops a detached one)"
                      % LOCK_FILE)
            limit = float(os.environ.get("RS_LAB_LOCK_TIMEOUT", "900"))
            end = time.monotonic() + limit
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > end:
                        os.close(fd)
                        raise RuntimeError("%s still locked after %ds" % (LOCK_FILE, limit))
                    time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.write(fd, b"%d\n" % os.getpid())
        self._lock_fd = fd

    def _install_signals(self):
        import threading
        if threading.current_thread() is not threading.main_thread():
            return

        def handler(signum, frame):
            self.stop()
            sys.exit(128 + signum)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            self._old_handlers[sig] = signal.signal(sig, handler)

    def _make_dir(self):
        if self.state_dir:
            if os.path.exists(os.path.join(self.state_dir, "lab.json")):
                self.down(self.state_dir, quiet=True)
            shutil.rmtree(self.state_dir, ignore_errors=True)
            os.makedirs(self.state_dir)
            self.dir = self.state_dir
        else:
            # not "relayscreen-lab.*": a cleanup with that glob would
            # also remove the lock file
            self.dir = tempfile.mkdtemp(prefix="rs-lab.")
        # the postfix user must reach the queue below it
        os.chmod(self.dir, 0o755)
        os.makedirs(self.etc)

    def _make_tls(self):
        d = os.path.join(self.dir, "tls")
        os.makedirs(d)
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        _run(["openssl", "req", "-x509"] + ec + ["-keyout", "ca.key", "-out", "ca.pem",
              "-days", "30", "-subj", "/CN=relayscreen lab CA",
              "-addext", "basicConstraints=critical,CA:TRUE",
              "-addext", "keyUsage=critical,keyCertSign,cRLSign"], cwd=d)
        _run(["openssl", "req"] + ec + ["-keyout", "gateway.key", "-out", "gateway.csr",
              "-subj", "/CN=%s" % MYHOSTNAME], cwd=d)
        with open(os.path.join(d, "ext.cnf"), "w") as f:
            f.write("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n"
                    "extendedKeyUsage=serverAuth\n"
                    "subjectAltName=DNS:%s,DNS:localhost,IP:127.0.0.1\n" % MYHOSTNAME)
        _run(["openssl", "x509", "-req", "-in", "gateway.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
              "-CAcreateserial", "-out", "gateway.pem", "-days", "30", "-extfile", "ext.cnf"], cwd=d)
        os.chmod(os.path.join(d, "gateway.key"), 0o600)

    def _make_sasl(self):
        # Debian's Postfix reads $config_directory/sasl/smtpd.conf (whatever
        # cyrus_sasl_config_path says), so that is where it goes.
        d = os.path.join(self.etc, "sasl")
        os.makedirs(d)
        db = os.path.join(d, "sasldb2")
        with open(os.path.join(d, "smtpd.conf"), "w") as f:
            f.write("pwcheck_method: auxprop\nauxprop_plugin: sasldb\n"
                    "sasldb_path: %s\nmech_list: PLAIN LOGIN\n" % db)
        for login, password in self.users.items():
            user, _, realm = login.partition("@")
            cmd = ["saslpasswd2", "-p", "-f", db, "-c"] + (["-u", realm] if realm else []) + [user]
            _run(cmd, input=password)
        # smtpd reads it as the postfix user
        if os.path.exists(db):
            shutil.chown(db, group="postfix")
            os.chmod(db, 0o640)
        os.chmod(d, 0o755)

    def _spawn(self, name, cmd, log):
        """Start CMD in its own session, stdout+stderr to LOG; record its PID."""
        out = open(os.path.join(self.dir, log), "ab")
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             start_new_session=True, cwd=self.dir)
        out.close()
        self.procs[name] = p.pid
        self._popen[name] = p
        return p

    def _start_capture(self, name, hostname):
        spool = os.path.join(self.dir, name)
        port = self.ports[name]
        here = os.path.dirname(os.path.abspath(__file__))
        p = self._spawn(name, [sys.executable, os.path.join(here, "capture.py"),
                               "--listen", "%s:%d" % (self.host, port), "--dir", spool,
                               "--hostname", hostname], "%s.log" % name)
        if not wait_port(self.host, port, 10):
            raise RuntimeError("capture %s did not listen on %d: %s" % (name, port, self._tail("%s.log" % name)))
        if p.poll() is not None:
            raise RuntimeError("capture %s exited: %s" % (name, self._tail("%s.log" % name)))
        return Capture(spool, name, (self.host, port))

    def _conf_file(self, conf, name):
        if os.path.exists(str(conf)) and "\n" not in str(conf):
            return os.path.abspath(conf)
        text = str(conf).replace("@LISTEN@", "inet:%s:%d" % (self.host, self.policy_port))
        text = text.replace("@SOCKET@", "unix:" + self.screener_socket)
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def _start_policyd(self):
        exe = os.path.join(builddir(), "policyd", "policyd")
        if not os.access(exe, os.X_OK):
            raise RuntimeError("%s not built" % exe)
        conf = self._conf_file(self.policyd_conf, "policyd.conf")
        p = self._spawn("policyd", [exe, "-c", conf, "-f"], "policyd.log")
        if not wait_port(self.host, self.policy_port, 10) or p.poll() is not None:
            raise RuntimeError("policyd did not listen on %d: %s" % (self.policy_port, self._tail("policyd.log")))

    def _start_screener(self):
        exe = os.path.join(builddir(), "screener", "screener")
        if not os.access(exe, os.X_OK):
            raise RuntimeError("%s not built" % exe)
        conf = self._conf_file(self.screener_conf, "screener.conf")
        p = self._spawn("screener", [exe, "-c", conf, "-p", "unix:" + self.screener_socket, "-f"],
                        "screener.log")
        # up = the socket accepts a connection and the process still runs
        # (it may create the socket and then die, e.g. on its pidfile)
        end = time.monotonic() + 10
        while True:
            if p.poll() is not None or time.monotonic() > end:
                raise RuntimeError("screener did not come up on %s: %s"
                                   % (self.screener_socket, self._tail("screener.log")))
            try:
                with socket.socket(socket.AF_UNIX) as c:
                    c.connect(self.screener_socket)
                time.sleep(0.2)
                if p.poll() is None:
                    break
            except OSError:
                time.sleep(0.05)

    def _tail(self, name, n=20):
        try:
            with open(os.path.join(self.dir, name), errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def _backdate(self):
        # Postfix programs sleep until main.cf is a second old ("avoid a
        # race with the editor"); we are the only editor, so age the files.
        t = time.time() - 3
        for name in ("main.cf", "master.cf"):
            try:
                os.utime(os.path.join(self.etc, name), (t, t))
            except OSError:
                pass

    def _postconf(self, *args):
        self._backdate()
        return _run(["postconf", "-c", self.etc] + list(args)).stdout

    def _configure_postfix(self):
        etc = self.etc
        for src, dst in (("/usr/share/postfix/main.cf.debian", "main.cf"),
                         ("/usr/share/postfix/master.cf.dist", "master.cf")):
            if not os.path.exists(src):       # fall back to the system copy
                src = os.path.join("/etc/postfix", dst)
            shutil.copyfile(src, os.path.join(etc, dst))
        tls = os.path.join(self.dir, "tls")
        sets = {
            "public_listen": "%s:%d" % (self.host, self.ports["public"]),
            "submission_listen": "%s:%d" % (self.host, self.ports["submission"]),
            "internal_listen": "%s:%d" % (self.host, self.ports["internal"]),
            "internal_clients": " ".join(self.internal_clients),
            "relay_domains": " ".join(self.domains),
            "exchange_nexthop": "smtp:[%s]:%d" % (self.host, self.ports["exchange"]),
            "relayhost": "[%s]:%d" % (self.host, self.ports["internet"]),
            "inet_interfaces": self.host,
            "inet_protocols": "ipv4",
            "smtp_tls_security_level": "none",
            "tls_cert_file": os.path.join(tls, "gateway.pem"),
            "tls_key_file": os.path.join(tls, "gateway.key"),
            "milter": "unix:" + self.screener_socket,
            "policy_service": "inet:%s:%d" % (self.host, self.policy_port),
            "myhostname": MYHOSTNAME,
        }
        cmd = [sys.executable, os.path.join(srcdir(), "postfix-snippets", "relayscreen-postfix"), "-c", etc]
        for k, v in sets.items():
            cmd += ["--set", "%s=%s" % (k, v)]
        # the stock smtp listener would bind port 25 next to public
        cmd += ["--no-chroot", "--no-check", "--disable", "smtp/inet"]
        if not self.milter_hook:
            cmd.append("--no-milter")
        if not self.policy_hook:
            cmd.append("--no-policy")
        cmd += self.snippet_args + ["apply"]
        if self.merged:
            for src, dst in zip(self.merged, ("main.cf", "master.cf")):
                shutil.copyfile(src, os.path.join(etc, dst))
            self.merge_output = ""
        else:
            self.merge_output = _run(cmd).stdout
        lab = {
            "queue_directory": self.spool,
            "data_directory": os.path.join(self.dir, "data"),
            "maillog_file": self.maillog,
            "maillog_file_prefixes": self.dir,
            "mydestination": "",
            "alias_maps": "",
            "alias_database": "",
            "local_recipient_maps": "",
            "notify_classes": "",
            "smtp_bind_address": self.host,
            "smtp_dns_support_level": "disabled",
            "smtpd_peername_lookup": "no",
            "queue_run_delay": "2s",
            "minimal_backoff_time": "2s",
            "maximal_backoff_time": "4s",
            "smtp_connect_timeout": "5s",
            "in_flow_delay": "0",
            "cyrus_sasl_config_path": os.path.join(self.etc, "sasl"),
            "smtpd_client_port_logging": "yes",
        }
        lab.update(self.extra_main)
        self._postconf("-e", *["%s = %s" % kv for kv in lab.items()])
        # no chroot anywhere: the private queue has no /etc, /lib etc. inside
        self._postconf("-F", "*/*/chroot = n")
        master = {k: dict(v) for k, v in self.extra_master.items()}
        if self.weak_submission_tls:
            weak = dict(WEAK_TLS)
            weak.update(master.get("submission", {}))
            master["submission"] = weak
        for listener, settings in master.items():
            svc = "%s:%d/inet" % (self.host, self.ports[listener])
            for k, v in settings.items():
                self._postconf("-P", "%s/%s=%s" % (svc, k, v))
        # Postfix creates what is below the queue directory, not the directory
        os.makedirs(self.spool, mode=0o755)
        self._backdate()
        check = _postfix_cmd(["postfix", "-c", etc, "check"], check=False)
        if check.returncode != 0 or check.stdout.strip():
            raise RuntimeError("postfix check: %s\n%s" % (check.returncode, check.stdout))

    def _master_pid(self):
        try:
            with open(os.path.join(self.spool, "pid", "master.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def _start_postfix(self):
        p = _postfix_cmd(["postfix", "-c", self.etc, "start"], check=False)
        self.master_started = True
        if p.returncode != 0:
            raise RuntimeError("postfix start: %s\n%s\n%s" % (p.returncode, p.stdout, self.log()[-3000:]))
        for name in LISTENERS:
            if not wait_port(*self.address(name), timeout=15):
                raise RuntimeError("Postfix %s listener did not come up\n%s" % (name, self.log()[-3000:]))

    def _write_state(self):
        state = {"dir": self.dir, "etc": self.etc, "procs": self.procs,
                 "master_pid": self._master_pid(), "ports": self.ports,
                 "policy_port": self.policy_port, "ca_file": self.ca_file,
                 "users": self.users, "domains": self.domains,
                 "internal_clients": self.internal_clients}
        with open(os.path.join(self.dir, "lab.json"), "w") as f:
            json.dump(state, f, indent=1)

    def stop(self):
        """Stop Postfix and everything else started; idempotent."""
        if self._stopped:
            return
        self._stopped = True
        try:
            if self.master_started:
                self._stop_postfix(self.etc, self._master_pid())
            for name, pid in list(self.procs.items()):
                _kill_pid(pid)
            self.procs = {}
        finally:
            for sig, h in self._old_handlers.items():
                try:
                    signal.signal(sig, h)
                except (ValueError, TypeError):
                    pass
            self._old_handlers = {}
            try:
                atexit.unregister(self.stop)
            except Exception:
                pass
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None
            self._cleanup_dir()

    @staticmethod
    def _stop_postfix(etc, master_pid):
        _run(["postfix", "-c", etc, "stop"], check=False)
        end = time.monotonic() + 15
        while master_pid and _pid_alive(master_pid) and time.monotonic() < end:
            time.sleep(0.05)
        if master_pid and _pid_alive(master_pid):
            _kill_pid(master_pid, 2)

    def _cleanup_dir(self):
        if not self.dir or self.state_dir:
            return
        keep = self.keep
        if keep is None:
            keep = bool(os.environ.get("RS_LAB_KEEP"))
            tap = sys.modules.get("tap")
            if tap is not None and tap.failed():
                keep = True
        if keep:
            if not self.quiet:
                _diag("lab directory kept: %s" % self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    # --- detached lab (t/lab up / down) -------------------------------------------
    def detach(self):
        """Leave the lab running after this process exits: a "sleep" child
        inherits the lock, the PIDs are in lab.json for down()."""
        holder = subprocess.Popen(["sleep", "infinity"],
                                  pass_fds=(self._lock_fd,) if self._lock_fd is not None else (),
                                  start_new_session=True, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs["lockholder"] = holder.pid
        self._write_state()
        self._stopped = True
        atexit.unregister(self.stop)
        for sig, h in self._old_handlers.items():
            signal.signal(sig, h)
        if self._lock_fd is not None:
            os.close(self._lock_fd)
        self._lock_fd = None

    @staticmethod
    def down(state_dir, quiet=False):
        """Stop a detached lab from its lab.json.  True if one was found."""
        path = os.path.join(state_dir, "lab.json")
        try:
            with open(path) as f:
                state = json.load(f)
        except (OSError, ValueError):
            return False
        master = None
        try:
            with open(os.path.join(state["dir"], "spool", "pid", "master.pid")) as f:
                master = int(f.read().strip())
        except (OSError, ValueError):
            master = state.get("master_pid")
        Lab._stop_postfix(state["etc"], master)
        procs = state.get("procs", {})
        for name, pid in procs.items():
            if name != "lockholder":
                _kill_pid(pid)
        _kill_pid(procs.get("lockholder"))
        os.unlink(path)
        return True

    # --- daemons -------------------------------------------------------------------
    def daemon_log(self, name, since=0):
        """Output of a started daemon or capture ("policyd", "screener",
        "exchange", "internet"), from byte offset SINCE."""
        try:
            with open(os.path.join(self.dir, name + ".log"), "rb") as f:
                f.seek(since)
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def daemon_log_mark(self, name):
        """Current size of NAME's log, for daemon_log(name, since=mark)."""
        try:
            return os.path.getsize(os.path.join(self.dir, name + ".log"))
        except OSError:
            return 0

    def signal_daemon(self, name, sig):
        """Send SIG to a started daemon ("policyd", "screener")."""
        os.kill(self.procs[name], sig)

    # --- Postfix helpers ------------------------------------------------------------
    def postconf(self, settings, reload=True):
        """Set main.cf parameters ({name: value} or ["name = value", ...]),
        then reload Postfix (unless reload=False)."""
        if isinstance(settings, dict):
            settings = ["%s = %s" % kv for kv in settings.items()]
        self._postconf("-e", *settings)
        if reload:
            self.reload()

    def postconf_master(self, listener, settings, reload=True):
        """Set -o overrides {name: value} on LISTENER (public, submission,
        internal), then reload.  Values cannot hold whitespace (postconf -P);
        write lists with commas only: "permit_mynetworks,reject"."""
        svc = "%s:%d/inet" % (self.host, self.ports[listener])
        for k, v in settings.items():
            self._postconf("-P", "%s/%s=%s" % (svc, k, v))
        if reload:
            self.reload()

    def set_weak_tls(self, listener="submission", reload=True):
        """Make LISTENER negotiate only TLS 1.2 with AES128 ({cipher_bits}
        128), as weak_submission_tls=True does at start."""
        self.postconf_master(listener, WEAK_TLS, reload)

    def postconf_get(self, name):
        """The effective main.cf value of NAME."""
        return self._postconf("-h", name).strip()

    def postconf_master_get(self, listener, name):
        """The -o override NAME of LISTENER ("" when it has none)."""
        svc = "%s:%d/inet" % (self.host, self.ports[listener])
        return self._postconf("-Ph", "%s/%s" % (svc, name)).strip()

    def reload(self):
        """postfix reload, then wait until the listeners answer again."""
        self._backdate()
        _postfix_cmd(["postfix", "-c", self.etc, "reload"])
        time.sleep(0.5)
        for name in LISTENERS:
            wait_port(*self.address(name), timeout=10)

    def log(self, since=0):
        """The maillog text (from byte offset SINCE)."""
        try:
            with open(self.maillog, "rb") as f:
                f.seek(since)
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_mark(self):
        """Current maillog size, for log(since=mark) / wait_log(since=mark)."""
        try:
            return os.path.getsize(self.maillog)
        except OSError:
            return 0

    def wait_log(self, pattern, timeout=10.0, since=0):
        """Wait until regex PATTERN appears in the maillog; the match or None."""
        end = time.monotonic() + timeout
        while True:
            m = re.search(pattern, self.log(since), re.M)
            if m or time.monotonic() > end:
                return m
            time.sleep(0.1)

    def log_for(self, queue_id, since=0):
        """Log lines that mention QUEUE_ID."""
        return "\n".join(l for l in self.log(since).splitlines() if queue_id and queue_id in l)

    def postqueue_json(self):
        """The queue as a list of dicts (postqueue -j)."""
        out = _run(["postqueue", "-c", self.etc, "-j"]).stdout
        return [json.loads(l) for l in out.splitlines() if l.strip().startswith("{")]

    def postsuper(self, *args):
        """Run postsuper -c ETC ARGS...; returns its output."""
        return _run(["postsuper", "-c", self.etc] + list(args)).stdout

    def flush(self):
        """postqueue -f: attempt delivery of everything queued now."""
        _run(["postqueue", "-c", self.etc, "-f"])

    def wait_queue_empty(self, timeout=20.0):
        """True once the queue is empty."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if not self.postqueue_json():
                return True
            time.sleep(0.2)
        return False

    # --- SMTP client ---------------------------------------------------------------------
    def tls_context(self, ciphers=None, max_version=None, verify=True):
        """An ssl context for clients: trusts the lab CA; CIPHERS (OpenSSL
        list) and MAX_VERSION (ssl.TLSVersion) restrict it."""
        ctx = ssl.create_default_context(cafile=self.ca_file)
        if not verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        if ciphers:
            ctx.set_ciphers(ciphers)
        if max_version:
            ctx.maximum_version = max_version
        return ctx

    def make_message(self, sender, rcpts, subject=None, body=None, headers=None):
        """A small RFC 5322 message (bytes) and its X-Lab-Token."""
        token = uuid.uuid4().hex
        m = email.message.EmailMessage()
        m["From"] = sender or "<>"
        m["To"] = ", ".join(rcpts)
        m["Subject"] = subject or "lab test %s" % token[:8]
        m["Date"] = email.utils.formatdate(localtime=False)
        m["Message-ID"] = "<%s@client.test>" % token
        m["X-Lab-Token"] = token
        for k, v in (headers or {}).items():
            m[k] = v
        m.set_content(body or "Hello from the relayscreen lab.\n")
        return m.as_bytes(policy=email.policy.SMTP), token

    def send(self, listener="public", sender="someone@sender.test", rcpts=("user@example.com",),
             data=None, subject=None, body=None, headers=None, starttls=False, auth=None,
             mech="PLAIN", source=None, helo="client.test", tls_ciphers=None, tls_max=None,
             port=None, timeout=30, bdat=False):
        """One SMTP transaction to LISTENER ("public", "submission",
        "internal" or a port number via port=).  starttls=True does
        STARTTLS (verified against the lab CA); auth=(user, password) does
        AUTH MECH (PLAIN or LOGIN) even if it is not offered (to see the
        refusal); source="127.0.0.9" binds the client address.  DATA is the
        raw message (bytes/str); otherwise one is made (see make_message).
        bdat=True sends it as one "BDAT n LAST" chunk (CHUNKING) instead of
        DATA (stage "bdat").
        Never raises for SMTP refusals: returns a SendResult."""
        rcpts = [rcpts] if isinstance(rcpts, str) else list(rcpts)
        r = SendResult()
        if data is None:
            data, r.token = self.make_message(sender, rcpts, subject, body, headers)
        elif isinstance(data, str):
            data = data.encode()
        host, p = self.address(listener) if port is None else (self.host, port)
        s = smtplib.SMTP(local_hostname=helo, timeout=timeout,
                         source_address=(source, 0) if source else None)
        try:
            r.add("connect", *s.connect(host, p))
            if r.code != 220:
                return r
            r.add("ehlo", *s.ehlo())
            r.features = dict(s.esmtp_features)
            r.auth_offered = s.esmtp_features.get("auth", "").split() if s.has_extn("auth") else None
            if starttls:
                code, text = s.docmd("STARTTLS")
                r.add("starttls", code, text)
                if code != 220:
                    return r
                ctx = self.tls_context(tls_ciphers, tls_max)
                s.sock = ctx.wrap_socket(s.sock, server_hostname=host)
                s.file = None
                s.helo_resp = s.ehlo_resp = None
                s.esmtp_features = {}
                s.does_esmtp = False
                r.cipher = s.sock.cipher()
                r.add("ehlo-tls", *s.ehlo())
                r.features_tls = dict(s.esmtp_features)
                r.auth_offered_tls = s.esmtp_features.get("auth", "").split() if s.has_extn("auth") else None
            if auth:
                user, password = auth
                if mech.upper() == "LOGIN":
                    code, text = s.docmd("AUTH", "LOGIN " + base64.b64encode(user.encode()).decode())
                    if code == 334:
                        code, text = s.docmd(base64.b64encode(password.encode()).decode())
                else:
                    blob = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode()
                    code, text = s.docmd("AUTH", "PLAIN " + blob)
                r.add("auth", code, text)
                if code != 235:
                    self._quit(s, r)
                    return r
            r.add("mail", *s.mail(sender))
            if r.code != 250:
                self._quit(s, r)
                return r
            good = 0
            for rcpt in rcpts:
                code, text = s.rcpt(rcpt)
                r.add("rcpt " + rcpt, code, text)
                r.rcpt_codes[rcpt] = code
                good += code in (250, 251)
            if not good:
                end = r.replies[-1]
                self._quit(s, r)
                r.stage, r.code, r.text = end
                return r
            if bdat:
                s.send(b"BDAT %d LAST\r\n" % len(data) + data)
                code, text = s.getreply()
            else:
                try:
                    code, text = s.data(data)
                except smtplib.SMTPDataError as e:
                    code, text = e.smtp_code, e.smtp_error
            r.add("bdat" if bdat else "data", code, text)
            if code == 250:
                r.accepted = True
                m = re.search(r"queued as (\S+)", r.text)
                r.queue_id = m.group(1) if m else None
            end = r.replies[-1]
            self._quit(s, r)
            r.stage, r.code, r.text = end
            return r
        except (OSError, smtplib.SMTPException) as e:
            r.error = "%s: %s" % (type(e).__name__, e)
            if isinstance(e, smtplib.SMTPResponseException):
                r.add("error", e.smtp_code, e.smtp_error)
            return r
        finally:
            try:
                s.close()
            except Exception:
                pass

    @staticmethod
    def _quit(s, r):
        try:
            code, text = s.quit()
            r.replies.append(("quit", code, text.decode("utf-8", "replace")))
        except (OSError, smtplib.SMTPException):
            pass

    # --- for the lab command ---------------------------------------------------------------
    def swaks_lines(self):
        """Copy-pasteable swaks commands for each listener."""
        user, pw = next(iter(self.users.items()))
        d = self.domains[0]
        pub, sub, internal = (self.ports[n] for n in LISTENERS)
        return [
            "# public (anonymous, hosted domain -> Exchange capture):",
            "swaks --server %s --port %d --from someone@sender.test --to user@%s" % (self.host, pub, d),
            "# public, outside domain (must be refused: no open relay):",
            "swaks --server %s --port %d --from someone@sender.test --to user@aol.com" % (self.host, pub),
            "# submission (STARTTLS + AUTH, anywhere -> Internet capture):",
            "swaks --server %s --port %d --tls --tls-ca-path %s --auth PLAIN --auth-user %s --auth-password '%s' --from %s --to friend@aol.com"
            % (self.host, sub, self.ca_file, user, pw, user),
            "# internal (the Exchange host %s relays out):" % self.internal_clients[0],
            "swaks --server %s --port %d --local-interface %s --from %s --to friend@aol.com"
            % (self.host, internal, self.internal_clients[0].split("/")[0], user),
        ]

