"""milterbench.py - pieces of the milter benchmark (bench/run-milter-bench).

A private Postfix on loopback relaying everything to smtp-sink, a
generated corpus, the SMTP clients (bench/smtp_blast, the C client that
saturates Postfix: blast(); the older Python one, worker processes with
one message per connection: send_all()), and helpers to start the
screener and the null milter.  Whatever it starts it stops.

The private Postfix is tuned for throughput, not as a gateway would run:
its queue on tmpfs (/dev/shm: no fsync per message reaching a disk),
no reverse lookup of the client (smtpd_peername_lookup = no), no anvil
limits, in_flow_delay = 0, processes reused 1000 times (max_use), 200
processes, connections to smtp-sink cached (smtp_connection_cache_
destinations) with 40 in parallel; smtp-sink answers at once (no -w
delay), up to 256 sessions (-m 256).  Every variant runs on the same
instance, so the ratios compare like with like.
"""
import base64
import io
import multiprocessing
import os
import random
import shutil
import signal
import socket
import subprocess
import time
import zipfile

SMTP_PORT = 2725
SINK_PORT = 2726
PAIR_PORTS = (2729, 2730)       # two more listeners: paired runs (pair())

MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {d}/spool
data_directory = {d}/data
mail_owner = postfix
setgid_group = postdrop
myhostname = bench.example
mydomain = example
myorigin = bench.example
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost = [127.0.0.1]:{sink}
maillog_file = {d}/maillog
maillog_file_prefixes = /tmp, /var, /work, /dev/shm
alias_maps =
alias_database =
local_recipient_maps =
biff = no
smtputf8_enable = no
message_size_limit = 60000000
default_process_limit = 200
max_use = 1000
smtpd_peername_lookup = no
smtp_connection_cache_destinations = [127.0.0.1]:{sink}
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
smtpd_client_message_rate_limit = 0
smtpd_recipient_restrictions = permit_mynetworks, reject
default_destination_concurrency_limit = 40
smtp_connection_cache_on_demand = yes
milter_default_action = tempfail
milter_protocol = 6
milter_content_timeout = 300s
in_flow_delay = 0
bench_milters_a =
bench_milters_b =
"""

MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
127.0.0.1:{port_a} inet n - n - - smtpd -o smtpd_milters=$bench_milters_a
127.0.0.1:{port_b} inet n - n - - smtpd -o smtpd_milters=$bench_milters_b
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
local     unix  - n n - - local
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
"""


