#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `virt-nfsroot create`'s stages against the same steps by hand (RECIPES: debootstrap, the dracut
# configuration, the kernel installed in the chroot whose dracut hook builds the initramfs), and
# what a second guest from the cache costs. A benchmark, not a test: numbers never fail it.
#
# usage: sudo bench/create.sh CLI-BINARY [RELEASE]     (needs the apt mirror; ~10-20 min)
# Prints one markdown table. Both runs download from the same mirror, one after the other, so
# the debootstrap figures carry the mirror's noise; the kernel/initramfs rows do less so.
set -u
export LC_ALL=C PATH="/usr/sbin:/sbin:/usr/bin:/bin:$PATH"
CLI=${1:?usage: bench/create.sh CLI-BINARY [RELEASE]}
REL=${2:-trixie}
[ "$(id -u)" = 0 ] || { echo "SKIP: bench/create.sh needs root"; exit 77; }
for p in debootstrap python3 unshare; do
    command -v "$p" >/dev/null || { echo "SKIP: $p is not installed"; exit 77; }
done
W=$(mktemp -d /var/tmp/virt-nfsroot-bench-create.XXXXXX) || exit 1
trap 'rm -rf "$W"' EXIT
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# 1. create --cache-only into an empty cache: tree + kernel (+ its initramfs), as a user's first
#    guest does them.
VIRT_NFSROOT_CACHE_DIR=$W/cache "$CLI" --json create --cache-only --release "$REL" \
    >"$W/create.json" 2>"$W/create.err" || { cat "$W/create.err"; exit 1; }
read -r C_TREE C_KERNEL PKGS KVER ENTRY < <(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
st = {s["name"]: s for s in d["stages"]}
pk = st["tree"]["note"].split(": ", 1)[1]
print(st["tree"]["seconds"], st["kernel"]["seconds"], pk, d["kernel_version"], d["cached_tree"])' \
    "$W/create.json")
KPKG=$(grep -o 'apt-get install -y -q --no-install-recommends [^ ]*' "$W"/cache/log/create-cache.log |
       awk '{ print $NF; exit }')

# 2. By hand, the same steps: debootstrap, the dracut configuration create wrote, the kernel.
t=$(now)
unshare -m --propagation private debootstrap --variant=minbase --include="$PKGS" "$REL" \
    "$W/hand" "$(awk '/^URIs:/ && $2 ~ /\/debian\/?$/ { print $2; exit }' \
        /etc/apt/sources.list.d/*.sources 2>/dev/null || echo http://deb.debian.org/debian)" \
    >"$W/hand.log" 2>&1 || { tail "$W/hand.log"; exit 1; }
H_TREE=$(since "$t")
mkdir -p "$W/hand/etc/dracut.conf.d"
cp "$ENTRY/etc/dracut.conf.d/90-virt-nfsroot.conf" "$W/hand/etc/dracut.conf.d/"
t=$(now)
# shellcheck disable=SC2016 # expanded by the inner sh
unshare -m --propagation private sh -c '
    mount --bind /proc "$1/proc" && mount --bind /sys "$1/sys" && mount --bind /dev "$1/dev" &&
    chroot "$1" apt-get install -y -q --no-install-recommends "$2" && chroot "$1" apt-get clean' \
    sh "$W/hand" "${KPKG:-linux-image-amd64}" >>"$W/hand.log" 2>&1 || { tail "$W/hand.log"; exit 1; }
H_KERNEL=$(since "$t")

# 3. What a second guest's tree costs: the copy out of the cache (create's tree stage then).
mkdir "$W/copy"
t=$(now)
cp -a --reflink=auto "$ENTRY/." "$W/copy/"
COPY=$(since "$t")
SIZE=$(du -sm "$ENTRY" | cut -f1)

pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.1f%%", (a - b) * 100 / b }'; }
echo "| step ($REL, kernel $KVER) | create | by hand | create's overhead |"
echo "|---|---|---|---|"
echo "| tree (debootstrap) | $C_TREE s | $H_TREE s | $(pct "$C_TREE" "$H_TREE") |"
echo "| kernel + initramfs (apt in the chroot, dracut hook) | $C_KERNEL s | $H_KERNEL s | $(pct "$C_KERNEL" "$H_KERNEL") |"
echo "| total | $(awk -v a="$C_TREE" -v b="$C_KERNEL" 'BEGIN { print a + b }') s | $(awk -v a="$H_TREE" -v b="$H_KERNEL" 'BEGIN { print a + b }') s | $(pct "$(awk -v a="$C_TREE" -v b="$C_KERNEL" 'BEGIN { print a + b }')" "$(awk -v a="$H_TREE" -v b="$H_KERNEL" 'BEGIN { print a + b }')") |"
echo "| second guest's tree: copy of the cached tree ($SIZE MB) | $COPY s | | |"
echo
echo "(create's kernel stage includes filling the cache: none here, --cache-only builds in place)"
