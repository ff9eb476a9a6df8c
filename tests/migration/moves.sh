# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# How the migration test (test-migrate.sh) watches its guest and judges a move; sourced by it.
# Functions only: they read the test's variables when called (VM, GROOT, TICKS, HELD, ERRORS,
# ERR, MIG_WORK, MIG_BACKEND, EXPORTED, MIG_GUEST_IP, the hosts' addresses and PIDs) and report
# through check.sh's pass/fail/check.
#   install_ticks           the tick writer and its unit in the guest's tree (GROOT)
#   state_on HOST           the domain's state on HOST ("" when undefined there)
#   console_log HOST        the guest's console log on HOST
#   tick_count FILE         the last tick in FILE (0 when none); ticks_after FILE N TIMEOUT
#   ticks_continue WHAT     three more ticks through both files, and no error reported
#   stall_since N           the largest gap between ticks after tick N, by the guest's clock
#   migrate SRC DST [--p2p] virsh migrate --live, timed (MOVE_S, MOVE_END)
#   moved SRC DST WHAT N    the checks after a move, and its `timing:` line
#   stays_on_a WHAT         the checks after a refused move
#   claim_on, listed_once, ceph_node_outage, b_start_refused: the Ceph backend's checks

# The tick writer: one line "N UPTIME" a second, through a file it keeps open (write + fsync: an
# error shows at once) and through a new open each time (append + close: close-to-open makes the
# host see it).  Errors go to the kernel log (the serial console) and to a third file.
install_ticks() {
cat >"$GROOT/usr/local/sbin/nfsroot-ticks" <<'EOF'
#!/usr/bin/perl
use strict;
use warnings;
use IO::Handle;
my ($held, $opened, $errors) = ('/nfsroot-ticks-held', '/nfsroot-ticks-opened', '/nfsroot-ticks-errors');
sub uptime { open(my $u, '<', '/proc/uptime') or return -1; my $l = <$u>; return (split ' ', $l)[0]; }
sub report {
    my $m = shift;
    if (open(my $k, '>', '/dev/kmsg')) { print $k "nfsroot-ticks: $m\n"; close $k; }
    if (open(my $e, '>>', $errors)) { print $e "$m\n"; close $e; }
}
open(my $h, '>>', $held) or die "open $held: $!";
for (my $n = 1; ; $n++) {
    my $line = "$n " . uptime() . "\n";
    (syswrite($h, $line) && $h->sync) or report("tick $n: $held: $!");
    if (open(my $o, '>>', $opened)) { print $o $line; close($o) or report("tick $n: close $opened: $!"); }
    else { report("tick $n: open $opened: $!"); }
    sleep 1;
}
EOF
chmod 0755 "$GROOT/usr/local/sbin/nfsroot-ticks"
cat >"$GROOT/etc/systemd/system/nfsroot-ticks.service" <<'EOF'
[Unit]
Description=virt-nfsroot migration test: a tick a second into /
After=remote-fs.target

[Service]
ExecStart=/usr/local/sbin/nfsroot-ticks

[Install]
WantedBy=multi-user.target
EOF
ln -sf /etc/systemd/system/nfsroot-ticks.service \
    "$GROOT/etc/systemd/system/multi-user.target.wants/nfsroot-ticks.service"
rm -f "$GROOT"/nfsroot-ticks-*
}

state_on() { host_virsh "$1" domstate "$VM" 2>/dev/null | head -n 1; }
last_tick() { tail -n 1 "$1" 2>/dev/null | cut -d' ' -f1; }
tick_count() { local n; n=$(last_tick "$1"); echo "${n:-0}"; }

# ticks_after FILE N TIMEOUT : wait until FILE has a tick beyond N.
ticks_after() {
    local i
    for ((i = 0; i < $3 * 2; i++)); do
        [ "$(tick_count "$1")" -gt "$2" ] && return 0
        sleep 0.5
    done
    return 1
}

# console_log HOST : the guest's console log on HOST (create's <serial> log, in the host's own
# /var/log/libvirt: each host's QEMU writes its own).
console_log() { echo "/proc/${MIG_HPID[$1]}/root/var/log/libvirt/qemu/$VM-console.log"; }

