"""relayscreen_pfconf.py - read and edit Postfix main.cf and master.cf text,
and merge Postfix list values, for relayscreen-postfix.

Edits change only the logical lines they are about: every other byte of
the file (comments, blank lines, other entries, their layout) is kept.
Logical lines are found the way Postfix's readlline() finds them: a line
that starts with text begins one; lines that start with whitespace
continue it, and comment or blank lines in between do not end it.

Lists (restriction lists, milters, macros, tables, option lists) are
merged, never replaced: the existing items stay in their order and ours
are inserted next to their neighbours in our list (see merge_list()).
"""
import re

# Postfix parameters whose value is a list we merge into; a name is a list
# when it matches (see is_list()).
LIST_SUFFIXES = ("_restrictions", "_milters", "_maps", "_keywords", "_exclude_ciphers",
                 "_security_options", "_ssl_options")
LIST_NAMES = ("mynetworks", "tls_ssl_options", "smtpd_milters", "non_smtpd_milters")
# Restrictions that end a restriction list (nothing after them is reached).
TERMINAL = ("permit", "reject", "defer", "defer_if_permit", "defer_if_reject",
            "reject_unauth_pipelining_final")
# Restrictions taking one argument (the next token), besides check_*.
WITH_ARG = ("reject_rbl_client", "reject_rhsbl_client", "reject_rhsbl_sender",
            "reject_rhsbl_helo", "reject_rhsbl_recipient", "reject_rhsbl_reverse_client",
            "permit_dnswl_client", "permit_rhswl_client", "reject_dnsbl_client")
# A milter that signs (DKIM/ARC): the screener goes before the first one,
# so that whatever it strips or tags is done before the signature is made.
SIGNING_MILTER = re.compile(r"dkim|rspamd|openarc|:8891\b|:11332\b", re.I)
MAX_TEXT = 4 * 1024 * 1024          # refuse config files larger than this
MAX_TOKENS = 10000                  # items in one value
MAX_DEPTH = 32                      # nesting of { }


class ConfError(Exception):
    """A config file cannot be read safely ("file:line: what")."""


def is_list(name):
    """True when NAME is a list parameter that we merge into."""
    return name in LIST_NAMES or name.endswith(LIST_SUFFIXES) or \
        (name.startswith("milter_") and name.endswith("_macros"))


def norm(value):
    """VALUE with runs of whitespace made one space (None stays None)."""
    return None if value is None else " ".join(value.split())


def tokens(value, where="value", commas=True):
    """Split a Postfix list on whitespace and commas (only whitespace when
    COMMAS is false: master.cf fields); a { } group (also glued to a
    word, as in inline:{ a=b }) is one token."""
    out, cur, depth = [], "", 0
    for ch in value or "":
        if depth:
            cur += ch
            if ch == "{":
                depth += 1
                if depth > MAX_DEPTH:
                    raise ConfError("%s: { } nested too deep" % where)
            elif ch == "}":
                depth -= 1
        elif ch == "{":
            cur += ch
            depth = 1
        elif ch.isspace() or (commas and ch == ","):
            if cur:
                out.append(cur)
            cur = ""
        else:
            cur += ch
        if len(out) > MAX_TOKENS:
            raise ConfError("%s: more than %d items" % (where, MAX_TOKENS))
    if depth:
        raise ConfError("%s: unbalanced { }" % where)
    if cur:
        out.append(cur)
    return out


def items(name, value):
    """The list value of parameter NAME as items; a restriction and its
    argument (check_client_access hash:/x) are one item."""
    toks = tokens(value, name)
    if not name.endswith("_restrictions"):
        return toks
    out = []
    for t in toks:
        if out and (out[-1].startswith("check_") or out[-1] in WITH_ARG) and " " not in out[-1]:
            out[-1] += " " + t
        else:
            out.append(t)
    return out


def milter_address(item):
    """The address of a smtpd_milters item ({ addr, opt=val } or addr)."""
    if item.startswith("{") and item.endswith("}"):
        inner = item[1:-1].strip()
        return inner.split(",", 1)[0].strip()
    return item


def item_key(name, item):
    if name.endswith("_milters"):
        return milter_address(item)
    return norm(item)


def join(name, base, its):
    """Write the items back, in the style of the base value."""
    if not its:
        return ""
    if name.startswith("milter_") and name.endswith("_macros"):
        return " ".join(its)
    if base and "," not in base and name.endswith("_restrictions"):
        return " ".join(its)
    return ", ".join(its)


