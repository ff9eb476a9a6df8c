#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# nfsroot_guest_unpack() against tarballs made here (python3 tarfile): a good tree in every
# compression, then hostile ones (.. and absolute names, members below links, hard links out,
# device nodes, byte and member bombs, corrupt data). The directory "outside", next to every
# target, must end exactly as it started.
set -euo pipefail
TOOL=$(realpath "${1:?usage: unpack.sh GUEST_TOOL}")
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
W=$(mktemp -d /tmp/guest-unpack.XXXXXX)
trap 'rm -rf "$W"' EXIT
# shellcheck source=../../lib/check.sh
. "$(dirname "$0")/../../lib/check.sh"
mkdir "$W/outside" "$W/a"
echo secret >"$W/outside/secret"
before=$(cd "$W/outside" && find . -printf '%p %y %s %n\n' | sort)

python3 - "$W" <<'PY'
import io, os, sys, tarfile
w = sys.argv[1]
def member(t, name, kind=tarfile.REGTYPE, data=b"", mode=0o644, link="", **kw):
    i = tarfile.TarInfo(name)
    i.type, i.mode, i.linkname, i.size = kind, mode, link, len(data)
    for k, v in kw.items():
        setattr(i, k, v)
    t.addfile(i, io.BytesIO(data) if data else None)
def make(name, members, mode="w"):
    with tarfile.open(os.path.join(w, "a", name), mode) as t:
        for m in members:
            member(t, *m[:1], **m[1]) if isinstance(m[-1], dict) else member(t, *m)
good = [
    ("./", {"kind": tarfile.DIRTYPE, "mode": 0o755}),
    ("./etc", {"kind": tarfile.DIRTYPE, "mode": 0o755}),
    ("./etc/os-release", {"data": b"ID=debian\n"}),
    ("./usr/bin/tool", {"data": b"#!/bin/sh\n", "mode": 0o755}),
    ("./usr/bin/su", {"data": b"su\n", "mode": 0o4755}),
    ("./usr/bin/wall", {"data": b"wall\n", "mode": 0o2755}),
    ("./usr/bin/tool2", {"kind": tarfile.LNKTYPE, "link": "./usr/bin/tool"}),
    ("./bin", {"kind": tarfile.SYMTYPE, "link": "usr/bin"}),
    ("./escape", {"kind": tarfile.SYMTYPE, "link": "/etc"}),
    ("./up", {"kind": tarfile.SYMTYPE, "link": "../../outside/secret"}),
    ("./dev/null", {"kind": tarfile.CHRTYPE, "devmajor": 1, "devminor": 3}),
    ("./dev/fifo", {"kind": tarfile.FIFOTYPE}),
    ("./dev/sda", {"kind": tarfile.BLKTYPE, "devmajor": 8, "devminor": 0}),
]
make("good.tar", good)
make("good.tar.gz", good, "w:gz")
make("good.tar.xz", good, "w:xz")
make("good.tar.bz2", good, "w:bz2")
make("dotdot.tar", [("../escaped", {"data": b"x"})])
make("dotdot-inner.tar", [("a/../../escaped", {"data": b"x"})])
make("absolute.tar", [(w + "/outside/absolute", {"data": b"x"})])
make("below-link.tar", [("evil", {"kind": tarfile.SYMTYPE, "link": w + "/outside"}),
                        ("evil/pwned", {"data": b"x"})])
make("below-dotdot-link.tar", [("up", {"kind": tarfile.SYMTYPE, "link": ".."}),
                               ("up/outside/pwned", {"data": b"x"})])
make("hardlink-dotdot.tar", [("h", {"kind": tarfile.LNKTYPE, "link": "../outside/secret"})])
make("hardlink-absolute.tar", [("h", {"kind": tarfile.LNKTYPE, "link": w + "/outside/secret"})])
make("hardlink-via-link.tar", [("l", {"kind": tarfile.SYMTYPE, "link": w + "/outside"}),
                               ("h", {"kind": tarfile.LNKTYPE, "link": "l/secret"})])
make("file-over-dir.tar", [("d", {"kind": tarfile.DIRTYPE, "mode": 0o755}),
                           ("d/x", {"data": b"x"}), ("d", {"data": b"file"})])
make("bytes-bomb.tar.gz", [("zeros", {"data": bytes(64 << 20)})], "w:gz")
make("entries-bomb.tar.gz", [("f%d" % i, {}) for i in range(5000)], "w:gz")
with open(os.path.join(w, "a", "good.tar.gz"), "rb") as f:
    data = f.read()
