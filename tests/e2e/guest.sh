# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# Guest image for the e2e tests: a minimal Debian (default: trixie, create's default) that boots
# with / on NFSv4 through a dracut initramfs, built by `virt-nfsroot create` itself.  Sourced
# after tests/libvirt/harness.sh (uses lv_log, lv_now, lv_elapsed, skip).
#
# The image is create's own tree cache, kept in $E2E_CACHE/create ($VIRT_NFSROOT_TEST_CACHE/e2e):
# `create --cache-only` fills it once (debootstrap, dracut configuration, the kernel installed in
# the chroot, whose dracut hook builds the initramfs) and every guest after that is a copy of it.
# What create keys it by (release, package set, its recipe) decides when it is rebuilt.
# Everything per guest (fstab, hostname, ...) is create's; the proof unit and the autologin
# (e2e_proof) are this test's own.

E2E_SUITE=${E2E_SUITE:-trixie}
E2E_MARKER=nfsroot-e2e-marker

# e2e_stage NAME : a staging directory E2E_STAGE (also E2E_LOGDIR) under /var/tmp, removed on exit
# until the test execs into its namespaces (which runs no trap); skips when it cannot be made.
e2e_stage() {
    E2E_STAGE=$(mktemp -d "/var/tmp/virt-nfsroot-$1.XXXXXX") || skip "mktemp failed"
    E2E_LOGDIR=$E2E_STAGE
    trap 'rm -rf "$E2E_STAGE"' EXIT
    trap 'exit 130' INT TERM
}

# e2e_guest_image CLI : make sure the image is in create's cache (needs the apt mirror the first
# time; ~4-8 min on 2 busy cores).  Sets E2E_CREATE_CACHE (for VIRT_NFSROOT_CACHE_DIR), E2E_IMAGE
# (the cached tree), E2E_KVER and E2E_FROM_CACHE (yes/no); publishes the tree's initramfs
# (e2e_publish_initrd).  Outside any network namespace.
e2e_guest_image() {
    local cli=$1 t rc out=$E2E_LOGDIR/create-cache.json
    E2E_CREATE_CACHE=$E2E_CACHE/create
    mkdir -p "$E2E_CREATE_CACHE" || skip "cannot create the cache directory $E2E_CREATE_CACHE"
    t=$(lv_now)
    VIRT_NFSROOT_CACHE_DIR=$E2E_CREATE_CACHE "$cli" --json create --cache-only \
        --release "$E2E_SUITE" >"$out" 2>"$E2E_LOGDIR/create-cache.err"
    rc=$?
    # shellcheck disable=SC2046 # three words, each a variable assignment
    eval $(python3 - "$out" <<'PY'
import json, shlex, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception:
    d = {}
st = {s["name"]: s for s in d.get("stages", [])}
tree = st.get("tree", {})
print("E2E_IMAGE=%s E2E_KVER=%s E2E_FROM_CACHE=%s E2E_TREE_FAILED=%s" % (
    shlex.quote(d.get("cached_tree") or ""), shlex.quote(d.get("kernel_version") or ""),
    "yes" if tree.get("status") == "cached" else "no",
    "yes" if tree.get("status") == "failed" else "no"))
PY
    )
    if [ "$rc" != 0 ]; then
        sed 's/^/    /' "$E2E_LOGDIR/create-cache.err" >&2
        # No mirror is an environment problem (skip), like tests/libvirt's kernel fetch.
        [ "$E2E_TREE_FAILED" = yes ] &&
            skip "virt-nfsroot create --cache-only could not debootstrap (apt mirror unreachable?)"
        return 1
    fi
    echo "timing: guest image by 'virt-nfsroot create --cache-only' (from cache: $E2E_FROM_CACHE): $(lv_elapsed "$t") s"
    [ -n "$E2E_IMAGE" ] && [ -n "$E2E_KVER" ] || return 1
    # Images of an older recipe or package set are of no further use (431 MB each).
    e2e_prune_cache "$E2E_CREATE_CACHE/trees" "${E2E_IMAGE##*/}"
    e2e_publish_initrd
}

# e2e_prune_cache TREES KEEP : every entry of create's tree cache TREES (<cache>/trees) but KEEP
# and its record removed, under create's cache lock (TREES/.lock, waited for as create waits), so
# a create that fills or copies an entry meanwhile (another test, --cache-only) keeps it whole.
e2e_prune_cache() {
    flock -w 1800 "$1/.lock" find "$1" -mindepth 1 -maxdepth 1 -name 'debian-*' \
        ! -name "$2" ! -name "$2.done" -exec rm -rf {} +
}