# ticks_continue WHAT : three more ticks through both files within 30 s, and no error reported.
ticks_continue() {
    local n h consoles
    consoles=("$(console_log A)" "$(console_log B)")
    n=$(tick_count "$TICKS") h=$(tick_count "$HELD")
    if ticks_after "$TICKS" $((n + 2)) 30 && ticks_after "$HELD" $((h + 2)) 30; then
        pass "$1: ticks continue (new opens to tick $(tick_count "$TICKS"), held file to $(tick_count "$HELD"))"
    else
        fail "$1: ticks stopped (new opens at $(tick_count "$TICKS"), held file at $(tick_count "$HELD"))"
        tail -n 15 "${consoles[@]}" 2>/dev/null | tr -d '\r' | sed 's/^/    | /'
    fi
    # When / itself is broken (ESTALE), only the console has them.
    if [ -s "$ERRORS" ] || grep -qs 'nfsroot-ticks:' "${consoles[@]}"; then
        fail "$1: the guest's tick writer reported errors: $(cat "$ERRORS" "${consoles[@]}" 2>/dev/null |
            tr -d '\r' | grep -a 'tick [0-9]' | tail -n 3 | tr '\n' ';')"
    else
        pass "$1: the guest's tick writer reported no error"
    fi
}

# stall_since N : the largest gap between two consecutive ticks after tick N, by the guest's
# clock, in seconds. (Not the gap that ended at tick N: that one was over before the move.)
stall_since() {
    awk -v n="$1" '$1 > n && prev != "" { g = $2 - prev; if (g > max) max = g }
                   { prev = $2 } END { printf "%.2f", max }' "$TICKS"
}

# xml_for SRC DST : the domain XML that goes with the move to DST, as SRC runs it.
xml_for() {
    host_virsh "$1" dumpxml --migratable "$VM" >"$MIG_WORK/$VM-$2.xml"
}

# jobinfo DST SRC FIELD : a figure of the last completed job (the migration), from what
# `virsh domjobinfo --completed` said on DST, else on SRC (both saved by moved()).
jobinfo() {
    local h v
    for h in "$1" "$2"; do
        v=$(awk -F: -v f="$3" '$1 == f { split($2, a, " "); print a[1]; exit }' \
            "$MIG_WORK/jobinfo-$h.txt")
        [ -n "$v" ] && { echo "$v"; return; }
    done
}

# migrate SRC DST [--p2p] : virsh migrate --live, timed; sets MOVE_S, MOVE_END and leaves virsh's stderr in ERR.
migrate() {
    local src=$1 dst=$2 daddr t
    daddr=$ADDR_A
    [ "$dst" = B ] && daddr=$ADDR_B
    xml_for "$src" "$dst"
    # Ceph: the sessions through which the source's node serves the guest's root (moved())
    [ "$MIG_BACKEND" = ceph ] && SESS_BEFORE=$(ceph_node_sessions "node$src" "$EXPORTED")
    t=$(lv_now)
    if [ "${3:-}" = --p2p ]; then
        timeout 300 virsh -q -c "$(host_uri "$src")" migrate --live --p2p "$VM" \
            "qemu+tcp://$daddr/system" --migrateuri "tcp://$daddr:$MIG_PORT" \
            --xml "$MIG_WORK/$VM-$dst.xml" 2>"$ERR"
    else
        timeout 300 virsh -q -c "$(host_uri "$src")" migrate --live "$VM" "$(host_uri "$dst")" \
            --migrateuri "tcp://$daddr:$MIG_PORT" --xml "$MIG_WORK/$VM-$dst.xml" 2>"$ERR"
    fi
    local rc=$?
    MOVE_S=$(lv_elapsed "$t") MOVE_END=$(lv_now)
    return $rc
}

# stays_on_a WHAT : after a refused migration the guest is untouched on A.
stays_on_a() {
    local st
    st=$(state_on A)
    if [ "$st" = running ]; then pass "$1: the domain keeps running on A"; else fail "$1: the domain is '$st' on A"; fi
    st=$(state_on B)
    if [ -z "$st" ]; then pass "$1: B has no such domain"; else fail "$1: the domain is '$st' on B"; fi
    check "$1: A's ganesha still exports /export/$VM" host_lists A "$EXPORTED"
    check "$1: B's ganesha does not export /export/$VM" not host_lists B "$EXPORTED"
    ticks_continue "$1"
}

# Ceph: the claim of the guest's root names host NAME's node; the url list holds one export.
claim_on() { ceph_rados get "virt-nfsroot.claim:/export/$VM" - 2>/dev/null | grep -qx "host node$1"; }
listed_once() { [ "$(ceph_rados get "conf-nfs.$CEPH_NS" - 2>/dev/null | grep -c 'export-')" = 1 ]; }