def merge_list(name, base, ours):
    """Insert the items of OURS that BASE lacks; BASE's items stay, in
    their order.  An item goes after its nearest predecessor in OURS that
    is already there, else before its nearest successor, else at the end
    (before a final permit/reject of BASE).  A terminal restriction of
    OURS is added only when BASE has none.  Milters: a new milter goes
    before the first signing milter.  Returns the merged value."""
    have = items(name, base or "")
    want = items(name, ours or "")
    keys = [item_key(name, i) for i in have]
    restr = name.endswith("_restrictions")

    def end_pos():
        if restr:
            for i, it in enumerate(have):
                if it in TERMINAL:
                    return i
        return len(have)

    added = False
    for n, it in enumerate(want):
        k = item_key(name, it)
        if k in keys:
            continue
        if restr and it in TERMINAL:
            if any(h in TERMINAL for h in have):
                continue
            pos = len(have)
        elif name.endswith("_milters"):
            pos = next((i for i, h in enumerate(have) if SIGNING_MILTER.search(milter_address(h))),
                       len(have))
        else:
            pos = None
            for p in reversed(want[:n]):
                if item_key(name, p) in keys:
                    pos = keys.index(item_key(name, p)) + 1
                    break
            if pos is None:
                for s in want[n + 1:]:
                    if item_key(name, s) in keys:
                        pos = keys.index(item_key(name, s))
                        break
            if pos is None or pos > end_pos():
                pos = end_pos()
        have.insert(pos, it)
        keys.insert(pos, k)
        added = True
    return join(name, base, have) if added else (base or "")


def references(value, name):
    """True when VALUE refers to parameter NAME ($name, ${name}, $(name))."""
    return re.search(r"\$(%s\b|\{%s[}?:]|\(%s\))" % ((re.escape(name),) * 3), value or "") is not None


def split_lines(text, path):
    if len(text) > MAX_TEXT:
        raise ConfError("%s: larger than %d bytes" % (path, MAX_TEXT))
    return text.splitlines(keepends=True)


def logical(lines):
    """[(first, last)] line index ranges of the logical lines (last is the
    last line holding text, so trailing comments stay outside)."""
    out, start, last = [], None, None
    for i, line in enumerate(lines):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        if line[0].isspace():
            if start is not None:
                last = i
            continue
        if start is not None:
            out.append((start, last))
        start = last = i
    if start is not None:
        out.append((start, last))
    return out


def joined(lines, first, last):
    """The text of a logical line: its text lines joined by one space."""
    parts = []
    for line in lines[first:last + 1]:
        s = line.strip()
        if s and not s.startswith("#"):
            parts.append(s)
    return " ".join(parts)


def _ensure_newline(lines):
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"


class MainCf:
    """main.cf as lines; get/set/remove parameters in place."""

    def __init__(self, text, path="main.cf"):
        self.path = path
        self.lines = split_lines(text, path)

    def text(self):
        return "".join(self.lines)

    def _ranges(self, name):
        out = []
        for first, last in logical(self.lines):
            m = re.match(r"([A-Za-z0-9_.-]+)\s*=", self.lines[first])
            if m and m.group(1) == name:
                out.append((first, last))
        return out

    def params(self):
        """{name: value} of the explicit settings (the last one wins)."""
        out = {}
        for first, last in logical(self.lines):
            t = joined(self.lines, first, last)
            m = re.match(r"([A-Za-z0-9_.-]+)\s*=\s*(.*)$", t)
            if not m:
                raise ConfError("%s:%d: not a \"name = value\" line" % (self.path, first + 1))
            out[m.group(1)] = m.group(2).strip()
        return out

    def get(self, name):
        return self.params().get(name)

    def get_text(self, name):
        """The exact lines of NAME's last setting, or None."""
        r = self._ranges(name)
        return "".join(self.lines[r[-1][0]:r[-1][1] + 1]) if r else None

    def set(self, name, value):
        self.set_text(name, ("%s = %s" % (name, value)).rstrip() + "\n")

    def set_text(self, name, text):
        """Replace NAME's last setting by TEXT (appended when absent)."""
        r = self._ranges(name)
        new = text.splitlines(keepends=True)
        if r:
            first, last = r[-1]
            if not new[-1].endswith("\n") and last + 1 < len(self.lines):
                new[-1] += "\n"
            self.lines[first:last + 1] = new
        else:
            _ensure_newline(self.lines)
            self.lines.extend(new)

    def remove(self, name):
        for first, last in reversed(self._ranges(name)):
            del self.lines[first:last + 1]


def fmt_option(name, value):
    """One -o argument as master.cf writes it."""
    if value and (re.search(r"\s", value) or value[0] == "{"):
        return "-o { %s = %s }" % (name, value)
    return "-o %s=%s" % (name, value)


class Service:
    """One master.cf entry: the 8 fields, the -o options in order, and
    where it is in the file."""

    def __init__(self, lines, first, last, path):
        self.first, self.last = first, last
        toks = tokens(joined(lines, first, last), "%s:%d" % (path, first + 1), commas=False)
        if len(toks) < 8:
            raise ConfError("%s:%d: a master.cf entry needs 8 fields" % (path, first + 1))
        self.fields = toks[:8]
        self.name, self.type, self.command = toks[0], toks[1], toks[7]
        self.args = toks[8:]
        self.options = []            # [(name, value)]
        i = 0
        while i < len(self.args):
            a = self.args[i]
            if a == "-o" and i + 1 < len(self.args):
                self.options.append(parse_option(self.args[i + 1], path, first))
                i += 2
                continue
            if a.startswith("-o") and len(a) > 2:
                self.options.append(parse_option(a[2:], path, first))
            i += 1

    @property
    def key(self):
        return "%s/%s" % (self.name, self.type)

    def opt(self, name):
        """The value of -o NAME (the last one wins), or None."""
        val = None
        for n, v in self.options:
            if n == name:
                val = v
        return val


