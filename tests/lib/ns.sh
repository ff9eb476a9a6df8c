# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# The one way the shell tests enter their private namespaces, so that the real exportfs,
# libvirtd, rpcbind or ganesha run against nothing of the host's:
#   ns_enter MARKER [UNSHARE-OPTION...] -- COMMAND...
#                     exec COMMAND in fresh mount + network namespaces (mounts private) with
#                     MARKER=1 in its environment (the script's "am I inside?"); extra options
#                     (-p -f --kill-child --mount-proc) are the caller's
#   ns_private        inside: nothing mounted from now on propagates to the host; lo is up
#   ns_tmpfs DIR...   inside: an empty tmpfs (0755) over each DIR, created first when missing
#   ns_nfs_state      inside: empty /etc/exports.d and /var/lib/nfs (etab, rmtab) on tmpfs and
#                     an empty /etc/exports: exportfs sees none of the host's exports
#   ns_pid_alive PID  PID runs (and is not a zombie left for a namespace's init to reap)

ns_enter() {
    local marker=$1 opts=()
    shift
    while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
    shift
    export "$marker=1"
    exec unshare -m -n "${opts[@]}" --propagation private -- "$@"
}

ns_private() {
    mount --make-rprivate / && ip link set lo up
}

ns_tmpfs() {
    local d
    for d in "$@"; do
        mkdir -p "$d" && mount -t tmpfs -o mode=0755 tmpfs "$d" || return 1
    done
}

ns_nfs_state() {
    ns_tmpfs /etc/exports.d /var/lib/nfs || return 1
    touch /var/lib/nfs/etab /var/lib/nfs/rmtab || return 1
    if [ -e /etc/exports ]; then mount --bind /dev/null /etc/exports || return 1; fi
}

ns_pid_alive() {
    local st
    [ -r "/proc/$1/status" ] || return 1
    st=$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
