#!/usr/bin/env python3
"""gateway_merge.py - postfix-snippets/relayscreen-postfix on copies of a
stock Debian Postfix configuration (TAP).  No Postfix is started.

apply gives what the snippets say (listeners, TLS/AUTH, milter, policy),
"postfix check" is clean (as root; skipped otherwise), applying twice gives
identical bytes, the first backup is kept, undo restores the original
bytes, --no-milter / --no-policy / --no-chroot and --set work and can be
switched back and forth.
"""
import os
import shutil
import subprocess
import tempfile

import tap

SRC = os.environ.get("RS_SRCDIR") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(SRC, "postfix-snippets", "relayscreen-postfix")
ROOT = os.geteuid() == 0
STOCK_MAIN = "/usr/share/postfix/main.cf.debian"
STOCK_MASTER = "/usr/share/postfix/master.cf.dist"

if not shutil.which("postconf", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin"):
    tap.skip_all("postconf not installed")
os.environ["PATH"] = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"

top = tempfile.mkdtemp(prefix="rs-merge.")
os.chmod(top, 0o755)

# Postfix programs wait until main.cf is a second old before reading it,
# which makes each apply take seconds.  The script runs postconf/postfix
# as $POSTCONF/$POSTFIX: wrappers that age the files first (only the
# modification time changes, never the bytes compared below).
for tool in ("postconf", "postfix"):
    with open(os.path.join(top, tool), "w") as f:
        f.write('#!/bin/sh\nd=/etc/postfix; prev=\n'
                'for a in "$@"; do [ "$prev" = -c ] && d=$a; prev=$a; done\n'
                'touch -d "@$(( $(date +%%s) - 3 ))" "$d/main.cf" "$d/master.cf" 2>/dev/null\n'
                'exec %s "$@"\n' % shutil.which(tool))
    os.chmod(os.path.join(top, tool), 0o755)
os.environ["POSTCONF"] = os.path.join(top, "postconf")
os.environ["POSTFIX"] = os.path.join(top, "postfix")


def fresh(name, main=STOCK_MAIN, master=STOCK_MASTER):
    """A config dir with the stock files; the queue (for postfix check)
    is private so the system's is not touched."""
    d = os.path.join(top, name)
    os.makedirs(d)
    shutil.copyfile(main if os.path.exists(main) else "/etc/postfix/main.cf", os.path.join(d, "main.cf"))
    shutil.copyfile(master if os.path.exists(master) else "/etc/postfix/master.cf", os.path.join(d, "master.cf"))
    spool = os.path.join(d, "spool")
    os.makedirs(spool)
    os.chmod(d, 0o755)
    with open(os.path.join(d, "main.cf"), "a") as f:
        f.write("queue_directory = %s\ndata_directory = %s/data\n" % (spool, d))
    return d


def script(d, *args):
    cmd = ["sh", SCRIPT, "-c", d] + list(args)
    if not ROOT and "apply" in args:
        cmd.insert(4, "--no-check")
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def read(d, name):
    with open(os.path.join(d, name), "rb") as f:
        return f.read()


def postconf(d, *args):
    p = subprocess.run([os.environ["POSTCONF"], "-c", d] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    return p.stdout, p.stderr


def params(d):
    out, _ = postconf(d, "-n")
    return dict(l.split(" = ", 1) if " = " in l else (l.rstrip(" ="), "") for l in out.splitlines())


def svc(d):
    """{service/type/param: value} from postconf -P."""
    out, _ = postconf(d, "-P")
    return dict(l.split(" = ", 1) if " = " in l else (l.rstrip(" ="), "") for l in out.splitlines())


def entries(d):
    out, _ = postconf(d, "-Mf")
    return out


try:
    @tap.case("apply to a stock config")
    def _():
        d = fresh("stock")
        orig = (read(d, "main.cf"), read(d, "master.cf"))
        r = script(d, "apply")
        tap.is_eq(r.returncode, 0, "apply exits 0")
        tap.unlike(r.stdout, r"(?i)warning|fatal|error", "no warnings from apply / postfix check")
        if not ROOT:
            tap.skip("not root", "postfix check")
        _, err = postconf(d, "-n")
        tap.is_eq(err, "", "postconf -n: no warnings (no unused or undefined parameters)")
        _, err = postconf(d, "-M")
        tap.is_eq(err, "", "postconf -M: no warnings")
        p = params(d)
        tap.is_eq(p.get("relay_domains"), "example.com example.net", "relay_domains")
        tap.like(p.get("transport_maps", ""), r"example\.com=smtp:\[exchange\.example\.internal\]:25",
                 "transport_maps sends the hosted domains to Exchange")
        tap.ok("relay_recipient_maps" in p, "relay_recipient_maps present (empty until enabled)")
        tap.is_eq(p.get("smtpd_milters"), "unix:relayscreen/screener.sock", "milter socket relative to the queue")
        tap.is_eq(p.get("milter_default_action"), "tempfail", "milter_default_action = tempfail")
        tap.is_eq(p.get("milter_protocol"), "6", "milter_protocol = 6")
        for m in ("{auth_authen}", "{auth_type}", "{tls_version}", "{cipher}", "{cipher_bits}",
                  "{daemon_name}", "{client_addr}"):
            tap.ok(m in p.get("milter_mail_macros", "").split(), "milter_mail_macros has %s" % m)
        tap.ok("i" in p.get("milter_end_of_data_macros", "").split(), "end-of-data macros have i")
        tap.ok("i" in p.get("milter_rcpt_macros", "").split(), "rcpt macros have i")
        tap.like(p.get("smtpd_policy_service_default_action", ""), r"^451 4\.3\.5 ",
                 "policy default action defers (451 4.3.5)")
        tap.is_eq(p.get("relayscreen_policy_check"), "check_policy_service inet:127.0.0.1:10040",
                  "policy service address")
        s = svc(d)
        tap.is_eq(s.get("submission/inet/smtpd_tls_security_level"), "encrypt", "submission: TLS required")
        tap.is_eq(s.get("submission/inet/smtpd_tls_auth_only"), "yes", "submission: AUTH only after STARTTLS")
        tap.is_eq(s.get("submission/inet/smtpd_sasl_auth_enable"), "yes", "submission: AUTH on")
        tap.is_eq(s.get("smtp/inet/smtpd_sasl_auth_enable"), "no", "public: AUTH off")
        tap.is_eq(s.get("smtp/inet/smtpd_tls_security_level"), "may", "public: STARTTLS offered")
        tap.is_eq(s.get("2025/inet/mynetworks"), "192.0.2.25/32", "internal: only the Exchange host")
        for svcname, name in (("smtp", "public"), ("submission", "submission"), ("2025", "internal")):
            tap.is_eq(s.get("%s/inet/milter_macro_daemon_name" % svcname), name, "%s: daemon name" % name)
            tap.is_eq(s.get("%s/inet/smtpd_policy_service_policy_context" % svcname), name,
                      "%s: policy context" % name)
            rr = s.get("%s/inet/smtpd_recipient_restrictions" % svcname, "")
            tap.like(rr, r"\$relayscreen_policy_check", "%s: policy check in recipient restrictions" % name)
        rr = s.get("smtp/inet/smtpd_recipient_restrictions", "")
        tap.ok(0 <= rr.find("reject_unauth_destination") < rr.find("$relayscreen_policy_check"),
               "public: policy check after reject_unauth_destination", rr)
        tap.like(entries(d), r"(?m)^smtp\s+inet\s+n\s+-\s+y\s", "chroot stays on by default")

        first = (read(d, "main.cf"), read(d, "master.cf"))
        r = script(d, "apply")
        tap.is_eq(r.returncode, 0, "second apply exits 0")
        tap.ok((read(d, "main.cf"), read(d, "master.cf")) == first, "applying twice: identical bytes")
        tap.ok(read(d, "main.cf.relayscreen-orig") == orig[0]
               and read(d, "master.cf.relayscreen-orig") == orig[1], "the backup is still the original")
        r = script(d, "status")
        tap.like(r.stdout, r"applied: yes", "status: applied")
        r = script(d, "undo")
        tap.is_eq(r.returncode, 0, "undo exits 0")
        tap.ok((read(d, "main.cf"), read(d, "master.cf")) == orig, "undo restores the original bytes")
        tap.ok(not os.path.exists(os.path.join(d, "main.cf.relayscreen-orig")), "undo removes the backup")
        tap.like(script(d, "status").stdout, r"applied: no", "status: not applied")
        tap.ok(script(d, "undo").returncode != 0, "undo without a backup fails")

    @tap.case("--no-milter / --no-policy and back")
    def _():
        d = fresh("hooks")
        orig = (read(d, "main.cf"), read(d, "master.cf"))
        r = script(d, "--no-milter", "--no-policy", "apply")
        tap.is_eq(r.returncode, 0, "apply --no-milter --no-policy", r.stdout)
        p, s = params(d), svc(d)
        tap.ok(not any("milter" in k for k in p), "no milter parameter in main.cf", p)
        tap.ok(not any("milter" in k for k in s), "no milter -o in master.cf")
        tap.ok(not any(k.startswith("smtpd_policy_service") for k in p), "no policy parameter in main.cf")
        tap.ok(not any("smtpd_policy_service" in k for k in s), "no policy -o in master.cf")
        tap.is_eq(p.get("relayscreen_policy_check"), "", "policy check empty")
        _, err = postconf(d, "-n")
        tap.is_eq(err, "", "postconf -n: no warnings")
        first = (read(d, "main.cf"), read(d, "master.cf"))
        script(d, "--no-milter", "--no-policy", "apply")
        tap.ok((read(d, "main.cf"), read(d, "master.cf")) == first, "twice: identical bytes")

        r = script(d, "apply")
        p, s = params(d), svc(d)
        tap.is_eq(r.returncode, 0, "apply with both hooks", r.stdout)
        tap.is_eq(p.get("smtpd_milters"), "unix:relayscreen/screener.sock", "milter added")
        tap.like(p.get("relayscreen_policy_check", ""), r"check_policy_service", "policy added")
        tap.is_eq(s.get("smtp/inet/milter_macro_daemon_name"), "public", "daemon name added")

        r = script(d, "--no-milter", "apply")
        p, s = params(d), svc(d)
        tap.ok("smtpd_milters" not in p and "milter_protocol" not in p, "--no-milter removes the milter again")
        tap.ok("smtp/inet/milter_macro_daemon_name" not in s, "and its -o")
        tap.like(p.get("relayscreen_policy_check", ""), r"check_policy_service", "policy stays")
        r = script(d, "--no-policy", "apply")
        p, s = params(d), svc(d)
        tap.is_eq(p.get("relayscreen_policy_check"), "", "--no-policy empties the policy check")
        tap.ok("smtpd_policy_service_default_action" not in p, "and removes the policy settings")
        tap.is_eq(p.get("smtpd_milters"), "unix:relayscreen/screener.sock", "milter back")
        script(d, "undo")
        tap.ok((read(d, "main.cf"), read(d, "master.cf")) == orig, "undo after switching: original bytes")

    @tap.case("a site milter is kept by --no-milter")
    def _():
        d = fresh("sitemilter")
        with open(os.path.join(d, "main.cf"), "a") as f:
            f.write("smtpd_milters = unix:opendkim/opendkim.sock\n")
        r = script(d, "--no-milter", "--no-policy", "apply")
        tap.is_eq(params(d).get("smtpd_milters"), "unix:opendkim/opendkim.sock",
                  "--no-milter does not remove a milter it did not add", r.stdout)

    @tap.case("--set, --no-chroot, another public address")
    def _():
        d = fresh("lab")
        r = script(d, "--set", "public_listen=127.0.0.1:2525", "--set", "submission_listen=127.0.0.1:2587",
                   "--set", "internal_listen=127.0.0.1:2025", "--set", "internal_clients=127.0.0.5 127.0.0.6",
                   "--set", "relay_domains=example.org", "--set", "exchange_nexthop=smtp:[127.0.0.1]:2526",
                   "--set", "relayhost=[127.0.0.1]:2527", "--set", "policy_service=inet:127.0.0.1:10099",
                   "--set", "milter=unix:/tmp/x/screener.sock", "--set", "myhostname=gateway.test",
                   "--no-chroot", "apply")
        tap.is_eq(r.returncode, 0, "apply with --set values", r.stdout)
        p, s = params(d), svc(d)
        e = entries(d)
        tap.like(e, r"(?m)^127\.0\.0\.1:2525\s+inet\s+n\s+-\s+n\s", "public on 127.0.0.1:2525, chroot n")
        tap.like(e, r"(?m)^127\.0\.0\.1:2587\s+inet\s+n\s+-\s+n\s", "submission on :2587")
        tap.like(e, r"(?m)^127\.0\.0\.1:2025\s+inet\s+n\s+-\s+n\s", "internal on :2025")
        tap.unlike(e, r"(?m)^smtp\s+inet\s", "the stock smtp listener is commented out")
        tap.like(read(d, "master.cf").decode(), r"(?m)^#smtp\s+inet", "(still there as a comment)")
        tap.is_eq(s.get("127.0.0.1:2025/inet/mynetworks"), "127.0.0.5 127.0.0.6", "internal clients")
        tap.is_eq(p.get("relay_domains"), "example.org", "relay_domains")
        tap.is_eq(p.get("transport_maps"),
                  "inline:{ example.org=smtp:[127.0.0.1]:2526, .example.org=smtp:[127.0.0.1]:2526 }",
                  "transport_maps")
        tap.is_eq(p.get("relayhost"), "[127.0.0.1]:2527", "relayhost")
        tap.is_eq(p.get("relayscreen_policy_check"), "check_policy_service inet:127.0.0.1:10099", "policy address")
        tap.is_eq(p.get("smtpd_milters"), "unix:/tmp/x/screener.sock", "milter address")
        tap.is_eq(p.get("myhostname"), "gateway.test", "myhostname")
        first = (read(d, "main.cf"), read(d, "master.cf"))
        script(d, "--set", "public_listen=127.0.0.1:2525", "--set", "submission_listen=127.0.0.1:2587",
               "--set", "internal_listen=127.0.0.1:2025", "--set", "internal_clients=127.0.0.5 127.0.0.6",
               "--set", "relay_domains=example.org", "--set", "exchange_nexthop=smtp:[127.0.0.1]:2526",
               "--set", "relayhost=[127.0.0.1]:2527", "--set", "policy_service=inet:127.0.0.1:10099",
               "--set", "milter=unix:/tmp/x/screener.sock", "--set", "myhostname=gateway.test",
               "--no-chroot", "apply")
        tap.ok((read(d, "main.cf"), read(d, "master.cf")) == first, "twice: identical bytes")

    @tap.case("Debian's installed local-only main.cf")
    def _():
        if not os.path.exists("/etc/postfix/main.cf"):
            tap.skip("no /etc/postfix/main.cf", "local-only config")
            return
        d = fresh("etc", "/etc/postfix/main.cf", "/etc/postfix/master.cf")
        orig = read(d, "main.cf")
        r = script(d, "apply")
        tap.is_eq(r.returncode, 0, "apply to a copy of /etc/postfix", r.stdout)
        p = params(d)
        tap.is_eq((p.get("default_transport"), p.get("relay_transport")), ("smtp", "relay"),
                  "the 'local only' error transports are replaced")
        tap.like(r.stdout, r"note: default_transport was \"error\"", "and the change is reported")
        script(d, "undo")
        tap.ok(read(d, "main.cf") == orig, "undo restores it")

    @tap.case("bad arguments")
    def _():
        d = fresh("bad")
        orig = (read(d, "main.cf"), read(d, "master.cf"))
        for args, what in ((["--set", "nosuch=1", "apply"], "unknown --set name"),
                           (["--set", "chroot=maybe", "apply"], "bad chroot value"),
                           (["--set", "public_listen=a b", "apply"], "service name with a space"),
                           (["--set", "relay_domains=hash:/etc/postfix/rd", "apply"], "table without transport_maps"),
                           (["frobnicate"], "unknown command")):
            r = script(d, *args)
            tap.ok(r.returncode != 0, "%s is refused" % what, r.stdout)
        tap.ok((read(d, "main.cf"), read(d, "master.cf")) == orig, "files untouched by refused runs")
        tap.ok(not os.path.exists(os.path.join(d, "main.cf.relayscreen-orig")), "no backup made")
        r = subprocess.run(["sh", SCRIPT, "--help"], stdout=subprocess.PIPE, text=True)
        tap.like(r.stdout, r"internal_clients", "--help lists the site values")
finally:
    shutil.rmtree(top, ignore_errors=True)

tap.done()
