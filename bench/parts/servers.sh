# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# bench/run, parts 2g and 2c: part 2 with the NFS-Ganesha and the ceph backends, each
# against its own floor. Sourced by bench/run inside its namespaces; the servers run there.

# ------------------------------------------------------------------------------------------------
# Part 2 with the NFS-Ganesha backend (full runs only; optional): a private D-Bus system bus,
# rpcbind and ganesha.nfsd inside this namespace; the N other exports are in ganesha's config at
# start (adding thousands over D-Bus one by one would take minutes). Floor: dbus-send AddExport
# + RemoveExport of one EXPORT block file; ours: the hook with backend = ganesha.
GANESHA_PIDS=() DAEMON_PIDS=()
stop_pids() { # stop_pids PID...: TERM, up to 10 s, then KILL; only what we started
    local pid
    for pid in "$@"; do kill "$pid" 2>/dev/null; done
    for pid in "$@"; do
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
}
ganesha_stop() { stop_pids "${GANESHA_PIDS[@]}"; GANESHA_PIDS=(); }
daemons_stop() { ganesha_stop; stop_pids "${DAEMON_PIDS[@]}"; DAEMON_PIDS=(); }
gdbus_call() {
    dbus-send --system --print-reply --dest=org.ganesha.nfsd /org/ganesha/nfsd/ExportMgr \
        "org.ganesha.nfsd.exportmgr.$1" "${@:2}"
}
ganesha_has() { gdbus_call ShowExports 2>/dev/null | grep -q "\"$1\""; }
part2_ganesha() {
    local G=$W/ganesha n line gpid have dbus_pid rpcbind_pid
    mkdir -p "$G/recovery" "$G/ours.d" "$G/state"
    mount -t tmpfs tmpfs "$G/state"
    chmod 755 "$G"
    # rpcbind needs a /run of its own; we are in a private mount namespace.
    if ! { mount -t tmpfs tmpfs /run && mkdir -p /run/rpcbind && chown _rpc /run/rpcbind; }; then
        broke "ganesha: cannot prepare a private /run for rpcbind"
        return 1
    fi
    printf '%s\n' '<busconfig><type>system</type>' "<listen>unix:path=$G/bus</listen>" \
        '<auth>EXTERNAL</auth><policy context="default"><allow user="*"/><allow own="*"/>' \
        '<allow send_destination="*"/><allow receive_sender="*"/></policy></busconfig>' \
        >"$G/dbus.conf"
    dbus-daemon --config-file="$G/dbus.conf" --fork --print-pid >"$G/dbus.pid" </dev/null \
        2>>"$G/daemons.log" || { broke "ganesha: dbus-daemon did not start"; return 1; }
    dbus_pid=$(cat "$G/dbus.pid")
    DAEMON_PIDS=("$dbus_pid")
    export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$G/bus"
    rpcbind -f -w </dev/null >>"$G/daemons.log" 2>&1 &
    rpcbind_pid=$!
    DAEMON_PIDS+=("$rpcbind_pid")
    printf '%s\n' "backend = ganesha" "export_roots = $W/export" "network_dir = $W/net" \
        "state_dir = $G/state" "ganesha_exports_dir = $G/ours.d" "ganesha_export_ids = 100-199" \
        "ganesha_conf = $G/ganesha.conf" >"$G/policy.conf"
    printf 'EXPORT { Export_Id = 500; Path = "%s"; Pseudo = "%s"; Access_Type = RW; Squash = No_Root_Squash; Protocols = 4; SecType = sys; FSAL { Name = VFS; } CLIENT { Clients = %s; Access_Type = RW; } }\n' \
        "$W/export/$VM" "$W/export/$VM" "$SUBNET" >"$G/floor.conf"
    for n in $GNS; do
        note "part 2, ganesha: N=$n other exports ($CYC cycles each)"
        awk -v n="$n" -v d="$W/other" 'BEGIN { for (i = 0; i < n; i++) print d "/" i }' |
            xargs -r mkdir -p
        awk -v n="$n" -v d="$W/other" 'BEGIN { for (i = 0; i < n; i++)
            printf "EXPORT { Export_Id = %d; Path = \"%s/%d\"; Pseudo = \"%s/%d\"; Access_Type = RW; Protocols = 4; FSAL { Name = VFS; } CLIENT { Clients = 10.%d.%d.%d; } }\n",
                   1000 + i, d, i, d, i, int(i / 62500) % 250 + 1, int(i / 250) % 250 + 1, i % 250 + 1 }' \
            >"$G/other.conf"
        : >"$G/ours.d/virt-nfsroot-index.conf"
        printf '%s\n' \
            'NFS_CORE_PARAM { Protocols = 3, 4; Enable_NLM = false; Enable_RQUOTA = false; MNT_Port = 20048; }' \
            "NFSv4 { Graceless = true; Only_Numeric_Owners = true; RecoveryBackend = fs; RecoveryRoot = \"$G/recovery\"; }" \
            'EXPORT_DEFAULTS { SecType = sys; Transports = TCP; }' \
            "%include \"$G/other.conf\"" "%include \"$G/ours.d/virt-nfsroot-index.conf\"" \
            >"$G/ganesha.conf"
        ganesha.nfsd -F -f "$G/ganesha.conf" -L "$G/ganesha.log" -p "$G/ganesha.pid" \
            </dev/null >>"$G/ganesha.out" 2>&1 &
        gpid=$!
        GANESHA_PIDS=("$gpid")
        for _ in $(seq 600); do
            gdbus_call ShowExports >/dev/null 2>&1 && break
            kill -0 "$gpid" 2>/dev/null || break
            sleep 0.2
        done
        have=$(gdbus_call ShowExports 2>/dev/null | grep -c "\"$W/other/")
        if [ "$have" != "$n" ]; then
            broke "ganesha: N=$n: $have exports live after start ($(tail -n 2 "$G/ganesha.log" | tr '\n' ' '))"
            ganesha_stop
            break
        fi
        declare -A M=() P=()
        for v in floor ours; do
            case $v in
                floor) A=(dbus-send --system --print-reply --dest=org.ganesha.nfsd
                          /org/ganesha/nfsd/ExportMgr org.ganesha.nfsd.exportmgr.AddExport
                          "string:$G/floor.conf" "string:EXPORT(Export_Id=500)")
                       B=(dbus-send --system --print-reply --dest=org.ganesha.nfsd
                          /org/ganesha/nfsd/ExportMgr org.ganesha.nfsd.exportmgr.RemoveExport
                          uint16:500) ;;
                ours) A=(env VIRT_NFSROOT_CONFIG="$G/policy.conf" "${OURS_A[@]}")
                      B=(env VIRT_NFSROOT_CONFIG="$G/policy.conf" "${OURS_B[@]}") ;;
            esac
            if ! { "${A[@]}" <"$W/$VM.xml" >/dev/null 2>"$W/log/check" &&
                   ganesha_has "$W/export/$VM" &&
                   "${B[@]}" <"$W/$VM.xml" >/dev/null 2>>"$W/log/check" &&
                   ! ganesha_has "$W/export/$VM"; }; then
                broke "ganesha: $v (N=$n) did not add and remove the export: $(head -c 300 "$W/log/check")"
                continue
            fi
            line=$(timeit -n "$CYC" -w 2 -i "$W/$VM.xml" -- "${A[@]}" --- "${B[@]}") ||
                { broke "ganesha: $v at N=$n"; continue; }
            M[$v]=$(kv median_us "$line")
            P[$v]=$(kv p99_us "$line")
        done
        ganesha_stop
        [ -n "${M[floor]:-}" ] &&
            row "2g N=$n" "ganesha floor: dbus-send AddExport + RemoveExport" "$(ms "${M[floor]}")" \
                "$(ms "${P[floor]}")" "" "" "" "" "" "" ""
        if [ -n "${M[ours]:-}" ]; then
            rt=$(ratio "${M[ours]}" "${M[floor]:-}")
            row "2g N=$n" "**virt-nfsroot (backend = ganesha) prepare + release**" \
                "$(ms "${M[ours]}")" "$(ms "${P[ours]}")" "" "" "$rt" "" "floor" "<= 1.2x" \
                "time $(met "$rt" 1.2)"
        fi
        unset M P
    done
    daemons_stop
    unset DBUS_SYSTEM_BUS_ADDRESS
}
GNS="0 100 1000 5000"
if ! want 2g; then
    :
