"""relayscreen_plan.py - what relayscreen-postfix would change: the
fragments merged into an existing main.cf and master.cf, never clobbering.

Rules (README.snippets has them for users):
 - a list parameter (restrictions, milters, macros, tables) gets our items
   inserted, the existing items kept in their order; the screener milter
   goes before any DKIM/ARC-signing milter;
 - a scalar parameter the site set keeps its value unless --set names it;
   one it did not set gets ours (unless ours is its default anyway);
 - an existing master.cf service keeps its columns and its -o options and
   gains ours (lists merged as above); with postscreen, the public -o
   options go on the "smtpd pass" service; an existing smtps/submissions
   service gains the submission options too;
 - site values without a safe default must come from --set or from the
   configuration, otherwise nothing is planned (Missing is raised).
"""
import difflib
import re
import shlex
import socket

from relayscreen_pfconf import (ConfError, MainCf, MasterCf, entry, fmt_option, is_list,
                                merge_list, norm, references, tokens)

# Site values: name -> (default or None when it must be given, meaning).
# A name that is also a Postfix parameter is that parameter.
SITE = {
    "relay_domains": (None, "hosted domains (list or table); default: the existing relay_domains"),
    "exchange_nexthop": (None, "transport:nexthop for the hosted domains, e.g. smtp:[10.1.2.25]:25;"
                               " not needed when transport_maps is set"),
    "transport_maps": ("", "table for the hosted domains; default: the existing one, else an"
                           " inline: table from relay_domains and exchange_nexthop"),
    "internal_listen": (None, "internal listener (INSIDE-ADDRESS:2025), or \"none\" for no internal listener"),
    "internal_clients": (None, "addresses that may relay out via the internal listener (the Exchange host)"),
    "tls_cert_file": (None, "smtpd certificate (smtpd_tls_cert_file); default: the existing one"),
    "tls_key_file": (None, "smtpd private key (smtpd_tls_key_file); default: the existing one"),
    "public_listen": ("smtp", "public listener, master.cf service name (with postscreen: its smtpd pass)"),
    "submission_listen": ("submission", "submission listener, master.cf service name"),
    "relay_recipient_maps": ("", "recipient validation table; default: the existing one, else none"),
    "relayhost": ("", "smart host; default: the existing one, else direct MX delivery"),
    "inet_interfaces": ("all", "Postfix inet_interfaces; default: the existing value"),
    "inet_protocols": ("all", "Postfix inet_protocols; default: the existing value"),
    "smtp_tls_security_level": ("may", "TLS level of the smtp client; default: the existing value"),
    "milter": ("unix:relayscreen/screener.sock", "screener milter address as smtpd sees it"),
    "policy_service": ("inet:127.0.0.1:10040", "policyd address"),
    "chroot": (None, "chroot column of new listeners (y or n); default: that of the smtp service, else y"),
}
ALIASES = {"tls_cert_file": "smtpd_tls_cert_file", "tls_key_file": "smtpd_tls_key_file"}
# Changing these needs "postfix stop; postfix start", not "postfix reload".
RESTART = ("inet_interfaces", "inet_protocols", "queue_directory", "data_directory", "mail_owner",
           "setgid_group", "daemon_directory", "command_directory", "meta_directory",
           "shlib_directory", "process_id_directory", "import_environment")
# -o options an existing service does not gain (they would rename its log
# tag, which log watchers such as fail2ban match on)
IDENTITY = ("syslog_name",)
# -o lists that add to the service's own value rather than replace it: a
# new listener starts from main.cf's value too (smtpd_data_restrictions:
# the site's reject_unauth_pipelining etc. stay, the DATA hook is added)
ADDITIVE = ("smtpd_data_restrictions",)
POLICY_CHECK = "$relayscreen_policy_check"
SMTPS_NAMES = ("smtps", "submissions", "465")


class Missing(Exception):
    """Site values that must be given; args[0] is the list of names."""


