#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# libvirt.start-stop: the installed hook against a real libvirtd (in private mount + network
# namespaces).  Starting an annotated domain exports its root, destroying it unexports it;
# escaping export paths make `virsh start` fail with our message; unannotated domains are left
# alone.
#
# Usage: test-start-stop.sh HOOK-BINARY        (root; exits 77 when it cannot run)
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=harness.sh
. "$HERE/harness.sh"

if [ -z "${LV_INSIDE:-}" ]; then
    [ $# -eq 1 ] || { echo "usage: $0 HOOK-BINARY" >&2; exit 2; }
    lv_check_hook "$1"
    lv_fetch_kernel
    LV_T0=$(lv_now)
    export LV_T0
    lv_enter_namespace "$HERE/test-start-stop.sh" "$(readlink -f "$1")"
fi

HOOK=$1
lv_setup_namespace
trap lv_cleanup EXIT
lv_install_hook "$HOOK"
echo "hook: $HOOK; kernel: $LV_KVER; work: $LV_WORK"

t=$(lv_now)
lv_start_daemons || { fail "libvirtd/virtlogd start"; finish; exit 1; }
echo "timing: libvirtd start (includes QEMU probing on a cold /var/cache/libvirt): $(lv_elapsed "$t") s"
t=$(lv_now)
lv_net_start || { fail "virsh net-start default"; finish; exit 1; }
echo "timing: virsh net-start default: $(lv_elapsed "$t") s"

ERR=$LV_WORK/virsh.err

# define_dom NAME MAC EXPORT_PATH [BOOT_DIR]: define, timing it.
define_dom() {
    local t
    lv_domain_xml "$@" >"$LV_WORK/$1.xml"
    t=$(lv_now)
    if lv_virsh define "$LV_WORK/$1.xml" >/dev/null 2>"$ERR"; then
        echo "timing: virsh define $1: $(lv_elapsed "$t") s"
        return 0
    fi
    fail "$1: virsh define failed: $(cat "$ERR")"
    return 1
}

# start_dom NAME: virsh start, timing it; stderr left in $ERR; returns virsh's status.
start_dom() {
    local t rc
    t=$(lv_now)
    lv_virsh start "$1" >/dev/null 2>"$ERR"
    rc=$?
    echo "timing: virsh start $1: $(lv_elapsed "$t") s (exit $rc)"
    return $rc
}

destroy_dom() {
    lv_virsh destroy "$1" >/dev/null 2>"$ERR" || fail "$1: virsh destroy failed: $(cat "$ERR")"
}

show_exports() {
    echo "  exportfs -v now:"
    exportfs -v 2>&1 | sed 's/^/    /'
    echo "  /etc/exports.d now:"
    (cd /etc/exports.d && ls -la) | sed 's/^/    /'
}

# expect_export SCENARIO PATH CLIENT
expect_export() {
    if lv_exported "$2" "$3"; then
        pass "$1: $2 exported to $3"
    else
        fail "$1: expected $2 exported to $3"
        show_exports
        return 1
    fi
    local opts o missing=""
    opts=$(lv_etab_opts "$2" "$3")
    for o in rw async no_root_squash insecure no_subtree_check; do
        case ",$opts," in *",$o,"*) ;; *) missing="$missing $o" ;; esac
    done
    if [ -z "$missing" ]; then
        pass "$1: default options in etab (rw,async,no_root_squash,insecure,no_subtree_check)"
    else
        fail "$1: $2 to $3 lacks default option(s)$missing (has: $opts)"
    fi
}

# expect_no_export SCENARIO PATH
expect_no_export() {
    local files
    if lv_path_exported "$2"; then
        fail "$1: $2 is still exported"
        show_exports
    else
        pass "$1: $2 not exported"
    fi
    files=$(lv_exportsd_mentions "$2")
    if [ -n "$files" ]; then
        fail "$1: /etc/exports.d still mentions $2 in: $files"
    else
        pass "$1: /etc/exports.d has no entry for $2"
    fi
}

expect_nothing_exported() {
    local n
    n=$(lv_exports | wc -l)
    if [ "$n" -eq 0 ]; then
        pass "$1: nothing exported"
    else
        fail "$1: expected no exports, found $n"
        show_exports
    fi
}

expect_running() {
    local st
    st=$(lv_domstate "$1")
    if [ "$st" = running ]; then
        pass "$1: domain running"
    else
        fail "$1: domain state is '$st', expected 'running'"
    fi
}

# ---------------------------------------------------------------------------------------------
# a) annotated domains: exported while running, unexported after destroy

echo "== a) annotated domains"
lv_make_guest_root vm-a
lv_make_guest_root vm-b
define_dom vm-a 52:54:00:6e:66:0a /export/vm-a
define_dom vm-b 52:54:00:6e:66:0b /export/vm-b

if start_dom vm-a; then
    pass "a: virsh start vm-a"
    expect_running vm-a
    expect_export a /export/vm-a "$LV_NET_SUBNET"
else
    fail "a: virsh start vm-a failed: $(cat "$ERR")"
fi

# The network pins vm-b's MAC to one address: the export is for that address only.
if lv_virsh net-update default add ip-dhcp-host \
        "<host mac='52:54:00:6e:66:0b' ip='192.168.122.50'/>" --live >/dev/null 2>"$ERR"; then
    if start_dom vm-b; then
        pass "a-pinned: virsh start vm-b"
        expect_running vm-b
        expect_export a-pinned /export/vm-b 192.168.122.50/32
        if lv_exported /export/vm-b "$LV_NET_SUBNET"; then
            fail "a-pinned: /export/vm-b is also exported to the whole subnet"
        else
            pass "a-pinned: /export/vm-b not exported to the whole subnet"
        fi
    else
        fail "a-pinned: virsh start vm-b failed: $(cat "$ERR")"
    fi
