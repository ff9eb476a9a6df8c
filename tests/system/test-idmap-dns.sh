#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Issue 23, part 6: a start never waits on DNS. When the host's idmapd.conf sets no Domain and
# /etc/hosts does not name the host, libnfsidmap derives the host's NFSv4 domain from DNS (as
# rpc.idmapd does at its start); the boot check asks it at every prepare. Here the resolver
# drops every packet (iptables in a network namespace of the test's own, 5 s timeout, 2
# attempts: 20 s per lookup unbounded, A and AAAA): the check must answer within 3 s with the
# finding idmap-host-slow, not a guessed domain. The same host with Domain set, and with a resolver
# that is not asked at all, still compares exactly (idmap-match).
#
# Usage: test-idmap-dns.sh BOOTCHECK-CASE-BINARY   (root: network, mount and UTS namespaces)
set -u
BIN=$1
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (namespaces)"; exit 77; }
for p in ip iptables; do
    command -v "$p" >/dev/null || { echo "SKIP: $p missing"; exit 77; }
done
if [ -z "${IDMAP_DNS_NS:-}" ]; then
    IDMAP_DNS_NS=1 exec unshare -n -m -u --propagation private "$0" "$@"
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/idmap-dns.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
# shellcheck source=../lib/check.sh
. "$(dirname "$0")/../lib/check.sh"

# The resolver: 10.99.0.53 on this namespace's loopback, every DNS packet dropped where it
# arrives (INPUT: a drop on OUTPUT would fail the send at once).
ip link set lo up
if ! ip addr add 10.99.0.1/24 dev lo || ! iptables -A INPUT -p udp --dport 53 -j DROP ||
    ! iptables -A INPUT -p tcp --dport 53 -j DROP; then
    echo "SKIP: cannot make a resolver that drops packets (ip, iptables)"; exit 77
fi
printf 'nameserver 10.99.0.53\noptions timeout:5 attempts:2\n' >"$T/resolv.conf"
printf '127.0.0.1 localhost\n' >"$T/hosts"
printf 'hosts: files dns\n' >"$T/nsswitch.conf"
mount --bind "$T/resolv.conf" /etc/resolv.conf
mount --bind "$T/hosts" /etc/hosts
mount --bind "$T/nsswitch.conf" /etc/nsswitch.conf
hostname nfsroot-dns-test

# case DIR HOST-DOMAIN-LINE EXPECTED: a boot-check case (check = idmap) whose guest sets
# example.org.
mkcase() {
    mkdir -p "$1"
    printf 'check = idmap\nhost_idmapd_conf = host-idmapd.conf\n' >"$1/case"
    printf '[General]\n%s\n' "$2" >"$1/host-idmapd.conf"
    printf '[General]\nDomain = example.org\n' >"$1/idmapd.conf"
    printf '%s\n' "$3" >"$1/expected"
}
mkcase "$T/slow" "Verbosity = 0" "info idmap-host-slow"
mkcase "$T/set" "Domain = example.org" ""
: >"$T/set/expected"

t0=$(date +%s.%N)
timeout 60 "$BIN" "$T/slow" >"$T/out" 2>&1; rc=$?
secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
echo "no Domain, resolver dropping packets: the check took $secs s (exit $rc)"
check "no Domain, dead resolver: the check answers within 3 s ($secs s)" \
    awk -v s="$secs" 'BEGIN { exit !(s < 3) }'
check "no Domain, dead resolver: idmap-host-slow, nothing guessed ($(tr '\n' ' ' <"$T/out"))" \
    [ "$rc" = 0 ]
t0=$(date +%s.%N)
timeout 60 "$BIN" "$T/set" >"$T/out" 2>&1; rc=$?
secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
check "Domain set, dead resolver: compared at once ($secs s), no finding ($(tr '\n' ' ' <"$T/out"))" \
    [ "$rc" = 0 ]

# /etc/hosts names the host (Debian's default), no Domain: glibc answers the host's name from
# the file before any DNS query, so libnfsidmap is asked in this process, no child forked (a
# fork costs every prepare ~4 ms), and its answer (no dot in the name: localdomain) is compared.
printf '127.0.0.1 localhost\n127.0.1.1 nfsroot-dns-test\n' >"$T/hosts"
mkcase "$T/named" "Verbosity = 0" "warning idmap-domain-mismatch"
if command -v strace >/dev/null; then
    # LeakSanitizer does not run under ptrace (and clones its own tracer): off for this run.
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 timeout 60 \
        strace -f -qq -o "$T/strace" -e trace=clone,clone3,fork,vfork "$BIN" "$T/named" >"$T/out" 2>&1
    rc=$?
    check "no Domain, host named in /etc/hosts: libnfsidmap's answer compared ($(tr '\n' ' ' <"$T/out"))" \
        [ "$rc" = 0 ]
    check "... asked in the process itself, no child ($(grep -c . "$T/strace") clone/fork calls)" \
        not grep -qE 'clone|fork' "$T/strace"
else
    fail "strace is missing (scripts/packages.sh installs it)"
fi
finish