def render(path, text, values):
    """Fragment TEXT as [(line, logical line)] with @name@ replaced from
    VALUES (a missing value leaves the placeholder and is reported by the
    caller); comment and blank lines dropped."""
    out, used = [], set()
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue

        def sub(m):
            name = m.group(1)
            if name not in SITE:
                raise ConfError("%s:%d: unknown placeholder @%s@" % (path, n, name))
            used.add(name)
            v = values.get(name)
            return m.group(0) if v is None else v
        s = re.sub(r"@([A-Za-z0-9_]+)@", sub, line)
        if line[0].isspace() and out:
            out[-1] = (out[-1][0], out[-1][1] + " " + s.strip())
        else:
            out.append((n, s.strip()))
    return out, used


def main_fragment(path, text, values):
    """[(name, value)] of a main.cf fragment, and the placeholders used."""
    lines, used = render(path, text, values)
    out = []
    for n, l in lines:
        m = re.match(r"([A-Za-z0-9_]+)\s*=\s*(.*)$", l)
        if not m:
            raise ConfError("%s:%d: not a \"name = value\" line" % (path, n))
        out.append((m.group(1), m.group(2)))
    return out, used


def master_fragment(path, text, values):
    """[(role, fields, [(opt, value)])] of a master.cf fragment; the role
    is the placeholder of the service name (@public_listen@ -> public)."""
    blocks = []
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#") and not line[0].isspace():
            m = re.match(r"@([a-z]+)_listen@\s", line)
            if not m:
                raise ConfError("%s:%d: a service must be named @ROLE_listen@" % (path, n))
            blocks.append(m.group(1))
    lines, used = render(path, text, values)
    out = []
    for (n, l), role in zip(lines, blocks):
        toks = tokens(l, "%s:%d" % (path, n), commas=False)
        if len(toks) < 8:
            raise ConfError("%s:%d: a master.cf entry needs 8 fields" % (path, n))
        opts, i = [], 8
        while i < len(toks):
            if toks[i] != "-o" or i + 1 >= len(toks):
                raise ConfError("%s:%d: only -o options are merged" % (path, n))
            t = toks[i + 1]
            inner = t[1:-1].strip() if t.startswith("{") else t
            k, _, v = inner.partition("=")
            opts.append((k.strip(), v.strip()))
            i += 2
        out.append((role, toks[:8], opts))
    return out, used


class Plan:
    """Everything one run would change.  main_changes / master_changes are
    the records kept in the state file; notes are what is kept or worth
    knowing; restart is True when stop/start is needed."""

    def __init__(self, main_text, master_text, paths):
        self.main = MainCf(main_text, paths[0])
        self.master = MasterCf(master_text, paths[1])
        self.changes = []           # dicts, see record()
        self.notes = []
        self.restart = False
        self.milter_item = None     # our smtpd_milters item, once planned

    def record(self, **kw):
        self.changes.append(kw)


def site_values(sets, explicit):
    """The site values: --set, else the configuration, else the default."""
    vals = {}
    for name, (default, _) in SITE.items():
        if name in sets:
            vals[name] = sets[name]
        elif ALIASES.get(name, name) in explicit and explicit[ALIASES.get(name, name)] != "":
            vals[name] = explicit[ALIASES.get(name, name)]
        else:
            vals[name] = default
    return vals