with open(os.path.join(w, "a", "truncated.tar.gz"), "wb") as f:
    f.write(data[: len(data) // 2])
with open(os.path.join(w, "a", "garbage.tar"), "wb") as f:
    f.write(os.urandom(4096))
PY
if command -v zstd >/dev/null; then
    zstd -q "$W/a/good.tar" -o "$W/a/good.tar.zst"
fi

n=0
run() { # ARCHIVE [CAPS...]: unpack into a fresh target next to "outside"; output in $out
    n=$((n + 1))
    T=$W/t$n
    mkdir "$T"
    out=$("$TOOL" unpack "$W/a/$1" "$T" "${@:2}" 2>&1) && rc=0 || rc=$?
}
refused() { # ARCHIVE CODE [CAPS...]
    run "$1" "${@:3}"
    if [ "$rc" = 1 ] && grep -q "^refused ($2)" <<<"$out"; then
        pass "$1 refused with $2: $(grep '^refused' <<<"$out")"
    else
        fail "$1: expected a refusal with $2, got: $out"
    fi
}

for a in good.tar good.tar.gz good.tar.xz good.tar.bz2 good.tar.zst; do
    [ -e "$W/a/$a" ] || { echo "SKIP part: $a (no compressor)"; continue; }
    run "$a"
    check "$a unpacks" test "$rc" = 0
    check "$a: regular file" grep -qx 'ID=debian' "$T/etc/os-release"
    check "$a: mode kept" test "$(stat -c %a "$T/usr/bin/tool")" = 755
    if [ "$(id -u)" = 0 ] && findmnt -no OPTIONS -T "$T" | grep -qw nosuid; then
        check "$a: setuid, setgid kept as root on a nosuid mount" \
            test "$(stat -c %a "$T/usr/bin/su" "$T/usr/bin/wall" | tr '\n' ' ')" = "4755 2755 "
    else
        check "$a: setuid, setgid dropped (no root, or no nosuid mount)" \
            test "$(stat -c %a "$T/usr/bin/su" "$T/usr/bin/wall" | tr '\n' ' ')" = "755 755 "
        check "$a: says so" grep -qx 'setuid/setgid dropped: 2' <<<"$out"
    fi
    check "$a: hard link" test "$T/usr/bin/tool" -ef "$T/usr/bin/tool2"
    check "$a: links kept as written" test "$(readlink "$T/escape")" = /etc
    check "$a: link out kept, not followed" test "$(readlink "$T/up")" = ../../outside/secret
    check "$a: device nodes and FIFOs skipped" not test -e "$T/dev/null" -o -e "$T/dev/fifo" \
        -o -e "$T/dev/sda"
    check "$a: progress reaches the end" grep -qE '^progress ([0-9]+)/\1$' <<<"$out"
done

# As root, the target's mount decides: setuid and setgid bits only where the mount is nosuid
# (a tmpfs each way, in a private mount namespace).
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
    for opts in nosuid,nodev suid; do
        mkdir "$W/mnt-$opts"
        # shellcheck disable=SC2016 # the inner bash expands its own arguments
        unshare -m --propagation private bash -c '
            mount -t tmpfs -o "$1,mode=0755" none "$2" && mkdir "$2/t" &&
            "$3" unpack "$4" "$2/t" >"$5.out" 2>&1 &&
            stat -c %a "$2/t/usr/bin/su" "$2/t/usr/bin/wall" | tr "\n" " " >"$5"' \
            _ "$opts" "$W/mnt-$opts" "$TOOL" "$W/a/good.tar" "$W/res-$opts"
    done
    check "root, nosuid mount: setuid and setgid kept" \
        test "$(cat "$W/res-nosuid,nodev" 2>&1)" = "4755 2755 "
    check "root, nosuid mount: nothing dropped" not grep -q dropped "$W/res-nosuid,nodev.out"
    check "root, suid mount: setuid and setgid dropped" test "$(cat "$W/res-suid" 2>&1)" = "755 755 "
    check "root, suid mount: says so" grep -qx 'setuid/setgid dropped: 2' "$W/res-suid.out"
fi

refused dotdot.tar EXDEV
refused dotdot-inner.tar EXDEV
refused absolute.tar EXDEV
check "absolute name not written" not test -e "$W/outside/absolute"
refused below-link.tar ELOOP
refused below-dotdot-link.tar ELOOP
refused hardlink-dotdot.tar EXDEV
refused hardlink-absolute.tar EXDEV
refused hardlink-via-link.tar ELOOP
refused file-over-dir.tar EISDIR
refused bytes-bomb.tar.gz EFBIG $((16 << 20))
check "bytes bomb stopped at the cap" test "$(stat -c %s "$T/zeros")" -le $(((16 << 20) + (256 << 10)))
refused entries-bomb.tar.gz EFBIG 1000000000 1000
check "member bomb stopped at the cap" test "$(find "$T" -type f | wc -l)" -le 1000
refused truncated.tar.gz EBADMSG
refused garbage.tar EBADMSG

# A target that already holds links: members never go through them, files replace them.
T=$W/pre && mkdir "$T" && ln -s "$W/outside" "$T/etc" && ln -s "$W/outside/secret" "$T/motd"
python3 - "$W" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1] + "/a/pre.tar", "w") as t:
    for name in ("motd", "etc/os-release"):
        i = tarfile.TarInfo(name); i.size = 2
        t.addfile(i, io.BytesIO(b"x\n"))
PY
out=$("$TOOL" unpack "$W/a/pre.tar" "$T" 2>&1) && rc=0 || rc=$?
check "a link in the target is never written through" grep -q '^refused (ELOOP)' <<<"$out"
check "a file replaces the link that stood in its place" test -f "$T/motd" -a ! -L "$T/motd"

after=$(cd "$W/outside" && find . -printf '%p %y %s %n\n' | sort)
check "nothing changed outside the targets" test "$before" = "$after"
check "outside's secret intact" grep -qx secret "$W/outside/secret"
summary
