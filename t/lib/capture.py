#!/usr/bin/env python3
"""capture.py - a small SMTP server that stores every message it receives.

It stands in for the Exchange host and for "the Internet" in the lab.  It
speaks what Postfix's smtp client needs: EHLO/HELO, MAIL, RCPT, DATA, RSET,
NOOP, QUIT, with 8BITMIME, PIPELINING and SMTPUTF8 announced, and greets
with its own host name (never the gateway's myhostname, or Postfix would
refuse with "mail for ... loops back to myself").

Each accepted message becomes two files in the spool directory:
NNNNNN.json (envelope: client, helo, mail_from, mail_params, rcpts, size,
time, data_b64) and NNNNNN.eml (the raw message).  The JSON is written last
(via a rename), so a reader that sees it sees the whole message.

Run as a process (what lab.py does, so "t/lab up" can leave it running):
    capture.py --listen 127.0.0.1:2526 --dir SPOOL --hostname exchange.test
               [--pidfile FILE] [--rcpt-reply '550 5.1.1 no such user'
               --rcpt-reply-match REGEX]
Readers use Capture(spool_dir).messages() / wait_for(n, timeout).
"""
import argparse
import base64
import email
import email.policy
import glob
import json
import os
import re
import signal
import socketserver
import sys
import threading
import time

MAX_LINE = 4096          # SMTP command line limit (RFC 5321 says 512)
MAX_DATA = 64 << 20      # refuse messages above 64 MB


class Message:
    """One captured message: the envelope plus the raw bytes."""

    def __init__(self, meta, path):
        self.path = path
        self.client = meta["client"]
        self.helo = meta["helo"]
        self.mail_from = meta["mail_from"]
        self.mail_params = meta.get("mail_params", "")
        self.rcpts = list(meta["rcpts"])
        self.time = meta.get("time")
        self.data = base64.b64decode(meta["data_b64"])

    @property
    def email(self):
        """The message parsed by the email package."""
        return email.message_from_bytes(self.data, policy=email.policy.default)

    def header(self, name):
        """The first header NAME (str) or None."""
        return self.email.get(name)

    def __repr__(self):
        return "<Message from=%r rcpts=%r %d bytes>" % (self.mail_from, self.rcpts, len(self.data))


class Capture:
    """Read side of a capture spool directory (works across processes)."""

    def __init__(self, spool, name="capture", address=None):
        self.spool = spool
        self.name = name
        self.address = address      # (host, port) the server listens on
        os.makedirs(spool, exist_ok=True)

    def messages(self):
        """All messages received so far, oldest first."""
        out = []
        for path in sorted(glob.glob(os.path.join(self.spool, "[0-9]*.json"))):
            with open(path) as f:
                out.append(Message(json.load(f), path))
        return out

    def count(self):
        return len(glob.glob(os.path.join(self.spool, "[0-9]*.json")))

    def wait_for(self, n=1, timeout=20.0):
        """Wait until at least N messages are there; return all of them
        (possibly fewer than N when TIMEOUT seconds pass first)."""
        end = time.monotonic() + timeout
        while self.count() < n and time.monotonic() < end:
            time.sleep(0.1)
        return self.messages()

    def find(self, needle):
        """Messages whose raw data contains NEEDLE (str or bytes)."""
        if isinstance(needle, str):
            needle = needle.encode()
        return [m for m in self.messages() if needle in m.data]

    def clear(self):
        """Forget every message received so far."""
        for path in glob.glob(os.path.join(self.spool, "[0-9]*.*")):
            os.unlink(path)


