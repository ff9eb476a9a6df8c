# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# Guest image for the e2e test: a minimal Debian 12 that boots with / on NFSv4 through a dracut
# initramfs.  Sourced by test-boot.sh after tests/libvirt/harness.sh (uses lv_log, skip).
#
# The debootstrapped tree with the kernel, its modules and the dracut initramfs is cached as a
# tarball in $VIRT_NFSROOT_TEST_CACHE/e2e/, keyed by the kernel package and by the text of the
# build function below: editing the recipe rebuilds the image.  Everything that is cheap (fstab,
# proof unit, autologin) is written on every run by e2e_configure_guest, so it is not cached.

E2E_SUITE=${E2E_SUITE:-bookworm}
E2E_PACKAGES=systemd-sysv,udev,nfs-common,dracut,dracut-network,isc-dhcp-client,iproute2,kmod,procps
E2E_MARKER=nfsroot-e2e-marker

# The Debian mirror apt already uses (deb822 or one-line sources), else deb.debian.org.
e2e_mirror() {
    local m
    m=$(awk '/^URIs:/ && $2 ~ /\/debian\/?$/ { print $2; exit }' \
            /etc/apt/sources.list.d/*.sources 2>/dev/null)
    [ -n "$m" ] || m=$(awk '$1 == "deb" && $2 !~ /^\[/ && $2 ~ /\/debian\/?$/ { print $2; exit }
                            $1 == "deb" && $3 ~ /\/debian\/?$/ { print $3; exit }' \
                           /etc/apt/sources.list 2>/dev/null)
    printf '%s\n' "${m:-http://deb.debian.org/debian}"
}

# Sets E2E_KPKG and E2E_KVER: the kernel linux-image-amd64 depends on today.
e2e_kernel_name() {
    E2E_KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null |
               awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
    if [ -z "$E2E_KPKG" ]; then
        # No package lists (offline run): the newest cached image still names it.
        local t
        t=$(find "$E2E_CACHE" -maxdepth 1 -name 'guest-linux-image-*.tar.zst' 2>/dev/null |
            sort -V | tail -n 1)
        [ -n "$t" ] || skip "apt-cache knows no linux-image-amd64 and $E2E_CACHE has no image"
        t=${t##*/guest-}
        E2E_KPKG=${t%%+*}
    fi
    E2E_KVER=${E2E_KPKG#linux-image-}
}

# e2e_build_tree ROOT : debootstrap + kernel + modules + dracut initramfs into ROOT (empty dir).
# Network access (the apt mirror) needed; ~3-6 min on 2 busy cores.
e2e_build_tree() {
    local root=$1 tmp deb t
    tmp=$(mktemp -d "$E2E_CACHE/.kernel.XXXXXX") || return 1
    chown _apt "$tmp" 2>/dev/null   # else apt downloads unsandboxed, with a warning
    t=$(lv_now)
    # No mirror is an environment problem (skip), like tests/libvirt's kernel fetch.
    (cd "$tmp" && apt-get download -q "$E2E_KPKG" >&2) ||
        { rm -rf "$tmp"; skip "could not download $E2E_KPKG (apt mirror unreachable?)"; }
    deb=$(find "$tmp" -maxdepth 1 -name "${E2E_KPKG}_*.deb" | head -n 1)
    dpkg-deb -x "$deb" "$tmp/k" || { rm -rf "$tmp"; return 1; }
    echo "timing: kernel download + unpack: $(lv_elapsed "$t") s"

    t=$(lv_now)
    # In its own mount namespace: the /proc and /sys debootstrap mounts in the target vanish with
    # it, even when it is killed.
    if ! unshare -m --propagation private \
            debootstrap --variant=minbase --include="$E2E_PACKAGES" "$E2E_SUITE" "$root" \
            "$(e2e_mirror)" >"$E2E_LOGDIR/debootstrap.log" 2>&1; then
        lv_log "debootstrap failed; last lines of $E2E_LOGDIR/debootstrap.log:"
        tail -n 20 "$E2E_LOGDIR/debootstrap.log" >&2
        rm -rf "$tmp"
        return 1
    fi
    echo "timing: debootstrap --variant=minbase: $(lv_elapsed "$t") s"

    # The kernel package itself is not installed (its postinst wants a bootloader); its files
    # are copied in and depmod'ed.
    mkdir -p "$root/lib/modules" "$root/boot"
    cp -a "$tmp/k/lib/modules/$E2E_KVER" "$root/lib/modules/"
    cp "$tmp/k/boot/vmlinuz-$E2E_KVER" "$tmp/k/boot/config-$E2E_KVER" \
       "$tmp/k/boot/System.map-$E2E_KVER" "$root/boot/"
    rm -rf "$tmp"
    # The guest only ever sees QEMU's virtio and PC devices: without sound, GPU, storage, USB,
    # wireless and physical NIC drivers (two thirds of the 400 MB), dracut scans far fewer
    # modules and the initramfs shrinks, which TCG unpacks at every boot.
    local d
    for d in sound drivers/gpu drivers/media drivers/infiniband drivers/scsi drivers/ata \
             drivers/usb drivers/staging drivers/bluetooth drivers/mmc drivers/md drivers/nvme \
             drivers/hid drivers/iio drivers/isdn drivers/mtd drivers/firewire \
             drivers/thunderbolt drivers/net/wireless drivers/net/ethernet drivers/net/usb \
             drivers/net/can drivers/net/wwan drivers/target drivers/nfc drivers/crypto \
             drivers/video drivers/hwmon drivers/edac drivers/leds drivers/pinctrl \
             drivers/gpio drivers/spi drivers/i2c drivers/mfd; do
        rm -rf "${root:?}/lib/modules/$E2E_KVER/kernel/$d"
    done
    chroot "$root" depmod -a "$E2E_KVER" || return 1

    # The Debian kernel has NFS and virtio_net as modules and no CONFIG_IP_PNP: the initramfs
    # brings up the network (DHCP) and mounts / itself.
    mkdir -p "$root/etc/dracut.conf.d"
    cat >"$root/etc/dracut.conf.d/90-nfsroot.conf" <<'EOF'
# virt-nfsroot e2e guest: / on NFS, DHCP in the initramfs, any virtual hardware.
hostonly="no"
add_dracutmodules+=" nfs network-legacy "
add_drivers+=" virtio_net virtio_pci nfs nfsv3 nfsv4 "
omit_dracutmodules+=" plymouth lvm mdraid dmraid crypt iscsi nbd multipath btrfs dmsquash-live resume "
compress="gzip"
EOF
    t=$(lv_now)
    # shellcheck disable=SC2016  # expanded by the inner sh
    if ! unshare -m --propagation private sh -c '
            mount --bind /proc "$1/proc" && mount --bind /sys "$1/sys" &&
            mount --bind /dev "$1/dev" &&
            exec chroot "$1" dracut -q --force --kver "$2" "/boot/initrd.img-$2"' \
            sh "$root" "$E2E_KVER" >"$E2E_LOGDIR/dracut.log" 2>&1; then
        lv_log "dracut failed in the guest chroot; see $E2E_LOGDIR/dracut.log:"
        tail -n 20 "$E2E_LOGDIR/dracut.log" >&2
        return 1
    fi
    echo "timing: dracut (initramfs $(du -m "$root/boot/initrd.img-$E2E_KVER" | cut -f1) MB): $(lv_elapsed "$t") s"
    # Else every shutdown unpacks the initramfs again, over NFS (+40 s under TCG).
    chroot "$root" systemctl mask dracut-shutdown.service >/dev/null 2>&1 || return 1
    # apt's package lists are not needed to boot.
    rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin
}

# e2e_guest_tree ROOT : ROOT filled from the cached tarball, or built and then cached.
# Sets E2E_FROM_CACHE to yes/no.  Concurrent runs (two build trees, CI and a developer) share the
# cache: the first builds, the others wait for its tarball instead of building it again.
e2e_guest_tree() {
    local lock r
    mkdir -p "$E2E_CACHE" || skip "cannot create the cache directory $E2E_CACHE"
    exec {lock}>"$E2E_CACHE/.lock" || skip "cannot open $E2E_CACHE/.lock"
    if ! flock -n "$lock"; then
        echo "another run is building the guest image; waiting for it (at most 25 min)"
        flock -w 1500 "$lock" || { exec {lock}>&-; lv_log "gave up waiting for $E2E_CACHE/.lock"; return 1; }
    fi
    e2e_guest_tree_locked "$1"
    r=$?
    exec {lock}>&-
    return $r
}

e2e_guest_tree_locked() {
    local root=$1 key tarball t
    e2e_kernel_name
    key=$( { declare -f e2e_build_tree; echo "$E2E_SUITE $E2E_PACKAGES"; } |
           sha256sum | cut -c1-12)
    tarball=$E2E_CACHE/guest-$E2E_KPKG+$key.tar.zst
    mkdir -p "$root"
    t=$(lv_now)
    if [ -s "$tarball" ]; then
        E2E_FROM_CACHE=yes
        tar -I zstd -xpf "$tarball" --numeric-owner -C "$root" ||
            { lv_log "cannot unpack $tarball"; return 1; }
        echo "timing: guest tree unpacked from $tarball: $(lv_elapsed "$t") s"
        return 0
    fi
    # shellcheck disable=SC2034 # read by test-boot.sh, which sources this file
    E2E_FROM_CACHE=no
    echo "building the guest tree from scratch ($E2E_SUITE, $E2E_KPKG; cached afterwards)"
    e2e_build_tree "$root" || return 1
    echo "timing: guest tree built from scratch: $(lv_elapsed "$t") s"
    t=$(lv_now)
    # Older images of this recipe are of no further use.
    find "$E2E_CACHE" -maxdepth 1 -name 'guest-*.tar.zst' ! -name "${tarball##*/}" -delete
    if tar -I 'zstd -3 -T2' -cpf "$tarball.tmp.$$" --numeric-owner -C "$root" . &&
            mv "$tarball.tmp.$$" "$tarball"; then
        echo "timing: guest tree cached as $tarball ($(du -m "$tarball" | cut -f1) MB): $(lv_elapsed "$t") s"
    else
        rm -f "$tarball.tmp.$$"
        lv_log "could not cache the guest tree (continuing)"
    fi
}

# e2e_configure_guest ROOT VM SERVER : the per-run guest configuration (not cached).
e2e_configure_guest() {
    local root=$1 vm=$2 server=$3
    printf '%s\n' "$vm" >"$root/etc/hostname"
    printf '127.0.0.1 localhost\n127.0.1.1 %s\n' "$vm" >"$root/etc/hosts"
    # What systemd remounts / with; the validator reads it too.
    printf '# / is mounted by the initramfs (dracut nfs module)\n%s:/export/%s / nfs4 rw,vers=4.1 0 0\n' \
        "$server" "$vm" >"$root/etc/fstab"
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
echo "virt-nfsroot-e2e: / is \$root" >/dev/kmsg
echo "virt-nfsroot-e2e: system \$state after \${up} s; addresses \$addr; failed units: \${failed:-none}" >/dev/kmsg
printf 'root=%s\nstate=%s\nuptime=%s\naddr=%s\nfailed=%s\n' "\$root" "\$state" "\$up" "\$addr" "\$failed" \
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
    # libvirt-qemu must reach the kernel and initramfs.
    chmod 0755 "$root" "$root/boot"
    chmod 0644 "$root/boot/vmlinuz-$E2E_KVER" "$root/boot/initrd.img-$E2E_KVER"
}
