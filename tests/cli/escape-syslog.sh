#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The hook's syslog lines carry guest bytes escaped: the real hook (front end and runner) logs
# its boot-check findings through the real syslog(3) to a /dev/log of our own (a tmpfs over
# /dev in a private mount namespace, so nothing of the host's is touched), for a guest whose
# etc/fstab decodes to ESC, U+009B and a newline starting a forged sshd line.
# Usage: escape-syslog.sh HOOK
set -u
HOOK=$(readlink -f "$1")
if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root (a private mount namespace)"; exit 77; fi
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 77; }
if [ -z "${NFSROOT_ISOLATED:-}" ]; then
    NFSROOT_ISOLATED=1 exec unshare -m -- bash "$0" "$@"
fi
mount --make-rprivate /
T=$(mktemp -d "${TMPDIR:-/tmp}/escape-syslog.XXXXXX") || exit 1
listener=
# shellcheck disable=SC2317 # a trap handler: called, though shellcheck sees no call
cleanup() {
    [ -n "$listener" ] && { kill "$listener" && wait "$listener"; } 2>/dev/null
    # not 2>/dev/null: an open /dev/null keeps our /dev busy
    umount /dev && umount -R "$T/dev"
    rm -rf "$T"
}
trap cleanup EXIT
export LC_ALL=C

# Our own /dev: the few nodes a process needs, and room for a log socket.
mkdir "$T/dev"
mount -t tmpfs -o mode=0755 tmpfs "$T/dev" || { echo "SKIP: cannot mount a tmpfs"; exit 77; }
for n in null zero full random urandom; do
    touch "$T/dev/$n" && mount --bind "/dev/$n" "$T/dev/$n"
done
ln -s /proc/self/fd "$T/dev/fd"
for i in 0 1 2; do ln -s "/proc/self/fd/$i" "$T/dev/$(echo stdin stdout stderr | cut -d' ' -f$((i + 1)))"; done
mount --bind "$T/dev" /dev

# Every datagram syslog(3) sends, one per line as hex (so a newline inside one shows).
python3 - "$T/log" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
with open(sys.argv[1], "w") as out:
    out.write("ready\n")
    out.flush()
    while True:
        out.write(s.recv(65536).hex() + "\n")
        out.flush()
PY
listener=$!
for _ in $(seq 50); do [ -S /dev/log ] && grep -q ready "$T/log" 2>/dev/null && break; sleep 0.1; done
[ -S /dev/log ] || { echo "FAIL: no log listener"; exit 1; }

# shellcheck source=../lib/check.sh
. "$(dirname "$0")/../lib/check.sh"

# shellcheck source=../lib/sandbox.sh
. "$(dirname "$0")/../lib/sandbox.sh"
sandbox_hostile_guest "$T" \
    '192.168.122.1:/x\033[2J\302\233\012sshd[1]:\040Accepted\040password\040for\040root'
sandbox_domain vm1 >"$T/vm1.xml"

# prepare begin: the boot check refuses (the fstab names another path) after logging each
# finding; nothing is exported.
"$HOOK" vm1 prepare begin - <"$T/vm1.xml" >"$T/out" 2>"$T/err"; rc=$?
check "hook: refuses (exit 1)" [ "$rc" = 1 ]
check "hook: its stderr has no control byte" sh -c \
    "! grep -aqP '[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]' '$T/err'"
sleep 0.2
kill "$listener" 2>/dev/null
wait "$listener" 2>/dev/null
listener=
python3 - "$T/log" >"$T/lines" <<'PY'
import sys
for h in open(sys.argv[1]).read().split("\n")[1:]:
    if h:
        print(repr(bytes.fromhex(h)))
PY
echo "logged:"
sed 's/^/  /' "$T/lines"
check "syslog: the findings were logged" grep -q "boot check: error: .*fstab" "$T/lines"
check "syslog: the refusal was logged" grep -q "refused: domain 'vm1'" "$T/lines"
check "syslog: no datagram holds a control byte, C1 or a newline" python3 - "$T/log" <<'PY'
import re, sys
bad = re.compile(rb"[\x00-\x1f\x7f]|\xc2[\x80-\x9f]")
for h in open(sys.argv[1]).read().split("\n")[1:]:
    if h:
        d = bytes.fromhex(h)
        d.decode("utf-8", "strict")
        assert not bad.search(d), d
PY
check "syslog: the fstab value is there, escaped" grep -qF \
    "'/x\\\\x1b[2J\\\\u009b\\\\nsshd[1]: Accepted password for root'" "$T/lines"
check "syslog: the idmapd.conf value is there, escaped" grep -qF \
    "'evil\\\\x1b]0;owned\\\\x07.org'" "$T/lines"
summary
