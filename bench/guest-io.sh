#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Issue 23 part 3, the root filesystem inside the guest side by side with a disk image: one guest
# made by `create` (the e2e tests' tree cache, trixie) booted with / on NFS through the hook and
# NFS-Ganesha (the e2e harness), and the same configured tree in an ext4 image on virtio-blk
# (raw file, libvirt's default cache mode), same kernel, the same dracut image with virtio_blk
# and ext4 appended as a second cpio (create's image leaves block drivers out). TCG, 1 vCPU
# (create's default is two; the workloads are one process each, and part 8's figures had one),
# 1 GiB. A unit in the guest (bench-io) runs the workloads once the boot has settled and writes
# each result as a "BENCHIO" line to the serial console, which libvirt logs on the host:
#   unpack   a tarball of the tree's /usr/share (about 3,600 files, 66 MB) + sync
#   walk     find /usr -printf '%s %U %G %m %T@' (about 12,800 entries), caches dropped first
#   again    the same walk at once, warm
#   rm       rm -rf of the unpacked tree + sync
#   dsync    1,000 x 4 KiB O_DSYNC appends (dd oflag=dsync,append)
#   write    BENCH_IO_MB (default 256) MiB written + fsync
#   read     the same file read back, caches dropped first
# Caches are dropped (sync; drop_caches=3) before every workload but "again". On NFS each row
# also carries the RPCs the workload sent (the guest's /proc/self/mountstats, per op).
# BENCH_IO_VARIANTS="NAME=OPTIONS ..." adds NFS rows: the same workloads on a second mount of the
# same export with those mount options (nosharecache, so its own superblock and caches), in the
# same boot, in turn with / (the order reversed every other boot): mount options compared A B A B
# without a rebuild. Cycles: NFS then disk, then disk then NFS, ... (A B B A).
# BENCH_IO_SIDES="nfs disk vfs" adds a third side, virtiofs: the same tree, live, shared by
# libvirt's virtiofsd, mounted as / by the kernel itself (no initramfs), after the disk side.
# To keep one run short: BENCH_IO_SIDES="nfs" or "disk" boots only that side,
# BENCH_IO_WORKLOADS="unpack walk again rm" runs only those (again needs walk), and
# BENCH_IO_REVERSE=1 starts with the reversed order (disk first, NFS variants first), for the
# B A half.
# A benchmark, not a test: numbers never fail it.
#
# usage: sudo bench/guest-io.sh HOOK CLI [CYCLES]   (default 1 cycle: two boots, about 10 min
#        under TCG on a busy machine; BENCH_IO_KEEP=1 keeps the work directory)
# Prints tab-separated rows: workload, variant, NFS median s, disk median s, NFS/disk, NFS RPCs
# (median), the largest ops, boots, virtiofs median s, virtiofs/disk (nan when not run).
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=guest-harness.sh
. "$HERE/guest-harness.sh"

