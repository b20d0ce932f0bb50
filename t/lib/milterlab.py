"""milterlab.py - the screener in a real Postfix lab (for t/milter_*.py).

    from milterlab import MilterLab, mime_message
    with MilterLab(SCREENER_CONF) as lab:      # a lab.Lab with the screener
        r = lab.send("public", data=mime_message(...))
        lab.screener_log()                     # the screener's own log
        lab.kill_screener(signal.SIGKILL); lab.start_screener()

Wraps lab.Lab (the gateway work's harness) without changing it: the
screener runs in the foreground with its log in <labdir>/screener.log;
the config text is written to <labdir>/screener.conf, so tests can
rewrite it and send SIGHUP.
"""
import base64
import email.message
import email.policy
import email.utils
import os
import signal
import time
import uuid

import tap
from lab import Lab, _kill_pid, _pid_alive


def skip_unless_lab():
    """Skip the whole test file when the lab cannot or must not run."""
    if os.environ.get("RS_SKIP_LAB"):
        tap.skip_all("RS_SKIP_LAB set")
    tap.require_root()


class MilterLab(Lab):
    """A Lab with the screener started from SCREENER_CONF (config text)."""

    def __init__(self, screener_conf, **kw):
        super().__init__(screener_conf=screener_conf, **kw)

    @property
    def screener_conf_path(self):
        return os.path.join(self.dir, "screener.conf")

    @property
    def screener_pid(self):
        return self.procs.get("screener")

    def screener_log(self):
        try:
            with open(os.path.join(self.dir, "screener.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def wait_screener_log(self, needle, timeout=10.0, since=0):
        """True once NEEDLE (plain text) is in the screener's log."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if needle in self.screener_log()[since:]:
                return True
            time.sleep(0.05)
        return False

    def signal_screener(self, sig):
        os.kill(self.screener_pid, sig)

    def kill_screener(self, sig=signal.SIGKILL):
        """Kill the screener with SIG and reap it."""
        pid = self.screener_pid
        if pid and _pid_alive(pid):
            os.kill(pid, sig)
            p = getattr(self, "_popen", {}).get("screener")
            if p is not None:
                p.wait(10)
        self.procs.pop("screener", None)

    def stop_screener(self, timeout=20):
        """SIGTERM the screener and wait; its exit status (None: had to
        be killed).  Sanitizer reports, if any, are then in its log."""
        p = getattr(self, "_popen", {}).get("screener")
        if p is None or p.poll() is not None:
            return p.returncode if p else None
        p.send_signal(signal.SIGTERM)
        try:
            rc = p.wait(timeout)
        except Exception:
            p.kill()
            p.wait()
            rc = None
        self.procs.pop("screener", None)
        return rc

    def start_screener(self):
        """(Re)start the screener with the config file as it is now."""
        if self.screener_pid:
            _kill_pid(self.screener_pid)
        if os.path.exists(self.screener_socket):
            os.unlink(self.screener_socket)
        self._start_screener()

    def write_screener_conf(self, text):
        text = text.replace("@SOCKET@", "unix:" + self.screener_socket)
        with open(self.screener_conf_path, "w") as f:
            f.write(text)

    def wait_delivered(self, capture, token, timeout=20.0):
        """The messages at CAPTURE that carry TOKEN, once there are any."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            got = capture.find(token)
            if got:
                return got
            time.sleep(0.1)
        return []


def check_clean_exit(lab):
    """Stop the screener: it must exit 0 on SIGTERM and leave no sanitizer
    report in its log."""
    rc = lab.stop_screener()
    tap.is_eq(rc, 0, "exit status 0 on SIGTERM")
    tap.unlike(lab.screener_log(), r"AddressSanitizer|LeakSanitizer|runtime error:",
               "no sanitizer report in its log")


def mime_message(sender, rcpts, subject=None, text="Hello.\n", attachments=(),
                 headers=None):
    """A multipart/mixed message (bytes) and its X-Lab-Token.
    ATTACHMENTS: [(filename, bytes, mime type)]."""
    token = uuid.uuid4().hex
    m = email.message.EmailMessage()
    m["From"] = sender
    m["To"] = ", ".join(rcpts)
    m["Subject"] = subject or "milter lab %s" % token[:8]
    m["Date"] = email.utils.formatdate()
    m["Message-ID"] = "<%s@client.test>" % token
    m["X-Lab-Token"] = token
    for k, v in (headers or {}).items():
        m[k] = v
    m.set_content(text)
    for name, data, ctype in attachments:
        maintype, subtype = ctype.split("/")
        m.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return m.as_bytes(policy=email.policy.SMTP), token


def parts(raw):
    """[(filename or None, content type, decoded payload)] of a message."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    out = []
    for p in msg.walk():
        if p.is_multipart():
            continue
        out.append((p.get_filename(), p.get_content_type(),
                    p.get_payload(decode=True)))
    return out


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(range(256)) * 4
PDF = b"%PDF-1.4\n" + os.urandom(3000) + b"\n%%EOF\n"
PDF_B64 = base64.b64encode(PDF)
