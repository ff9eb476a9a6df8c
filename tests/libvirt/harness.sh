# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# Harness for system tests against a real libvirtd (ctest label "libvirt").
#
# Source this file from a bash test script.  The usual shape is:
#
#     . "$HERE/harness.sh"
#     if [ -z "${LV_INSIDE:-}" ]; then
#         lv_check_prereqs                 # exits 77 with a reason when it cannot run
#         lv_fetch_kernel                  # needs the apt mirror: do it before unshare -n
#         lv_enter_namespace "$0" "$@"     # re-executes the script in unshare -m -n
#     fi
#     lv_setup_namespace                   # tmpfs over libvirt's/nfs' state, /export on disk
#     trap lv_cleanup EXIT
#     lv_install_hook /path/to/hook        # before libvirtd starts
#     lv_start_daemons && lv_net_start
#     check "what" COMMAND...; ...; finish   # tests/lib/check.sh, sourced here
#
# Everything libvirt, exportfs and dnsmasq write lands on tmpfs mounts private to the mount
# namespace; /var/cache/libvirt is deliberately shared so that QEMU capability probing (45-60 s
# on first use) is paid once per machine.  Private addresses (192.168.122.0/24) only ever exist
# inside the network namespace.
#
# Environment:
#   VIRT_NFSROOT_TEST_CACHE  kernel cache (default /var/cache/virt-nfsroot-tests)
#   LV_KEEP=1                keep the work directory even when every check passed
#   LV_LOG_LEVEL             libvirtd log level, 1 (debug) .. 4 (error); default 3
#   LV_COLD_CACHE=1          private empty /var/cache/libvirt (measures first-run QEMU probing)
#   LV_LIBVIRTD_OPTS         more libvirtd options, word-split (tests/migration: --listen)

export PATH="/usr/sbin:/sbin:/usr/bin:/bin:${PATH}"
# Constants for the test scripts that source this file.
# shellcheck disable=SC2034 # read by the scripts that source this file
{
    LV_URI=qemu:///system
    LV_NET_ADDR=192.168.122.1
    LV_NET_SUBNET=192.168.122.0/24
    LV_NS_URI=http://virt-nfsroot.org/xmlns/domain/1.0
}

# pass/fail/check/finish (and the counters $ok, $bad) come from the test library.
# shellcheck source=../lib/check.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh"
# The namespaces are entered and set up as every test's (ns_enter, ns_tmpfs, ns_nfs_state).
# shellcheck source=../lib/ns.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/ns.sh"
# Domains come from the tests' one generator (domain_xml_gen).
# shellcheck source=../lib/sandbox.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/sandbox.sh"

lv_log() { printf '%s\n' "$*" >&2; }

# Monotonic-ish seconds with milliseconds, for timings.
lv_now() { date +%s.%N; }
lv_elapsed() { awk -v a="$1" -v b="$(lv_now)" 'BEGIN { printf "%.1f", b - a }'; }

# --------------------------------------------------------------------------------------------
# Outside the namespace

# lv_check_hook HOOK : exit 1 unless HOOK is an executable file; then lv_check_prereqs.
lv_check_hook() {
    [ -x "$1" ] || { echo "FAIL: hook '$1' is not an executable file" >&2; exit 1; }
    lv_check_prereqs
}

lv_check_prereqs() {
    [ "$(id -u)" -eq 0 ] || skip "needs root (mount/net namespaces, libvirtd)"
    local p
    for p in unshare mount ip libvirtd virtlogd virsh qemu-system-x86_64 exportfs dnsmasq \
             cpio gzip xz dpkg-deb apt-get apt-cache flock; do
        command -v "$p" >/dev/null 2>&1 || skip "'$p' is not installed"
    done
    unshare -m -n -p -f --mount-proc true 2>/dev/null ||
        skip "cannot create mount + network + pid namespaces here"
    id libvirt-qemu >/dev/null 2>&1 || skip "user libvirt-qemu missing (libvirt-daemon-system)"
}