if [ -z "${LV_INSIDE:-}" ]; then
    [ $# -ge 2 ] || { echo "usage: $0 HOOK CLI [CYCLES]" >&2; exit 2; }
    for p in mkfs.ext4 cpio; do
        command -v "$p" >/dev/null 2>&1 || { echo "SKIP: '$p' is not installed"; exit 77; }
    done
    bench_guest_cache guest-io "$1" "$2"
    lv_enter_namespace "$0" "$(readlink -f "$1")" "$(readlink -f "$2")" "${3:-1}"
fi

HOOK=$1 CLI=$2 CYCLES=$3
NFS=bio-nfs DISK=bio-disk VFS=bio-vfs
# The image and its initramfs where QEMU (not root) may open them: $LV_WORK is 0700, /export
# (bound from $LV_WORK/export) is not.
DDIR=/export/$DISK IMG=/export/$DISK/disk.img
SIDES=${BENCH_IO_SIDES:-nfs disk}
BENCH_GUEST_RM=("${LV_WORK:?}/export/$NFS" "$LV_WORK/export/$DISK") BENCH_GUEST_KEEP=${BENCH_IO_KEEP:-}
bench_guest_start "$HOOK" bench/guest-io.sh

VIRT_NFSROOT_CACHE_DIR=$E2E_CREATE_CACHE "$CLI" --connect "$LV_URI" create "$NFS" \
    --release "$E2E_SUITE" --network default --pin-address 192.168.122.62 --virt-type qemu \
    --memory 1024 --vcpus 1 >"$LV_WORK/create.out" 2>&1 ||
    { fail "create $NFS: $(tail -n 3 "$LV_WORK/create.out")"; exit 1; }
ROOT=/export/$NFS
lv_virsh dumpxml "$NFS" >"$LV_WORK/nfs.xml"
sed -n 's/.*<cmdline>\(.*\)<\/cmdline>.*/# nfs cmdline: \1/p' "$LV_WORK/nfs.xml" >&2
grep ' / ' "$ROOT/etc/fstab" | sed 's/^/# nfs fstab: /' >&2

# The guest's side: the workloads as a unit after multi-user.
mkdir -p "$ROOT/bench-io" "$ROOT/usr/local/sbin" "$ROOT/etc/systemd/system/multi-user.target.wants"
tar -C "$ROOT" -cf "$ROOT/bench-io/src.tar" usr/share
printf '%s\n' "${BENCH_IO_VARIANTS:-}" >"$ROOT/bench-io/variants"
echo "${BENCH_IO_MB:-256}" >"$ROOT/bench-io/mb"
echo "${BENCH_IO_WORKLOADS:-unpack walk again rm dsync write read}" >"$ROOT/bench-io/workloads"
cat >"$ROOT/usr/local/sbin/bench-io" <<'EOF'
#!/bin/bash
# bench/guest-io.sh's workloads; results as BENCHIO lines on the serial console.
say() { echo "BENCHIO $*" >/dev/ttyS0; }
say "UNIT up $(cut -d' ' -f1 /proc/uptime)"
timeout 120 systemctl is-system-running --wait >/dev/null 2>&1
sleep 5
now() { date +%s.%N; }
drop() { sync; echo 3 >/proc/sys/vm/drop_caches; }
# ops MOUNTPOINT: "OP=count ..." of that NFS mount (nothing for another filesystem)
ops() {
    awk -v m="$1" '$1 == "device" { on = ($5 == m && $8 ~ /^nfs/); p = 0; next }
        on && /per-op statistics/ { p = 1; next }
        on && p && $1 ~ /:$/ && $2 > 0 { printf "%s=%s ", substr($1, 1, length($1) - 1), $2 }' \
        /proc/self/mountstats
}
opsdiff() {
    awk -v a="$1" -v b="$2" 'BEGIN { n = split(a, x, " ");
        for (i = 1; i <= n; i++) { split(x[i], kv, "="); A[kv[1]] = kv[2] }
        n = split(b, y, " "); t = 0; s = "";
        for (i = 1; i <= n; i++) { split(y[i], kv, "="); d = kv[2] - A[kv[1]];
            if (d > 0) { t += d; s = s kv[1] "=" d "," } }
        printf "%d %s", t, (s == "" ? "-" : s) }'
}
# run VARIANT MOUNT WORKLOAD CMD...
run() {
    local v=$1 m=$2 w=$3 a b t0 t1 rc
    shift 3
    a=$(ops "$m"); t0=$(now)
    "$@" >/dev/null 2>&1; rc=$?
    t1=$(now); b=$(ops "$m")
    say "RESULT $v $w $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }') $rc $(opsdiff "$a" "$b")"
}
walk() { find "$1/usr" -printf '%s %U %G %m %T@\n' | wc -l; }
on() { case " $(cat /bench-io/workloads) " in *" $1 "*) true ;; *) false ;; esac; }
workloads() {
    local v=$1 m=$2 b=${2%/} mb
    mb=$(cat /bench-io/mb)
    mkdir -p "$b/var/tmp/bio"
    on unpack && { drop; run "$v" "$m" unpack sh -c "tar -xf $b/bench-io/src.tar -C $b/var/tmp/bio && sync"; }
    on walk && { drop; run "$v" "$m" walk walk "$b"; }
    on again && run "$v" "$m" again walk "$b"
    on rm && { drop; run "$v" "$m" rm sh -c "rm -rf $b/var/tmp/bio && sync"; }
    rm -rf "$b/var/tmp/bio"
    on dsync && { drop; run "$v" "$m" dsync dd if=/dev/zero of="$b/var/tmp/bio-dsync" bs=4k count=1000 oflag=dsync,append conv=notrunc; }
    rm -f "$b/var/tmp/bio-dsync"
    on write && { drop; run "$v" "$m" write dd if=/dev/zero of="$b/var/tmp/bio-big" bs=1M count="$mb" conv=fsync; }
    on read && { drop; run "$v" "$m" read dd if="$b/var/tmp/bio-big" of=/dev/null bs=1M; }
    rm -f "$b/var/tmp/bio-big"; sync
}
fs=$(findmnt -no FSTYPE /) src=$(findmnt -no SOURCE /)
say "START $fs $(findmnt -no OPTIONS /) up $(cut -d' ' -f1 /proc/uptime)"
list="/=/"
if [ "${fs#nfs}" != "$fs" ]; then
    while read -r v; do
        for kv in $v; do
            mkdir -p "/mnt/bio-${kv%%=*}"
            mount -t nfs4 -o "${kv#*=},nosharecache" "$src" "/mnt/bio-${kv%%=*}" &&
                say "MOUNT ${kv%%=*} $(findmnt -no OPTIONS "/mnt/bio-${kv%%=*}")" &&
                list="$list ${kv%%=*}=/mnt/bio-${kv%%=*}"
        done
    done </bench-io/variants
