# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# A throw-away single-node Ceph cluster with CephFS and two NFS-Ganesha nodes whose exports live
# in RADOS (the layout of the Ceph mgr `nfs` module: pool .nfs, one namespace per NFS cluster,
# `export-<id>` objects, `conf-nfs.<cluster>` listing them, a notify to reload), for the tests
# of the ceph label. Made from docs/MIGRATION.md's recipe (../shared/CEPH-RECIPE.md): mon, one
# memstore OSD, mds, no cephx, no mgr; every daemon on the loopback of the caller's network
# namespace. Call it inside the test's own namespaces (ceph_isolate): the ceph-fuse mount and
# ganesha's /run are private to them, and when the test exits the pid namespace takes every
# process it started with it; ceph_down stops them in order before that, by recorded PID.
#   ceph_isolate SCRIPT ARGS...   re-exec SCRIPT in fresh mount + network + pid namespaces (lo
#                                 up, mounts private, an empty /run) unless already inside
#   ceph_prereqs                  skip (exit 77, the reason) when a program or FSAL is missing
#   ceph_up DIR                   the cluster in DIR (conf, data, logs, PIDs in DIR/pids),
#                                 CephFS mounted at DIR/mnt (ceph-fuse), pool .nfs with the
#                                 grace database of nodes nodeA and nodeB in namespace
#                                 $CEPH_NS and an empty conf-nfs.$CEPH_NS; exports CEPH_CONF;
#                                 CEPH_UP_MS = milliseconds it took; CEPH_MEMSTORE_BYTES caps
#                                 what the OSD stores (default 1 GiB; RSS ~3x what is stored);
#                                 every daemon on CEPH_ADDR (default 127.0.0.1; an address
#                                 other namespaces reach, for simulated hosts of their own)
#   ceph_ganesha_conf NODE PORT   the ganesha.conf ceph_ganesha writes, on stdout (CEPH_GRACELESS=
#                                 true: no grace period at a node's start, for a comparison)
#   ceph_ganesha NODE PORT        ganesha.nfsd as NODE (nodeA/nodeB: one simulated host each,
#                                 its own directory and D-Bus bus) on PORT, FSAL_CEPH,
#                                 rados_cluster recovery, watching conf-nfs.$CEPH_NS; waits until
#                                 it answers on its bus (fails if it does not within 30 s)
#   ceph_node_answers NODE        NODE's ganesha answers on its bus (ShowExports)
#   ceph_rados ARG...             rados on pool .nfs, namespace $CEPH_NS
#   ceph_export_block ID PATH CLIENT   the EXPORT block of one export (FSAL CEPH)
#   ceph_notify                   notify conf-nfs.$CEPH_NS: every watching node reloads
#   ceph_nfs_state PORT PATH      serves | noent | other, as a libnfs client sees PATH
#   ceph_wait_state WANT PORT PATH [TENTHS]   until ceph_nfs_state says WANT (default 30 s)
#   ceph_node_sessions NODE ROOT  the ids of the MDS sessions through which NODE's ganesha
#                                 serves the export of CephFS path ROOT, one a line (FSAL_CEPH
#                                 mounts every export as a client of its own, uuid
#                                 ganesha-NODE-<id>): a new id means the node dropped its old
#                                 state of that export (its opens and caps) and mounted it anew
#   ceph_session_renewed NODE ROOT OLD   NODE serves ROOT through sessions, none of them in OLD
#   ceph_down                     stop what ceph_up and ceph_ganesha started (reverse order,
#                                 SIGKILL after 10 s), unmount DIR/mnt; CEPH_DOWN_MS

# shellcheck source=ns.sh
. "$(dirname "${BASH_SOURCE[0]}")/ns.sh"
CEPH_DIR='' CEPH_NS=${CEPH_NS:-vnr} CEPH_UP_MS='' CEPH_DOWN_MS='' CEPH_ADDR=${CEPH_ADDR:-127.0.0.1}
CEPH_FSID=5d3c8f1e-8d7a-4a0b-9b57-0c0ffee00001

ceph_ms() { echo $(($(date +%s%N) / 1000000)); }

ceph_isolate() {
    [ -n "${NFSROOT_CEPH_INSIDE:-}" ] && return 0
    ns_enter NFSROOT_CEPH_INSIDE -p -f --kill-child --mount-proc -- bash "$@"
}

