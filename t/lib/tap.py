"""tap.py - a tiny TAP producer for the relayscreen Python tests.

    import tap
    tap.require_root()                  # "1..0 # SKIP ..." unless root
    tap.ok(cond, "name")
    tap.is_eq(got, want, "name")        # prints got/want on failure
    tap.like(text, r"regex", "name")    # also tap.unlike; ok/is_eq/like
                                        # take a detail shown on failure
    tap.skip("reason", "name")          # "ok N - name # SKIP reason"
    tap.diag("anything")                # "# anything"

    @tap.case("relay to a hosted domain")
    def _():
        ...                             # runs now; an exception is reported
                                        # as "not ok" with the traceback as
                                        # "# " lines, and the run continues
    tap.done()                          # "1..N", exit 1 on any failure

The plan is printed at the end, so the number of tests need not be known
in advance.  Output is flushed line by line (automake's tap-driver reads a
pipe).
"""
import os
import re
import sys
import traceback

_count = 0
_failed = 0
_done = False


def _out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def diag(msg):
    """Print MSG as TAP comment lines ("# ...")."""
    for line in str(msg).splitlines() or [""]:
        _out("# " + line)


def _name(name):
    # "#" would start a TAP directive inside the description
    return str(name).replace("#", "\\#").replace("\n", " ")


def ok(cond, name="", detail=None):
    """One test point.  DETAIL (string) is printed as "# " lines on failure.
    Returns bool(cond), so callers can chain further checks."""
    global _count, _failed
    _count += 1
    cond = bool(cond)
    _out("%s %d - %s" % ("ok" if cond else "not ok", _count, _name(name)))
    if not cond:
        _failed += 1
        if detail is not None:
            diag(detail)
    return cond


def is_eq(got, want, name="", detail=None):
    """ok(got == want), showing both values (and DETAIL) when they differ."""
    return ok(got == want, name, "     got: %r\n    want: %r%s"
              % (got, want, "" if detail is None else "\n" + str(detail)))


def like(got, pattern, name="", detail=None):
    """ok when regex PATTERN is found in GOT (str or bytes)."""
    if isinstance(got, bytes) and isinstance(pattern, str):
        pattern = pattern.encode()
    hit = got is not None and re.search(pattern, got) is not None
    return ok(hit, name, "     got: %r\n    want: /%s/%s"
              % (got, pattern, "" if detail is None else "\n" + str(detail)))


def unlike(got, pattern, name=""):
    """ok when regex PATTERN is NOT found in GOT."""
    if isinstance(got, bytes) and isinstance(pattern, str):
        pattern = pattern.encode()
    hit = got is not None and re.search(pattern, got) is not None
    return ok(not hit, name, "     got: %r\n    must not match: /%s/" % (got, pattern))


def skip(reason, name=""):
    """A skipped test point: "ok N - name # SKIP reason"."""
    global _count
    _count += 1
    _out("ok %d - %s # SKIP %s" % (_count, _name(name), reason))


def skip_all(reason):
    """Skip the whole file: "1..0 # SKIP reason", exit 0."""
    global _done
    _done = True
    _out("1..0 # SKIP %s" % reason)
    sys.exit(0)


def bail_out(reason):
    """Stop the whole run: "Bail out! reason", exit 1."""
    global _done
    _done = True
    _out("Bail out! %s" % reason)
    sys.exit(1)


def require_root(reason="needs root (starts a private Postfix)"):
    """Skip the file unless running as root."""
    if os.geteuid() != 0:
        skip_all(reason)


def run(name, func, *args, **kwargs):
    """Run FUNC(*args, **kwargs) as one test case.  Test points it emits
    count as usual; if it raises, a "not ok - NAME" with the traceback is
    added and the run goes on.  Returns the function's result or None."""
    try:
        return func(*args, **kwargs)
    except Exception:  # KeyboardInterrupt/SystemExit propagate
        ok(False, "%s: exception" % name, traceback.format_exc().rstrip())
        return None


def case(name):
    """Decorator: run the function at once as test case NAME (see run)."""
    def deco(func):
        run(name, func)
        return func
    return deco


def failed():
    """Number of failed test points so far."""
    return _failed


def done():
    """Print the plan and exit: 0 when everything passed, else 1."""
    global _done
    _done = True
    _out("1..%d" % _count)
    if _count == 0:
        diag("no tests were run")
        sys.exit(1)
    sys.exit(1 if _failed else 0)