class Postfix:
    """A private Postfix instance in directory d; smtpd on SMTP_PORT."""

    def __init__(self, d, port=SMTP_PORT, sink=SINK_PORT):
        self.d, self.port, self.sink = d, port, sink
        self.etc = os.path.join(d, "etc")
        os.makedirs(self.etc, exist_ok=True)
        os.makedirs(os.path.join(d, "spool"), exist_ok=True)
        os.makedirs(os.path.join(d, "data"), exist_ok=True)
        shutil.chown(os.path.join(d, "data"), "postfix", "postfix")
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            f.write(MAIN_CF.format(d=d, sink=sink))
        with open(os.path.join(self.etc, "master.cf"), "w") as f:
            f.write(MASTER_CF.format(port=port, port_a=PAIR_PORTS[0],
                                     port_b=PAIR_PORTS[1]))

    def postconf(self, *settings):
        subprocess.run(["postconf", "-c", self.etc, "-e"] + list(settings),
                       check=True)

    def postfix(self, *args, check=True):
        r = subprocess.run(["postfix", "-c", self.etc] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
        if check and r.returncode != 0:
            raise RuntimeError("postfix %s: %s" % (" ".join(args), r.stdout))
        return r

    def start(self):
        self.postfix("check", check=False)
        self.postfix("start")
        wait_port(self.port)

    def reload(self):
        self.postfix("reload")
        time.sleep(1.5)
        wait_port(self.port)

    def stop(self):
        self.postfix("stop", check=False)

    def queue_empty(self):
        for sub in ("incoming", "active", "deferred", "maildrop", "hold"):
            for _root, _dirs, files in os.walk(os.path.join(self.d, "spool", sub)):
                if files:
                    return False
        return True

    def wait_drained(self, timeout=600):
        end = time.time() + timeout
        while time.time() < end:
            if self.queue_empty():
                return True
            time.sleep(0.05)
        return False


def wait_port(port, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nothing listens on port %d" % port)


def wait_path(path, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        if os.path.exists(path):
            return
        time.sleep(0.05)
    raise RuntimeError("%s did not appear" % path)


class Proc:
    """A background process, stopped by PID."""

    def __init__(self, argv, **kw):
        self.p = subprocess.Popen(argv, **kw)

    @property
    def pid(self):
        return self.p.pid

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.p.poll() is None:
            self.p.send_signal(sig)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


# --- corpus ---------------------------------------------------------------

WORDS = ("the report quarterly meeting figures attached please review "
         "project budget schedule customer invoice delivery update team "
         "office product market sales growth plan analysis result data "
         "summary next week monday friday thanks regards").split()


def _text(rnd, nbytes):
    out, n = [], 0
    while n < nbytes:
        line = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(8, 14)))
        out.append(line)
        n += len(line) + 2
    return "\r\n".join(out) + "\r\n"


def make_zip(rnd, nfiles, blob):
    """A deflated zip: nfiles text files and a random blob."""
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        for k in range(nfiles):
            z.writestr("docs/file%d.txt" % k, _text(rnd, rnd.randint(2000, 20000)))
        z.writestr("docs/blob.bin", rnd.randbytes(blob))
    return b.getvalue()


def make_message(rnd, i, zips=False):
    """One corpus message: plain, HTML alternative, or (20%) with a
    50-200 KB base64 attachment (with zips=True half of those a zip of
    text files and a random blob)."""
    hdr = ("From: sender%d@outside.example\r\nTo: user%d@inside.example\r\n"
           "Subject: %s %d\r\nMessage-ID: <bench%d@outside.example>\r\n"
           "Date: Mon, 23 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
           % (i, i % 50, rnd.choice(WORDS), i, i))
    kind = rnd.random()
    # (randbytes: the same sizes as byte-by-byte getrandbits, 100x faster)
    if kind < 0.1 and zips:
        att = make_zip(rnd, rnd.randint(1, 10), rnd.randint(20000, 100000))
        b64 = base64.encodebytes(att).decode().replace("\n", "\r\n")
        body = ("--B1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n" +
                _text(rnd, rnd.randint(1000, 4000)) +
                "--B1\r\nContent-Type: application/zip; name=\"docs%d.zip\"\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\n" % i + b64 + "--B1--\r\n")
        return hdr + "Content-Type: multipart/mixed; boundary=\"B1\"\r\n\r\n" + body
    if kind < 0.2:
        att = rnd.randbytes(rnd.randint(37000, 150000))
        b64 = base64.encodebytes(att).decode().replace("\n", "\r\n")
        body = ("--B1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n" +
                _text(rnd, rnd.randint(1000, 4000)) +
                "--B1\r\nContent-Type: application/pdf; name=\"doc%d.pdf\"\r\n"
                "Content-Disposition: attachment; filename=\"doc%d.pdf\"\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\n" % (i, i) + b64 +
                "--B1--\r\n")
        return hdr + "Content-Type: multipart/mixed; boundary=\"B1\"\r\n\r\n" + body
    if kind < 0.6:
        t = _text(rnd, rnd.randint(5000, 15000))
        html = "<html><body><p>" + t.replace("\r\n", "</p>\r\n<p>") + "</p></body></html>\r\n"
        body = ("--A1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n" + t +
                "--A1\r\nContent-Type: text/html; charset=us-ascii\r\n"
                "Content-Transfer-Encoding: quoted-printable\r\n\r\n" + html +
                "--A1--\r\n")
        return hdr + "Content-Type: multipart/alternative; boundary=\"A1\"\r\n\r\n" + body
    return (hdr + "Content-Type: text/plain; charset=us-ascii\r\n\r\n" +
            _text(rnd, rnd.randint(5000, 24000)))


def make_corpus(n, seed=42, zips=False):
    rnd = random.Random(seed)
    return [make_message(rnd, i, zips).encode() for i in range(n)]


def big_zip_message(mb=20):
    """A message with one MB-megabyte zip attachment (compressible text
    files, so that reading it expands), base64."""
    rnd = random.Random(9)
    b = io.BytesIO()
    text = _text(rnd, 1 << 20).encode()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_STORED) as z:
        k = 0
        while b.tell() < mb << 20:
            z.writestr("data/part%03d.txt" % k, text)
            k += 1
    b64 = base64.encodebytes(b.getvalue()).replace(b"\n", b"\r\n")
    return (b"From: big@outside.example\r\nTo: user1@inside.example\r\n"
            b"Subject: big zip\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=\"Z\"\r\n\r\n--Z\r\n"
            b"Content-Type: application/zip; name=\"big.zip\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + b64 + b"--Z--\r\n")


# 100 keyword rules and 20 extension rules that never match the corpus, so
# every message is screened to its end.
KEYWORDS = ["zqx%03dword" % i for i in range(100)]
EXTENSIONS = ["x%02d" % i for i in range(20)]


# The container and type rules (issue 9), none matching the corpus.
FILES_RULES = [
    '{ name = "types"; attachment = { detected_types = ["application/x-msi", '
    '"application/x-ms-shortcut"]; }; action = "reject"; }',
    '{ name = "encrypted"; attachment = { encrypted = true; }; action = "hold"; }',
    '{ name = "macros"; attachment = { macros = true; }; action = "reject"; }',
    '{ name = "unreadable"; attachment = { unreadable = true; }; action = "hold"; }',
    # logs once per message whose zip holds data/part*.txt: the RSS run's
    # big zips (proves they were opened); never the corpus
    '{ name = "seen-inside"; attachment = { names = ["part0*.txt"]; }; action = "log"; }',
]


# A glob detected_types rule (never matching the corpus): libmagic must
# then look up every attachment and every file in a zip.
MAGIC_GLOB_RULE = ('{ name = "types-glob"; attachment = { detected_types = '
                   '["application/x-ms*"]; }; action = "reject"; }')


def screener_conf(path, socket_spec, files=False, magic_glob=False):
    rules = list(FILES_RULES) if files else []
    if magic_glob:
        rules.append(MAGIC_GLOB_RULE)
    for i, w in enumerate(KEYWORDS):
        rules.append('{ name = "kw%d"; keywords = { words = ["%s"]; in = ["subject", "body"]; }; '
                     'action = "reject"; }' % (i, w))
    for i, x in enumerate(EXTENSIONS):
        rules.append('{ name = "ext%d"; attachment = { extensions = ["%s"]; }; '
                     'action = "reject"; }' % (i, x))
    with open(path, "w") as f:
        f.write('milter = { socket = "%s"; user = ""; pidfile = ""; socket_group = "postfix";'
                ' spool_dir = "/tmp"; };\n' % socket_spec)
        f.write("rules = (\n  " + ",\n  ".join(rules) + "\n);\n")


def pcre_tables(d):
    """Postfix's own body_checks / mime_header_checks with the same rules."""
    body = os.path.join(d, "body_checks.pcre")
    mime = os.path.join(d, "mime_header_checks.pcre")
    head = os.path.join(d, "header_checks.pcre")
    with open(body, "w") as f:
        for w in KEYWORDS:
            f.write("/%s/i REJECT keyword\n" % w)
    with open(mime, "w") as f:
        for x in EXTENSIONS:
            f.write("/^Content-(Disposition|Type):.*name\\s*=\\s*\"?[^\"]*\\.%s\"?\\s*$/i REJECT extension\n" % x)
    with open(head, "w") as f:
        for w in KEYWORDS:
            f.write("/^Subject:.*%s/i REJECT keyword\n" % w)
    return body, mime, head


# --- client ---------------------------------------------------------------

def _send_one(port, msg, i):
    s = socket.create_connection(("127.0.0.1", port), 30)
    f = s.makefile("rb")

    def expect(code):
        while True:
            line = f.readline()
            if not line:
                raise RuntimeError("connection closed")
            if line[3:4] != b"-":
                if not line.startswith(code):
                    raise RuntimeError(line.decode(errors="replace").strip())
                return line
    expect(b"220")
    s.sendall(b"EHLO client.example\r\n"); expect(b"250")
    s.sendall(b"MAIL FROM:<sender%d@outside.example>\r\n" % i); expect(b"250")
    s.sendall(b"RCPT TO:<user%d@inside.example>\r\n" % (i % 50)); expect(b"250")
    s.sendall(b"DATA\r\n"); expect(b"354")
    s.sendall(msg + b".\r\n"); expect(b"250")
    s.sendall(b"QUIT\r\n")
    s.close()


def _worker(args):
    port, corpus, idx = args
    errors = 0
    for i in idx:
        try:
            _send_one(port, corpus[i], i)
        except Exception:           # counted, reported by the caller
            errors += 1
    return errors


def send_all(port, corpus, parallel=16):
    """Send every message once, one per connection; returns
    (seconds until sent and delivered-or-queued, errors)."""
    idx = list(range(len(corpus)))
    chunks = [(port, corpus, idx[k::parallel]) for k in range(parallel)]
    t0 = time.time()
    with multiprocessing.get_context("fork").Pool(parallel) as pool:
        errors = sum(pool.map(_worker, chunks))
    return time.time() - t0, errors


def write_corpus(path, corpus):
    """The corpus as bench/smtp_blast reads it: "RSCORPUS\n", then per
    message its length, "\n" and its bytes."""
    with open(path, "wb") as f:
        f.write(b"RSCORPUS\n")
        for m in corpus:
            f.write(b"%d\n" % len(m))
            f.write(m)
    return path


def blast(binary, port, corpus_file, count, parallel=16, per_conn=1):
    """bench/smtp_blast: count messages (cycling through the corpus file)
    over parallel connections, per_conn messages on each; returns
    (seconds, errors, counts) where counts holds ok, tempfail, reject,
    errors, conns as it printed them."""
    r = subprocess.run([binary, "-c", str(parallel), "-m", str(per_conn), "-n", str(count),
                        "-p", str(port), corpus_file], stdout=subprocess.PIPE, text=True,
                       check=True)
    counts = blast_counts(r.stdout)
    return counts["seconds"], counts["bad"], counts


def blast_counts(line):
    """smtp_blast's line ("sent N ok A ... rate X msg/s") as a dict, with
    "bad": the messages that did not end ok."""
    w = line.split()
    counts = {w[k]: float(w[k + 1]) for k in range(0, len(w) - 2, 2)}
    counts["bad"] = int(counts["tempfail"] + counts["reject"] + counts["errors"])
    return counts


def pair(binary, corpus_file, seconds, parallel=16, per_conn=1):
    """Two bench/smtp_blast clients at once, one at each PAIR_PORTS
    listener, for the same seconds (-t): what each got done in that
    window, as (msg/s at PAIR_PORTS[0], msg/s at PAIR_PORTS[1], errors).
    Both share the machine at every moment, so the ratio of the two is
    not moved by what else the host does."""
    procs = [subprocess.Popen([binary, "-c", str(parallel), "-m", str(per_conn),
                               "-t", str(seconds), "-p", str(port), corpus_file],
                              stdout=subprocess.PIPE, text=True)
             for port in PAIR_PORTS]
    rates, bad = [], 0
    for p in procs:
        out, _ = p.communicate()
        if p.returncode != 0:
            raise RuntimeError("smtp_blast failed")
        c = blast_counts(out)
        rates.append(c["window_ok"] / c["window_seconds"])
        bad += c["bad"]
    return rates[0], rates[1], bad


def rss_kb(pid):
    """(current, peak) resident set of a process in KB."""
    cur = peak = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                cur = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1])
    return cur, peak


def cpu_seconds(pid):
    """User+system CPU time a process has used so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