class _Handler(socketserver.StreamRequestHandler):
    timeout = 120

    def reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def readline(self):
        line = self.rfile.readline(MAX_LINE + 1)
        if not line:
            return None
        return line.rstrip(b"\r\n").decode("utf-8", "replace")

    def handle(self):
        srv = self.server
        client = self.client_address[0]
        helo = None
        mail_from = None
        mail_params = ""
        rcpts = []
        self.reply("220 %s ESMTP relayscreen capture" % srv.hostname)
        while True:
            line = self.readline()
            if line is None:
                return
            verb, _, arg = line.partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                helo = arg
                self.reply("250-%s" % srv.hostname)
                self.reply("250-PIPELINING")
                self.reply("250-SIZE %d" % MAX_DATA)
                self.reply("250-8BITMIME")
                self.reply("250 SMTPUTF8")
            elif verb == "HELO":
                helo = arg
                self.reply("250 %s" % srv.hostname)
            elif verb == "MAIL":
                m = re.match(r"(?i)FROM:\s*<([^>]*)>\s*(.*)$", arg)
                if not m:
                    self.reply("501 5.5.4 Syntax: MAIL FROM:<address>")
                    continue
                mail_from, mail_params, rcpts = m.group(1), m.group(2), []
                self.reply("250 2.1.0 Ok")
            elif verb == "RCPT":
                m = re.match(r"(?i)TO:\s*<([^>]*)>", arg)
                if mail_from is None:
                    self.reply("503 5.5.1 Error: need MAIL command")
                elif not m:
                    self.reply("501 5.5.4 Syntax: RCPT TO:<address>")
                elif srv.rcpt_reply and re.search(srv.rcpt_match, m.group(1)):
                    self.reply(srv.rcpt_reply)
                else:
                    rcpts.append(m.group(1))
                    self.reply("250 2.1.5 Ok")
            elif verb == "DATA":
                if not rcpts:
                    self.reply("554 5.5.1 Error: no valid recipients")
                    continue
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                data = self.read_data()
                if data is None:
                    return
                if len(data) > MAX_DATA:
                    self.reply("552 5.3.4 Message too big")
                else:
                    n = srv.store(client, helo, mail_from, mail_params, rcpts, data)
                    self.reply("250 2.0.0 Ok: queued as C%06d" % n)
                mail_from, rcpts = None, []
            elif verb == "RSET":
                mail_from, rcpts = None, []
                self.reply("250 2.0.0 Ok")
            elif verb == "NOOP":
                self.reply("250 2.0.0 Ok")
            elif verb == "QUIT":
                self.reply("221 2.0.0 Bye")
                return
            else:
                self.reply("502 5.5.2 Error: command not recognized")

    def read_data(self):
        chunks = []
        size = 0
        while True:
            line = self.rfile.readline(1 << 20)
            if not line:
                return None
            if line in (b".\r\n", b".\n"):
                return b"".join(chunks)
            if line.startswith(b"."):
                line = line[1:]                 # dot-unstuffing
            size += len(line)
            if size <= MAX_DATA + 2:
                chunks.append(line)


class CaptureServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, address, spool, hostname, rcpt_reply=None, rcpt_match="."):
        self.spool = spool
        self.hostname = hostname
        self.rcpt_reply = rcpt_reply
        self.rcpt_match = rcpt_match
        self.lock = threading.Lock()
        os.makedirs(spool, exist_ok=True)
        existing = glob.glob(os.path.join(spool, "[0-9]*.json"))
        self.seq = max([int(os.path.basename(p)[:6]) for p in existing] + [0])
        super().__init__(address, _Handler)

    def store(self, client, helo, mail_from, mail_params, rcpts, data):
        with self.lock:
            self.seq += 1
            n = self.seq
        base = os.path.join(self.spool, "%06d" % n)
        with open(base + ".eml", "wb") as f:
            f.write(data)
        meta = {"client": client, "helo": helo, "mail_from": mail_from,
                "mail_params": mail_params, "rcpts": rcpts, "size": len(data),
                "time": time.time(),
                "data_b64": base64.b64encode(data).decode("ascii")}
        with open(base + ".tmp", "w") as f:
            json.dump(meta, f)
        os.rename(base + ".tmp", base + ".json")
        return n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--listen", required=True, help="HOST:PORT")
    ap.add_argument("--dir", required=True, help="spool directory")
    ap.add_argument("--hostname", default="capture.test")
    ap.add_argument("--pidfile")
    ap.add_argument("--rcpt-reply", help="reply to matching RCPT instead of 250")
    ap.add_argument("--rcpt-reply-match", default=".", help="regex on the address")
    a = ap.parse_args()
    host, _, port = a.listen.rpartition(":")
    srv = CaptureServer((host, int(port)), a.dir, a.hostname, a.rcpt_reply, a.rcpt_reply_match)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if a.pidfile:
        with open(a.pidfile, "w") as f:
            f.write("%d\n" % os.getpid())
    # the parent waits for this line: the socket is listening now
    sys.stdout.write("ready %s\n" % a.listen)
    sys.stdout.flush()
    try:
        srv.serve_forever(poll_interval=0.2)
    finally:
        srv.server_close()


if __name__ == "__main__":
    main()