def make_plan(main_text, master_text, paths, fragments, sets, defaults, opts):
    """Build the Plan.  FRAGMENTS: [(path, text)] main.cf.* then master.cf.*;
    SETS: --set values (site values, parameters, SERVICE/TYPE/NAME);
    DEFAULTS: {name: (raw default, effective value)} from postconf;
    OPTS: dict(milter=, policy=, chroot=, disable=[keys])."""
    plan = Plan(main_text, master_text, paths)
    sets = dict(sets)
    for alias, param in ALIASES.items():
        if alias in sets:
            sets.setdefault(param, sets[alias])
    explicit = plan.main.params()
    vals = site_values(sets, explicit)
    if opts.get("chroot"):
        vals["chroot"] = opts["chroot"]
    missing = _derive(plan, vals, explicit, sets)
    mains, masters, used = [], [], set()
    for path, text in fragments:
        base = path.rsplit("/", 1)[-1]
        if base == "main.cf.milter" and not opts.get("milter", True):
            continue
        if base == "main.cf.policy" and not opts.get("policy", True):
            continue
        if base.startswith("main.cf."):
            got, u = main_fragment(path, text, vals)
            mains += got
        else:
            got, u = master_fragment(path, text, vals)
            masters += got
        used |= u
    if vals.get("internal_listen") == "none":
        masters = [b for b in masters if b[0] != "internal"]
        used -= {"internal_listen", "internal_clients"}
    missing = [m for m in missing if m.split()[0] in used
               or not m.startswith(("internal_", "tls_"))]
    if missing:
        raise Missing(missing)
    _plan_main(plan, mains, explicit, sets, defaults, vals, opts)
    _plan_master(plan, masters, sets, defaults, vals, opts)
    for key in opts.get("disable", ()):
        s = plan.master.find(key)
        if s is None:
            raise ConfError("%s: no service %s to disable" % (paths[1], key))
        before = plan.master.entry_text(key)
        plan.master.comment_out(key)
        after = "".join(plan.master.lines[s.first:s.last + 1])
        plan.record(file="master", kind="disable", svc=key, before_text=before, after_text=after)
    return plan


def _derive(plan, vals, explicit, sets):
    """Fill in derived site values; return the names still missing."""
    missing = []
    if not vals.get("relay_domains"):
        missing.append("relay_domains")
    rd = vals.get("relay_domains") or ""
    tm = explicit.get("transport_maps") if "transport_maps" not in sets else sets["transport_maps"]
    if "transport_maps" in sets or (tm and "exchange_nexthop" not in sets):
        vals["transport_maps"] = tm or ""
        vals["exchange_nexthop"] = vals.get("exchange_nexthop") or "(transport_maps)"
    elif vals.get("exchange_nexthop") and rd:
        doms = tokens(rd, "relay_domains")
        tables = [d for d in doms if ":" in d or d.startswith("/") or d.startswith("$")]
        if tables:
            missing.append("transport_maps (relay_domains %s is a table)" % tables[0])
        nh = vals["exchange_nexthop"]
        vals["transport_maps"] = "inline:{ %s }" % ", ".join(
            "%s=%s, .%s=%s" % (d, nh, d, nh) for d in doms if d not in tables)
    elif not vals.get("exchange_nexthop"):
        missing.append("exchange_nexthop")
    if "smtpd_tls_chain_files" in explicit or "smtpd_tls_eccert_file" in explicit:
        for n in ("tls_cert_file", "tls_key_file"):
            vals[n] = vals[n] or "(chain)"
    for n in ("internal_listen", "internal_clients", "tls_cert_file", "tls_key_file"):
        if not vals.get(n):
            missing.append(n)
    if vals.get("internal_listen") == "none" and "internal_clients" in missing:
        missing.remove("internal_clients")
    if not vals.get("chroot"):
        s = plan.master.find("smtp/inet")
        vals["chroot"] = s.fields[4] if s and s.fields[4] in ("y", "n") else "y"
    if vals["chroot"] not in ("y", "n", "-"):
        raise ConfError("--set chroot: y or n, not %r" % vals["chroot"])
    for n in ("public_listen", "submission_listen", "internal_listen"):
        v = vals.get(n) or ""
        if re.search(r"[\s/#]", v):
            raise ConfError("--set %s: %r is not a master.cf service name" % (n, v))
    return missing


def _default(defaults, name):
    raw, eff = defaults.get(name, (None, None))
    return eff if raw is not None and "$" in raw else raw


