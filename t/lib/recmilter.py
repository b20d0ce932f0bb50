"""recmilter.py - a milter that accepts everything and records that it was
called, for tests that must show a site's own milters (OpenDKIM,
OpenDMARC stand-ins) are still called, and in which order.

    calls = Calls()
    m = RecMilter("opendkim", "inet:127.0.0.1:28891", calls).start()
    ...                       # calls.for_token(tok) -> ["screener", "opendkim", ...]
    m.stop()

Speaks the Sendmail milter protocol (version 6) as Postfix uses it:
4-byte length, command byte, data.  It asks for every event, answers
"continue" to each, and at end of message records (name, X-Lab-Token
header value).  Threads in the test process: nothing to kill afterwards.
Packets are bounded (MAX_PACKET) and a bad one ends the connection.
"""
import os
import socket
import struct
import threading

MAX_PACKET = 1 << 20
NO_REPLY = b"DAQK"                  # macros, abort, quit, quit-new-connection


class Calls:
    """What the milters saw, in the order they saw it (end of message)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.log = []               # (milter name, token, daemon name)

    def add(self, *entry):
        with self.lock:
            self.log.append(entry)

    def for_token(self, token):
        with self.lock:
            return [n for n, t, _ in self.log if t == token]


class RecMilter:
    def __init__(self, name, address, calls):
        self.name, self.address, self.calls = name, address, calls
        self.sock = None
        self.threads = []
        self.stopping = False

    def start(self):
        kind, _, rest = self.address.partition(":")
        if kind == "unix":
            if os.path.exists(rest):
                os.unlink(rest)
            self.sock = socket.socket(socket.AF_UNIX)
            self.sock.bind(rest)
            os.chmod(rest, 0o666)   # smtpd runs as postfix
        else:
            host, _, port = rest.rpartition(":")
            self.sock = socket.socket(socket.AF_INET)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.sock.bind((host, int(port)))
            self.address = "inet:%s:%d" % self.sock.getsockname()   # port 0: the one given
        self.sock.listen(16)
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()
        self.threads.append(t)
        return self

    def stop(self):
        self.stopping = True
        try:
            self.sock.close()
        except OSError:
            pass
        if self.address.startswith("unix:"):
            try:
                os.unlink(self.address[5:])
            except OSError:
                pass

    def _accept(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            t.start()

    @staticmethod
    def _read(conn, n):
        buf = b""
        while len(buf) < n:
            chunk = conn.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf

    def _serve(self, conn):
        conn.settimeout(60)
        token, daemon = None, None
        try:
            while True:
                (length,) = struct.unpack("!I", self._read(conn, 4))
                if length < 1 or length > MAX_PACKET:
                    return
                pkt = self._read(conn, length)
                cmd, data = pkt[:1], pkt[1:]
                if cmd == b"O":
                    conn.sendall(struct.pack("!IcIII", 13, b"O", 6, 0, 0))
                    continue
                if cmd == b"D" and len(data) > 1:
                    parts = data[1:].split(b"\0")
                    for k, v in zip(parts[::2], parts[1::2]):
                        if k in (b"{daemon_name}", b"daemon_name"):
                            daemon = v.decode("utf-8", "replace")
                if cmd == b"L":
                    k, _, v = data.partition(b"\0")
                    if k.lower() == b"x-lab-token":
                        token = v.rstrip(b"\0").decode("ascii", "replace").strip()
                if cmd == b"E":
                    self.calls.add(self.name, token, daemon)
                    token = None
                if cmd == b"Q":
                    return
                if cmd not in NO_REPLY:
                    conn.sendall(struct.pack("!Ic", 1, b"c"))
        except (OSError, EOFError, struct.error):
            return
        finally:
            conn.close()
