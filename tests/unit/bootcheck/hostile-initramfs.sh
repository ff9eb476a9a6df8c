#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Hostile initramfs images, made at test time in a temp dir: each must be refused by a named
# bound of the scan (not by running out of time), with work measured as bytes the scan read
# (/proc/self/io rchar, printed by bootcheck-tool), never by a clock. A refusal is cached like a
# result, and a tampered cache entry is never trusted. An empty state_dir writes no cache.
set -euo pipefail
TOOL=$(realpath "${1:?usage: hostile-initramfs.sh BOOTCHECK_TOOL}")
for p in cpio gzip python3 truncate; do
    command -v $p >/dev/null || { echo "SKIP: $p not installed"; exit 77; }
done
W=$(mktemp -d /tmp/bootcheck-hostile.XXXXXX)
# Never remove the tree while anything is still mounted below it (the sandbox of part 7).
trap 'grep -qF " $W/" /proc/self/mountinfo || rm -rf "$W"' EXIT
# shellcheck source=../../lib/check.sh
. "$(dirname "$0")/../../lib/check.sh"
MiB=$((1024 * 1024))
EFBIG=-27

field() { sed -n "s/^$1=//p" <<<"$2"; }
# shellcheck disable=SC2001 # indents every line of a multi-line output, which ${var//} cannot anchor
indent() { sed 's/^/    /' <<<"$1"; }
want() { # what key value output: exact key=value line
    grep -qxF -- "$2=$3" <<<"$4" || { fail "$1: expected '$2=$3'"; indent "$4"; }
}
want_in() { # what regex output
    grep -q -- "$2" <<<"$3" || { fail "$1: expected /$2/"; indent "$3"; }
}
want_read_below() { # what bytes output: the scan read less than bytes
    local n; n=$(field rchar "$3")
    if ! { [ -n "$n" ] && [ "$n" -lt "$2" ]; }; then fail "$1: read ${n:-?} bytes, want < $2"; fi
}

