#!/usr/bin/env python3
"""t/daemon_cli.py - the command line both daemons share.

-h/--help and -V/--version (the version configure set); -t checks what a
start or SIGHUP reload will meet: the run user and group exist, every list
and map file is readable by the run user (opened as that user when -t
runs as root; and as the daemon user itself), one summary line of the same
form from both; -f writes a pidfile only when the config sets one.
The -t user checks need root (to become the run user); they skip without.
"""
import os, re, shutil, signal, socket, subprocess, tempfile, time
import tap
from tap import ok, like, is_eq, skip, done

SRC = os.environ.get("RS_SRCDIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
BUILD = os.environ.get("RS_BUILDDIR", ".")
SCREENER = os.path.join(BUILD, "screener", "screener")
POLICYD = os.path.join(BUILD, "policyd", "policyd")
ROOT = os.geteuid() == 0
RUN_AS = "nobody"           # the daemon user of the tests' configs


def version():
    with open(os.path.join(BUILD, "config.h")) as f:
        return re.search(r'#define PACKAGE_VERSION "([^"]+)"', f.read()).group(1)


def run(argv, user=None, timeout=30):
    if user:
        argv = ["setpriv", "--reuid", user, "--regid", "nogroup", "--init-groups", "--"] + argv
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout, r.stderr


SUMMARY = re.compile(r"^(\S+): OK \(([^;]+); runs as ([^,]+), (\d+ files? readable|"
                     r"files not checked as that user: run -t as root)\)\n$")

tmp = tempfile.mkdtemp(prefix="daemon_cli.")
os.chmod(tmp, 0o755)
try:
    # -h, -V
    for exe, name in ((SCREENER, "screener"), (POLICYD, "policyd")):
        for opt in ("-V", "--version"):
            rc, out, err = run([exe, opt])
            is_eq((rc, out), (0, "%s (relayscreen) %s\n" % (name, version())), f"{name} {opt}")
        for opt in ("-h", "--help"):
            rc, out, err = run([exe, opt])
            ok(rc == 0 and out.startswith("usage: %s " % name) and "-V, --version" in out
               and err == "", f"{name} {opt}: usage on stdout, exit 0", out + err)
        rc, out, err = run([exe, "--bogus"])
        ok(rc == 2 and "usage:" in err and out == "", f"{name}: an unknown option exits 2 with usage on stderr")

    lists = os.path.join(tmp, "lists")
    os.makedirs(lists)
    os.chmod(lists, 0o755)
    words = os.path.join(lists, "words.txt")
    with open(words, "w") as f:
        f.write("secret\n")
    os.chmod(words, 0o644)
    hosted = os.path.join(lists, "hosted")
    with open(hosted, "w") as f:
        f.write("example.com\n")
    os.chmod(hosted, 0o644)

    def sconf(user, group=None):
        p = os.path.join(tmp, "screener-%s.conf" % user)
        with open(p, "w") as f:
            f.write('rules = ( { name = "kw"; keywords = { words_file = "lists/words.txt"; };\n'
                    '            action = "hold"; } );\n'
                    'milter = { user = "%s";%s };\n' % (user, ' group = "%s";' % group if group else ""))
        os.chmod(p, 0o644)
        return p

    def pconf(user, group=None):
        p = os.path.join(tmp, "policyd-%s.conf" % user)
        with open(p, "w") as f:
            f.write('policyd = { listen = "inet:127.0.0.1:10999";\n'
                    '            user = "%s";%s };\n'
                    'hosted_domains_file = "lists/hosted";\n'
                    'listeners = { public = { relay = "hosted"; }; };\n'
                    % (user, ' group = "%s";' % group if group else ""))
        os.chmod(p, 0o644)
        return p

    if not ROOT:
        skip("not root: cannot become the run user", "-t user and file checks")
    else:
        # the same summary line from both daemons
        for exe, conf, what in ((SCREENER, sconf(RUN_AS), r"1 rule"),
                                (POLICYD, pconf(RUN_AS), r"1 listener, 1 hosted domain")):
            rc, out, err = run([exe, "-t", "-c", conf])
            m = SUMMARY.match(out)
            ok(rc == 0 and m and err == "", f"{os.path.basename(exe)} -t: one summary line", out + err)
            if m:
                is_eq(m.group(1), conf, f"{os.path.basename(exe)} -t: names the file")
                like(m.group(2), "^" + what + "$", f"{os.path.basename(exe)} -t: counts")
                is_eq(m.group(3), "nobody:nogroup", f"{os.path.basename(exe)} -t: the run user:group")
                is_eq(m.group(4), "2 files readable", f"{os.path.basename(exe)} -t: config + list opened as the user")

        # a run user or group that does not exist
        for exe, mk, key in ((SCREENER, sconf, "milter"), (POLICYD, pconf, "policyd")):
            n = os.path.basename(exe)
            conf = mk("rs-no-such-user")
            rc, out, err = run([exe, "-t", "-c", conf])
            ok(rc == 1 and out == "", f"{n} -t: missing user exits 1, no OK line", out + err)
            like(err, r"^%s:\d+: run user \"rs-no-such-user\" does not exist" % re.escape(conf),
                 f"{n} -t: missing user named at FILE:LINE")
            conf = mk(RUN_AS, "rs-no-such-group")
            rc, out, err = run([exe, "-t", "-c", conf])
            ok(rc == 1 and re.search(r"^%s:\d+: run group \"rs-no-such-group\" does not exist"
                                     % re.escape(conf), err, re.M), f"{n} -t: missing group named", err)

        # a list root can read but the run user cannot
        for exe, mk, path, line in ((SCREENER, sconf, words, 1), (POLICYD, pconf, hosted, 3)):
            n = os.path.basename(exe)
            conf = mk(RUN_AS)
            os.chmod(path, 0o600)
            rc, out, err = run([exe, "-t", "-c", conf])
            ok(rc == 1 and out == "", f"{n} -t as root: unreadable list exits 1", out + err)
            like(err, r"^%s:%d: \"%s\" is not readable by nobody:nogroup" % (
                re.escape(conf), line, re.escape(path)), f"{n} -t as root: names the list at FILE:LINE")
            # as the daemon user itself: the loader cannot open it either
            rc, out, err = run([exe, "-t", "-c", conf], user=RUN_AS)
            ok(rc == 1 and out == "" and path in err and "Permission denied" in err,
               f"{n} -t as {RUN_AS}: unreadable list exits 1", out + err)
            os.chmod(path, 0o644)
            rc, out, err = run([exe, "-t", "-c", conf], user=RUN_AS)
            ok(rc == 0 and SUMMARY.match(out) and "2 files readable" in out,
               f"{n} -t as {RUN_AS}: readable again, OK", out + err)
        # the config itself unreadable by the run user (a reload re-reads it)
        conf = sconf(RUN_AS)
        os.chmod(conf, 0o600)
        rc, out, err = run([SCREENER, "-t", "-c", conf])
        like(err, r"^%s:0: \"%s\" is not readable by nobody" % (re.escape(conf), re.escape(conf)),
             "screener -t as root: a config only root can read is refused")
        os.chmod(conf, 0o644)

    # -f: no pidfile unless configured; configured: written, removed at exit
    def start_screener(conf, sock):
        return subprocess.Popen([SCREENER, "-f", "-c", conf, "-p", "unix:" + sock],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def wait_sock(p, sock):
        end = time.monotonic() + 10
        while time.monotonic() < end and p.poll() is None:
            try:
                with socket.socket(socket.AF_UNIX) as c:
                    c.connect(sock)
                return True
            except OSError:
                time.sleep(0.05)
        return False

    for pid_line, want in (("", False), ('pidfile = "%s/s.pid";' % tmp, True)):
        conf = os.path.join(tmp, "fg.conf")
        with open(conf, "w") as f:
            f.write('milter = { user = ""; socket_group = ""; %s };\n' % pid_line)
        sock = os.path.join(tmp, "s.sock")
        p = start_screener(conf, sock)
        try:
            up = wait_sock(p, sock)
            ok(up, "screener -f runs %s" % ("with milter.pidfile set" if want else
                                            "without /run/relayscreen and no pidfile set"))
            has = os.path.exists(os.path.join(tmp, "s.pid"))
            is_eq(has, want, "screener -f: pidfile %s" % ("written" if want else "not written"))
            if want and has:
                with open(os.path.join(tmp, "s.pid")) as f:
                    is_eq(f.read().strip(), str(p.pid), "screener -f: pidfile holds its pid")
        finally:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if want:
            ok(not os.path.exists(os.path.join(tmp, "s.pid")), "screener -f: pidfile removed at exit")
    # the example config under -f (as the unit runs it): no pidfile, so no
    # /run/relayscreen needed; its statistics are pointed into tmp
    if ROOT:
        ex = os.path.join(tmp, "example")
        shutil.copytree(os.path.join(SRC, "conf"), ex)
        os.chmod(ex, 0o755)
        conf = os.path.join(ex, "screener.conf")
        with open(conf) as f:
            text = f.read()
        run = os.path.join(tmp, "run")
        os.makedirs(run)
        os.chmod(run, 0o1777)
        text = re.sub(r'(?m)^(\s*file\s*=\s*)"/run/relayscreen/screener.stats"',
                      r'\1"%s/screener.stats"' % run, text)
        with open(conf, "w") as f:
            f.write(text)
        sock = os.path.join(tmp, "ex.sock")
        p = start_screener(conf, sock)
        try:
            ok(wait_sock(p, sock), "the example screener.conf runs under -f without /run/relayscreen")
        finally:
            p.send_signal(signal.SIGTERM)
            try:
                rc = p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                rc = p.wait()
        err = p.stderr.read().decode("utf-8", "replace")
        is_eq(rc, 0, "and stops cleanly", err)
        ok("pidfile" not in err and os.path.exists(os.path.join(run, "screener.stats")),
           "no pidfile asked for; statistics written as the run user", err)
finally:
    shutil.rmtree(tmp, ignore_errors=True)
done()
