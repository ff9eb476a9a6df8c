# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# The Debian 12 packages virt-nfsroot needs, in one place (sourced by setup, test and .ci/run).
# shellcheck disable=SC2034 # used by scripts/setup and scripts/test, which source this file
BUILD_PACKAGES=(build-essential cmake pkg-config libxml2-dev libnfsidmap-dev libvirt-dev
    libarchive-dev libdbus-1-dev libcrypt-dev scdoc librados-dev)
# npm, the Cockpit page's build step: the host's own where it has one (Debian's npm package
# conflicts with NodeSource's nodejs, which brings its own npm), else Debian's.
command -v npm >/dev/null 2>&1 || BUILD_PACKAGES+=(npm)
# shellcheck disable=SC2034 # used by scripts/setup and scripts/test, which source this file
RUNTIME_PACKAGES=(libvirt-daemon-system libvirt-clients qemu-system-x86 nfs-kernel-server
    dnsmasq-base debootstrap debian-archive-keyring)
# shellcheck disable=SC2034 # used by scripts/test, which sources this file
TEST_PACKAGES=(clang clang-format libxml2-utils iproute2 iptables nfs-ganesha nfs-ganesha-vfs libnfs-utils
    dbus dbus-bin rpcbind strace e2fsprogs cpio gzip zstd xz-utils lz4 bzip2 jq valgrind time lintian
    bash-completion dpkg-dev shellcheck xfsprogs btrfs-progs
    python3
    cockpit-ws cockpit-bridge cockpit-system chromium chromium-driver python3-selenium
    ceph-mon ceph-osd ceph-mds ceph-common ceph-fuse nfs-ganesha-ceph nfs-ganesha-rados-grace)

apt_install() { # apt_install PACKAGE...
    export DEBIAN_FRONTEND=noninteractive
    if [ -z "${NFSROOT_APT_UPDATED:-}" ]; then
        apt-get update -q || return 1
        export NFSROOT_APT_UPDATED=1
    fi
    apt-get install -y -q --no-install-recommends "$@"
}