# A small real cpio (one file) to put around the hostile parts
mkdir -p "$W/tree/kernel/x86/microcode" && echo x > "$W/tree/kernel/x86/microcode/GenuineIntel.bin"
(cd "$W/tree" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > "$W/small.cpio"

# 1. A sparse 64 GiB file (no block on disk): refused from st_size, nothing read.
truncate -s 64G "$W/sparse-64g.img"
out=$("$TOOL" initramfs "$W/sparse-64g.img" || true)
want "sparse 64 GiB" code $EFBIG "$out"
want_in "sparse 64 GiB" "68719476736 bytes, more than the boot check's limit of 1024 MiB" "$out"
want_read_below "sparse 64 GiB" $MiB "$out"
out=$(BOOTCHECK_VERBOSE=1 "$TOOL" check-initramfs "$W/sparse-64g.img" || true)
want_in "sparse 64 GiB finding" "^error initrd-too-large" "$out"
want_in "sparse 64 GiB finding" "initrd '$W/sparse-64g.img' is not scanned: it is 68719476736 bytes" "$out"

# 2. A hole of 700 MiB between two archives (within the size limit): skipped with SEEK_DATA,
#    both archives found, the hole never read.
cp "$W/small.cpio" "$W/hole.img"
truncate -s $((700 * MiB)) "$W/hole.img"
cat "$W/small.cpio" >> "$W/hole.img"
out=$("$TOOL" initramfs "$W/hole.img" || true)
want "hole" n_segments 2 "$out"
want "hole" microcode 1 "$out"
want_read_below "hole" $((8 * MiB)) "$out"

# 3. 17 MiB of zero bytes really on disk between two archives: more than the 16 MiB of padding
#    the scan reads.
{ cat "$W/small.cpio"; head -c $((17 * MiB)) /dev/zero; cat "$W/small.cpio"; } > "$W/zeros.img"
out=$("$TOOL" initramfs "$W/zeros.img" || true)
want "zeros on disk" code $EFBIG "$out"
want_in "zeros on disk" "more than 16 MiB of zero bytes between its archives" "$out"

# 4. 100,000 trailer-only cpio archives (12 MB): refused at the 65th.
python3 - "$W/trailers.img" <<'EOF'
import sys
hdr = "070701" + "%08X" * 13 % (0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 11, 0)
seg = (hdr + "TRAILER!!!\0").encode() + b"\0" * 3  # 121 bytes, padded to 124
open(sys.argv[1], "wb").write(seg * 100000)
EOF
out=$("$TOOL" initramfs "$W/trailers.img" || true)
want "100,000 segments" code $EFBIG "$out"
want_in "100,000 segments" "more than 64 concatenated archives" "$out"
want_read_below "100,000 segments" $((80 * MiB)) "$out"

# 5. The refusal is cached: the second scan of the unchanged file reads the entry, not the image.
C=$W/state/initramfs-cache
out=$("$TOOL" initramfs "$W/trailers.img" "$C" || true)
want "first scan" cached 0 "$out"
out2=$("$TOOL" initramfs "$W/trailers.img" "$C" || true)
want "second scan" cached 1 "$out2"
want "second scan" code $EFBIG "$out2"
want_in "second scan" "more than 64 concatenated archives" "$out2"
want_read_below "second scan" $((64 * 1024)) "$out2"
out=$("$TOOL" initramfs "$W/sparse-64g.img" "$C" || true)
out=$("$TOOL" initramfs "$W/sparse-64g.img" "$C" || true)
want "sparse, second scan" cached 1 "$out"
want "sparse, second scan" code $EFBIG "$out"

# 6. A cached refusal edited into a success is not trusted: the image is scanned again and
#    refused again; so is an entry with an unknown code or a control character.
# The cache entry of a file is named by its device and inode numbers, in hex.
cache_entry() { local dev ino; read -r dev ino < <(stat -c '%d %i' "$1"); printf '%s/%x-%x' "$C" "$dev" "$ino"; }
entry=$(cache_entry "$W/trailers.img")
[ -f "$entry" ] || { fail "no cache entry $entry"; ls -la "$C"; }
tamper() { # what sed-expression
    [ -f "$entry" ] || return 0
    cp "$entry" "$W/entry.orig"
    sed -i "$2" "$entry"
    out=$("$TOOL" initramfs "$W/trailers.img" "$C" || true)
    want "tampered: $1" cached 0 "$out"
    want "tampered: $1" code $EFBIG "$out"
    cp "$W/entry.orig" "$entry"
}
tamper "error turned ok" 's/^result=error$/result=ok/'
tamper "error turned ok with fields" 's/^result=error$/result=ok\nformat=cpio\nn_segments=1/'
tamper "unknown code" 's/^code=EFBIG$/code=ENOENT/'
tamper "control character" 's/^message=/message=\x01/'
tamper "extra line" "\$a has_init=1"
tamper "duplicate line" "\$p"
# and a good entry with a field out of range or doubled is not trusted either
"$TOOL" initramfs "$W/small.cpio" "$C" >/dev/null || true
good=$(cache_entry "$W/small.cpio")
[ -f "$good" ] || fail "no cache entry $good"
[ -f "$good" ] && for e in 's/^n_segments=1$/n_segments=65/' 's/^has_init=0$/has_init=2/' 's/^n_files=\(.*\)/n_files=0\1/' \
         's/^microcode=1$/microcode=1\nmicrocode=0/' 's/^result=ok$/result=error/'; do
    cp "$good" "$W/good.orig"
    sed -i "$e" "$good"
    out=$("$TOOL" initramfs "$W/small.cpio" "$C" || true)
    want "tampered good entry ($e)" cached 0 "$out"
    want "tampered good entry ($e)" microcode 1 "$out"
    cp "$W/good.orig" "$good"
done
out=$("$TOOL" initramfs "$W/small.cpio" "$C" || true)
want "untampered good entry" cached 1 "$out"

# 7. An empty or relative state_dir: no cache at all. Run in a private mount namespace whose "/"
#    is a directory of ours (every top-level directory bound into it), so that a cache written
#    to "/initramfs-cache" by mistake lands in the sandbox and is seen.
R=$W/newroot
mkdir -p "$R" "$W/cwd"
if unshare --mount --propagation private true 2>/dev/null; then
    NS=(unshare --mount --propagation private)
elif unshare --user --map-root-user --mount true 2>/dev/null; then
    NS=(unshare --user --map-root-user --mount)
else
    NS=()
fi
if [ "${#NS[@]}" -gt 0 ]; then
    # The usual top-level directories only: whatever else lies in the host's "/" stays out.
    # shellcheck disable=SC2016 # the script's $1.. and $d are the inner bash's, expanded there
    "${NS[@]}" bash -c '
        set -e; R=$1 cwd=$2 tool=$3 img=$4
        # Plus the top-level directories holding the tool and the sandbox (a CI checkout may
        # live anywhere, e.g. /check).
        tool_top=/$(echo "$tool" | cut -d/ -f2) img_top=/$(echo "$img" | cut -d/ -f2)
        for d in /bin /sbin /lib /lib32 /lib64 /libx32 /usr /etc /dev /proc /sys /run /tmp /var \
                 /opt /root /home /srv /mnt "$tool_top" "$img_top"; do
            [ -e "$R$d" ] && continue
            if [ -L "$d" ]; then ln -s "$(readlink "$d")" "$R$d"
            elif [ -d "$d" ]; then mkdir -p "$R$d" && mount --rbind "$d" "$R$d"; fi
        done
        exec unshare --root="$R" --wd="$cwd" "$tool" check-initramfs "$img" "" "" >/dev/null
        ' _ "$R" "$W/cwd" "$TOOL" "$W/small.cpio" && rc=0 || rc=$?
    [ "$rc" = 0 ] || fail "check with an empty state_dir in the sandbox: rc $rc"
    [ ! -e "$R/initramfs-cache" ] || fail "an empty state_dir wrote $R/initramfs-cache"
else
    # Never run the empty state_dir outside the sandbox: a wrong build would write to "/".
    echo "note: no mount namespace, the empty state_dir run is skipped"
fi
# A relative state_dir: nothing in the cwd either.
(cd "$W/cwd" && "$TOOL" check-initramfs "$W/small.cpio" "" "relative" >/dev/null) || true
[ -z "$(ls -A "$W/cwd")" ] || { fail "a relative state_dir wrote into the cwd"; ls -la "$W/cwd"; }

[ "$bad" = 0 ] && pass "all hostile initramfs checks passed"
summary