def _plan_main(plan, mains, explicit, sets, defaults, vals, opts):
    order, want = [], {}
    for name, value in mains:
        if name not in want:
            order.append(name)
        want[name] = value
    skip_tls = "smtpd_tls_chain_files" in explicit or "smtpd_tls_eccert_file" in explicit
    mda = sets.get("milter_default_action", explicit.get("milter_default_action",
                                                        want.get("milter_default_action")))
    for name in order:
        v = want[name]
        if name in ("smtpd_tls_cert_file", "smtpd_tls_key_file") and skip_tls:
            continue
        if name == "transport_maps" and vals["transport_maps"] == "":
            continue
        if name == "smtpd_milters" and mda not in (None, "tempfail") and v:
            v = "{ %s, default_action=tempfail }" % v
        if name == "smtpd_milters":
            plan.milter_item = v
        if name not in defaults and not name.startswith("relayscreen_"):
            plan.notes.append("%s: not a parameter of this Postfix, left out" % name)
            continue
        cur = explicit.get(name)
        if name in sets:
            new = sets[name]
        elif cur is not None:
            if is_list(name):
                new = merge_list(name, cur, v)
            else:
                new = cur
                if norm(cur) != norm(v) and name not in ("relay_domains", "transport_maps"):
                    plan.notes.append("kept %s = %s (relayscreen would set \"%s\"; --set %s=... to change it)"
                                      % (name, cur, v, name))
        else:
            d = _default(defaults, name)
            new = merge_list(name, d, v) if is_list(name) else v
            if norm(new) == norm(d):
                continue
        _set_main(plan, name, new)
    for name, value in sets.items():
        if "/" in name or name in SITE or name in want:
            continue
        _set_main(plan, name, value)
    _keep_non_smtpd(plan, explicit, defaults, sets)


def _set_main(plan, name, new):
    cur = plan.main.get(name)
    if cur is not None and norm(cur) == norm(new):
        return
    plan.record(file="main", kind="param", name=name, before=cur,
                before_text=plan.main.get_text(name), after=new)
    plan.main.set(name, new)
    if name in RESTART:
        plan.restart = True


def _keep_non_smtpd(plan, explicit, defaults, sets):
    """non_smtpd_milters = $smtpd_milters would send local mail through
    the screener: it gets the old value of smtpd_milters written out."""
    ch = [c for c in plan.changes if c.get("name") == "smtpd_milters"]
    ns = explicit.get("non_smtpd_milters")
    if not ch or ns is None or "non_smtpd_milters" in sets or not references(ns, "smtpd_milters"):
        return
    old = ch[0]["before"] if ch[0]["before"] is not None else (_default(defaults, "smtpd_milters") or "")
    new = re.sub(r"\$(smtpd_milters\b|\{smtpd_milters\}|\(smtpd_milters\))", lambda m: old, ns)
    plan.notes.append("non_smtpd_milters referred to $smtpd_milters: its old value is written out,"
                      " so local mail is not screened")
    _set_main(plan, "non_smtpd_milters", new)
    for name, value in explicit.items():
        if name != "non_smtpd_milters" and references(value, "smtpd_milters"):
            plan.notes.append("%s refers to $smtpd_milters, which changes" % name)


def _targets(plan, role, vals):
    """[(service key, create?)] a fragment block of ROLE is merged into."""
    name = vals.get("%s_listen" % role) or SITE["%s_listen" % role][0]
    svc = plan.master.find("%s/inet" % name)
    out = []
    if svc is not None and svc.command == "postscreen":
        passes = [s for s in plan.master.services() if s.type == "pass" and s.command == "smtpd"]
        if not passes:
            raise ConfError("%s: %s runs postscreen but no \"smtpd pass\" service exists"
                            % (plan.master.path, svc.key))
        out.append((passes[0].key, False))
    else:
        out.append(("%s/inet" % name, svc is None))
    if role == "submission":
        for s in plan.master.services():
            port = s.name.rsplit(":", 1)[-1]
            if s.type == "inet" and s.command == "smtpd" and port in SMTPS_NAMES \
                    and s.key != out[0][0]:
                out.append((s.key, False))
    return out


