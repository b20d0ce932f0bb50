#!/usr/bin/env python3
"""gateway_harden_merge.py - the listener hardening merged into an existing
Postfix configuration that already sets some of it (TAP).  No Postfix is
started.

The site: Debian's stock main.cf/master.cf, plus choices of its own that
overlap the hardening: a stricter smtpd_forbid_bare_newline ("reject")
with an exclusion, a TLS 1.2 floor on every listener, VRFY deliberately
allowed, anvil counting per 120s, DANE for outbound mail; a submission
service with Dovecot SASL and its own AUTH rate limit and TLS 1.3 floor;
a higher connection rate limit on the stock smtp service.  relayscreen-postfix apply must keep
every one of those values, add the hardening the site did not set (main.cf
globally, master.cf as -o of the listeners), pass "postfix check" (as
root), and change nothing when applied again.

Then the six realistic configurations of t/postfix-configs/ (pfconfigs.py):
on each, every hardening setting reaches main.cf and the listeners as
Postfix reads them (with postscreen: the "smtpd pass" service; an
existing smtps/submissions service gets the submission ones), unless the
site had set that very setting, whose value is then kept.
"""
import os
import shutil
import subprocess
import tempfile

import tap
from hardening import MAIN, LISTENER
from pfconfigs import CONFIGS, View, copy_config, merge, postfix_check, set_args

SRC = os.environ.get("RS_SRCDIR") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(SRC, "postfix-snippets", "relayscreen-postfix")
ROOT = os.geteuid() == 0
STOCK_MAIN = "/usr/share/postfix/main.cf.debian"
STOCK_MASTER = "/usr/share/postfix/master.cf.dist"

os.environ["PATH"] = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
for tool in ("postconf", "openssl"):
    if not shutil.which(tool):
        tap.skip_all("%s not installed" % tool)

# What the site already chose (main.cf); relayscreen must keep it.
SITE_MAIN = {
    "smtpd_forbid_bare_newline": "reject",
    "smtpd_forbid_bare_newline_exclusions": "192.0.2.80",
    "smtpd_tls_protocols": ">=TLSv1.2",
    "disable_vrfy_command": "no",
    "anvil_rate_time_unit": "120s",
    "smtp_dns_support_level": "dnssec",
    "smtp_tls_security_level": "dane",      # outbound TLS stays the site's
}
# The site's listeners and their own -o settings.
SITE_SUBMISSION = {
    "syslog_name": "postfix/submission",
    "smtpd_tls_security_level": "encrypt",
    "smtpd_sasl_auth_enable": "yes",
    "smtpd_sasl_type": "dovecot",
    "smtpd_sasl_path": "private/auth",
    "smtpd_client_auth_rate_limit": "5",
    "smtpd_tls_mandatory_protocols": ">=TLSv1.3",
}
SITE_SMTP = {"smtpd_client_connection_rate_limit": "200"}

top = tempfile.mkdtemp(prefix="rs-hmerge.")
os.chmod(top, 0o755)
# Postfix programs wait until main.cf is a second old; the script runs
# $POSTCONF/$POSTFIX, wrappers that age the files first (mtime only).
for tool in ("postconf", "postfix"):
    with open(os.path.join(top, tool), "w") as f:
        f.write('#!/bin/sh\nd=/etc/postfix; prev=\n'
                'for a in "$@"; do [ "$prev" = -c ] && d=$a; prev=$a; done\n'
                'touch -d "@$(( $(date +%%s) - 3 ))" "$d/main.cf" "$d/master.cf" 2>/dev/null\n'
                'exec %s "$@"\n' % shutil.which(tool))
    os.chmod(os.path.join(top, tool), 0o755)
os.environ["POSTCONF"] = os.path.join(top, "postconf")
os.environ["POSTFIX"] = os.path.join(top, "postfix")


def site_config():
    """The site's configuration directory (with a private queue, and a
    certificate of its own, as a production gateway has)."""
    d = os.path.join(top, "etc")
    os.makedirs(os.path.join(d, "spool"))
    os.chmod(d, 0o755)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", os.path.join(d, "mx.key"), "-out", os.path.join(d, "mx.pem"),
                    "-days", "2", "-subj", "/CN=mx.example.com"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(STOCK_MAIN) as f:
        main = f.read()
    main += "queue_directory = %s/spool\ndata_directory = %s/data\n" % (d, d)
    main += "smtpd_tls_cert_file = %s/mx.pem\nsmtpd_tls_key_file = %s/mx.key\n" % (d, d)
    main += "".join("%s = %s\n" % kv for kv in SITE_MAIN.items())
    with open(os.path.join(d, "main.cf"), "w") as f:
        f.write(main)
    with open(STOCK_MASTER) as f:
        master = f.read()
    smtp = "smtp      inet  n       -       y       -       -       smtpd\n"
    if smtp not in master:
        tap.bail_out("%s has no stock smtp line" % STOCK_MASTER)
    master = master.replace(smtp, smtp + "".join("  -o %s=%s\n" % kv for kv in SITE_SMTP.items()))
    master += "submission inet n       -       y       -       -       smtpd\n"
    master += "".join("  -o %s=%s\n" % kv for kv in SITE_SUBMISSION.items())
    with open(os.path.join(d, "master.cf"), "w") as f:
        f.write(master)
    return d