fi
[ "$(cat /bench-io/cycle 2>/dev/null)" = odd ] || list=$(printf '%s\n' $list | tac | tr '\n' ' ')
for e in $list; do
    workloads "$([ "${e%%=*}" = / ] && echo root || echo "${e%%=*}")" "${e#*=}"
done
sync
say "DONE"
EOF
chmod 0755 "$ROOT/usr/local/sbin/bench-io"
printf '[Unit]\nAfter=multi-user.target\n[Service]\nType=simple\nExecStart=/usr/local/sbin/bench-io\n[Install]\nWantedBy=multi-user.target\n' \
    >"$ROOT/etc/systemd/system/bench-io.service"
ln -sf /etc/systemd/system/bench-io.service \
    "$ROOT/etc/systemd/system/multi-user.target.wants/bench-io.service"

# The disk side: the configured tree in an ext4 image (its fstab naming /dev/vda), the same
# kernel, and the same initramfs with virtio_blk and ext4 (and what they need) appended.
disk_side() {
    local kver initrd mods cp=$LV_WORK/cpio m
    initrd=$(sed -n 's/.*<initrd>\(.*\)<\/initrd>.*/\1/p' "$LV_WORK/nfs.xml")
    mkdir -m 0755 "$DDIR" || return 1
    kver=$(ls "$ROOT/usr/lib/modules")
    mods=$ROOT/usr/lib/modules/$kver
    mkdir -p "$cp/usr/lib/modules/$kver"
    cp -a "$mods"/modules.* "$cp/usr/lib/modules/$kver/"
    for m in drivers/block/virtio_blk fs/ext4/ext4 fs/jbd2/jbd2 fs/mbcache lib/crc16; do
        mkdir -p "$cp/usr/lib/modules/$kver/kernel/${m%/*}"
        cp -a "$mods/kernel/$m".ko* "$cp/usr/lib/modules/$kver/kernel/${m%/*}/" || return 1
    done
    # The kernel reads an appended archive only at a 4-byte aligned offset (init/initramfs.c:
    # "invalid magic at start of compressed archive" otherwise), and a compressed image ends
    # where its compressor stopped; zeros between archives are skipped.
    cp "$initrd" "$DDIR/initrd" && truncate -s %4 "$DDIR/initrd" &&
        (cd "$cp" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet) \
            >>"$DDIR/initrd" || return 1
    sed 's|^[^#].* / .*$|/dev/vda / ext4 rw,relatime 0 1|' "$ROOT/etc/fstab" >"$LV_WORK/fstab"
    cp "$ROOT/etc/fstab" "$LV_WORK/fstab.nfs"
    cp "$LV_WORK/fstab" "$ROOT/etc/fstab"
    m=$(du -sm "$ROOT" | cut -f1)
    mkfs.ext4 -q -F -d "$ROOT" -L bio-disk "$IMG" "$((m + ${BENCH_IO_MB:-256} + 400))M" >&2
    local rc=$?
    cp "$LV_WORK/fstab.nfs" "$ROOT/etc/fstab"
    [ "$rc" = 0 ] || return 1
    domain_xml "$DISK" "$DDIR/initrd" "root=/dev/vda rootfstype=ext4" \
        "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$IMG'/><target dev='vda' bus='virtio'/></disk>" ||
        return 1
}