elif [ "$QUICK" = 1 ] && ! want_explicit 2g; then
    not_run 2g "ganesha backend" "--quick"
elif ! command -v ganesha.nfsd >/dev/null || ! command -v dbus-daemon >/dev/null ||
     ! command -v rpcbind >/dev/null || ! ls /usr/lib/*/ganesha/libfsalvfs.so >/dev/null 2>&1; then
    not_run 2g "ganesha backend" "nfs-ganesha, nfs-ganesha-vfs, dbus or rpcbind missing"
elif ! grep -q ganesha_exports_dir "$BUILD/lib/libvirt-nfsroot.so.0" 2>/dev/null; then
    not_run 2g "ganesha backend" "not built into this libvirt-nfsroot"
else
    [ "$QUICK" = 1 ] && GNS="0 1000"
    trap daemons_stop EXIT
    part2_ganesha
    daemons_stop
fi

# ------------------------------------------------------------------------------------------------
# Part 2 with the ceph backend (2c; full runs, or --only 2c): a single-node Ceph cluster of
# tests/lib/ceph.sh (mon, memstore OSD, MDS, ceph-fuse; no mgr) in this namespace, CephFS's root
# bound at the export root. The N other exports are export-<id> objects (ids 10000 up, outside
# the policy's 20000-29999) listed in conf-nfs.vnr, written with rados as a prepare would; no
# ganesha node runs (each would open one CephFS client per export: 1,000 exports are 1,000
# clients), so the notify has no watcher to wait for. Ours: the hook with backend = ceph, prepare
# + release (the RADOS lock, the id derivation, object + list + notify and back).
part2_ceph() {
    local CD=$W/ceph n have i line
    # shellcheck source=../../tests/lib/ceph.sh
    . "$SRC/tests/lib/ceph.sh"
    if ! mkdir -p "$CD/state" || ! mount -t tmpfs tmpfs "$CD/state"; then broke "ceph: no state dir"; return 1; fi
    if ! ceph_up "$CD/c" >"$W/log/ceph" 2>&1; then
        broke "ceph: the cluster did not come up ($(tail -n 2 "$W/log/ceph" | tr '\n' ' '))"
        ceph_down
        return 1
    fi
    bnote "ceph: cluster up (mon, memstore OSD, MDS, ceph-fuse mounted, .nfs pool) in $CEPH_UP_MS ms"
    if ! mount --bind "$CD/c/mnt" "$W/export" || ! mkdir -p "$W/export/$VM"; then
        broke "ceph: cannot bind CephFS at the export root"
        ceph_down
        return 1
    fi
    printf '%s\n' "backend = ceph" "export_roots = $W/export" "network_dir = $W/net" \
        "state_dir = $CD/state" "ceph_conf = $CEPH_CONF" "ceph_namespace = $CEPH_NS" \
        "ganesha_export_ids = 20000-29999" >"$CD/policy.conf"
    have=0
    for n in $CNS; do
        note "part 2, ceph: N=$n other exports ($CYC cycles each)"
        for ((i = have; i < n; i++)); do
            printf 'EXPORT { Export_Id = %d; Path = "/other/%d"; Pseudo = "/other/%d"; Access_Type = None; FSAL { Name = CEPH; } CLIENT { Clients = 10.0.0.1; Access_Type = RW; } }\n' \
                $((10000 + i)) "$i" "$i" | ceph_rados put "export-$((10000 + i))" - &
            [ $(((i - have) % 8)) = 7 ] && wait
        done
        wait
        have=$n
        awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "%%url \"rados://.nfs/vnr/export-%d\"\n", 10000 + i }' |
            ceph_rados put "conf-nfs.$CEPH_NS" -
        if ! { env VIRT_NFSROOT_CONFIG="$CD/policy.conf" "${OURS_A[@]}" <"$W/$VM.xml" >/dev/null 2>"$W/log/check" &&
               [ "$(ceph_rados get "conf-nfs.$CEPH_NS" - | wc -l)" = $((n + 1)) ] &&
               env VIRT_NFSROOT_CONFIG="$CD/policy.conf" "${OURS_B[@]}" <"$W/$VM.xml" >/dev/null 2>>"$W/log/check" &&
               [ "$(ceph_rados get "conf-nfs.$CEPH_NS" - | wc -l)" = "$n" ]; }; then
            broke "ceph: the hook (N=$n) did not add and remove the export: $(head -c 300 "$W/log/check")"
            break
        fi
        line=$(timeit -n "$CYC" -w 1 -i "$W/$VM.xml" -- env VIRT_NFSROOT_CONFIG="$CD/policy.conf" \
            "${OURS_A[@]}" --- env VIRT_NFSROOT_CONFIG="$CD/policy.conf" "${OURS_B[@]}") ||
            { broke "ceph: hook at N=$n"; continue; }
        row "2c N=$n" "**virt-nfsroot (backend = ceph) prepare + release**" \
            "$(ms "$(kv median_us "$line")")" "$(ms "$(kv p99_us "$line")")" "" "" "" "" "" "" ""
    done
    umount "$W/export"
    ceph_down
    bnote "ceph: cluster down in $CEPH_DOWN_MS ms"
}
CNS="0 1000"
if ! want 2c; then
    :
elif [ "$QUICK" = 1 ] && ! want_explicit 2c; then
    not_run 2c "ceph backend" "--quick"
elif ! command -v ceph-mon >/dev/null || ! command -v ceph-fuse >/dev/null || ! command -v rados >/dev/null; then
    not_run 2c "ceph backend" "ceph-mon, ceph-osd, ceph-mds, ceph-fuse or rados missing"
else
    part2_ceph
fi
