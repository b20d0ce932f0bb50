#!/usr/bin/env python3
"""gateway_configs.py - relayscreen-postfix on six realistic existing
Postfix configurations (t/postfix-configs/NAME/{main.cf,master.cf}), TAP.
No Postfix is started (t/gateway_existing.py does that for three).

For each configuration, asserted against what Postfix itself reads
(postconf -n / -P / -M), item by item:
  plan changes nothing; apply keeps every pre-existing parameter, milter,
  restriction, service, -o option and scalar not named by --set (list
  items all there, in their order); the screener goes before a DKIM
  milter; every listener that asks policyd at RCPT asks it at DATA too,
  after the data restrictions it had; "postfix check" is clean; a second apply changes nothing; undo
  restores the files byte for byte; a hand edit followed by undo keeps the
  hand edit (and the edited setting is reported and kept unless --force);
  a missing site value stops apply with one line naming it, files
  unchanged.  Then a check per configuration of what makes it special.
"""
import os
import re
import shutil
import tempfile

import tap
from pfconfigs import (CONFIGS, LIST, View, postconf, copy_config, files, merge, postfix_check, set_args,
                       subsequence, words)

ROOT = os.geteuid() == 0
if not shutil.which("postconf", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin"):
    tap.skip_all("postconf not installed")
if not ROOT:
    tap.skip_all("needs root (postfix check)")

top = tempfile.mkdtemp(prefix="rs-configs.")


def backups(d):
    return sorted(f for f in os.listdir(d) if ".relayscreen-" in f)


def keeps(name, before, after, sets):
    """Every parameter, service and -o option of BEFORE is in AFTER:
    scalars equal, lists with all their words in order; one test point
    per item."""
    named = {s.split("=", 1)[0] for s in sets}
    for k, v in sorted(before.params.items()):
        if k in named:
            continue
        if k == "non_smtpd_milters" and "$smtpd_milters" in v:
            continue                    # checked by its value in special()
        got = after.params.get(k)
        if LIST.search(k):
            tap.ok(got is not None and subsequence(v, got),
                   "%s: main.cf %s keeps its items in order" % (name, k), "%s -> %s" % (v, got))
        else:
            tap.is_eq(got, v, "%s: main.cf %s kept" % (name, k))
    for k, f in sorted(before.services.items()):
        tap.is_eq(after.services.get(k), f, "%s: service %s kept with its columns" % (name, k))
    for k, v in sorted(before.options.items()):
        got = after.options.get(k)
        if LIST.search(k):
            tap.ok(got is not None and subsequence(v, got),
                   "%s: -o %s keeps its items in order" % (name, k), "%s -> %s" % (v, got))
        else:
            tap.is_eq(got, v, "%s: -o %s kept" % (name, k))
    new_warn = after.warnings - before.warnings
    tap.ok(not new_warn, "%s: no new postconf warnings" % name, "\n".join(new_warn))


def screener_placed(name, after):
    m = after.params.get("smtpd_milters", "")
    tap.like(m, r"relayscreen/screener\.sock", "%s: the screener is in smtpd_milters" % name)
    if "8891" in m:
        tap.ok(m.find("screener.sock") < m.find("8891"), "%s: ... before the DKIM-signing milter" % name, m)


def data_hook(name, before, after):
    """Every listener whose recipient restrictions ask policyd asks it at
    DATA too (a bare <postmaster> is counted there), and keeps the data
    restrictions it had (its own -o, else main.cf's) in front."""
    n = 0
    for k in sorted(after.services):
        if "$relayscreen_policy_check" not in after.options.get(k + "/smtpd_recipient_restrictions", ""):
            continue
        n += 1
        got = after.options.get(k + "/smtpd_data_restrictions", "")
        had = before.options.get(k + "/smtpd_data_restrictions", before.params.get("smtpd_data_restrictions", ""))
        tap.ok(words(got)[-1:] == ["$relayscreen_policy_check"] and subsequence(had, got),
               "%s: %s asks policyd at DATA, after its own data restrictions" % (name, k),
               "%r -> %r" % (had, got))
    tap.ok(n >= 3, "%s: %d listeners ask policyd (public, submission, internal...)" % (name, n))
    tap.ok(after.params.get("smtpd_data_restrictions") == before.params.get("smtpd_data_restrictions"),
           "%s: main.cf smtpd_data_restrictions untouched (no DATA hook on other smtpd services)" % name)


def run_config(name, cfg):
    sets = cfg["sets"]
    d = copy_config(name, top)
    orig = files(d)
    before = View(d)

    r = merge(d, "plan", *set_args(sets))
    tap.is_eq(r.returncode, 0, "%s: plan exits 0" % name, r.stderr)
    tap.ok(files(d) == orig and not backups(d), "%s: plan changes nothing" % name)
    tap.like(r.stdout, r"(?m)^postconf commands", "%s: plan shows the postconf commands" % name)
    tap.like(r.stdout, r"(?m)^\+\+\+ .*main\.cf", "%s: plan shows a unified diff" % name)

    r = merge(d, "apply", *set_args(sets))
    tap.is_eq(r.returncode, 0, "%s: apply exits 0" % name, r.stdout + r.stderr)
    after = View(d)
    after.non_smtpd = after.expand("non_smtpd_milters")
    keeps(name, before, after, sets)
    screener_placed(name, after)
    data_hook(name, before, after)
    ok, out = postfix_check(d)
    tap.ok(ok, "%s: postfix check is clean" % name, out)
    tap.ok(len(backups(d)) == 3, "%s: timestamped backups and the state file" % name, backups(d))
    saved = [open(os.path.join(d, b), "rb").read() for b in backups(d)]
    tap.ok(orig[0] in saved and orig[1] in saved, "%s: the backups hold the original files" % name)
    applied = files(d)

    r = merge(d, "apply", *set_args(sets))
    tap.ok(r.returncode == 0 and files(d) == applied, "%s: a second apply changes nothing" % name, r.stdout)
    tap.like(r.stdout, r"nothing to change", "%s: ... and says so" % name)
    tap.is_eq(len(backups(d)), 3, "%s: ... and makes no backup" % name)

    r = merge(d, "undo")
    tap.is_eq(r.returncode, 0, "%s: undo exits 0" % name, r.stdout + r.stderr)
    tap.ok(files(d) == orig, "%s: undo restores both files byte for byte" % name)
    tap.ok(not os.path.exists(os.path.join(d, "main.cf.relayscreen-state")), "%s: no state left" % name)

    # hand edits after apply: one setting of ours changed, one added
    merge(d, "apply", *set_args(sets))
    with open(os.path.join(d, "main.cf"), "a") as f:
        f.write("delay_warning_time = 4h\n")
    postconf(d, "-e", "smtpd_policy_service_timeout = 20s")
    internal = "10.1.2.3:2025/inet"          # a listener apply added, edited by hand
    postconf(d, "-P", internal + "/smtpd_tls_security_level=encrypt")
    r = merge(d, "undo")
    tap.is_eq(r.returncode, 3, "%s: undo after hand edits: exit 3 (something left alone)" % name, r.stdout)
    tap.like(r.stdout, r"left alone: main\.cf: smtpd_policy_service_timeout was edited",
             "%s: the edited parameter is reported" % name)
    tap.like(r.stdout, r"left alone: master\.cf: service %s was edited" % re.escape(internal),
             "%s: the edited listener is reported" % name)
    v = View(d)
    tap.is_eq((v.params.get("delay_warning_time"), v.params.get("smtpd_policy_service_timeout"),
               v.options.get(internal + "/smtpd_tls_security_level")),
              ("4h", "20s", "encrypt"), "%s: the hand edits are kept" % name)
    tap.like(r.stdout, r"left alone: main\.cf: relayscreen_policy_check kept: settings left in place refer",
             "%s: ... and relayscreen_policy_check, which that listener still uses" % name)
    rest = {k: x for k, x in v.params.items()
            if k not in ("delay_warning_time", "smtpd_policy_service_timeout", "relayscreen_policy_check")}
    opts = {k: x for k, x in v.options.items() if not k.startswith(internal)}
    svcs = {k: x for k, x in v.services.items() if k != internal}
    tap.ok(rest == before.params and opts == before.options and svcs == before.services,
           "%s: everything else is as before apply" % name,
           "\n".join("%s: %s -> %s" % (k, before.params.get(k), rest.get(k))
                     for k in set(rest) | set(before.params) if rest.get(k) != before.params.get(k)))
    r = merge(d, "undo", "--force")
    v = View(d)
    tap.ok(r.returncode == 0 and "smtpd_policy_service_timeout" not in v.params
           and internal not in v.services and v.params.get("delay_warning_time") == "4h",
           "%s: undo --force takes the edited settings back, keeps the added one" % name, r.stdout)

    # a missing site value
    d2 = copy_config(name, top, name + "-missing")
    orig2 = files(d2)
    r = merge(d2, "apply", *set_args([s for s in sets if not s.startswith("internal_clients")]))
    tap.ok(r.returncode != 0, "%s: apply without internal_clients fails" % name)
    tap.like(r.stderr, r"^[^\n]*missing site values: internal_clients[^\n]*\n$",
             "%s: ... with one line naming it" % name)
    tap.ok(files(d2) == orig2 and not backups(d2), "%s: ... and changes nothing" % name)
    return after


def special(name, after, d0):
    """What each configuration is about."""
    p, o = after.params, after.options
    if name == "debian-internet-site":
        tap.is_eq((p.get("relayhost"), p.get("inet_protocols"), p.get("smtpd_tls_cert_file")),
                  ("", "all", "/etc/ssl/certs/ssl-cert-snakeoil.pem"),
                  "stock: relayhost, inet_protocols and the certificate kept")
        tap.is_eq(o.get("smtp/inet/milter_macro_daemon_name"), "public", "stock: smtp is the public listener")
        tap.ok("submission/inet" in after.services, "stock: a submission listener added")
    elif name == "postscreen":
        tap.is_eq(after.services["smtp/inet"][7], "postscreen", "postscreen: smtp inet still runs postscreen")
        tap.is_eq(o.get("smtpd/pass/milter_macro_daemon_name"), "public",
                  "postscreen: the public -o options went on smtpd pass")
        tap.like(o.get("smtpd/pass/smtpd_recipient_restrictions", ""),
                 r"check_policy_service unix:private/policyd-spf",
                 "postscreen: smtpd pass keeps the SPF policy check")
        tap.ok(all(k in after.services for k in ("dnsblog/unix", "tlsproxy/unix", "policyd-spf/unix")),
               "postscreen: dnsblog, tlsproxy, policyd-spf kept")
        tap.is_eq(o.get("smtpd/pass/smtpd_data_restrictions"), "reject_unauth_pipelining $relayscreen_policy_check",
                  "postscreen: smtpd pass keeps main.cf's reject_unauth_pipelining at DATA, then policyd")
    elif name == "milters":
        tap.is_eq(p.get("milter_default_action"), "accept", "milters: milter_default_action kept (accept)")
        tap.like(p.get("smtpd_milters", ""), r"\{ unix:relayscreen/screener\.sock, default_action=tempfail \}",
                 "milters: ... and the screener alone fails closed (default_action=tempfail)")
        tap.is_eq(after.non_smtpd, "inet:localhost:8891, unix:opendmarc/opendmarc.sock",
                  "milters: non_smtpd_milters still means the two old milters (no screener)")
        sm = o.get("submission/inet/smtpd_milters", "")
        tap.ok(0 <= sm.find("screener.sock") < sm.find("8891"),
               "milters: submission's own smtpd_milters gains the screener before OpenDKIM", sm)
        tap.is_eq(o.get("submission/inet/milter_macro_daemon_name"), "ORIGINATING",
                  "milters: submission keeps ORIGINATING (OpenDKIM signs by it)")
    elif name == "dovecot-sasl":
        for svc in ("submission", "smtps"):
            tap.is_eq((o.get("%s/inet/smtpd_sasl_type" % svc), o.get("%s/inet/smtpd_sasl_path" % svc)),
                      ("dovecot", "private/auth"), "dovecot: %s keeps Dovecot SASL" % svc)
            tap.ok("%s/inet/smtpd_delay_reject" % svc not in o,
                   "dovecot: %s gets no smtpd_delay_reject=no (its client checks would run before AUTH)" % svc)
            tap.is_eq(o.get("%s/inet/smtpd_policy_service_policy_context" % svc), "submission",
                      "dovecot: %s gains the submission policy context" % svc)
        tap.ok("smtpd_sasl_type" not in p and "smtpd_sasl_path" not in p,
               "dovecot: no global SASL type/path set")
        tap.ok("smtpd_tls_cert_file" not in p, "dovecot: smtpd_tls_chain_files used, no cert_file added")
    elif name == "smarthost-dane":
        tap.is_eq((p.get("relayhost"), p.get("smtp_tls_security_level"), p.get("smtp_sasl_auth_enable"),
                   p.get("smtp_sasl_password_maps")),
                  ("[smtp.provider.example]:587", "dane", "yes", "hash:/etc/postfix/sasl_passwd"),
                  "smarthost: relayhost, DANE and SASL client settings kept")
    elif name == "relay-gateway":
        tap.is_eq((p.get("relay_domains"), p.get("transport_maps"), p.get("relay_recipient_maps")),
                  ("example.com, example.net", "hash:/etc/postfix/transport", "hash:/etc/postfix/relay_recipients"),
                  "gateway: relay_domains, transport_maps, relay_recipient_maps kept, no inline table")
        tap.like(o.get("smtp/inet/smtpd_recipient_restrictions", ""),
                 r"reject_unlisted_recipient.*check_recipient_access hash:/etc/postfix/recipient_access",
                 "gateway: the public listener keeps recipient validation and its access table")


try:
    for name, cfg in CONFIGS.items():
        res = tap.run(name, run_config, name, cfg)
        if res is not None:
            tap.run(name + " (special)", special, name, res, None)
finally:
    if not tap.failed():
        shutil.rmtree(top, ignore_errors=True)
    else:
        tap.diag("kept %s" % top)

tap.done()