def run(d, *args):
    cmd = [SCRIPT, "-c", d, "--set", "relay_domains=example.com",
           "--set", "exchange_nexthop=smtp:[10.1.2.25]:25", "--set", "internal_listen=10.1.2.3:2025",
           "--set", "internal_clients=10.1.2.25", "--no-milter", "--no-policy"] + list(args)
    if not ROOT and "apply" in args:
        cmd.insert(-1, "--no-check")
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def postconf(d, *args):
    return subprocess.run([os.environ["POSTCONF"], "-c", d] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)


def effective(d, name):
    """NAME's value as Postfix will use it (explicit or default)."""
    return postconf(d, "-h", name).stdout.strip()


def service_opts(d):
    """{"service/type/name": value} of every -o in master.cf."""
    out = postconf(d, "-P").stdout
    return dict(l.split(" = ", 1) if " = " in l else (l.rstrip(" ="), "") for l in out.splitlines())


def read(d, name):
    with open(os.path.join(d, name), "rb") as f:
        return f.read()


try:
    @tap.case("hardening merged into a site that already sets some of it")
    def _():
        d = site_config()
        r = run(d, "apply")
        tap.is_eq(r.returncode, 0, "apply exits 0", r.stdout)
        tap.unlike(r.stdout, r"(?i)warning|fatal", "no warnings from apply / postfix check")
        if not ROOT:
            tap.skip("not root", "postfix check")
        for k, v in SITE_MAIN.items():
            tap.is_eq(effective(d, k), v, "main.cf: the site's %s = %s is kept" % (k, v))
        for k, v in MAIN.items():
            if k not in SITE_MAIN:
                tap.is_eq(effective(d, k), v, "main.cf: %s = %s added" % (k, v))
        o = service_opts(d)
        for k, v in SITE_SUBMISSION.items():
            tap.is_eq(o.get("submission/inet/" + k), v, "submission: the site's -o %s=%s is kept" % (k, v))
        for k, v in LISTENER["submission"].items():
            if k not in SITE_SUBMISSION:
                tap.is_eq(o.get("submission/inet/" + k), v, "submission: -o %s=%s added" % (k, v))
        for k, v in SITE_SMTP.items():
            tap.is_eq(o.get("smtp/inet/" + k), v, "public (smtp): the site's -o %s=%s is kept" % (k, v))
        for k, v in LISTENER["public"].items():
            if k not in SITE_SMTP:
                tap.is_eq(o.get("smtp/inet/" + k), v, "public (smtp): -o %s=%s added" % (k, v))
        tap.is_eq(postconf(d, "-n").stderr, "", "postconf -n: no warnings")
        tap.like(postconf(d, "-M", "anvil/unix").stdout, r"(?m)^anvil\s+unix\s", "the anvil service is still there")
        first = (read(d, "main.cf"), read(d, "master.cf"))
        r = run(d, "apply")
        tap.is_eq(r.returncode, 0, "second apply exits 0", r.stdout)
        tap.ok((read(d, "main.cf"), read(d, "master.cf")) == first, "a second apply changes nothing")

    @tap.case("the hardening reaches every realistic existing configuration")
    def _():
        for name, conf in CONFIGS.items():
            before = View(copy_config(name, top, name + ".orig"))
            d = copy_config(name, top)
            r = merge(d, "apply", *set_args(conf["sets"]))
            if not tap.ok(r.returncode == 0, "%s: apply" % name, r.stdout + r.stderr):
                continue
            after = View(d)
            if ROOT:
                ok, out = postfix_check(d)
                tap.ok(ok, "%s: postfix check" % name, out)
            for k, v in MAIN.items():
                want = before.params.get(k, v)
                tap.is_eq(effective(d, k), want, "%s: main.cf %s = %s%s"
                          % (name, k, want, " (the site's)" if k in before.params else ""))
            postscreen = any(f[7] == "postscreen" for f in before.services.values())
            targets = [("smtpd/pass" if postscreen else "smtp/inet", "public"), ("submission/inet", "submission")]
            targets += [(svc, "submission") for svc in ("smtps/inet", "submissions/inet", "465/inet")
                        if svc in before.services]
            for svc, listener in targets:
                for k, v in LISTENER[listener].items():
                    # what the service runs with: its -o, else main.cf's;
                    # the site's choice (either) is kept, else ours
                    key = "%s/%s" % (svc, k)
                    site = before.options.get(key, before.params.get(k))
                    want = v if site is None else site
                    got = after.options.get(key, after.params.get(k))
                    tap.is_eq(got, want, "%s: %s runs with %s = %s%s"
                              % (name, svc, k, want, "" if site is None else " (the site's)"))
finally:
    shutil.rmtree(top, ignore_errors=True)

tap.done()
