"""policystub.py - a stand-in Postfix policy server for harness tests.

    stub = PolicyStub(port=10041, decide=lambda req: "DUNNO").start()
    ...                      # stub.requests: list of dicts (one per query)
    stub.stop()

Speaks the SMTPD_POLICY_README protocol: "name=value" lines ended by an
empty line, answered with "action=..." and an empty line; connections are
kept open for further queries, as Postfix does.  DECIDE gets the request
dict and returns the action text ("DUNNO", "REJECT no", "DEFER_IF_PERMIT
x", "OK").  It lets the gateway tests check the Postfix side of the hook
(which listener sends what, when) without the real policyd.
"""
import socket
import socketserver
import threading


class _Handler(socketserver.StreamRequestHandler):
    def setup(self):
        super().setup()
        with self.server.lock:
            self.server.conns.add(self.request)

    def finish(self):
        with self.server.lock:
            self.server.conns.discard(self.request)
        try:
            super().finish()
        except OSError:
            pass

    def handle(self):
        req = {}
        while True:
            try:
                line = self.rfile.readline(8192)
            except OSError:
                return
            if not line:
                return
            line = line.rstrip(b"\r\n").decode("utf-8", "replace")
            if line:
                name, _, value = line.partition("=")
                req[name] = value
                continue
            with self.server.lock:
                self.server.requests.append(req)
            action = self.server.decide(req)
            self.wfile.write(("action=%s\n\n" % action).encode())
            self.wfile.flush()
            req = {}


class PolicyStub(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, port, decide=None, host="127.0.0.1"):
        self.requests = []
        self.conns = set()
        self.lock = threading.Lock()
        self.decide = decide or (lambda req: "DUNNO")
        super().__init__((host, port), _Handler)
        self.thread = None

    def start(self):
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1},
                                       daemon=True)
        self.thread.start()
        return self

    def stop(self):
        """Stop listening and drop the connections Postfix keeps open."""
        if self.thread is None:
            return
        self.thread = None
        self.shutdown()
        self.server_close()
        with self.lock:
            conns = list(self.conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def clear(self):
        with self.lock:
            self.requests = []

    def seen(self, **match):
        """Requests whose attributes equal all of MATCH."""
        with self.lock:
            return [r for r in self.requests if all(r.get(k) == v for k, v in match.items())]