ceph_prereqs() {
    local p
    [ "$(id -u)" = 0 ] || skip "needs root (namespaces, ceph daemons, FUSE)"
    for p in ceph-mon ceph-osd ceph-mds ceph monmaptool rados ceph-fuse ganesha.nfsd \
        ganesha-rados-grace dbus-daemon dbus-send nfs-ls nfs-cat unshare jq; do
        command -v "$p" >/dev/null 2>&1 || skip "'$p' is not installed"
    done
    ls /usr/lib/*/ganesha/libfsalceph.so >/dev/null 2>&1 ||
        skip "ganesha's CEPH FSAL is not installed (nfs-ganesha-ceph)"
    [ -c /dev/fuse ] || skip "no /dev/fuse (ceph-fuse)"
}

# ceph_start NAME CMD...: a foreground daemon, its output in DIR/log/NAME.out, PID in DIR/pids
ceph_start() {
    local name=$1
    shift
    setsid "$@" </dev/null >>"$CEPH_DIR/log/$name.out" 2>&1 &
    echo "$name $!" >>"$CEPH_DIR/pids"
    disown $! # ceph_down may SIGKILL it (the MDS): no job notice
}

ceph_pid() { awk -v n="$1" '$1 == n { p = $2 } END { print p }' "$CEPH_DIR/pids" 2>/dev/null; }

ceph_waitfor() { # TENTHS COMMAND...: until COMMAND succeeds
    local n=$1 _
    shift
    for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
    return 1
}

ceph_conf() {
    local d=$1
    cat <<EOF
[global]
fsid = $CEPH_FSID
mon host = $CEPH_ADDR
public addr = $CEPH_ADDR
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
keyring = /dev/null
osd pool default size = 1
osd pool default min size = 1
osd crush chooseleaf type = 0
osd crush update on start = false
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon warn on pool no redundancy = false
mon warn on insecure global id reclaim allowed = false
mon allow pool delete = true
client mount timeout = 30
rados mon op timeout = 30
run dir = $d/run
log file = $d/log/\$name.log
[mon.a]
mon data = $d/mon
mon data avail crit = 0
mon data avail warn = 0
mon cluster log file = $d/log/mon-cluster.log
[osd.0]
osd data = $d/osd
osd objectstore = memstore
memstore device bytes = ${CEPH_MEMSTORE_BYTES:-1073741824}
osd class load list = *
osd class default list = *
[mds.a]
mds data = $d/mds
mds cache memory limit = 134217728
mds log max segments = 2
${CEPH_MDS_CONF:-}
EOF
}

ceph_mds_active() { ceph mds stat | grep -q 'up:active'; }
ceph_osd_up() { ceph osd stat | grep -q '1 up'; }

ceph_up() {
    local t0
    t0=$(ceph_ms)
    CEPH_DIR=$1
    mkdir -p "$1"/{run,log,mon,osd,mds,mnt,ganesha} || return 1
    export CEPH_CONF=$1/ceph.conf
    ceph_conf "$1" >"$CEPH_CONF" || return 1
    monmaptool --create --fsid "$CEPH_FSID" --addv a "[v2:$CEPH_ADDR:3300,v1:$CEPH_ADDR:6789]" \
        "$1/monmap" >/dev/null &&
        ceph-mon --mkfs -i a --monmap "$1/monmap" --keyring /dev/null || return 1
    ceph_start mon ceph-mon -i a -f
    ceph_waitfor 300 ceph --connect-timeout 5 mon stat || { echo "ceph: mon does not answer"; return 1; }
    # --mkfs asks the mon for the osdmap: it too runs in the namespace
    if ! { [ "$(ceph osd create)" = 0 ] && ceph osd crush add osd.0 1 root=default &&
        ceph-osd -i 0 --mkfs; } >>"$1/log/osd-mkfs.out" 2>&1; then
        echo "ceph: osd setup"
        return 1
    fi
    ceph_start osd ceph-osd -i 0 -f
    ceph_waitfor 600 ceph_osd_up || { echo "ceph: osd does not come up"; return 1; }
    if ! { ceph osd pool create cephfs_data 8 && ceph osd pool create cephfs_metadata 8 &&
        ceph fs new cephfs cephfs_metadata cephfs_data; } >>"$1/log/setup.out" 2>&1; then
        echo "ceph: fs new"
        return 1
    fi
    ceph_start mds ceph-mds -i a -f
    ceph_waitfor 600 ceph_mds_active || { echo "ceph: no active mds"; return 1; }
    # With POSIX ACLs (none by default): a guest tree has some (create's cp -a needs them)
    ceph_start fuse ceph-fuse -f --id admin --client_acl_type=posix_acl "$1/mnt"
    ceph_waitfor 300 mountpoint -q "$1/mnt" || { echo "ceph: ceph-fuse does not mount"; return 1; }
    if ! { ceph osd pool create .nfs 8 && ceph osd pool application enable .nfs nfs &&
        ganesha-rados-grace --cephconf "$CEPH_CONF" --pool .nfs --ns "$CEPH_NS" add nodeA nodeB &&
        ceph_rados put "conf-nfs.$CEPH_NS" /dev/null; } >>"$1/log/setup.out" 2>&1; then
        echo "ceph: .nfs pool"
        return 1
    fi
    # shellcheck disable=SC2034 # read by the caller
    CEPH_UP_MS=$(($(ceph_ms) - t0))
}

ceph_rados() { rados -p .nfs -N "$CEPH_NS" "$@"; }
ceph_notify() { ceph_rados notify "conf-nfs.$CEPH_NS" reload >/dev/null; }

ceph_export_block() { # ID PATH CLIENT
    cat <<EOF
EXPORT {
    Export_Id = $1;
    Path = "$2";
    Pseudo = "$2";
    Access_Type = None;
    Squash = No_Root_Squash;
    Protocols = 4;
    Transports = TCP;
    SecType = sys;
    FSAL { Name = CEPH; User_Id = "admin"; Filesystem = "cephfs"; }
    CLIENT {
        Clients = $3;
        Access_Type = RW;
    }
}
EOF
}

ceph_ganesha_conf() { # NODE PORT
    local url="rados://.nfs/$CEPH_NS/conf-nfs.$CEPH_NS"
    cat <<EOF
NFS_CORE_PARAM {
    Protocols = 4;
    Enable_NLM = false;
    Enable_RQUOTA = false;
    NFS_Port = $2;
}
NFS_KRB5 { Active_krb5 = false; }
NFSv4 {
    RecoveryBackend = rados_cluster;
    Only_Numeric_Owners = true;
    Lease_Lifetime = 10;
    Grace_Period = 20;
    Graceless = ${CEPH_GRACELESS:-false};
}
CEPH { Ceph_Conf = "$CEPH_CONF"; }
RADOS_KV {
    ceph_conf = "$CEPH_CONF";
    userid = "admin";
    pool = ".nfs";
    namespace = "$CEPH_NS";
    nodeid = "$1";
}
RADOS_URLS {
    ceph_conf = "$CEPH_CONF";
    userid = "admin";
    watch_url = "$url";
}
%url "$url"
EOF
}

ceph_ganesha() { # NODE PORT
    local d=$CEPH_DIR/ganesha/$1
    mkdir -p "$d" && ceph_ganesha_conf "$1" "$2" >"$d/ganesha.conf" || return 1
    cat >"$d/dbus.conf" <<EOF
<busconfig><type>system</type><listen>unix:path=$d/bus</listen><auth>EXTERNAL</auth>
<policy context="default"><allow user="*"/><allow own="*"/><allow send_destination="*"/>
<allow receive_sender="*"/></policy></busconfig>
EOF
    ceph_start "dbus-$1" dbus-daemon --nofork --config-file="$d/dbus.conf"
    ceph_waitfor 100 test -S "$d/bus" || { echo "ceph: dbus-daemon for $1"; return 1; }
    ceph_start "ganesha-$1" env DBUS_SYSTEM_BUS_ADDRESS="unix:path=$d/bus" \
        ganesha.nfsd -F -f "$d/ganesha.conf" -L "$d/ganesha.log" -p "$d/ganesha.pid"
    ceph_waitfor 300 ceph_node_answers "$1" ||
        { echo "ceph: ganesha $1 does not answer on its bus"; return 1; }
}

ceph_node_answers() { # NODE
    dbus-send --bus="unix:path=$CEPH_DIR/ganesha/$1/bus" --print-reply --dest=org.ganesha.nfsd \
        /org/ganesha/nfsd/ExportMgr org.ganesha.nfsd.exportmgr.ShowExports >/dev/null 2>&1
}

ceph_nfs_url() { echo "nfs://127.0.0.1$2?version=4&nfsport=$1"; } # PORT PATH (libnfs 4.0)

ceph_nfs_state() { # PORT PATH
    local out
    out=$(nfs-ls "$(ceph_nfs_url "$1" "$2/")" 2>&1) && { echo serves; return; }
    case $out in *NOENT*) echo noent ;; *) echo other ;; esac
}

ceph_state_is() { [ "$(ceph_nfs_state "$2" "$3")" = "$1" ]; }

ceph_wait_state() { # WANT PORT PATH [TENTHS]
    local _
    for _ in $(seq "${4:-300}"); do
        ceph_state_is "$1" "$2" "$3" && return 0
        sleep 0.1
    done
    return 1
}

ceph_node_sessions() { # NODE ROOT
    ceph tell mds.a session ls 2>/dev/null | jq -r --arg u "ganesha-$1-" --arg r "$2" \
        '.[] | select((.client_metadata.uuid // "") | startswith($u)) |
            select(.client_metadata.root == $r) | .id' | sort
}

ceph_session_renewed() { # NODE ROOT OLD
    local now
    now=$(ceph_node_sessions "$1" "$2")
    [ -n "$now" ] && [ -z "$(comm -12 <(echo "$now") <(echo "$3"))" ]
}

ceph_down() {
    local t0 name p
    t0=$(ceph_ms)
    [ -n "$CEPH_DIR" ] && [ -f "$CEPH_DIR/pids" ] || return 0
    for name in ganesha-nodeB ganesha-nodeA dbus-nodeB dbus-nodeA fuse mds osd mon; do
        p=$(ceph_pid "$name")
        [ -n "$p" ] || continue
        [ "$name" = fuse ] && umount "$CEPH_DIR/mnt" 2>/dev/null
        kill -TERM "$p" 2>/dev/null
        # the MDS takes 6-8 s on SIGTERM; the memstore cluster keeps nothing, so 3 s is enough
        for _ in $(seq 30); do ns_pid_alive "$p" || break; sleep 0.1; done
        ns_pid_alive "$p" && kill -KILL "$p" 2>/dev/null
    done
    mountpoint -q "$CEPH_DIR/mnt" && umount -l "$CEPH_DIR/mnt"
    : >"$CEPH_DIR/pids"
    # shellcheck disable=SC2034 # read by the caller
    CEPH_DOWN_MS=$(($(ceph_ms) - t0))
}

# A ceph test's sandbox: W, a fresh directory under /var/tmp named after $1, and CHECK_LOG in it;
# on exit the export root bind ($W/export) is unmounted, the cluster stopped and W removed
# (KEEP=1 keeps it).
ceph_test_sandbox() {
    W=$(mktemp -d "/var/tmp/$1.XXXXXX") || exit 1
    # shellcheck disable=SC2034 # read by check.sh's check()
    CHECK_LOG=$W/last.out
    trap ceph_test_cleanup EXIT
}

# shellcheck disable=SC2317 # run by the EXIT trap
ceph_test_cleanup() {
    umount "$W/export" 2>/dev/null
    ceph_down
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $W"; else rm -rf "$W"; fi
}

# The cluster in $W/c (CEPH_MEMSTORE_BYTES as ceph_up takes it), or FAIL with its logs' tails.
ceph_test_up() {
    ceph_up "$W/c" || { echo "FAIL: cluster"; tail -5 "$W"/c/log/*.out; exit 1; }
}

# A test's start inside ceph_isolate: private mounts and /run, the sandbox /var/tmp/PREFIX.*
# (ceph_test_sandbox), the cluster up (ceph_test_up) and how long that took.
ceph_test_begin() {
    if ! ns_private || ! ns_tmpfs /run; then echo "FAIL: namespace setup"; exit 1; fi
    ceph_test_sandbox "$1"
    ceph_test_up
    echo "cluster up in $CEPH_UP_MS ms"
}