# Ceph: A's ganesha node stops while the guest is on B. rados_cluster's grace is cluster-wide:
# B refuses OPEN (NFS4ERR_GRACE) until A's node is back and its grace is over. What the guest
# sees: its ticks through new opens stall (the held file's writes need no OPEN); measured with
# A down 30 s, then after A's node starts again.
grace_lifted() { # no grace period in force in the cluster (ganesha-rados-grace(8): rec=0)
    ganesha-rados-grace --cephconf "$CEPH_CONF" --pool .nfs --ns "$CEPH_NS" dump 2>/dev/null |
        head -n 1 | grep -q ' rec=0$'
}
a_forgot_clients() { # no client record in node A's recovery database (rec-<epoch>:nodeA)
    local o
    for o in $(ceph_rados ls 2>/dev/null | grep '^rec-.*:nodeA$'); do
        [ -z "$(ceph_rados listomapkeys "$o" 2>/dev/null)" ] || return 1
    done
}
ceph_node_outage() {
    local before held_before t
    # A's node, restarted, ends its grace early only when every client of its recovery database
    # has reclaimed: one that moved to B never does, and A would hold the cluster in grace for
    # its whole Grace_Period. Measure the outage once A's node forgot the guest (its lease).
    if ceph_waitfor 600 a_forgot_clients; then
        echo "timing: A's node has no client in its recovery database $(lv_elapsed "$MOVE_END") s after virsh migrate returned"
    else
        fail "A's node still names a client in its recovery database 60 s after the move"
    fi
    before=$(tick_count "$TICKS") held_before=$(tick_count "$HELD")
    if ! host_ganesha_stop A; then
        fail "stop A's ganesha"
        return
    fi
    pass "A's ganesha stopped, the guest on B"
    t=$(lv_now)
    sleep 30
    echo "timing: A's node down 30 s: new opens went from tick $before to $(tick_count "$TICKS"), the held file from $held_before to $(tick_count "$HELD")"
    check "A's ganesha started again" host_ganesha_start A
    local lifted='(not within 120 s)'
    ceph_waitfor 1200 grace_lifted && lifted="$(lv_elapsed "$t") s after the stop"
    echo "timing: the cluster's grace lifted $lifted"
    if ticks_after "$TICKS" $(($(tick_count "$TICKS") + 2)) 300; then
        pass "ticks through new opens continue after A's node is back ($(lv_elapsed "$t") s after it stopped)"
    else
        fail "ticks through new opens did not continue within 300 s of A's node being back"
    fi
    ticks_after "$TICKS" $(($(tick_count "$TICKS") + 3)) 30
    echo "timing: A's node stopped for 30 s then started, guest on B: stall $(stall_since "$before") s (largest gap between ticks through new opens), back $(lv_elapsed "$t") s after the stop"
    ticks_continue "A's node back, the guest on B"
}

# Ceph: the claims through libvirt. B, with the same domain defined, cannot start it while A
# runs it: the hook refuses in one sentence naming the path and host A, and nothing changes
# (right after A's start: the claims are A's from its prepare on; the guest boots meanwhile).
# Two claims guard it: the export root's registry on CephFS (host_id host-A), judged first,
# and the RADOS claim (node nodeA, ceph.claim tests it alone); either sentence will do.
b_start_refused() {
    local st
    if ! host_virsh B define "$MIG_WORK/$VM.xml" >/dev/null 2>"$ERR"; then
        fail "define $VM on B as well: $(cat "$ERR")"
        return
    fi
    if host_virsh B start "$VM" >/dev/null 2>"$ERR"; then
        fail "virsh start $VM on B while A runs it succeeded"
        host_virsh B destroy "$VM" >/dev/null 2>&1
    elif grep -Eq "export path '/export/$VM' is claimed (read-write in the Ceph cluster )?by this domain on host '(host-A|nodeA)', where it runs: migrate it here" "$ERR"; then
        pass "virsh start $VM on B while A runs it: refused: $(tr '\n' ' ' <"$ERR" | grep -o "virt-nfsroot: .*" | cut -c1-300)"
    else
        fail "virsh start $VM on B while A runs it: refused, but not by the claim: $(tail -c 400 "$ERR")"
    fi
    st=$(state_on B)
    check "virsh start on B refused: the domain is not running on B ('$st')" [ "$st" != running ]
    check "virsh start on B refused: the claim still names A's node" claim_on A
    check "virsh start on B refused: the export stays listed, once" listed_once
    host_virsh B undefine "$VM" >/dev/null 2>&1
}

# The connections HOST's NFS server holds from the guest's address (established, local port
# 2049; an IPv4 peer of ganesha's dual-stack socket shows as ::ffff:ADDR).
nfs_conns_from_guest() {
    host_run "$1" ss -Htn state established '( sport = :2049 )' |
        awk -v ip="$MIG_GUEST_IP" '{ p = $NF; sub(/:[0-9]+$/, "", p); gsub(/[][]/, "", p)
            sub(/^::ffff:/, "", p); n += p == ip } END { print n + 0 }'
}