def _plan_master(plan, blocks, sets, defaults, vals, opts):
    for role, fields, options in blocks:
        if not opts.get("milter", True):
            options = [o for o in options if not o[0].startswith("milter_")]
        if not opts.get("policy", True):
            options = [o for o in options if not _policy_option(*o)]
        for key, create in _targets(plan, role, vals):
            forced = {n.split("/", 2)[2]: v for n, v in sets.items() if n.startswith(key + "/")}
            if create:
                _port_clash(plan, key, opts.get("disable", ()))
                opts_new = [(n, forced.get(n, _additive(plan, defaults, n, v))) for n, v in options]
                opts_new += [(n, v) for n, v in forced.items() if n not in dict(options)]
                text = entry(fields, opts_new)
                plan.master.add_entry(text)
                plan.record(file="master", kind="service", svc=key, before_text=None, after_text=text)
                continue
            _merge_service(plan, key, options, forced, defaults)


def _policy_option(name, value):
    """True for an -o option that --no-policy leaves out: the policy
    service settings, and a list holding nothing but the policy check
    (the DATA hook)."""
    return name.startswith("smtpd_policy_service_") or norm(value) == POLICY_CHECK


def _additive(plan, defaults, name, value):
    """VALUE of option NAME for a new listener: an ADDITIVE list is
    merged into main.cf's value (else Postfix's default)."""
    if name not in ADDITIVE:
        return value
    base = plan.main.params().get(name)
    if base is None:
        base = _default(defaults, name) or ""
    return merge_list(name, base, value)


def _port(name):
    """(host, port number) of an inet service name, e.g. 10.1.2.3:smtp."""
    host, _, port = name.rpartition(":")
    if not port.isdigit():
        try:
            port = str(socket.getservbyname(port, "tcp"))
        except OSError:
            pass
    return host.strip("[]"), port


def _port_clash(plan, key, disabled):
    """A new listener on a port an existing one already binds: say so
    (Postfix would fail to start); --disable takes the old one out."""
    host, port = _port(key.split("/")[0])
    for s in plan.master.services():
        if s.type != "inet" or s.key in disabled:
            continue
        h, p = _port(s.name)
        if p == port and (not h or not host or h == host):
            plan.notes.append("warning: %s and the existing %s both listen on port %s;"
                              " --disable %s if the new one replaces it" % (key, s.key, port, s.key))


def _merge_service(plan, key, options, forced, defaults):
    main = plan.main.params()
    svc = plan.master.find(key)
    for name, v in options + [(n, v) for n, v in forced.items() if n not in dict(options)]:
        cur = svc.opt(name)
        if name in forced:
            new = forced[name]
        elif cur is not None:
            if is_list(name):
                new = merge_list(name, cur, v)
            else:
                new = cur
                if norm(cur) != norm(v):
                    plan.notes.append("kept %s -o %s=%s (relayscreen would set \"%s\"; --set %s/%s=... to change it)"
                                      % (key, name, cur, v, key, name))
        else:
            base = main.get(name)
            if base is None:
                base = _default(defaults, name) or ""
            if name in IDENTITY:
                plan.notes.append("%s: no -o %s=%s added (an existing service keeps its log name)"
                                  % (key, name, v))
                continue
            if name == "smtpd_delay_reject" and v == "no" and _early_checks(svc, main, defaults):
                plan.notes.append("%s: no -o smtpd_delay_reject=no added (its client/HELO restrictions"
                                  " would then run before AUTH)" % key)
                continue
            new = merge_list(name, base, v) if is_list(name) else v
            if norm(new) == norm(base):
                continue
        _set_option(plan, key, name, new)
        svc = plan.master.find(key)
    # a service with its own smtpd_milters gets the screener there too
    if svc.opt("smtpd_milters") is not None and "smtpd_milters" not in forced and plan.milter_item:
        _set_option(plan, key, "smtpd_milters",
                    merge_list("smtpd_milters", svc.opt("smtpd_milters"), plan.milter_item))


