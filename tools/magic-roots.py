#!/usr/bin/env python3
"""magic-roots.py - the top-level tests without which libmagic cannot
name a file a given MIME type: the rows of
screener/engine/files/magicgate.c come from its output.

  tools/magic-roots.py MAGDIR TYPE...

TYPE "indirect": the entries that run the whole database again at an
offset inside the file (so that a file may be named any type through
them); magicgate.c lets every file under them reach libmagic.

MAGDIR is the magic/Magdir directory of file's sources at the version
the screener is built against (Debian 12: file 5.44, tag FILE5_44 of
https://github.com/file/file).  For each TYPE it prints every top-level
entry (FILE:LINE: its test) under which a "!:mime TYPE" line sits; for a
named entry ("0 name X") the top-level entries of its users ("use X")
instead.  A file libmagic names TYPE matched one of them, or was named
by a built-in reader (readcdf.c: CDF files; is_tar.c: tar), which the
table adds by hand.  An entry at a negative offset (from the end) or
one that tests nothing fixed ("500 quad 0") means the type needs no
signature: magicgate.c then lists it with no signatures (NULL), and a
rule on it has every file looked up.
"""
import collections
import os
import re
import sys


def load(magdir):
    lines = []
    for name in sorted(os.listdir(magdir)):
        with open(os.path.join(magdir, name), errors="replace") as f:
            for n, text in enumerate(f, 1):
                text = text.rstrip("\n")
                if text.strip() and not text.lstrip().startswith("#"):
                    lines.append((name, n, text))
    return lines


def index(lines):
    """parent of each test line, the mime lines' tests, the users of
    each named entry."""
    parent, level, stack = {}, {}, []
    mimes = collections.defaultdict(list)
    uses = collections.defaultdict(list)
    last = None
    for i, (_name, _n, text) in enumerate(lines):
        if text.startswith("!:"):
            m = re.match(r"!:mime\s+(\S+)", text)
            if m and last is not None:
                mimes[m.group(1)].append(last)
            continue
        lv = len(text) - len(text.lstrip(">"))
        level[i] = lv
        while stack and level[stack[-1]] >= lv:
            stack.pop()
        parent[i] = stack[-1] if stack else None
        stack.append(i)
        last = i
        words = text.lstrip(">").split()
        if len(words) >= 3 and words[1] == "use":
            uses[words[2].lstrip("\\^")].append(i)
        if len(words) >= 2 and words[1].split("/")[0] == "indirect":
            # the whole database again at an offset: any type at all
            mimes["indirect"].append(i)
    return parent, mimes, uses


def roots(lines, parent, uses, i, seen):
    while parent[i] is not None:
        i = parent[i]
    words = lines[i][2].split()
    if len(words) >= 3 and words[1] == "name":
        if words[2] in seen:
            return []
        seen.add(words[2])
        out = []
        for u in uses.get(words[2], []):
            out += roots(lines, parent, uses, u, seen)
        return out
    return [i]


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: magic-roots.py MAGDIR TYPE...")
    lines = load(sys.argv[1])
    parent, mimes, uses = index(lines)
    for t in sys.argv[2:]:
        found = set()
        for i in mimes.get(t, []):
            found.update(roots(lines, parent, uses, i, set()))
        print("%s: %d" % (t, len(found)))
        for i in sorted(found):
            print("  %s:%d: %s" % (lines[i][0], lines[i][1], lines[i][2][:100]))


if __name__ == "__main__":
    main()
