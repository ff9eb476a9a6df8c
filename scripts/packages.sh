# The Debian 12 packages virt-nfsroot needs, in one place (sourced by setup, test and .ci/run).
BUILD_PACKAGES="build-essential cmake pkg-config libxml2-dev libnfsidmap-dev libvirt-dev
    libarchive-dev libdbus-1-dev scdoc"
RUNTIME_PACKAGES="libvirt-daemon-system libvirt-clients qemu-system-x86 nfs-kernel-server
    dnsmasq-base"
TEST_PACKAGES="clang clang-format libxml2-utils iproute2 iptables nfs-ganesha nfs-ganesha-vfs libnfs-utils
    dbus dbus-bin rpcbind debootstrap cpio gzip zstd xz-utils lz4 bzip2 jq valgrind time lintian
    bash-completion dpkg-dev
    python3"

apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    if [ -z "${NFSROOT_APT_UPDATED:-}" ]; then
        apt-get update -q || return 1
        export NFSROOT_APT_UPDATED=1
    fi
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $*
}