# e2e_publish_initrd : a world-readable copy of the cached tree's dracut image, for
# unit.bootcheck-dracut-image, which also runs as nobody (scripts/test): create's cache stays
# root-only (trees/ is 0700, dracut writes its image 0600: it holds the tree's etc/shadow).  The
# cached tree has no password (root:*) and an empty machine-id, so its image holds no secret.
# The copy is $E2E_CACHE/dracut-image/initrd.img-KVER, replaced by rename; images of older
# kernels are removed.
e2e_publish_initrd() {
    local src=$E2E_IMAGE/boot/initrd.img-$E2E_KVER dir=$E2E_CACHE/dracut-image tmp
    if [ ! -f "$src" ] || [ -L "$src" ]; then
        echo "no regular file $src to publish" >&2
        return 1
    fi
    mkdir -p "$dir" && chmod 0755 "$dir" || return 1
    tmp=$(mktemp "$dir/.initrd.XXXXXX") || return 1
    if ! cp "$src" "$tmp" || ! chmod 0644 "$tmp" || ! mv -f "$tmp" "$dir/initrd.img-$E2E_KVER"; then
        rm -f "$tmp"
        return 1
    fi
    find "$dir" -mindepth 1 -maxdepth 1 ! -name "initrd.img-$E2E_KVER" -exec rm -f {} +
}

# e2e_prereqs NARGS HOOK CLI PROGRAM... : a guest test's usage (HOOK-BINARY CLI-BINARY: NARGS is
# its $#), then its hook and what it needs (exits 77 with the reason when something is missing).
e2e_prereqs() {
    local p
    [ "$1" -eq 2 ] || { echo "usage: $0 HOOK-BINARY CLI-BINARY" >&2; exit 2; }
    [ -x "$3" ] || { echo "FAIL: CLI '$3' is not an executable file" >&2; exit 1; }
    lv_check_hook "$2"
    shift 3
    for p in "$@"; do
        command -v "$p" >/dev/null 2>&1 || skip "'$p' is not installed"
    done
}

# e2e_image_or_exit NAME CLI : e2e_stage NAME, then e2e_guest_image CLI; when that fails, one
# failed check (logs kept in E2E_STAGE) and exit 1.
e2e_image_or_exit() {
    e2e_stage "$1"
    e2e_guest_image "$2" && return 0
    echo "FAIL: could not build the guest image (logs kept in $E2E_STAGE)"
    trap - EXIT
    echo "0 passed, 1 failed"
    exit 1
}

# e2e_proof ROOT : this test's own additions to a guest tree: a root shell on the serial console
# and a unit that proves, from inside, that / is on NFS (a marker file the host reads).
e2e_proof() {
    local root=$1
    rm -f "$root/$E2E_MARKER"
    # A shell on the serial console without a password (a test guest on a private network).
    mkdir -p "$root/etc/systemd/system/serial-getty@ttyS0.service.d"
    cat >"$root/etc/systemd/system/serial-getty@ttyS0.service.d/autologin.conf" <<'EOF'
[Service]
ExecStart=
ExecStart=-/sbin/agetty --autologin root --keep-baud 115200,57600,38400,9600 - $TERM
EOF
    # The proof, from inside: once boot has finished (multi-user reached, no job left), say what
    # / is on the kernel log (the serial getty races plain console writes) and leave a marker in
    # / for the host to find.  Type=simple: the unit's own start job must not hold up
    # is-system-running --wait.
    mkdir -p "$root/usr/local/sbin" "$root/etc/systemd/system/multi-user.target.wants"
    cat >"$root/usr/local/sbin/nfsroot-e2e-proof" <<EOF
#!/bin/sh
state=\$(timeout 900 systemctl is-system-running --wait 2>/dev/null)
root=\$(findmnt -no SOURCE,FSTYPE,OPTIONS / | tr -s ' ')
up=\$(cut -d' ' -f1 /proc/uptime)
addr=\$(ip -4 -o addr show scope global | awk '{ print \$2 "=" \$4 }' | tr '\n' ' ')
failed=\$(systemctl list-units --state=failed --no-legend --plain | awk '{ print \$1 }' | tr '\n' ' ')
mods=\$(cut -d' ' -f1 /proc/modules | tr '\n' ' ')
cpus=\$(nproc --all)
aslr=\$(cat /proc/sys/kernel/randomize_va_space)
echo "virt-nfsroot-e2e: / is \$root" >/dev/kmsg
echo "virt-nfsroot-e2e: system \$state after \${up} s; addresses \$addr; failed units: \${failed:-none}" >/dev/kmsg
printf 'root=%s\nstate=%s\nuptime=%s\naddr=%s\nfailed=%s\nmodules=%s\ncpus=%s\naslr=%s\n' "\$root" "\$state" \
    "\$up" "\$addr" "\$failed" "\$mods" "\$cpus" "\$aslr" \
    >/$E2E_MARKER.tmp && mv /$E2E_MARKER.tmp /$E2E_MARKER && sync
echo "virt-nfsroot-e2e: marker /$E2E_MARKER written" >/dev/kmsg
EOF
    chmod 0755 "$root/usr/local/sbin/nfsroot-e2e-proof"
    cat >"$root/etc/systemd/system/nfsroot-e2e-proof.service" <<'EOF'
[Unit]
Description=virt-nfsroot e2e: prove / is on NFS
After=remote-fs.target network-online.target

[Service]
Type=simple
ExecStart=/usr/local/sbin/nfsroot-e2e-proof

[Install]
WantedBy=multi-user.target
EOF
    ln -sf /etc/systemd/system/nfsroot-e2e-proof.service \
        "$root/etc/systemd/system/multi-user.target.wants/nfsroot-e2e-proof.service"
}
