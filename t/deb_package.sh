#!/bin/bash
# t/deb_package.sh - the Debian package, built, installed and purged for
# real on this machine (TAP).  tools/check runs it as its own step; by
# hand, as root:  t/deb_package.sh [SRCDIR]
#
#   1. copy the source tree as a fresh clone has it (tracked and new files,
#      nothing git ignores: no build output), then
#      "dpkg-buildpackage -us -uc -b" there, and lintian at error and
#      warning level;
#   2. "apt-get install ./relayscreen_*.deb" with services kept from
#      starting (policy-rc.d, as tools/install-deps);
#   3. check the files, the conffiles, the man pages, the units
#      ("systemd-analyze verify"), "screener -t" / "policyd -t" on the
#      installed conffiles as the packaged units run them, the versions;
#   4. the postinst creating the relayscreen account: in a private mount
#      namespace over a copy of /etc without the account (the machine's
#      own account database is never changed by the test);
#   5. "apt-get purge": no file of the package is left, nor the runtime
#      directories; the account stays, as Debian keeps system accounts.
# Throughout, /etc/postfix must not change and no daemon may be started.
#
# Needs root, apt-get and dpkg-buildpackage; skips otherwise, or when a
# relayscreen package is already installed (it is not ours to remove).
set -u
src=$(cd "${1:-${RS_SRCDIR:-$(dirname "$0")/..}}" && pwd)
n=0 failed=0

ok() {          # ok COND-EXIT-STATUS NAME [DETAIL]
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $n - $2"
    else
        echo "not ok $n - $2"; failed=$((failed + 1))
        [ $# -gt 2 ] && printf '%s\n' "$3" | head -40 | sed 's/^/# /'
    fi
}
check() {       # check NAME COMMAND...: ok when COMMAND exits 0
    local name=$1; shift
    local out; out=$("$@" 2>&1); ok $? "$name" "$out"
}
skip_all() { echo "1..0 # SKIP $*"; exit 0; }

[ "$(id -u)" = 0 ] || skip_all "needs root (installs and purges a package)"
command -v dpkg-buildpackage >/dev/null && command -v apt-get >/dev/null \
    || skip_all "no dpkg-buildpackage or apt-get"
dpkg-query -W -f='${Status}' relayscreen 2>/dev/null | grep -q 'installed' \
    && skip_all "a relayscreen package is installed already"
[ -n "${RS_SKIP_LAB:-}" ] && skip_all "RS_SKIP_LAB is set"

tmp=$(mktemp -d /tmp/deb_package.XXXXXX)
chmod 755 "$tmp"
prc=/usr/sbin/policy-rc.d made_prc=no
cleanup() {
    dpkg-query -W -f='${Status}' relayscreen 2>/dev/null | grep -q 'installed' \
        && apt-get purge -y -qq relayscreen >/dev/null 2>&1
    [ "$made_prc" = yes ] && rm -f "$prc"
    rm -rf "$tmp"
}
trap cleanup EXIT

# what must not change: /etc/postfix, running daemons
postfix_sum() { find /etc/postfix -type f -print0 | sort -z | xargs -0 sha256sum; }
daemons() {     # pids running the packaged binaries
    local p
    for p in /proc/[0-9]*; do
        case $(readlink "$p/exe" 2>/dev/null) in
        /usr/sbin/screener|/usr/sbin/policyd) echo "${p#/proc/}" ;;
        esac
    done
}
postfix_before=$(postfix_sum)

# --- 1. build from a clean copy, lintian ----------------------------------
mkdir "$tmp/src"
if [ -d "$src/.git" ] || [ -f "$src/.git" ]; then
    ( cd "$src" && git ls-files -z -co --exclude-standard \
          | tar --null -T - --ignore-failed-read -cf - 2>/dev/null ) \
        | tar -C "$tmp/src" -xf -
else
    skip_all "$src is not a git checkout (the package builds from a clone)"
fi
ok $? "clean copy of the source tree"
( cd "$tmp/src" && DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-nocheck}" \
      dpkg-buildpackage -us -uc -b >"$tmp/build.log" 2>&1 )
ok $? "dpkg-buildpackage -us -uc -b" "$(tail -30 "$tmp/build.log")"
deb=$(ls "$tmp"/relayscreen_*.deb 2>/dev/null | head -1)
[ -n "$deb" ]; ok $? "relayscreen_*.deb built"
[ -n "$deb" ] || { echo "1..$n"; exit 1; }
version=$(dpkg-deb -f "$deb" Version)