else
    fail "a-pinned: virsh net-update add ip-dhcp-host failed: $(cat "$ERR")"
fi

# Stopping one domain leaves the other's export alone.
destroy_dom vm-a
expect_no_export a-destroy /export/vm-a
if lv_path_exported /export/vm-b; then
    pass "a-destroy: vm-b's export survives vm-a's destroy"
else
    fail "a-destroy: destroying vm-a removed vm-b's export too"
fi
destroy_dom vm-b
expect_no_export a-pinned-destroy /export/vm-b
expect_nothing_exported a-all-destroyed
left=$(find /etc/exports.d -name '*.exports' -type f)
if [ -z "$left" ]; then
    pass "a-all-destroyed: no *.exports file left in /etc/exports.d"
else
    fail "a-all-destroyed: files left in /etc/exports.d: $left"
fi
lv_virsh net-update default delete ip-dhcp-host \
    "<host mac='52:54:00:6e:66:0b' ip='192.168.122.50'/>" --live >/dev/null 2>&1

# ---------------------------------------------------------------------------------------------
# b) export paths that escape /export: start refused with our message, nothing exported

# expect_refused SCENARIO NAME
expect_refused() {
    local st msg
    if start_dom "$2"; then
        fail "$1: virsh start $2 succeeded; it must be refused"
        lv_virsh destroy "$2" >/dev/null 2>&1
    else
        pass "$1: virsh start $2 refused"
        msg=$(grep -o "virt-nfsroot: domain '$2': .*" "$ERR" | head -n 1)
        if [ -n "$msg" ] && [ -n "${msg#virt-nfsroot: domain \'"$2"\': }" ]; then
            pass "$1: error names the domain and a reason: $msg"
        else
            fail "$1: virsh error lacks \"virt-nfsroot: domain '$2': <reason>\": $(cat "$ERR")"
        fi
    fi
    st=$(lv_domstate "$2")
    if [ "$st" != running ]; then
        pass "$1: $2 not running (state '$st')"
    else
        fail "$1: $2 is running"
    fi
    expect_nothing_exported "$1"
    left=$(find /etc/exports.d -name '*.exports' -type f)
    if [ -z "$left" ]; then
        pass "$1: no *.exports file in /etc/exports.d"
    else
        fail "$1: files in /etc/exports.d: $left"
    fi
}

echo "== b) escaping export paths"
# Boot files come from vm-a's root so that a wrongly accepted start would really run.
define_dom evil-dotdot 52:54:00:6e:66:e1 /export/../etc /export/vm-a &&
    expect_refused b-dotdot evil-dotdot
ln -s /etc /export/evil
define_dom evil-link 52:54:00:6e:66:e2 /export/evil /export/vm-a &&
    expect_refused b-symlink evil-link

# ---------------------------------------------------------------------------------------------
# c) a domain without our metadata: starts normally, nothing exported

echo "== c) domain without virt-nfsroot metadata"
lv_make_guest_root plain
if define_dom plain 52:54:00:6e:66:c0 ""; then
    if start_dom plain; then
        pass "c: virsh start plain"
        expect_running plain
        expect_nothing_exported c
        destroy_dom plain
        expect_nothing_exported c-destroy
    else
        fail "c: virsh start of an unannotated domain failed: $(cat "$ERR")"
    fi
fi

# ---------------------------------------------------------------------------------------------
# d) libvirtd restarts while an annotated guest runs: the reconnect hook keeps the export

echo "== d) libvirtd restart with a running guest"
if start_dom vm-a; then
    pass "d: virsh start vm-a"
    expect_export d /export/vm-a "$LV_NET_SUBNET"
    t=$(lv_now)
    if lv_restart_libvirtd; then
        pass "d: libvirtd restarted"
        echo "timing: libvirtd restart: $(lv_elapsed "$t") s"
        expect_running vm-a
        if lv_exported /export/vm-a "$LV_NET_SUBNET"; then
            pass "d: export survives libvirtd's restart (reconnect)"
        else
            fail "d: /export/vm-a no longer exported after libvirtd reconnected"
            show_exports
        fi
        destroy_dom vm-a
        expect_no_export d-destroy /export/vm-a
    else
        fail "d: libvirtd did not come back after a restart"
    fi
else
    fail "d: virsh start vm-a (second time) failed: $(cat "$ERR")"
fi

# ---------------------------------------------------------------------------------------------
# Only the refused prepares may have failed; libvirt ignores later failures but logs them.

unexpected=$(lv_hook_failures | grep -v -E '^evil-(dotdot|link) prepare begin$')
if [ -z "$unexpected" ]; then
    pass "log: no hook failure besides the refused prepares"
else
    fail "log: hook failed in libvirtd.log for: $(echo "$unexpected" | tr '\n' ';')"
fi
if lv_hook_failures | grep -q '^evil-dotdot prepare begin$'; then
    pass "log: libvirtd logged the refused prepare"
else
    fail "log: no 'Hook script execution failed' for evil-dotdot in libvirtd.log (log format changed?)"
fi

echo "timing: whole test $(lv_elapsed "$LV_T0") s"
finish