# domain_xml NAME INITRD ROOT-ARGS DEVICE [DOMAIN-XML] : domain NAME defined from the NFS one:
# no NIC, no metadata, INITRD (none when empty), ROOT-ARGS instead of the NFS root's arguments,
# DEVICE added, DOMAIN-XML (e.g. <memoryBacking>) before <os>.
domain_xml() {
    python3 - "$LV_WORK/nfs.xml" "$LV_WORK/$1.xml" "$2" "$NFS" "$1" "$3" "$4" "${5:-}" <<'PY' || return 1
import re, sys
src, out, initrd, nfs, name, root, dev, dom = sys.argv[1:]
x = open(src).read()
x = re.sub(r"<metadata>.*?</metadata>", "", x, flags=re.S)
x = re.sub(r"<uuid>.*?</uuid>", "", x)
x = re.sub(r"<interface .*?</interface>", "", x, flags=re.S)
x = re.sub(r"<initrd>.*?</initrd>", "<initrd>%s</initrd>" % initrd if initrd else "", x)
cmd = re.search(r"<cmdline>(.*?)</cmdline>", x).group(1).split()
keep = [w for w in cmd if not re.match(r"(root|ip|rd\.neednet|netroot|nfsroot|rootfstype|bootdev)=", w)]
x = re.sub(r"<cmdline>.*?</cmdline>", "<cmdline>%s</cmdline>" % " ".join(root.split() + keep), x)
x = x.replace("<name>%s</name>" % nfs, "<name>%s</name>" % name)
x = x.replace("/%s-console.log" % nfs, "/%s-console.log" % name)
x = x.replace("</devices>", dev + "</devices>").replace("<os>", dom + "<os>", 1)
open(out, "w").write(x)
PY
    lv_virsh define "$LV_WORK/$1.xml" >/dev/null || return 1
    sed -n "s/.*<cmdline>\(.*\)<\/cmdline>.*/# $1 cmdline: \1/p" "$LV_WORK/$1.xml" >&2
    grep -o "<filesystem.*</filesystem>" "$LV_WORK/$1.xml" | sed "s/^/# $1: /" >&2
}

# The virtiofs side: the same tree, live, shared by libvirt's virtiofsd on shared memory; the
# tree's kernel mounts it as / itself (CONFIG_VIRTIO_FS=y, no initramfs). Its fstab is swapped
# in for its boots only. Cache mode BENCH_IO_VFS_CACHE (libvirt's: always, the default here, the
# counterpart of nocto,actimeo=600 for a tree one guest owns; none; "" for virtiofsd's auto).
vfs_side() {
    local c=${BENCH_IO_VFS_CACHE-always} b=""
    [ -n "$c" ] && b="<binary><cache mode='$c'/></binary>"
    sed 's|^[^#].* / .*$|bio-root / virtiofs rw,relatime 0 0|' "$ROOT/etc/fstab" >"$LV_WORK/fstab.vfs"
    domain_xml "$VFS" "" "root=bio-root rootfstype=virtiofs" \
        "<filesystem type='mount' accessmode='passthrough'><driver type='virtiofs'/>$b<source dir='$ROOT'/><target dir='bio-root'/></filesystem>" \
        "<memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>"
}
case " $SIDES " in *" disk "*) disk_side || { fail "could not make the disk image side"; exit 1; } ;; esac
case " $SIDES " in *" vfs "*) vfs_side || { fail "could not make the virtiofs side"; exit 1; } ;; esac