out=$(lintian --fail-on error,warning "$tmp"/relayscreen_*.changes 2>&1)
ok $? "lintian: no error or warning" "$out"

# --- 2. install -----------------------------------------------------------
if [ ! -e "$prc" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$prc"; chmod 755 "$prc"; made_prc=yes
fi
account_before=no
getent passwd relayscreen >/dev/null && account_before=yes
out=$(cd "$tmp" && DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -q --no-install-recommends "./$(basename "$deb")" 2>&1)
ok $? "apt-get install ./$(basename "$deb")" "$(echo "$out" | tail -20)"

# --- 3. files, conffiles, units, -t ---------------------------------------
for f in /usr/sbin/screener /usr/sbin/policyd /usr/sbin/relayscreen-postfix \
         /usr/sbin/relayscreen-held \
         /usr/share/relayscreen/postfix-snippets/relayscreen-postfix; do
    [ -x "$f" ]; ok $? "installed: $f"
done
for f in main.cf.gateway main.cf.milter main.cf.policy master.cf.gateway README.snippets; do
    [ -f "/usr/share/relayscreen/postfix-snippets/$f" ]; ok $? "installed: snippet $f"
done
for m in man8/screener.8 man8/policyd.8 man5/screener.conf.5 man5/policyd.conf.5 \
         man8/relayscreen-postfix.8 man8/relayscreen-held.8; do
    [ -f "/usr/share/man/$m.gz" ]; ok $? "man page $m"
done
conffiles=$(dpkg-query -W -f='${Conffiles}\n' relayscreen | awk 'NF {print $1}' | sort | tr '\n' ' ')
want="/etc/default/relayscreen-policyd /etc/default/relayscreen-screener /etc/relayscreen/lists/blocked-domains.txt /etc/relayscreen/lists/confidential-words.txt /etc/relayscreen/lists/extra-extensions.txt /etc/relayscreen/policyd.conf /etc/relayscreen/screener.conf /etc/relayscreen/sender_logins "
[ "$conffiles" = "$want" ]; ok $? "conffiles: the example configs, lists and defaults" "got: $conffiles"
cmp -s "$src/conf/screener.conf" /etc/relayscreen/screener.conf; ok $? "/etc/relayscreen/screener.conf is conf/screener.conf"
out=$(relayscreen-postfix --help 2>&1); ok $? "relayscreen-postfix --help runs through the wrapper" "$out"

for u in relayscreen-screener relayscreen-policyd; do
    unit=/lib/systemd/system/$u.service
    [ -f "$unit" ]; ok $? "unit $unit"
    # silent: a warning (unknown key, bad value) is printed with exit 0
    out=$(systemd-analyze verify "$unit" 2>&1)
    [ $? -eq 0 ] && [ -z "$out" ]; ok $? "systemd-analyze verify $u.service: exit 0, no warning" "$out"
    grep -q "^EnvironmentFile=-/etc/default/$u\$" "$unit"; ok $? "$u reads /etc/default/$u"
    grep -q '^Before=postfix.service postfix@-.service$' "$unit"; ok $? "$u starts before postfix@-.service and postfix.service"
    grep -q '^Type=simple$' "$unit" && grep -q '^ExecStart=/usr/sbin/[a-z]* -f ' "$unit"
    ok $? "$u: Type=simple with the daemon in the foreground"
    [ -L "/etc/systemd/system/multi-user.target.wants/$u.service" ]; ok $? "$u enabled"
done
# the -t lines the units run before each start and reload
out=$(sh -c '. /etc/default/relayscreen-screener && exec /usr/sbin/screener -t -c "$SCREENER_CONF"' 2>&1)
ok $? "screener -t on the installed conffiles" "$out"
echo "$out" | grep -qx '/etc/relayscreen/screener.conf: OK ([0-9]* rules; runs as relayscreen:relayscreen, [0-9]* files readable)'
ok $? "screener -t: one OK line, lists readable by relayscreen" "$out"
out=$(sh -c '. /etc/default/relayscreen-policyd && exec /usr/sbin/policyd -t -c "$POLICYD_CONF"' 2>&1)
ok $? "policyd -t on the installed conffiles" "$out"
echo "$out" | grep -qx '/etc/relayscreen/policyd.conf: OK (.*; runs as .*, [0-9]* files\? readable)'
ok $? "policyd -t: one OK line" "$out"
v=$(/usr/sbin/screener -V); [ "$v" = "screener (relayscreen) $version" ]; ok $? "screener -V is the package version" "$v"
v=$(/usr/sbin/policyd -V); [ "$v" = "policyd (relayscreen) $version" ]; ok $? "policyd -V is the package version" "$v"
v=$(/usr/sbin/relayscreen-held -V); [ "$v" = "relayscreen-held (relayscreen) $version" ]; ok $? "relayscreen-held -V is the package version" "$v"
out=$(/usr/sbin/relayscreen-held --help 2>&1); ok $? "relayscreen-held --help (python3 from Depends)" "$out"

ent=$(getent passwd relayscreen)
ok $? "account relayscreen exists" "$ent"
uid=$(echo "$ent" | cut -d: -f3); shell=$(echo "$ent" | cut -d: -f7)
[ "${uid:-0}" -gt 0 ] && [ "${uid:-1000}" -lt 1000 ] && [ "$shell" = /usr/sbin/nologin ]
ok $? "relayscreen is a system account without a login shell" "$ent"
getent group relayscreen >/dev/null; ok $? "group relayscreen exists"

# --- 4. postinst creates the account (private copy of /etc) ---------------
mkdir "$tmp/etc"
cp -a /etc/. "$tmp/etc/"
for db in passwd group shadow gshadow; do
    [ -f "$tmp/etc/$db" ] && sed -i '/^relayscreen:/d' "$tmp/etc/$db"
done
out=$(unshare -m sh -c "mount --bind '$tmp/etc' /etc && \
        /var/lib/dpkg/info/relayscreen.postinst configure && \
        getent passwd relayscreen && getent group relayscreen" 2>&1)
ok $? "postinst configure creates the account where it is missing" "$out"
grep -q '^relayscreen:x:[0-9]*:[0-9]*::/nonexistent:/usr/sbin/nologin$' "$tmp/etc/passwd"
ok $? "postinst's account: system, no home, no shell" "$(grep relayscreen "$tmp/etc/passwd")"
[ "$account_before" = yes ] && echo "# (the machine's own account existed before: tools/install-deps makes it)"
out=$(/var/lib/dpkg/info/relayscreen.postinst configure 2>&1)
ok $? "postinst configure again: idempotent" "$out"

[ -z "$(daemons)" ]; ok $? "no daemon started by the install" "$(daemons)"

# --- 5. purge ----------------------------------------------------------------
files=$(dpkg-query -L relayscreen)
out=$(DEBIAN_FRONTEND=noninteractive apt-get purge -y -q relayscreen 2>&1)
ok $? "apt-get purge relayscreen" "$(echo "$out" | tail -20)"
dpkg-query -W -f='${Status}' relayscreen 2>/dev/null | grep -q 'not-installed\|^$' \
    || ! dpkg-query -W relayscreen >/dev/null 2>&1
ok $? "the package is gone (not even config-files)" "$(dpkg -l relayscreen 2>&1 | tail -1)"
left=$(echo "$files" | while read -r f; do
           case $f in
           /.|/etc|/etc/default|/lib|/lib/systemd|/lib/systemd/system|/usr|/usr/sbin|/usr/share|/usr/share/doc|/usr/share/man|/usr/share/man/man5|/usr/share/man/man8) ;;
           *) [ -e "$f" ] || [ -L "$f" ] && echo "$f" ;;
           esac
       done)
[ -z "$left" ]; ok $? "no file of the package left" "$left"
left=$(ls -d /etc/relayscreen /run/relayscreen /var/spool/postfix/relayscreen \
           /etc/systemd/system/*/relayscreen-* \
           /var/lib/systemd/deb-systemd-helper-enabled/*relayscreen* \
           /var/lib/systemd/deb-systemd-helper-enabled/*/relayscreen* 2>/dev/null)
[ -z "$left" ]; ok $? "no runtime directory, unit link or helper state left" "$left"
getent passwd relayscreen >/dev/null; ok $? "the relayscreen account is kept (Debian keeps system accounts)"

[ "$(postfix_sum)" = "$postfix_before" ]; ok $? "/etc/postfix unchanged by build, install and purge" \
    "$(diff <(echo "$postfix_before") <(postfix_sum))"
[ -z "$(daemons)" ]; ok $? "no daemon left running" "$(daemons)"

echo "1..$n"
[ "$failed" -eq 0 ]