# Sets LV_KVER, LV_KDIR (a tree with boot/ and lib/modules/), LV_VMLINUZ.
# Downloads the current Debian kernel package once into the cache; extracts only the kernel and
# the modules an NFS-root initramfs needs (the full package unpacks to ~400 MB).
lv_fetch_kernel() {
    local cache=${VIRT_NFSROOT_TEST_CACHE:-/var/cache/virt-nfsroot-tests}
    local kpkg kver dir tmp deb
    mkdir -p "$cache/kernel" || skip "cannot create kernel cache $cache"
    kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
           awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
    if [ -z "$kpkg" ]; then
        # No package lists: fall back to the newest kernel already in the cache.
        dir=$(find "$cache/kernel" -mindepth 1 -maxdepth 1 -name 'linux-image-*' -type d |
              sort -V | tail -n 1)
        [ -n "$dir" ] || skip "apt-cache knows no linux-image-amd64 and $cache is empty"
        kpkg=${dir##*/}
    fi
    kver=${kpkg#linux-image-}
    dir=$cache/kernel/$kpkg
    if [ ! -s "$dir/boot/vmlinuz-$kver" ]; then
        (
            flock 9
            [ -s "$dir/boot/vmlinuz-$kver" ] && exit 0
            tmp=$(mktemp -d "$cache/kernel/.dl.XXXXXX") || exit 1
            trap 'rm -rf "$tmp"' EXIT
            chown _apt "$tmp" 2>/dev/null   # else apt warns and downloads unsandboxed
            lv_log "fetching $kpkg into $cache (once) ..."
            (cd "$tmp" && apt-get download -q "$kpkg" >&2) || exit 1
            deb=$(find "$tmp" -maxdepth 1 -name "${kpkg}_*.deb" | head -n 1)
            [ -n "$deb" ] || exit 1
            mkdir "$tmp/x"
            dpkg-deb --fsys-tarfile "$deb" |
                tar -x -C "$tmp/x" --wildcards --no-wildcards-match-slash \
                    "./boot/vmlinuz-$kver" \
                    "./lib/modules/$kver/kernel/fs/nfs/*" \
                    "./lib/modules/$kver/kernel/fs/nfs_common/*" \
                    "./lib/modules/$kver/kernel/fs/lockd/*" \
                    "./lib/modules/$kver/kernel/net/sunrpc/*" \
                    "./lib/modules/$kver/kernel/drivers/net/virtio_net.ko*" || exit 1
            [ -s "$tmp/x/boot/vmlinuz-$kver" ] || exit 1
            rm -rf "$dir"
            mv "$tmp/x" "$dir"
        ) 9>"$cache/kernel/.lock" || skip "could not download/extract $kpkg (apt mirror down?)"
    fi
    LV_KVER=$kver
    LV_KDIR=$dir
    LV_VMLINUZ=$dir/boot/vmlinuz-$kver
    export LV_KVER LV_KDIR LV_VMLINUZ
}

# lv_enter_namespace SCRIPT ARGS... : re-run SCRIPT inside fresh mount + network namespaces,
# and a PID namespace with SCRIPT as its init: daemons that daemonize are reparented to it (and
# reaped), and if the test dies or is killed (ctest timeout), the kernel kills every process in
# the namespace and the private mounts vanish with it.
# Creates the on-disk work directory first so it outlives the namespace (logs on failure).
lv_enter_namespace() {
    LV_WORK=$(mktemp -d /var/tmp/virt-nfsroot-libvirt.XXXXXX) || skip "mktemp failed"
    export LV_WORK
    ns_enter LV_INSIDE -p -f --kill-child --mount-proc -- "$@"
}

# lv_cli_test SCRIPT ARGS... : the whole prologue of a CLI test without a hook (python3 needed):
# re-run inside the namespaces, set up, then libvirtd and network 'default' running.
lv_cli_test() {
    if [ -z "${LV_INSIDE:-}" ]; then
        lv_check_prereqs
        command -v python3 >/dev/null || skip "python3 is not installed"
        lv_enter_namespace "$@"
    fi
    lv_setup_namespace
    trap lv_cleanup EXIT
    lv_start_daemons || { fail "libvirtd started"; exit 1; }
    lv_net_start || { fail "network default started"; exit 1; }
}

# --------------------------------------------------------------------------------------------
# Inside the namespace

lv_setup_namespace() {
    [ -n "${LV_INSIDE:-}" ] || { lv_log "lv_setup_namespace outside the namespace"; exit 99; }
    set -e
    ns_private

    # Pristine package default (192.168.122.1/24); the host's copy may have been edited.
    local netxml=/usr/share/libvirt/networks/default.xml
    [ -r "$netxml" ] || netxml=/etc/libvirt/qemu/networks/default.xml
    cp "$netxml" "$LV_WORK/default-network.xml"

    # libvirt's state, logs, hooks and domains, and exportfs' (ns_nfs_state hides the host's
    # /etc/exports too), on tmpfs.
    ns_tmpfs /run /var/lib/libvirt /var/log/libvirt /etc/libvirt/hooks /etc/libvirt/qemu
    ns_nfs_state
    mkdir -p /var/cache/libvirt /export
    [ -n "${LV_COLD_CACHE:-}" ] && mount -t tmpfs -o mode=0711 tmpfs /var/cache/libvirt
    # /var/log/libvirt/qemu: the package ships it (libvirtd does not create it); serial logs
    # of guests made by create go there.
    mkdir -p /run/lock /etc/libvirt/qemu/networks/autostart /etc/libvirt/hooks/qemu.d \
        /var/log/libvirt/qemu
    install -m 0600 "$LV_WORK/default-network.xml" /etc/libvirt/qemu/networks/default.xml

    # Hermetic policy: the host's /etc/virt-nfsroot.conf is not ours to read.
    : >"$LV_WORK/empty"
    [ -e /etc/virt-nfsroot.conf ] && mount --bind "$LV_WORK/empty" /etc/virt-nfsroot.conf

    # /export on real disk (a tmpfs export would need fsid= on a real server), traversable by
    # libvirt-qemu.
    mkdir -m 0755 "$LV_WORK/export"
    mount --bind "$LV_WORK/export" /export
    chmod 0755 /export
    set +e
}

# lv_install_hook PATH : install PATH as /etc/libvirt/hooks/qemu.d/virt-nfsroot (before
# libvirtd starts: libvirt looks for hooks once, at startup).
lv_install_hook() {
    ln -sfn "$(readlink -f "$1")" /etc/libvirt/hooks/qemu.d/virt-nfsroot
}

lv_virsh() { virsh -q -c "$LV_URI" "$@"; }

# libvirtd gets the PATH a packaged daemon has, not the test runner's (hooks must not depend on it).
# shellcheck disable=SC2086 # LV_LIBVIRTD_OPTS is a list of options: word-split on purpose
lv_start_libvirtd() {
    env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        LIBVIRT_LOG_OUTPUTS="${LV_LOG_LEVEL:-3}:file:$LV_WORK/libvirtd.log" \
        libvirtd -d ${LV_LIBVIRTD_OPTS:-} ||
        { lv_log "libvirtd failed to start"; return 1; }
    for _ in $(seq 150); do
        virsh -c "$LV_URI" version >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    lv_log "libvirtd did not answer on $LV_URI within 30 s; see $LV_WORK/libvirtd.log"
    return 1
}

lv_start_daemons() {
    virtlogd -d || { lv_log "virtlogd failed to start"; return 1; }
    lv_start_libvirtd
}

# Stop libvirtd alone (guests keep running) and start it again: it reconnects to them and runs
# the hooks with "reconnect begin -".
lv_restart_libvirtd() {
    lv_kill_pidfile /run/libvirtd.pid
    lv_start_libvirtd
}

# Hook failures libvirt logged, one "NAME PHASE SUBPHASE" per line (libvirt ignores failures
# after prepare, but logs them).
lv_hook_failures() {
    sed -n 's/.*error : virRunScript:[0-9]* : Hook script execution failed: .*\/etc\/libvirt\/hooks\/qemu\.d\/[^ ]* \([^ ]*\) \([^ ]*\) \([^ ]*\) -) .*/\1 \2 \3/p' \
        "$LV_WORK/libvirtd.log"
}

lv_net_start() {
    lv_virsh net-start default >/dev/null || { lv_log "virsh net-start default failed"; return 1; }
}

# lv_kill_pidfile FILE : TERM, wait up to 10 s, then KILL the pid in FILE.
lv_kill_pidfile() {
    local pid
    [ -r "$1" ] || return 0
    pid=$(tr -dc '0-9' <"$1")
    [ -n "$pid" ] || return 0
    ns_pid_alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 50); do
        ns_pid_alive "$pid" || return 0
        sleep 0.2
    done
    lv_log "pid $pid ($1) ignored SIGTERM; killing"
    kill -KILL "$pid" 2>/dev/null
}

lv_stop_daemons() {
    local d f
    if [ -r /run/libvirtd.pid ] && virsh -c "$LV_URI" version >/dev/null 2>&1; then
        # Destroy what still runs so QEMU exits and the release hooks run.
        for d in $(virsh -q -c "$LV_URI" list --name 2>/dev/null); do
            timeout 60 virsh -q -c "$LV_URI" destroy "$d" >/dev/null 2>&1
        done
    fi
    lv_kill_pidfile /run/libvirtd.pid
    for f in /run/libvirt/qemu/*.pid /run/libvirt/network/*.pid; do
        [ -e "$f" ] && lv_kill_pidfile "$f"
    done
    lv_kill_pidfile /run/virtlogd.pid
}

lv_cleanup() {
    local rc=$?
    lv_stop_daemons
    umount /export 2>/dev/null
    if [ "$rc" -eq 0 ] && [ "$bad" -eq 0 ] && [ -z "${LV_KEEP:-}" ]; then
        rm -rf "$LV_WORK"
    else
        lv_log "work directory kept: $LV_WORK (libvirtd.log, hook logs, serial logs)"
    fi
    exit "$rc"
}

# --------------------------------------------------------------------------------------------
# Guest fixtures

# A small gzip'd newc cpio that looks like a dracut initramfs with NFS root support (it does not
# boot; real boots are the e2e tests' job).  Built once per run into $LV_WORK/initrd.img.
lv_build_initrd() {
    local out=$LV_WORK/initrd.img r=$LV_WORK/initrd-root m f
    [ -s "$out" ] && return 0
    mkdir -p "$r"/{usr/lib/dracut/modules.d/95nfs,usr/lib/dracut/modules.d/40network} \
             "$r"/{usr/lib/dracut/hooks/cmdline,usr/sbin,sbin,etc,proc,sys,dev,run,tmp} \
             "$r/lib/modules/$LV_KVER/kernel"
    cat >"$r/init" <<'EOF'
#!/bin/sh
# virt-nfsroot test fixture: stands in for dracut's /init.
. /lib/dracut-lib.sh
EOF
    chmod 0755 "$r/init"
    printf '059\n' >"$r/usr/lib/dracut/dracut-version"
    printf '%s\n' base network-legacy network nfs kernel-modules udev-rules \
        >"$r/usr/lib/dracut/modules.txt"
    for f in module-setup.sh nfs-lib.sh parse-nfsroot.sh nfs-start-rpc.sh nfsroot-cleanup.sh \
             nfsroot.sh; do
        printf '#!/bin/sh\n# dracut 95nfs/%s (virt-nfsroot test fixture)\n' "$f" \
            >"$r/usr/lib/dracut/modules.d/95nfs/$f"
    done
    for f in module-setup.sh net-lib.sh ifup.sh parse-ip-opts.sh dhclient-script.sh \
             netroot.sh; do
        printf '#!/bin/sh\n# dracut 40network/%s (virt-nfsroot test fixture)\n' "$f" \
            >"$r/usr/lib/dracut/modules.d/40network/$f"
    done
    cp "$r/usr/lib/dracut/modules.d/95nfs/nfs-lib.sh" "$r/usr/lib/nfs-lib.sh"
    cp "$r/usr/lib/dracut/modules.d/40network/net-lib.sh" "$r/usr/lib/net-lib.sh"
    printf '#!/bin/sh\n# dracut-lib.sh (virt-nfsroot test fixture)\n' >"$r/lib/dracut-lib.sh"
    cp "$r/usr/lib/dracut/modules.d/95nfs/parse-nfsroot.sh" \
       "$r/usr/lib/dracut/hooks/cmdline/90-parse-nfsroot.sh"
    cp /usr/sbin/mount.nfs "$r/usr/sbin/mount.nfs"
    ln -s mount.nfs "$r/usr/sbin/mount.nfs4"
    printf '#!/bin/sh\n# dhclient (virt-nfsroot test fixture)\nexit 1\n' >"$r/sbin/dhclient"
    printf 'root:x:0:0::/root:/bin/sh\n' >"$r/etc/passwd"
    chmod 0755 "$r"/sbin/* "$r"/usr/lib/dracut/modules.d/*/* "$r"/usr/lib/*.sh

    # The kernel's own NFS/sunrpc/virtio_net modules, compressed .ko.xz as Debian ships them.
    (cd "$LV_KDIR/lib/modules/$LV_KVER" && find kernel -type f -name '*.ko*') |
    while read -r m; do
        mkdir -p "$r/lib/modules/$LV_KVER/${m%/*}"
        case $m in
            *.ko.xz) cp "$LV_KDIR/lib/modules/$LV_KVER/$m" "$r/lib/modules/$LV_KVER/$m" ;;
            *.ko) xz -c --check=crc32 "$LV_KDIR/lib/modules/$LV_KVER/$m" \
                    >"$r/lib/modules/$LV_KVER/$m.xz" ;;
        esac
    done
    (cd "$r/lib/modules/$LV_KVER" && find kernel -name '*.ko.xz' | sort |
        sed 's/$/:/') >"$r/lib/modules/$LV_KVER/modules.dep"

    (cd "$r" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) |
        gzip -6 >"$out.tmp" && mv "$out.tmp" "$out"
}

# lv_make_guest_root VM : /export/VM with boot/vmlinuz, boot/initrd.img, etc/fstab; all 0755.
lv_make_guest_root() {
    local vm=$1 root=/export/$1
    lv_build_initrd || return 1
    mkdir -p "$root/boot" "$root/etc"
    chmod 0755 "$root" "$root/boot" "$root/etc"
    install -m 0644 "$LV_VMLINUZ" "$root/boot/vmlinuz"
    install -m 0644 "$LV_WORK/initrd.img" "$root/boot/initrd.img"
    printf '%s:/export/%s / nfs4 defaults 0 0\n' "$LV_NET_ADDR" "$vm" >"$root/etc/fstab"
    chmod 0644 "$root/etc/fstab"
}

# lv_domain_xml NAME MAC EXPORT_PATH [BOOT_DIR]
#   EXPORT_PATH "" → no virt-nfsroot metadata at all.
#   BOOT_DIR defaults to /export/NAME (where kernel and initrd are taken from).
lv_domain_xml() {
    local name=$1 mac=$2 export_path=$3 boot=${4:-/export/$1}
    domain_xml_gen name="$name" ${export_path:+"export=path=\"$export_path\""} memory=256 vcpu=1 \
        kernel="$boot/boot/vmlinuz" initrd="$boot/boot/initrd.img" \
        cmdline="console=ttyS0 root=nfs4:$LV_NET_ADDR:/export/$name ip=dhcp rd.neednet=1 panic=-1" \
        destroy_on=poweroff mac="$mac" serial="$LV_WORK/serial-$name.log"
}

# --------------------------------------------------------------------------------------------
# Observations

# "PATH CLIENT OPTIONS" per export, from `exportfs -v` (which puts the client on its own line
# when the path is long).
lv_exports() {
    exportfs -v 2>/dev/null | awk '
        /^\// { path = $1; if (NF < 2) next; entry = $2 }
        /^[ \t]/ { entry = $1 }
        {
            client = entry; opts = ""
            if ((i = index(entry, "(")) > 0) {
                client = substr(entry, 1, i - 1)
                opts = substr(entry, i + 1); sub(/\)$/, "", opts)
            }
            print path, client, opts
        }'
}

# lv_exported PATH CLIENT : is PATH exported to exactly CLIENT?
lv_exported() { lv_exports | awk -v p="$1" -v c="$2" '$1 == p && $2 == c { f = 1 } END { exit !f }'; }

# lv_path_exported PATH : is PATH exported to anyone?
lv_path_exported() { lv_exports | awk -v p="$1" '$1 == p { f = 1 } END { exit !f }'; }

# lv_etab_opts PATH CLIENT : the full option list of that export in /var/lib/nfs/etab (exportfs -v
# leaves some out, e.g. "insecure").
lv_etab_opts() {
    awk -v p="$1" -v c="$2" '$1 == p && index($2, c "(") == 1 {
        o = substr($2, length(c) + 2); sub(/\)$/, "", o); print o; exit }' /var/lib/nfs/etab
}

lv_domstate() { lv_virsh domstate "$1" 2>/dev/null | head -n 1; }

# Files we left in /etc/exports.d that mention PATH (none expected after teardown).
lv_exportsd_mentions() { grep -rlF -- "$1" /etc/exports.d 2>/dev/null; }
