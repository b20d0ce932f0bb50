"""rawsmtp.py - a raw-socket SMTP client for protocol attacks in the tests.

smtplib always speaks proper SMTP; an attacker does not.  RawSMTP writes
exactly the bytes it is given (bare LF, commands before the greeting,
pipelined groups RFC 2920 forbids) and reads the server's replies one by
one, timing each, so a test can see what the server said, how long it
took, and whether it hung up.

    c = RawSMTP("127.0.0.1", 2525, source="127.0.0.31")
    c.reply().code              # 220 greeting (or None if it hung up)
    c.cmd("EHLO client.test")   # Reply(code, lines, elapsed)
    c.send(b"MAIL FROM:<a@b>\\r\\nRCPT TO:<c@d>\\r\\n")   # raw bytes, one write
    c.replies(2)                # the next two replies
    c.drain(3)                  # every reply until EOF or 3 s of silence
    c.starttls(ctx)             # after a 220 to STARTTLS
    c.closed(3)                 # True once the server has closed
    c.close()

Every read is bounded (line length, lines per reply, total bytes), so a
misbehaving server cannot make a test hang or eat memory.
"""
import socket
import ssl
import time

MAX_LINE = 4096             # longer reply lines are an error
MAX_REPLY_LINES = 200       # lines of one multi-line reply
MAX_DRAIN = 1 << 20         # bytes drain() reads before giving up


class Reply:
    """One SMTP reply: CODE (int), LINES (text, without CRLF), ELAPSED
    (seconds from the call that read it until its last line arrived)."""

    def __init__(self, code, lines, elapsed):
        self.code = code
        self.lines = lines
        self.elapsed = elapsed

    @property
    def text(self):
        return "\n".join(self.lines)

    def __repr__(self):
        return "<Reply %s %r %.2fs>" % (self.code, self.text[:200], self.elapsed)


class RawSMTP:
    """A connection to HOST:PORT (from SOURCE, when given)."""

    def __init__(self, host, port, source=None, timeout=20.0):
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout,
                                             source_address=(source, 0) if source else None)
        self.buf = b""
        self.eof = False
        self.transcript = []        # ("C"|"S", bytes), for diagnostics

    # --- reading -------------------------------------------------------------------
    def _fill(self, timeout):
        """Read more bytes into the buffer; False on EOF, reset or TIMEOUT."""
        if self.eof:
            return False
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return False
        except (ConnectionError, ssl.SSLError, OSError):
            data = b""
        if not data:
            self.eof = True
            return False
        self.transcript.append(("S", data))
        self.buf += data
        return True

    def _line(self, deadline):
        while b"\n" not in self.buf:
            if len(self.buf) > MAX_LINE:
                raise ValueError("reply line longer than %d bytes" % MAX_LINE)
            left = deadline - time.monotonic()
            if left <= 0 or not self._fill(left):
                return None
        line, _, self.buf = self.buf.partition(b"\n")
        return line.rstrip(b"\r").decode("utf-8", "replace")

    def reply(self, timeout=None):
        """The next reply, or None when the server closed the connection
        or said nothing within TIMEOUT seconds (default: the connection's)."""
        start = time.monotonic()
        deadline = start + (self.timeout if timeout is None else timeout)
        lines = []
        while len(lines) < MAX_REPLY_LINES:
            line = self._line(deadline)
            if line is None:
                return None
            lines.append(line)
            if len(line) < 4 or line[3] != "-":
                try:
                    code = int(line[:3])
                except ValueError:
                    code = 0
                return Reply(code, lines, time.monotonic() - start)
        raise ValueError("reply of more than %d lines" % MAX_REPLY_LINES)

    def replies(self, n, timeout=None):
        """The next N replies (fewer if the server stops answering)."""
        out = []
        for _ in range(n):
            r = self.reply(timeout)
            if r is None:
                break
            out.append(r)
        return out

    def drain(self, quiet=3.0):
        """Every reply until EOF or QUIET seconds without one."""
        out = []
        total = 0
        while total < MAX_DRAIN:
            r = self.reply(quiet)
            if r is None:
                break
            total += len(r.text)
            out.append(r)
        return out

    def closed(self, timeout=3.0):
        """True when the server closes the connection within TIMEOUT
        (whatever else it still sends is discarded)."""
        deadline = time.monotonic() + timeout
        while not self.eof and time.monotonic() < deadline:
            self.buf = b""
            self._fill(max(0.01, deadline - time.monotonic()))
        return self.eof

    # --- writing -------------------------------------------------------------------
    def send(self, data):
        """Write DATA (bytes or str) as it is, in one write.  False when
        the server has already closed the connection."""
        if isinstance(data, str):
            data = data.encode()
        self.transcript.append(("C", data))
        try:
            self.sock.sendall(data)
            return True
        except (ConnectionError, ssl.SSLError, OSError):
            self.eof = True
            return False

    def cmd(self, line, timeout=None):
        """Send one command line (CRLF added) and return its reply."""
        if not self.send(line.encode() + b"\r\n"):
            return None
        return self.reply(timeout)

    def starttls(self, ctx, server_hostname="127.0.0.1"):
        """Wrap the connection in TLS (after the server's 220 to
        STARTTLS).  Raises ssl.SSLError when the handshake fails."""
        self.sock.settimeout(self.timeout)
        self.buf = b""
        self.sock = ctx.wrap_socket(self.sock, server_hostname=server_hostname)
        return self.sock.version(), self.sock.cipher()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def dump(self, limit=3000):
        """The conversation so far, for a failed test's diagnostics."""
        out = []
        for who, data in self.transcript:
            text = data.decode("utf-8", "replace").replace("\r", "\\r").replace("\n", "\\n\n")
            out.extend("%s: %s" % (who, l) for l in text.splitlines())
        return "\n".join(out)[-limit:]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
