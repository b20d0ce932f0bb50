#!/usr/bin/env python3
"""gateway_merge.py - postfix-snippets/relayscreen-postfix itself (TAP):
its options, the lab's way of calling it, hook switches, refusals, state
and backups.  No Postfix is started; the six realistic configurations
are t/gateway_configs.py's.

Inputs are the committed t/postfix-configs/, never /etc/postfix.
"""
import json
import os
import re
import shutil
import subprocess
import tempfile

import tap
from pfconfigs import HOSTED, INTERNAL, SCRIPT, View, copy_config, files, merge, set_args

if not shutil.which("postconf", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin"):
    tap.skip_all("postconf not installed")
if os.geteuid() != 0:
    tap.skip_all("needs root (postfix check)")

top = tempfile.mkdtemp(prefix="rs-merge.")
STOCK = "debian-internet-site"
SETS = set_args(HOSTED + INTERNAL)
LAB = set_args(["public_listen=127.0.0.1:2525", "submission_listen=127.0.0.1:2587",
                "internal_listen=127.0.0.1:2025", "internal_clients=127.0.0.5 127.0.0.6",
                "relay_domains=example.org", "exchange_nexthop=smtp:[127.0.0.1]:2526",
                "relayhost=[127.0.0.1]:2527", "policy_service=inet:127.0.0.1:10099",
                "milter=unix:/tmp/x/screener.sock", "myhostname=gateway.test",
                "inet_interfaces=127.0.0.1", "smtp_tls_security_level=none"])


def state(d):
    with open(os.path.join(d, "main.cf.relayscreen-state")) as f:
        return json.load(f)


try:
    @tap.case("the lab's call: --set values, --no-chroot, --disable")
    def _():
        d = copy_config(STOCK, top, "lab")
        orig = files(d)
        r = merge(d, *LAB, "--no-chroot", "--disable", "smtp/inet", "apply")
        tap.is_eq(r.returncode, 0, "apply with the lab's values", r.stdout + r.stderr)
        v = View(d)
        p, o, s = v.params, v.options, v.services
        tap.is_eq(s.get("127.0.0.1:2525/inet", [""] * 8)[4], "n", "public on 127.0.0.1:2525, chroot n")
        tap.ok("127.0.0.1:2587/inet" in s and "127.0.0.1:2025/inet" in s, "submission and internal listeners")
        tap.ok("smtp/inet" not in s, "--disable smtp/inet: the stock listener is out")
        tap.like(files(d)[1].decode(), r"(?m)^#smtp\s+inet\s+n", "... commented out, still there")
        tap.is_eq(o.get("127.0.0.1:2025/inet/mynetworks"), "127.0.0.5 127.0.0.6", "internal clients")
        tap.is_eq(p.get("transport_maps"),
                  "inline:{ example.org=smtp:[127.0.0.1]:2526, .example.org=smtp:[127.0.0.1]:2526 }",
                  "transport_maps from relay_domains and exchange_nexthop")
        tap.is_eq((p.get("relayhost"), p.get("inet_interfaces"), p.get("smtp_tls_security_level")),
                  ("[127.0.0.1]:2527", "127.0.0.1", "none"), "--set replaces the site's scalars")
        tap.like(r.stdout, r"inet_interfaces changed: run \"postfix -c \S+ stop; postfix -c \S+ start\"",
                 "inet_interfaces changed: says stop/start, not reload")
        tap.is_eq(p.get("relayscreen_policy_check"), "check_policy_service inet:127.0.0.1:10099", "policy address")
        tap.is_eq(p.get("smtpd_milters"), "unix:/tmp/x/screener.sock", "milter address")
        tap.is_eq(p.get("myhostname"), "gateway.test", "--set of any main.cf parameter")
        for svc, name in (("127.0.0.1:2525", "public"), ("127.0.0.1:2587", "submission"),
                          ("127.0.0.1:2025", "internal")):
            tap.is_eq(o.get("%s/inet/milter_macro_daemon_name" % svc), name, "%s: daemon name" % name)
            tap.like(o.get("%s/inet/smtpd_recipient_restrictions" % svc, ""), r"\$relayscreen_policy_check",
                     "%s: policy check in recipient restrictions" % name)
            tap.is_eq(o.get("%s/inet/smtpd_data_restrictions" % svc), "$relayscreen_policy_check",
                      "%s: and in data restrictions (bare <postmaster> counted at DATA)" % name)
        tap.is_eq(o.get("127.0.0.1:2587/inet/smtpd_tls_security_level"), "encrypt", "submission: TLS required")
        tap.is_eq(o.get("127.0.0.1:2587/inet/smtpd_tls_auth_only"), "yes", "submission: AUTH only after TLS")
        tap.is_eq(o.get("127.0.0.1:2525/inet/smtpd_relay_restrictions"), "reject_unauth_destination",
                  "public: relays to the hosted domains only")
        first = files(d)
        r = merge(d, *LAB, "--no-chroot", "--disable", "smtp/inet", "apply")
        tap.ok(files(d) == first, "twice: identical bytes", r.stdout)
        r = merge(d, "status")
        tap.like(r.stdout, r"applied: yes .*files unchanged", "status: applied, not edited since")
        tap.like(r.stdout, r"127\.0\.0\.1:2587/inet smtpd daemon_name=submission", "status lists the listeners")
        merge(d, "undo")
        tap.ok(files(d) == orig, "undo restores the original bytes (the stock smtp listener too)")
        tap.like(merge(d, "status").stdout, r"applied: no", "status: not applied")
        tap.ok(merge(d, "undo").returncode != 0, "undo with nothing applied fails")

    @tap.case("--no-milter / --no-policy and back")
    def _():
        d = copy_config(STOCK, top, "hooks")
        orig = files(d)
        r = merge(d, *SETS, "--no-milter", "--no-policy", "apply")
        tap.is_eq(r.returncode, 0, "apply --no-milter --no-policy", r.stdout + r.stderr)
        v = View(d)
        tap.ok(not any("milter" in k for k in v.params), "no milter parameter in main.cf")
        tap.ok(not any("milter" in k for k in v.options), "no milter -o in master.cf")
        tap.ok(not any(k.startswith("smtpd_policy_service") for k in v.params), "no policy parameter")
        tap.is_eq(v.params.get("relayscreen_policy_check"), "", "policy check empty")
        tap.ok(not any(k.endswith("/smtpd_data_restrictions") for k in v.options)
               and "smtpd_data_restrictions" not in v.params, "no DATA hook anywhere",
               [k for k in v.options if "data_restrictions" in k])
        r = merge(d, *SETS, "apply")
        v = View(d)
        tap.ok(all(v.options.get("%s/smtpd_data_restrictions" % k) == "$relayscreen_policy_check"
                   for k in ("smtp/inet", "submission/inet", "10.1.2.3:2025/inet")),
               "DATA hook added on each listener", v.options)
        tap.is_eq(v.params.get("smtpd_milters"), "unix:relayscreen/screener.sock", "milter added")
        tap.like(v.params.get("relayscreen_policy_check", ""), r"check_policy_service", "policy added")
        tap.is_eq(v.options.get("smtp/inet/milter_macro_daemon_name"), "public", "daemon name added")
        r = merge(d, *SETS, "--no-milter", "apply")
        v = View(d)
        tap.ok("smtpd_milters" not in v.params and "milter_mail_macros" not in v.params,
               "--no-milter takes the milter out again", r.stdout)
        tap.ok("smtp/inet/milter_macro_daemon_name" not in v.options, "and its -o")
        tap.like(v.params.get("relayscreen_policy_check", ""), r"check_policy_service", "policy stays")
        tap.is_eq(len(state(d)["backups"]), 3, "one timestamped backup pair per changing apply, all kept")
        merge(d, "undo")
        tap.ok(files(d) == orig, "undo after switching: original bytes")

    @tap.case("the DATA hook keeps the site's smtpd_data_restrictions")
    def _():
        d = copy_config(STOCK, top, "datahook")
        with open(os.path.join(d, "main.cf"), "a") as f:
            f.write("smtpd_data_restrictions = reject_unauth_pipelining\n")
        with open(os.path.join(d, "master.cf"), "a") as f:
            f.write("submission inet n - y - - smtpd\n  -o syslog_name=postfix/submission\n"
                    "  -o { smtpd_data_restrictions = reject_multi_recipient_bounce, permit }\n")
        orig = files(d)
        r = merge(d, *SETS, "apply")
        tap.is_eq(r.returncode, 0, "apply", r.stdout + r.stderr)
        v = View(d)
        o = v.options
        tap.is_eq(v.params.get("smtpd_data_restrictions"), "reject_unauth_pipelining", "main.cf's value as it was")
        tap.is_eq(o.get("smtp/inet/smtpd_data_restrictions"), "reject_unauth_pipelining $relayscreen_policy_check",
                  "existing public listener: main.cf's list, then the policy check")
        tap.is_eq(o.get("10.1.2.3:2025/inet/smtpd_data_restrictions"),
                  "reject_unauth_pipelining $relayscreen_policy_check",
                  "new internal listener: starts from main.cf's list too")
        tap.is_eq(o.get("submission/inet/smtpd_data_restrictions"),
                  "reject_multi_recipient_bounce, $relayscreen_policy_check, permit",
                  "a listener's own -o list: kept, the check before its final permit")
        applied = files(d)
        r = merge(d, *SETS, "apply")
        tap.ok(r.returncode == 0 and files(d) == applied and "nothing to change" in r.stdout,
               "a second apply changes nothing", r.stdout + r.stderr)
        r = merge(d, *SETS, "--no-policy", "apply")
        v = View(d)
        tap.is_eq((v.params.get("smtpd_data_restrictions"), v.options.get("smtp/inet/smtpd_data_restrictions"),
                   v.options.get("10.1.2.3:2025/inet/smtpd_data_restrictions"),
                   v.options.get("submission/inet/smtpd_data_restrictions")),
                  ("reject_unauth_pipelining", None, None, "reject_multi_recipient_bounce, permit"),
                  "--no-policy: the hook taken out, the site's lists as they were", r.stdout)
        r = merge(d, *SETS, "apply")
        tap.ok(files(d) == applied, "applied again without --no-policy: the same files as the first apply")
        merge(d, "undo")
        tap.ok(files(d) == orig, "undo restores the original bytes")

    @tap.case("a site milter is kept by --no-milter")
    def _():
        d = copy_config("milters", top, "sitemilter")
        merge(d, "--set", "internal_listen=none", "apply")
        merge(d, "--set", "internal_listen=none", "--no-milter", "apply")
        tap.is_eq(View(d).params.get("smtpd_milters"), "inet:localhost:8891, unix:opendmarc/opendmarc.sock",
                  "--no-milter removes only the screener")
        tap.is_eq(View(d).params.get("non_smtpd_milters"), "$smtpd_milters", "non_smtpd_milters back as it was")

    @tap.case("site values: from --set, from the configuration, or refused")
    def _():
        d = copy_config(STOCK, top, "missing")
        orig = files(d)
        r = merge(d, "apply")
        tap.ok(r.returncode != 0, "apply with no --set fails")
        tap.is_eq(r.stderr.count("\n"), 1, "one line", r.stderr)
        tap.like(r.stderr, r"missing site values: relay_domains, exchange_nexthop, internal_listen, internal_clients \(",
                 "it names every missing value")
        r = merge(d, "plan")
        tap.ok(r.returncode != 0 and "missing" in r.stderr, "plan refuses too")
        tap.ok(files(d) == orig and not [f for f in os.listdir(d) if "relayscreen" in f], "nothing written")
        tap.unlike(r.stdout, r"example\.com|192\.0\.2|snakeoil", "no example value anywhere")
        d2 = copy_config("relay-gateway", top, "nocert")
        with open(os.path.join(d2, "main.cf")) as f:
            text = f.read()
        with open(os.path.join(d2, "main.cf"), "w") as f:
            f.write(re.sub(r"(?m)^smtpd_tls_(cert|key)_file.*\n", "", text))
        r = merge(d2, *set_args(INTERNAL), "apply")
        tap.like(r.stderr, r"missing site values: tls_cert_file, tls_key_file", "no certificate: named")
        r = merge(d2, "--set", "internal_listen=none", "--set", "tls_cert_file=/etc/ssl/certs/gw.pem",
                  "--set", "tls_key_file=/etc/ssl/private/gw.key", "apply")
        v = View(d2)
        tap.ok(r.returncode == 0 and v.params.get("smtpd_tls_cert_file") == "/etc/ssl/certs/gw.pem",
               "--set tls_cert_file fills it in; internal_listen=none needs no internal_clients", r.stderr)
        tap.ok(not any(k.startswith("10.1.2.3") or k.endswith(":2025/inet") for k in v.services),
               "internal_listen=none: no internal listener")

    @tap.case("a new listener on a port already in use is pointed out")
    def _():
        d = copy_config("relay-gateway", top, "clash")
        args = ["--set", "internal_listen=none", "--set", "public_listen=127.0.0.1:25"]
        r = merge(d, *args, "plan")
        tap.like(r.stdout, r"warning: 127\.0\.0\.1:25/inet and the existing smtp/inet both listen on port 25",
                 "plan warns: both would bind port 25")
        r = merge(d, *args, "--disable", "smtp/inet", "plan")
        tap.unlike(r.stdout, r"both listen", "not with --disable smtp/inet")

    @tap.case("apply again without the --set values: the recorded ones are used")
    def _():
        d = copy_config(STOCK, top, "again")
        merge(d, *SETS, "apply")
        first = files(d)
        r = merge(d, "apply")
        tap.ok(r.returncode == 0 and files(d) == first, "nothing to change", r.stdout + r.stderr)
        r = merge(d, "--set", "internal_clients=10.1.2.26", "apply")
        tap.is_eq(View(d).options.get("10.1.2.3:2025/inet/mynetworks"), "10.1.2.26",
                  "a new --set value replaces the recorded one")

    @tap.case("an unreadable main.cf line stops it, naming file and line")
    def _():
        d = copy_config(STOCK, top, "garbage")
        with open(os.path.join(d, "main.cf"), "a") as f:
            f.write("this is not a parameter\n")
        orig = files(d)
        r = merge(d, *SETS, "apply")
        tap.ok(r.returncode == 1, "apply fails")
        tap.like(r.stderr, r"main\.cf:\d+: not a \"name = value\" line", "file:line: what is wrong")
        tap.ok(files(d) == orig, "nothing changed")

    @tap.case("a failed postfix check changes nothing")
    def _():
        d = copy_config(STOCK, top, "badcheck")
        orig = files(d)
        r = merge(d, *SETS, "--set", "inet_protocols=ipv5", "apply")
        tap.ok(r.returncode != 0, "apply fails")
        tap.like(r.stderr, r"postfix check.*\n.*unknown inet_protocols value", "the errors are shown")
        tap.ok(files(d) == orig and not [f for f in os.listdir(d) if "relayscreen" in f],
               "files unchanged, no backup, no state")

    @tap.case("bad arguments")
    def _():
        d = copy_config(STOCK, top, "bad")
        orig = files(d)
        for args, what in ((["--set", "nosuch_param=1", "apply"], "unknown --set name"),
                           (["--set", "chroot=maybe", "apply"], "bad chroot value"),
                           (["--set", "public_listen=a b", "apply"], "service name with a space"),
                           (["--set", "relay_domains=hash:/etc/postfix/rd", "apply"], "table without transport_maps"),
                           (["--set", "novalue", "apply"], "--set without ="),
                           (["--disable", "nosuch/inet", "apply"], "--disable of a missing service"),
                           (["frobnicate"], "unknown command")):
            r = merge(d, *SETS, *args)
            tap.ok(r.returncode != 0 and r.stderr.strip(), "%s is refused" % what, r.stdout + r.stderr)
        tap.ok(files(d) == orig, "files untouched by refused runs")
        r = subprocess.run(["python3", SCRIPT, "--help"], stdout=subprocess.PIPE, text=True)
        tap.ok(r.returncode == 0 and "internal_clients" in r.stdout and "plan" in r.stdout,
               "--help lists the commands and site values")
        r = subprocess.run(["python3", SCRIPT, "-V"], stdout=subprocess.PIPE, text=True)
        with open(os.path.join(os.path.dirname(os.path.dirname(SCRIPT)), "configure.ac")) as f:
            version = re.search(r"AC_INIT\(\[relayscreen\], \[([^]]+)\]", f.read()).group(1)
        tap.is_eq(r.stdout.strip(), "relayscreen-postfix " + version, "-V prints the package version")
finally:
    if not tap.failed():
        shutil.rmtree(top, ignore_errors=True)
    else:
        tap.diag("kept %s" % top)

tap.done()