# moved SRC DST WHAT BEFORE : the checks after a move; BEFORE is the last tick before it.
moved() {
    local src=$1 dst=$2 what=$3 st down elapsed data stall
    st=$(state_on "$dst")
    if [ "$st" = running ]; then pass "$what: the domain runs on $dst"; else fail "$what: the domain is '$st' on $dst"; fi
    st=$(state_on "$src")
    case $st in
        '' | 'shut off') pass "$what: the domain no longer runs on $src (${st:-gone})" ;;
        *) fail "$what: the domain is '$st' on $src" ;;
    esac
    # Ceph: the source's release unexported on its own node, dropping the guest's old state
    # there (opens, and through them caps the destination's OPENs waited for, one MDS tick of
    # 5 s each: 11-17 s in all), then had the nodes reread the list, which serves it there again
    # through a new CephFS session. (Kept, the old session lives on as long as the node.)
    DROP_S=''
    if [ "$MIG_BACKEND" = ceph ]; then
        check "$what: $src's node served the guest's root through a CephFS session (${SESS_BEFORE:-none})" \
            [ -n "$SESS_BEFORE" ]
        if ceph_waitfor 300 ceph_session_renewed "node$src" "$EXPORTED" "$SESS_BEFORE"; then
            DROP_S=$(lv_elapsed "$MOVE_END")
            pass "$what: $src's node dropped the guest's state: session $SESS_BEFORE closed, a new one serves it"
        else
            fail "$what: $src's node still serves the guest's root through session $SESS_BEFORE (or none) 30 s after the move"
        fi
    fi
    # ticks_continue reads the guest's errors from the consoles too: $dst's must be where it looks.
    check "$what: the guest's console log is on $dst, where ticks_continue looks" \
        [ -e "$(console_log "$dst")" ]
    ticks_continue "$what"
    if [ "$MIG_BACKEND" = ceph ]; then
        check "$what: the claim in RADOS names $dst's node" claim_on "$dst"
        check "$what: the export stays listed, once" listed_once
        check "$what: $dst's ganesha exports /export/$VM" host_lists "$dst" "$EXPORTED"
    else
        check "$what: $dst's ganesha exports /export/$VM" host_lists "$dst" "$EXPORTED"
        check "$what: $src's ganesha no longer exports /export/$VM" not host_lists "$src" "$EXPORTED"
    fi
    # The held file was opened on the first host: its writes reached the shared disk through
    # the second one.
    check "$what: the held file got ticks after the move" ticks_after "$HELD" $(($4 + 2)) 5
    # The destination keeps the statistics of the incoming job, the source of the outgoing one.
    host_virsh "$dst" domjobinfo --completed "$VM" >"$MIG_WORK/jobinfo-$dst.txt" 2>&1
    host_virsh "$src" domjobinfo --completed "$VM" >"$MIG_WORK/jobinfo-$src.txt" 2>&1
    down=$(jobinfo "$dst" "$src" 'Total downtime')
    elapsed=$(jobinfo "$dst" "$src" 'Time elapsed')
    data=$(jobinfo "$dst" "$src" 'Data processed')
    # Up to 120 s: a stall longer than ticks_continue's 30 s (a full timeo=600 when the
    # destination still holds the guest's old connection) is this move's, not the next one's.
    ticks_after "$TICKS" $(($4 + 6)) 120
    stall=$(stall_since "$4")
    echo "timing: $what: virsh migrate ${MOVE_S} s, migration job ${elapsed:-?} ms, downtime ${down:-?} ms, data ${data:-?} MiB, guest stall $(awk -v g="$stall" 'BEGIN { s = g - 1; printf "%.2f", s < 0 ? 0 : s }') s (largest gap between ticks ${stall} s)"
    if [ "$MIG_BACKEND" = ceph ]; then
        echo "timing: $what: $src's node served the guest's root through a new CephFS session ${DROP_S:-(never)} s after virsh migrate returned"
        check "$what: $src's ganesha exports /export/$VM again" \
            ceph_waitfor 100 host_lists "$src" "$EXPORTED"
    fi
    # Issue 23 part 4: a connection the destination's server kept from an earlier stay of the
    # guest there was closed at prepare: only the guest's new one is left. (Kept, it stays
    # beside the new one; with the same source port the guest waits out timeo=600 on it.)
    local conns
    conns=$(nfs_conns_from_guest "$dst")
    check "$what: $dst's NFS server holds one connection from the guest ($conns)" [ "$conns" = 1 ]
}