def parse_option(tok, path, line):
    if tok.startswith("{"):
        inner = tok[1:-1].strip()
    else:
        inner = tok
    if "=" not in inner:
        raise ConfError("%s:%d: -o %s: no \"=\"" % (path, line + 1, tok))
    n, v = inner.split("=", 1)
    return n.strip(), v.strip()


class MasterCf:
    """master.cf as lines; find services, edit their -o options in place,
    add, remove and comment out entries."""

    def __init__(self, text, path="master.cf"):
        self.path = path
        self.lines = split_lines(text, path)

    def text(self):
        return "".join(self.lines)

    def services(self):
        return [Service(self.lines, f, l, self.path) for f, l in logical(self.lines)]

    def find(self, key):
        for s in self.services():
            if s.key == key:
                return s
        return None

    def entry_text(self, key):
        s = self.find(key)
        return "".join(self.lines[s.first:s.last + 1]) if s else None

    def _option_line(self, s, name):
        """Index of the physical line holding only "-o NAME=..." of S."""
        pat = re.compile(r"\s+-o\s+(\{\s*%s\s*=.*\}|%s=\S*)\s*$" % ((re.escape(name),) * 2))
        found = [i for i in range(s.first + 1, s.last + 1) if pat.match(self.lines[i])]
        return found[-1] if found else None

    def _indent(self, s):
        for i in range(s.last, s.first, -1):
            m = re.match(r"(\s+)-o\s", self.lines[i])
            if m:
                return m.group(1).replace("\n", "")
        return "  "

    def set_option(self, key, name, value):
        s = self.find(key)
        if s.opt(name) is not None:
            i = self._option_line(s, name)
            if i is not None:
                indent = re.match(r"\s*", self.lines[i]).group(0)
                self.lines[i] = "%s%s\n" % (indent, fmt_option(name, value))
                return
            opts = [(n, value if n == name else v) for n, v in s.options]
            self._rewrite(s, opts)
            return
        line = "%s%s\n" % (self._indent(s), fmt_option(name, value))
        _ensure_newline(self.lines)
        self.lines.insert(s.last + 1, line)

    def remove_option(self, key, name):
        s = self.find(key)
        if s is None or s.opt(name) is None:
            return
        i = self._option_line(s, name)
        if i is not None and [n for n, _ in s.options].count(name) == 1:
            del self.lines[i]
            return
        self._rewrite(s, [(n, v) for n, v in s.options if n != name])

    def _rewrite(self, s, opts):
        """Write S again with OPTS (its other arguments are kept)."""
        rest, i = [], 0
        while i < len(s.args):
            if s.args[i] == "-o":
                i += 2
                continue
            if not s.args[i].startswith("-o"):
                rest.append(s.args[i])
            i += 1
        head = " ".join(s.fields + [a for a in rest if a.startswith("-")])
        tail = [a for a in rest if not a.startswith("-")]
        new = [head + "\n"] + ["  %s\n" % fmt_option(n, v) for n, v in opts]
        if tail:
            new.append("  %s\n" % " ".join(tail))
        self.lines[s.first:s.last + 1] = new

    def add_entry(self, text):
        _ensure_newline(self.lines)
        self.lines.extend(text.splitlines(keepends=True))

    def replace_entry(self, key, text):
        """Replace the entry KEY by TEXT (None: remove it)."""
        s = self.find(key)
        new = text.splitlines(keepends=True) if text else []
        self.lines[s.first:s.last + 1] = new

    def find_text(self, text):
        """Line index where TEXT (whole lines) starts, or None."""
        want = text.splitlines(keepends=True)
        for i in range(len(self.lines) - len(want) + 1):
            if self.lines[i:i + len(want)] == want:
                return i
        return None

    def replace_text(self, old, new):
        i = self.find_text(old)
        if i is None:
            return False
        self.lines[i:i + len(old.splitlines())] = new.splitlines(keepends=True)
        return True

    def comment_out(self, key):
        """Comment out entry KEY (each of its lines gets a "#")."""
        s = self.find(key)
        for i in range(s.first, s.last + 1):
            if not self.lines[i].lstrip().startswith("#") and self.lines[i].strip():
                self.lines[i] = "#" + self.lines[i]


def entry(fields, options):
    """A new master.cf entry: the fields, then one -o per line."""
    return "".join([" ".join(fields) + "\n"] + ["  %s\n" % fmt_option(n, v) for n, v in options])
