#!/bin/sh
# miltertest.sh - run one miltertest Lua script against a real screener.
#
#   miltertest.sh [path/]NAME.lua
#
# Starts "screener -f" with NAME.conf from the script's directory (or
# common.conf there when the test has none of its own) on a private UNIX
# socket, runs "miltertest -s NAME.lua" with these globals defined:
#   socket    the screener's socket ("unix:/tmp/.../screener.sock")
#   logfile   the screener's log (its stderr), for log assertions
#   pid       the screener's process id (SIGHUP tests)
#   confdir   the test directory (milter/), tmpdir a scratch directory
#   conffile  the screener's config: a copy in tmpdir, so a test may
#             rewrite it and send SIGHUP
# then stops the screener with SIGTERM and prints TAP: the script's own
# "ok"/"not ok" lines, one for the script finishing without error, one
# for the screener exiting cleanly, and the plan.  Whatever it starts it
# stops, also on failure.
set -u
script=$1
name=$(basename "$script" .lua)
dir=$(cd "$(dirname "$script")" && pwd)
build=${RS_BUILDDIR:-$(pwd)/..}
screener=$build/screener/screener
miltertest=${MILTERTEST:-miltertest}
conf=$dir/$name.conf
[ -f "$conf" ] || conf=$dir/common.conf

if ! command -v "$miltertest" >/dev/null 2>&1; then
    echo "1..0 # SKIP miltertest not installed (apt-get install miltertest)"
    exit 0
fi
if [ ! -x "$screener" ]; then
    echo "Bail out! no screener binary at $screener"
    exit 1
fi

tmp=$(mktemp -d /tmp/rs-miltertest.XXXXXX)
chmod 755 "$tmp"
sock=$tmp/screener.sock
log=$tmp/screener.log
pid=
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
    fi
    [ -n "${RS_KEEP:-}" ] && cp "$log" /tmp/last-screener.log; rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

cp "$conf" "$tmp/screener.conf"
"$screener" -f -c "$tmp/screener.conf" -p "unix:$sock" 2>"$log" &
pid=$!
i=0
while [ ! -S "$sock" ] && [ $i -lt 100 ]; do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05; i=$((i + 1))
done
if [ ! -S "$sock" ]; then
    echo "Bail out! screener did not start with $conf"
    sed 's/^/# /' "$log"
    exit 1
fi

out=$tmp/out
"$miltertest" -D "socket=unix:$sock" -D "logfile=$log" -D "pid=$pid" \
    -D "confdir=$dir" -D "tmpdir=$tmp" -D "conffile=$tmp/screener.conf" -s "$script" >"$out" 2>&1
mrc=$?

# The screener must finish cleanly on SIGTERM.
kill -TERM "$pid" 2>/dev/null
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 200 ]; do
    sleep 0.05; i=$((i + 1))
done
if kill -0 "$pid" 2>/dev/null; then
    src=timeout
else
    wait "$pid"; src=$?
fi
pid=

n=0
while IFS= read -r line; do
    case $line in
    "ok "*|"not ok "*) n=$((n + 1)); echo "$line" ;;
    *) echo "# $line" ;;
    esac
done <"$out"
n=$((n + 1))
if [ $mrc -eq 0 ]; then
    echo "ok - $name.lua ran to its end"
else
    echo "not ok - $name.lua ran to its end (miltertest exit $mrc)"
fi
n=$((n + 1))
if [ "$src" = 0 ]; then
    echo "ok - screener exited cleanly on SIGTERM"
else
    echo "not ok - screener exited cleanly on SIGTERM (status $src)"
    sed 's/^/# screener: /' "$log" | tail -20
fi
if grep -q 'ERROR: AddressSanitizer\|runtime error:' "$log"; then
    n=$((n + 1))
    echo "not ok - sanitizer report"
    sed 's/^/# /' "$log" | head -40
fi
echo "1..$n"