def _early_checks(svc, main, defaults):
    """True when SVC has client or HELO restrictions (its own or main.cf's)."""
    for n in ("smtpd_client_restrictions", "smtpd_helo_restrictions"):
        v = svc.opt(n)
        if v is None:
            v = main.get(n, _default(defaults, n) or "")
        if v.strip():
            return True
    return False


def _set_option(plan, key, name, new):
    svc = plan.master.find(key)
    cur = svc.opt(name)
    if cur is not None and norm(cur) == norm(new):
        return
    plan.record(file="master", kind="option", svc=key, name=name, before=cur, after=new)
    plan.master.set_option(key, name, new)


# --- what changes between two versions of the files (for people) --------------
def summary(main0, master0, main1, master1, cfg):
    """Changes between two versions: (lines for people, postconf commands)."""
    lines, cmds = [], []
    a, b = MainCf(main0).params(), MainCf(main1).params()
    pc = "postconf -c %s" % shlex.quote(cfg)
    for k in list(a) + [k for k in b if k not in a]:
        if norm(a.get(k)) == norm(b.get(k)):
            continue
        if k not in b:
            lines.append("main.cf: %s removed (was \"%s\")" % (k, a[k]))
            cmds.append("%s -X %s" % (pc, k))
        else:
            was = "(not set)" if k not in a else "\"%s\"" % a[k]
            lines.append("main.cf: %s: %s -> \"%s\"" % (k, was, b[k]))
            cmds.append("%s -e %s" % (pc, shlex.quote("%s = %s" % (k, b[k]))))
    sa = {s.key: s for s in MasterCf(master0).services()}
    sb = {s.key: s for s in MasterCf(master1).services()}
    for k, s in sa.items():
        if k not in sb:
            lines.append("master.cf: service %s removed or commented out" % k)
            cmds.append("%s -M# %s" % (pc, k))
    for k, s in sb.items():
        if k not in sa:
            lines.append("master.cf: new service %s (%s)" % (k, " ".join(s.fields)))
            for n, v in s.options:
                lines.append("master.cf:   %s -o %s=%s" % (k, n, v))
            cmds.append("%s -M %s" % (pc, shlex.quote("%s=%s" % (k, one_line(s)))))
            continue
        old, new = sa[k], s
        if old.fields != new.fields:
            lines.append("master.cf: %s: columns %s -> %s" % (k, " ".join(old.fields), " ".join(new.fields)))
        ow, nw = dict(old.options), dict(new.options)
        spaced = False
        for n in list(ow) + [n for n in nw if n not in ow]:
            if norm(ow.get(n)) == norm(nw.get(n)):
                continue
            if n not in nw:
                lines.append("master.cf: %s: -o %s removed (was \"%s\")" % (k, n, ow[n]))
                cmds.append("%s -PX %s" % (pc, shlex.quote("%s/%s" % (k, n))))
                continue
            was = "(not set)" if n not in ow else "\"%s\"" % ow[n]
            lines.append("master.cf: %s: -o %s: %s -> \"%s\"" % (k, n, was, nw[n]))
            if re.search(r"\s", nw[n]):
                spaced = True
            else:
                cmds.append("%s -P %s" % (pc, shlex.quote("%s/%s=%s" % (k, n, nw[n]))))
        if spaced:
            cmds.append("%s -M %s" % (pc, shlex.quote("%s=%s" % (k, one_line(new)))))
    return lines, cmds


def one_line(s):
    return " ".join(s.fields + [fmt_option(n, v) for n, v in s.options])


def unified(old, new, path):
    return "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        path, path + " (relayscreen-postfix)"))


def needs_restart(main0, main1):
    a, b = MainCf(main0).params(), MainCf(main1).params()
    return [k for k in RESTART if norm(a.get(k)) != norm(b.get(k))]
