# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# NFS-Ganesha for the tests that serve NFS with it (tests/nfs, tests/e2e): a private D-Bus
# system bus, rpcbind (for NFSv3) and ganesha.nfsd, all started from files in one directory.
#   ganesha_prereqs               skip (tests/lib/check.sh: exit 77 with the reason) when
#                                 ganesha, its VFS FSAL, D-Bus or rpcbind (or _rpc) are missing
#   ganesha_config DIR INDEX-DIR  DIR/dbus.conf (a bus at DIR/bus that anyone may use) and
#                                 DIR/ganesha.conf (NFSv3 + v4, recovery in DIR/recovery),
#                                 which %includes INDEX-DIR/virt-nfsroot-index.conf, created
#                                 empty; exports DBUS_SYSTEM_BUS_ADDRESS for the bus
#   ganesha_policy FILE TITLE     a virt-nfsroot policy (ganesha backend, ids 100-199, strict)
#                                 for DIR (exports in DIR/exports.d, what create and annotate
#                                 made in DIR/owned) in FILE, bound over /etc/virt-nfsroot.conf
#                                 (call it inside a private mount namespace, /etc overlaid)
#   ganesha_start_bus             dbus-daemon on that bus (GANESHA_BUS_PID)
#   ganesha_start [PREFIX...]     rpcbind and ganesha.nfsd, run under PREFIX (e.g. `ip netns exec
#                                 NS`) with a /run of their own; waits until ganesha answers on
#                                 the bus (fails if it does not within 30 s); GANESHA_PID,
#                                 RPCBIND_PID; their output goes to DIR/ganesha.out, ganesha's
#                                 log to DIR/ganesha.log
#   ganesha_stop                  stop rpcbind and ganesha (fails if ganesha outlives 10 s)
#   ganesha_stop_all              ganesha_stop, then the bus
#   ganesha_dbus METHOD [ARG...]  call org.ganesha.nfsd.exportmgr.METHOD, printing the reply
#   ganesha_lists PATH            ganesha lists PATH as a live export (ShowExports)

# shellcheck source=ns.sh
. "$(dirname "${BASH_SOURCE[0]}")/ns.sh"
GANESHA_NS_SH=$(dirname "${BASH_SOURCE[0]}")/ns.sh
GANESHA_DIR='' GANESHA_PID='' RPCBIND_PID='' GANESHA_BUS_PID=''

ganesha_prereqs() {
    local p
    for p in ganesha.nfsd dbus-daemon dbus-send rpcbind unshare; do
        command -v "$p" >/dev/null 2>&1 || skip "'$p' is not installed"
    done
    ls /usr/lib/*/ganesha/libfsalvfs.so >/dev/null 2>&1 ||
        skip "ganesha's VFS FSAL is not installed (nfs-ganesha-vfs)"
    getent passwd _rpc >/dev/null || skip "rpcbind's user '_rpc' does not exist"
}

ganesha_config() {
    GANESHA_DIR=$1
    local index=$2/virt-nfsroot-index.conf
    mkdir -p "$1/recovery" "$2" || return 1
    cat >"$1/dbus.conf" <<EOC
<busconfig><type>system</type><listen>unix:path=$1/bus</listen><auth>EXTERNAL</auth>
<policy context="default"><allow user="*"/><allow own="*"/><allow send_destination="*"/>
<allow receive_sender="*"/></policy></busconfig>
EOC
    # Ganesha 4.3 cannot %include a directory: the backend keeps an index file of its EXPORT
    # files. It must exist before ganesha starts (packaging ships an empty one).
    : >"$index"
    cat >"$1/ganesha.conf" <<EOC
NFS_CORE_PARAM { Protocols = 3, 4; Enable_NLM = false; Enable_RQUOTA = false; MNT_Port = 20048; }
NFSv4 { Graceless = true; Only_Numeric_Owners = true;
        RecoveryBackend = fs; RecoveryRoot = "$1/recovery"; }
EXPORT_DEFAULTS { SecType = sys; Transports = TCP; }
%include "$index"
EOC
    export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$1/bus"
}

ganesha_policy() {
    cat >"$1" <<EOC
# virt-nfsroot policy $2
backend = ganesha
validate = strict
export_roots = /export
state_dir = /run/virt-nfsroot
ganesha_exports_dir = $GANESHA_DIR/exports.d
ganesha_conf = $GANESHA_DIR/ganesha.conf
ganesha_bus = unix:path=$GANESHA_DIR/bus
ganesha_export_ids = 100-199
owned_dir = $GANESHA_DIR/owned
EOC
    [ -e /etc/virt-nfsroot.conf ] || : >/etc/virt-nfsroot.conf # in the overlay's upper layer
    mount --bind "$1" /etc/virt-nfsroot.conf
}

ganesha_start_bus() {
    dbus-daemon --config-file="$GANESHA_DIR/dbus.conf" --fork --print-pid \
        >"$GANESHA_DIR/dbus.pid" || return 1
    GANESHA_BUS_PID=$(tr -dc 0-9 <"$GANESHA_DIR/dbus.pid")
}

# shellcheck disable=SC2120 # PREFIX is optional: the e2e test runs ganesha where it is
ganesha_start() {
    # shellcheck disable=SC2016 # the inner bash expands $1, $2 and $!, not this shell
    "$@" unshare -m --propagation private bash -c '
        . "$1" && ns_tmpfs /run && mkdir -p /run/rpcbind && chown _rpc /run/rpcbind || exit 1
        rpcbind -f -w & echo $! >"$2/rpcbind.pid"
        # ganesha registers with rpcbind as it starts and gives up if nobody answers yet
        # (seen on a loaded machine): wait for rpcbind socket first.
        for _ in $(seq 100); do [ -S /run/rpcbind.sock ] && break; sleep 0.1; done
        exec ganesha.nfsd -F -f "$2/ganesha.conf" -L "$2/ganesha.log" -p "$2/ganesha.pid"' \
        bash "$GANESHA_NS_SH" "$GANESHA_DIR" >>"$GANESHA_DIR/ganesha.out" 2>&1 &
    GANESHA_PID=$!
    for _ in $(seq 150); do
        ganesha_dbus ShowExports >/dev/null 2>&1 && break
        ns_pid_alive "$GANESHA_PID" || break
        sleep 0.2
    done
    RPCBIND_PID=$(cat "$GANESHA_DIR/rpcbind.pid" 2>/dev/null)
    ganesha_dbus ShowExports >/dev/null 2>&1
}

ganesha_stop() {
    [ -n "$GANESHA_PID" ] && kill "$GANESHA_PID" 2>/dev/null
    [ -n "$RPCBIND_PID" ] && kill "$RPCBIND_PID" 2>/dev/null
    for _ in $(seq 100); do ns_pid_alive "${GANESHA_PID:-x}" || break; sleep 0.1; done
    for _ in $(seq 50); do ns_pid_alive "${RPCBIND_PID:-x}" || break; sleep 0.1; done
    ns_pid_alive "${GANESHA_PID:-x}" && return 1
    GANESHA_PID='' RPCBIND_PID=''
}

ganesha_stop_all() {
    ganesha_stop
    [ -n "$GANESHA_BUS_PID" ] && kill "$GANESHA_BUS_PID" 2>/dev/null
    GANESHA_BUS_PID=''
}

ganesha_dbus() {
    dbus-send --system --print-reply --dest=org.ganesha.nfsd /org/ganesha/nfsd/ExportMgr \
        "org.ganesha.nfsd.exportmgr.$1" "${@:2}"
}

ganesha_lists() { ganesha_dbus ShowExports 2>/dev/null | grep -qF "string \"$1\""; }
