# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# bench/run, part 2t: part 2 on a Debian 13 userland. Sourced by bench/run outside its
# namespaces (functions only); part_2t re-runs bench/run inside a chroot of that userland.

# Part 2t: the root of a Debian 13 (trixie) userland with nfs-kernel-server, libxml2 and the tools
# part 2 runs, made once by debootstrap (about 1 minute) and kept in the test cache; nothing when
# it cannot be made (no debootstrap, no mirror).
# The host's apt mirror, as create takes it (bench/host-mirror.c: nfsroot_host_apt_mirror), else
# deb.debian.org.
host_mirror() {
    "$BW/bin/host-mirror" 2>/dev/null || echo http://deb.debian.org/debian
}

debian13_root() {
    local cache=${VIRT_NFSROOT_TEST_CACHE:-/var/cache/virt-nfsroot-tests}/bench/debian13
    if [ ! -f "$cache/root/.complete" ]; then
        command -v debootstrap >/dev/null || return 1
        note "part 2t: debootstrap of Debian 13 into $cache (once) ..."
        rm -rf "$cache" && mkdir -p "$cache" || return 1
        debootstrap --variant=minbase \
            --include=nfs-kernel-server,libxml2,libnfsidmap1,iproute2,time,valgrind \
            trixie "$cache/root" "${BENCH_DEBIAN_MIRROR:-$(host_mirror)}" \
            >"$cache/debootstrap.log" 2>&1 || { tail -5 "$cache/debootstrap.log" >&2; return 1; }
        mkdir -p "$cache/root/etc/exports.d" && touch "$cache/root/.complete"
    fi
    printf '%s\n' "$cache/root"
}

# part_2t: part 2 inside a chroot of that userland (its exportfs, glibc and libxml2; our hook and
# the earlier build as built here, bound at the same paths). Rows are labelled "2t N=...".
# Instructions are counted at N = 0 only (callgrind of exportfs at N = 5000 takes minutes).
part_2t() {
    local root bw2=$BW/debian13
    if ! root=$(debian13_root); then
        not_run 2t "Debian 13 userland" "debootstrap of trixie failed or is not installed"
        return 0
    fi
    mkdir -p "$bw2/bin" && cp "$BW/bin/"* "$bw2/bin/" && chmod 755 "$bw2"
    # shellcheck disable=SC2016 # ${Version} is dpkg-query's format, not ours
    note "part 2t: part 2 on Debian 13 ($(chroot "$root" dpkg-query -W -f '${Version}' libxml2 2>/dev/null))"
    # shellcheck disable=SC2016 # expanded by the inner bash
    BW2=$bw2 unshare -m -n -- bash -c '
        set -e
        root=$1
        shift
        mount --make-rprivate /
        mount --bind "$root" "$root"
        for d in /proc /dev /sys "$@"; do
            mkdir -p "$root$d"
            mount --rbind "$d" "$root$d"
        done
        # The claims name this host by its machine id; debootstrap leaves the chroot none.
        if [ -s /etc/machine-id ]; then
            touch "$root/etc/machine-id"
            mount --bind /etc/machine-id "$root/etc/machine-id"
        fi
        exec chroot "$root" /usr/bin/env BW="$BW2" ONLY=2 BENCH_INSTR_N0_ONLY=1 bash "$HERE/run"
    ' _ "$root" "$bw2" "$HERE" "$BUILD" ${BEFORE:+"$BEFORE"} || {
        note "part 2t stopped"
        return 1
    }
    sed 's/^2 N=/2t N=/' "$bw2/rows" >>"$BW/rows"
    [ -f "$bw2/notes" ] && cat "$bw2/notes" >>"$BW/notes"
    return 0
}
