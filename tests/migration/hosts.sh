# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# Simulated hosts for the migration test.  Each host is host.sh as the init of its own mount,
# network, UTS and PID namespaces: own libvirtd (own host_uuid, TCP for --p2p), own network
# 'default' (the same pinned bridge MAC everywhere), own D-Bus + rpcbind + NFS-Ganesha, the hook
# installed; every host's /export is MIG_SHARED.  This shell (the test, in namespaces of its own)
# drives them all: libvirt through each host's socket seen via /proc/PID/root, ganesha through
# each host's bus socket in MIG_WORK.
#   host_start NAME UUID        start host NAME in the background
#   host_wait NAME...           wait until each is up (MIG_HOST_TIMEOUT s, default 300); fails
#                               with the host's log when one is not
#   host_run NAME CMD...        run CMD inside host NAME's namespaces
#   host_uri NAME               a libvirt URI for host NAME's libvirtd, usable from here
#   host_virsh NAME ARGS...     virsh -q against host NAME
#   host_dbus NAME METHOD ...   ganesha_dbus on host NAME's bus
#   host_lists NAME PATH        host NAME's ganesha lists PATH as a live export
#   host_export_id NAME UUID    the Export_Id in host NAME's EXPORT file for domain UUID
#   host_link A B ADDR-A ADDR-B a veth pair between two hosts' networks (/24 addresses)
#   host_ceph_link NAME ADDR    right after host_start NAME: a veth from bridge MIG_CEPH_BRIDGE
#                               here (where the Ceph cluster listens) to host NAME's ceph0,
#                               ADDR/24 (MIG_BACKEND=ceph: host.sh waits for it)
#   host_ganesha_stop NAME      stop host NAME's ganesha and rpcbind (its bus stays)
#   host_ganesha_start NAME     start them again, with the same configuration and exports index
#   host_stop NAME              SIGTERM to its init (destroys guests, stops daemons), wait 60 s
# Needs MIG_HERE (this directory), MIG_WORK, MIG_HOOK; MIG_SHARED and MIG_BRIDGE_MAC are passed
# on to host.sh.

declare -A MIG_UPID=() MIG_HPID=()

host_start() {
    local name=$1
    mkdir -p "$MIG_WORK/$name"
    rm -f "$MIG_WORK/$name/ready" "$MIG_WORK/$name/failed"
    MIG_WORK=$MIG_WORK MIG_SHARED=$MIG_SHARED MIG_BRIDGE_MAC=$MIG_BRIDGE_MAC \
        MIG_BACKEND=${MIG_BACKEND:-ganesha} MIG_STP=${MIG_STP:-off} \
        unshare -m -n -u -p -f --kill-child --mount-proc --propagation private \
        "$MIG_HERE/host.sh" "$name" "$2" "$MIG_HOOK" >"$MIG_WORK/$name/host.log" 2>&1 &
    MIG_UPID[$name]=$!
}

host_wait() {
    local name upid i
    for name in "$@"; do
        upid=${MIG_UPID[$name]}
        for ((i = 0; i < ${MIG_HOST_TIMEOUT:-300} * 5; i++)); do
            [ -e "$MIG_WORK/$name/ready" ] || [ -e "$MIG_WORK/$name/failed" ] && break
            ns_pid_alive "$upid" || break
            sleep 0.2
        done
        if [ ! -e "$MIG_WORK/$name/ready" ]; then
            lv_log "host $name did not come up; its log:"
            tail -n 20 "$MIG_WORK/$name/host.log" | sed 's/^/    | /' >&2
            return 1
        fi
        # unshare -f: the host's init is unshare's one child (children needs
        # CONFIG_PROC_CHILDREN; else the process whose parent it is).
        MIG_HPID[$name]=$(awk '{ print $1 }' "/proc/$upid/task/$upid/children" 2>/dev/null)
        [ -n "${MIG_HPID[$name]}" ] ||
            MIG_HPID[$name]=$(awk -v p="$upid" '$4 == p { print $1; exit }' /proc/[0-9]*/stat)
        [ -n "${MIG_HPID[$name]}" ] || { lv_log "host $name: no init below pid $upid"; return 1; }
    done
}

host_run() { nsenter -t "${MIG_HPID[$1]}" -m -n -u -p -- "${@:2}"; }

host_uri() { printf 'qemu:///system?socket=/proc/%s/root/run/libvirt/libvirt-sock' "${MIG_HPID[$1]}"; }

host_virsh() { virsh -q -c "$(host_uri "$1")" "${@:2}"; }

host_dbus() {
    DBUS_SYSTEM_BUS_ADDRESS=unix:path=$MIG_WORK/$1/ganesha/bus ganesha_dbus "${@:2}"
}

host_lists() { host_dbus "$1" ShowExports 2>/dev/null | grep -qF "string \"$2\""; }

host_export_id() {
    local f
    f=$(find "$MIG_WORK/$1/ganesha/exports.d" -name "virt-nfsroot-$2-*.conf" 2>/dev/null |
        head -n 1)
    [ -n "$f" ] && sed -n 's/^ *Export_Id = \([0-9]*\);.*/\1/p' "$f" | head -n 1
}

host_link() {
    nsenter -t "${MIG_HPID[$1]}" -n ip link add "vmig$1" type veth peer name "vmig$2" \
        netns "${MIG_HPID[$2]}" &&
        host_run "$1" ip addr add "$3/24" dev "vmig$1" &&
        host_run "$1" ip link set "vmig$1" up &&
        host_run "$2" ip addr add "$4/24" dev "vmig$2" &&
        host_run "$2" ip link set "vmig$2" up
}

host_ceph_link() {
    local upid=${MIG_UPID[$1]} _
    # unshare -n: the unshare process itself is in the host's network namespace, once it is made
    for _ in $(seq 100); do
        [ "$(readlink "/proc/$upid/ns/net")" != "$(readlink /proc/self/ns/net)" ] && break
        sleep 0.1
    done
    ip link add "vc$1" type veth peer name ceph0 netns "$upid" &&
        ip link set "vc$1" master "$MIG_CEPH_BRIDGE" up &&
        nsenter -t "$upid" -n ip addr add "$2/24" dev ceph0 &&
        nsenter -t "$upid" -n ip link set ceph0 up
}

host_ganesha_stop() {
    local g=$MIG_WORK/$1/ganesha
    # shellcheck disable=SC2016 # expanded by the inner sh, inside the host
    host_run "$1" sh -c 'kill "$(cat "$1/ganesha.pid")" "$(cat "$1/rpcbind.pid")"' _ "$g" ||
        return 1
    for _ in $(seq 100); do
        host_dbus "$1" ShowExports >/dev/null 2>&1 || return 0
        sleep 0.1
    done
    return 1
}

host_ganesha_start() {
    # shellcheck disable=SC2016 # expanded by the inner bash, inside the host
    host_run "$1" bash -c '. "$1" && GANESHA_DIR=$2 &&
        export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$2/bus && ganesha_start' \
        _ "$MIG_HERE/../lib/ganesha.sh" "$MIG_WORK/$1/ganesha"
}

host_stop() {
    local upid=${MIG_UPID[$1]:-}
    [ -n "$upid" ] || return 0
    [ -n "${MIG_HPID[$1]:-}" ] && kill -TERM "${MIG_HPID[$1]}" 2>/dev/null
    for _ in $(seq 300); do
        ns_pid_alive "$upid" || return 0
        sleep 0.2
    done
    kill -KILL "$upid" 2>/dev/null # --kill-child: the host's namespace goes with it
}