# boot SIDE DOMAIN N : one boot; its BENCHIO lines appended to $LV_WORK/results as "SIDE N ...".
boot() {
    local side=$1 dom=$2 n=$3 log t0 el
    log=/var/log/libvirt/qemu/$dom-console.log
    rm -f "$log"
    # The order of the NFS variants: as listed in odd boots, reversed in even ones (the disk
    # image has none).
    [ $(((n + ${BENCH_IO_REVERSE:-0}) % 2)) = 1 ] && echo odd >"$ROOT/bench-io/cycle" ||
        echo even >"$ROOT/bench-io/cycle"
    [ "$side" = vfs ] && cp "$ROOT/etc/fstab" "$LV_WORK/fstab.keep" && cp "$LV_WORK/fstab.vfs" "$ROOT/etc/fstab"
    t0=$(lv_now)
    lv_virsh start "$dom" >/dev/null 2>"$LV_WORK/err" || {
        fail "start $dom: $(cat "$LV_WORK/err")"
        [ "$side" = vfs ] && cp "$LV_WORK/fstab.keep" "$ROOT/etc/fstab"
        return 1
    }
    while ! grep -q 'BENCHIO DONE' "$log" 2>/dev/null; do
        el=$(lv_elapsed "$t0")
        [ "${el%.*}" -lt "${BENCH_IO_TIMEOUT:-1500}" ] || {
            fail "$dom: no result after $el s; last: $(tr -d '\r' <"$log" | grep -a BENCHIO | tail -n 1); $(grep -ac 'soft lockup' "$log") soft lockups"
            break
        }
        lv_virsh domstate "$dom" 2>/dev/null | grep -q running || { fail "$dom stopped"; break; }
        sleep 2
    done
    lv_virsh destroy "$dom" >/dev/null 2>&1
    [ "$side" = vfs ] && cp "$LV_WORK/fstab.keep" "$ROOT/etc/fstab"
    tr -d '\r' <"$log" | grep -a -m 1 'Initramfs unpacking failed' | sed "s/^/# $side boot $n: /" >&2
    cp "$log" "$LV_WORK/$side-$n.console"
    tr -d '\r' <"$log" | sed -n "s/^.*BENCHIO RESULT /$side $n /p" >>"$LV_WORK/results"
    echo "# $side boot $n: $(tr -d '\r' <"$log" | sed -n 's/^.*BENCHIO START //p' | head -n 1); done after $(lv_elapsed "$t0") s" >&2
    tr -d '\r' <"$log" | sed -n 's/^.*BENCHIO MOUNT /# variant /p' | head -n 5 >&2
    grep -q 'BENCHIO DONE' "$log"
}

: >"$LV_WORK/results"
# side SIDE DOMAIN N : boot N of that side, when BENCH_IO_SIDES names it.
side() { case " $SIDES " in *" $1 "*) boot "$@" ;; esac; }
for c in $(seq "$CYCLES"); do
    if [ $(((c + ${BENCH_IO_REVERSE:-0}) % 2)) = 1 ]; then
        side nfs "$NFS" "$c" && side disk "$DISK" "$c" && side vfs "$VFS" "$c"
    else side vfs "$VFS" "$c" && side disk "$DISK" "$c" && side nfs "$NFS" "$c"; fi || exit 1
done

# Rows: the medians per workload and variant, NFS against the disk's same workload.
python3 - "$LV_WORK/results" <<'PY'
import statistics, sys
order = ["unpack", "walk", "again", "rm", "dsync", "write", "read"]
t, ops, top = {}, {}, {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) < 7:
        continue
    side, n, var, w, sec, rc, total, per = f[0], f[1], f[2], f[3], float(f[4]), f[5], int(f[6]), f[7] if len(f) > 7 else "-"
    if rc != "0":
        sec = float("nan")
    t.setdefault((side, var, w), []).append(sec)
    if side == "nfs":
        ops.setdefault((var, w), []).append(total)
        top[(var, w)] = ",".join(sorted([p for p in per.split(",") if p and p != "-"],
                                        key=lambda p: -int(p.split("=")[1]))[:4])
# Without the NFS side: the other sides' rows alone, NFS columns nan.
med = lambda v: statistics.median(v) if v else float("nan")
for var in sorted({k[1] for k in t if k[0] == "nfs"} or {"root"}, key=lambda v: (v != "root", v)):
    for w in order:
        disk, vfs = t.get(("disk", "root", w)), t.get(("vfs", "root", w))
        nfs = t.get(("nfs", var, w)) or [float("nan")] * len(disk or vfs or [])
        if not nfs:
            continue
        mn, md, mv = med(nfs), med(disk), med(vfs)
        print("%s\t%s\t%.2f\t%.2f\t%.1fx\t%d\t%s\t%d\t%.2f\t%.1fx" % (w, var, mn, md,
              mn / md if md else float("nan"), statistics.median(ops.get((var, w)) or [0]),
              top.get((var, w), ""), len(nfs), mv, mv / md if md else float("nan")))
PY
