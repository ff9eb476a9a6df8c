#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# cockpit.live: the Cockpit page against a real libvirtd with the hook installed (the libvirt
# harness: private mount, network and pid namespaces, libvirtd, virtlogd, network "default").
# The host state: an annotated guest the hook exported (running: the harness's kernel and
# initramfs, which never reach userspace), a stopped one the page starts and stops, a domain whose
# start the hook refuses (its export path escapes /export), a second running guest whose record is
# gone (an orphan) and a record nobody can read. The page talks to that libvirtd through the CLI
# (status/reconcile/validate/doctor --json) and virsh (start/stop), in headless Chromium through
# cockpit-ws on loopback (browser.py --live). Screenshots: ARTIFACTS/live-*.png.
# Usage: live.sh BUILD_DIR CLI HOOK ARTIFACTS
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
# shellcheck source=../libvirt/harness.sh
. "$SRC/tests/libvirt/harness.sh"

if [ -z "${LV_INSIDE:-}" ]; then
    [ $# -eq 4 ] || { echo "usage: $0 BUILD_DIR CLI HOOK ARTIFACTS" >&2; exit 2; }
    lv_check_hook "$3"
    for p in /usr/lib/cockpit/cockpit-ws /usr/bin/cockpit-bridge /usr/bin/chromium \
             /usr/bin/chromedriver; do
        [ -x "$p" ] || skip "$p is not installed (scripts/packages.sh: cockpit-ws cockpit-bridge chromium chromium-driver)"
    done
    [ -f /usr/share/cockpit/shell/manifest.json ] ||
        skip "Cockpit's shell is not installed (scripts/packages.sh: cockpit-system)"
    /usr/bin/python3 -c 'import selenium' 2>/dev/null || skip "python3-selenium is not installed"
    lv_fetch_kernel
    mkdir -p "$4"
    lv_enter_namespace "$0" "$(readlink -f "$1")" "$(readlink -f "$2")" "$(readlink -f "$3")" \
        "$(readlink -f "$4")"
fi
B=$1 CLI=$2 HOOK=$3 ART=$4
lv_setup_namespace
trap lv_cleanup EXIT
lv_install_hook "$HOOK"
rm -f "$ART"/live-*.png
lv_start_daemons || { fail "libvirtd started"; exit 1; }
lv_net_start || { fail "network default started"; exit 1; }

T=$LV_WORK
mkdir -p "$T/bin" "$T/home" "$T/run"
chmod 700 "$T/run"
# The page runs "virt-nfsroot" from PATH: the CLI under test, on libvirtd's default URI.
ln -s "$CLI" "$T/bin/virt-nfsroot"
export PATH="$T/bin:$PATH" HOME=$T/home XDG_DATA_DIRS="$T/prefix/share:/usr/share"
export XDG_CONFIG_DIRS=$T/etc-xdg XDG_RUNTIME_DIR=$T/run
cmake --install "$B" --component cockpit --prefix "$T/prefix" >"$T/install.log" 2>&1 ||
    { fail "cmake --install --component cockpit"; cat "$T/install.log"; exit 1; }

# define NAME MAC EXPORT_PATH [BOOT_DIR]
define() {
    lv_domain_xml "$@" >"$T/$1.xml"
    if ! lv_virsh define "$T/$1.xml" >/dev/null 2>"$T/err"; then
        fail "virsh define $1: $(cat "$T/err")"
        exit 1
    fi
}
for vm in vm-a vm-b vm-c; do
    lv_make_guest_root "$vm" || { fail "guest root $vm"; exit 1; }
done
define vm-a 52:54:00:6e:66:1a /export/vm-a
define vm-b 52:54:00:6e:66:1b /export/vm-b
define vm-c 52:54:00:6e:66:1c /export/vm-c
define evil-dotdot 52:54:00:6e:66:e1 /export/../etc /export/vm-a
check "vm-a started (the hook exported its root)" lv_virsh start vm-a
check "vm-b started" lv_virsh start vm-b
# The hook's refusal as virsh shows it: the page must show just its sentence.
not lv_virsh start evil-dotdot 2>"$T/refused.err"
grep -o "virt-nfsroot: domain 'evil-dotdot': .*" "$T/refused.err" | head -n 1 >"$T/refused.txt"
check "the hook refuses evil-dotdot's start with its sentence ($(cat "$T/refused.txt"))" \
    test -s "$T/refused.txt"
# vm-b's record goes: what the backend still serves for it is an orphan (reconcile).
STATE=/run/virt-nfsroot/domains
check "vm-b's record removed" rm "$STATE/vm-b.state"
printf 'virt-nfsroot-state 1\ndomain broken\nnot a record \033[31m<b>x</b>\n' \
    >"$STATE/<b>broken<img src=x onerror=document.title=1>.state"

# shellcheck source=ws.sh
. "$HERE/ws.sh"
ws_start 9090 "$T/ws.log"
check "cockpit-ws listens on 127.0.0.1:9090" ns_pid_alive "$WS_PID" || { cat "$T/ws.log"; exit 1; }

# The same page for a person without administrative access: cockpit-ws, and so the bridge and
# everything the page spawns, as user nobody (superuser "try" finds no way up).
NB=$T/nobody
mkdir -p "$NB/home" "$NB/run" && chown -R nobody: "$NB" && chmod 700 "$NB/run"
chmod 0711 "$T" && chmod -R a+rX "$T/prefix" "$T/bin"
ws_start 9091 "$T/ws-nobody.log" setpriv --reuid=nobody --regid=nogroup --clear-groups \
    env HOME="$NB/home" XDG_RUNTIME_DIR="$NB/run" XDG_CONFIG_DIRS="$NB/xdg"
NB_PID=$WS_PID

# What the CLI says for the same state: the page must show the same rows.
virt-nfsroot status --json >"$T/status.json" 2>/dev/null
virt-nfsroot doctor --json >"$T/doctor.json" 2>/dev/null
virt-nfsroot validate --json --domain vm-a >"$T/validate.json" 2>/dev/null
virt-nfsroot reconcile --json >"$T/reconcile.json" 2>/dev/null

start=$(date +%s)
timeout 240 /usr/bin/python3 "$HERE/browser.py" --live "http://127.0.0.1:9090" "$T" "$ART"
rc=$?
echo "browser.py --live: $(($(date +%s) - start)) s"
check "the browser checks pass (browser.py --live)" [ "$rc" = 0 ] ||
    { echo "--- ws.log"; tail -20 "$T/ws.log"; }
kill "$WS_PID" "$NB_PID" 2>/dev/null
wait "$WS_PID" "$NB_PID" 2>/dev/null
finish
