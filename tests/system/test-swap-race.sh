#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A guest (or a host user) swapping a directory above or at an export for a symbolic link to a
# host directory, against the built hook and the real exportfs, in a private mount namespace.
# (a) The setups that allow it are refused at prepare: a second export inside the domain's rw
#     export, an export below a directory a user owns. After the swap and `exportfs -ra`, etab
#     holds nothing of the "secret" directory.
# (b) A race, with root standing in for the attacker (the parent stays root-owned so the plan is
#     accepted): swapper exchanges the export and a link to the secret directory while prepare and
#     release run. exportfs canonicalises the paths it writes to etab (realpath), so release must
#     find our entry by what etab holds: it never returns 0 with an entry left, and at the end
#     etab holds no entry for the secret directory.
# Usage: test-swap-race.sh HOOK SWAPPER [ITERATIONS] [SECONDS]
set -u
HOOK=$(readlink -f "$1")
SWAP=$(readlink -f "$2")
ITER=${3:-200}
SECS=${4:-60}
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
nfsroot_isolate "$0" "$@"

run_hook() { "$HOOK" "$1" "$2" "$3" -; }
CLIENT=192.168.122.0/24
mkdir -p "$W/secret"
no_secret() { ! grep -q "^$W/secret	" /var/lib/nfs/etab; }

# domain_two NAME: a domain with its rw root and an extra export below it.
domain_two() {
    domain_xml "$1" "path=\"$W/export/$1\"" | sed "s|^\(      <nfsroot:export .*/>\)$|\1\n      <nfsroot:export path=\"$W/export/$1/data\" role=\"extra\"/>|"
}

# (a) rw root + an export below it: refused; the guest's swap then leads nowhere.
mkdir -p "$W/export/vm1/data"
domain_two vm1 > "$W/vm1.xml"
check "the domain has two exports" [ "$(grep -c '<nfsroot:export ' "$W/vm1.xml")" -eq 2 ]
out=$(run_hook vm1 prepare begin < "$W/vm1.xml" 2>&1); rc=$?
check "rw root + export inside it: prepare refused ($out)" [ $rc -eq 1 ]
# shellcheck disable=SC2016 # $1.. are the inner sh's arguments, expanded there
check "the refusal names the nesting" sh -c 'printf "%s" "$1" | grep -q "lies inside export path"' _ "$out"
mv "$W/export/vm1/data" "$W/export/vm1/data.old"
ln -s "$W/secret" "$W/export/vm1/data"    # what the guest, root in vm1, can do
exportfs -ra 2>/dev/null
check "after the swap and exportfs -ra: the secret directory is not exported" no_secret
check "nothing of vm1 in etab" sh -c "! grep -q '^$W/export/vm1' /var/lib/nfs/etab"
run_hook vm1 release end < "$W/vm1.xml"

# (a') an export below a directory an unprivileged user owns: refused.
mkdir -p "$W/export/vm2/home/alice/proj"
chown 1000 "$W/export/vm2/home/alice"
domain_xml vm2 "path=\"$W/export/vm2/home/alice/proj\"" > "$W/vm2.xml"
out=$(run_hook vm2 prepare begin < "$W/vm2.xml" 2>&1); rc=$?
check "export below a user's directory: prepare refused ($out)" [ $rc -eq 1 ]
# shellcheck disable=SC2016 # $1.. are the inner sh's arguments, expanded there
check "the refusal names the directory and its owner" \
    sh -c 'printf "%s" "$1" | grep -qF "$2"' _ "$out" "'$W/export/vm2/home/alice' above export path"
mv "$W/export/vm2/home/alice/proj" "$W/export/vm2/home/alice/proj.old"
ln -s "$W/secret" "$W/export/vm2/home/alice/proj"    # what alice can do
exportfs -ra 2>/dev/null
check "after alice's swap and exportfs -ra: the secret directory is not exported" no_secret

# (c) prepare's after-check: the export is swapped for a link right after `exportfs -o` wrote it
#     (exportfs here is the real one, wrapped to do the swap at that exact moment). etab holds
#     the planned path, but every later exportfs run would canonicalise it to the secret
#     directory: prepare must take it down and fail.
mkdir -p "$W/export/s/vm4" "$W/bin"
cat > "$W/bin/exportfs" <<SH
#!/bin/sh
/usr/sbin/exportfs "\$@"; rc=\$?
if [ "\$1" = -o ] && [ ! -L "$W/export/s/vm4" ]; then
    mv "$W/export/s/vm4" "$W/export/s/vm4.away" && ln -s "$W/secret" "$W/export/s/vm4"
fi
exit \$rc
SH
chmod 755 "$W/bin/exportfs"
{ cat "$W/policy.conf"; echo "exportfs = $W/bin/exportfs"; } > "$W/policy-swap.conf"
domain_xml vm4 "path=\"$W/export/s/vm4\"" > "$W/vm4.xml"
out=$(VIRT_NFSROOT_CONFIG=$W/policy-swap.conf run_hook vm4 prepare begin < "$W/vm4.xml" 2>&1); rc=$?
check "swapped right after exportfs -o: prepare fails ($out)" [ $rc -eq 1 ]
# shellcheck disable=SC2016 # $1.. are the inner sh's arguments, expanded there
check "the failure says the path changed" \
    sh -c 'printf "%s" "$1" | grep -q "changed while it was exported"' _ "$out"
check "nothing of vm4 in etab" sh -c "! grep -q '^$W/export/s/vm4	' /var/lib/nfs/etab"
exportfs -r 2>/dev/null    # an admin's refresh canonicalises what is left
check "after exportfs -r: the secret directory is not exported" no_secret
check "no record of vm4 left" [ ! -e "$W/state/domains/vm4.state" ]
VIRT_NFSROOT_CONFIG=$W/policy-swap.conf run_hook vm4 release end < "$W/vm4.xml"
exportfs -ua 2>/dev/null; exportfs -ra 2>/dev/null

# (b) the race.
mkdir -p "$W/export/r/vm3"
ln -s "$W/secret" "$W/export/r/.link"
domain_xml vm3 "path=\"$W/export/r/vm3\"" > "$W/vm3.xml"
"$SWAP" "$W/export/r/vm3" "$W/export/r/.link" "$SECS" > "$W/swapper.out" 2>&1 &
swapper=$!
start=$SECONDS n=0 prepared=0 released=0 leaks=0 kept=0
while [ $n -lt "$ITER" ] && [ $((SECONDS - start)) -lt "$SECS" ] && kill -0 $swapper 2>/dev/null; do
    n=$((n + 1))
    run_hook vm3 prepare begin < "$W/vm3.xml" 2>> "$W/prepare.err" && prepared=$((prepared + 1))
    if run_hook vm3 release end < "$W/vm3.xml" 2>> "$W/release.err"; then
        released=$((released + 1))
        if grep -q "^$W/secret	$CLIENT(" /var/lib/nfs/etab ||
           grep -q "^$W/export/r/vm3	$CLIENT(" /var/lib/nfs/etab; then
            leaks=$((leaks + 1))
            echo "iteration $n: release returned 0 with an entry left:"
            grep -e "^$W/secret	" -e "^$W/export/r/vm3	" /var/lib/nfs/etab
            # clean up for the next round, as an admin would
            exportfs -u "$CLIENT:$W/secret" 2>/dev/null
            exportfs -u "$CLIENT:$W/export/r/vm3" 2>/dev/null
        fi
    else
        kept=$((kept + 1))
        check "iteration $n: a failed release keeps the record" \
            [ -e "$W/state/domains/vm3.state" ]
    fi
done
kill $swapper 2>/dev/null; wait $swapper 2>/dev/null
[ -L "$W/export/r/vm3" ] && "$SWAP" "$W/export/r/vm3" "$W/export/r/.link" 0 > /dev/null
echo "$n iterations in $((SECONDS - start)) s: $prepared prepares succeeded, $released releases returned 0, $kept failed (record kept)"
check "the race ran at least 20 iterations" [ $n -ge 20 ]
check "no release returned 0 with an entry left ($leaks of $released)" [ $leaks -eq 0 ]
for _ in 1 2 3; do run_hook vm3 release end < "$W/vm3.xml" 2>/dev/null && break; done
check "a release after the race succeeds" [ $? -eq 0 ]
check "after the race: the secret directory is not exported" no_secret
check "after the race: nothing of vm3 in etab" sh -c "! grep -q '^$W/export/r/vm3	' /var/lib/nfs/etab"
check "after the race: no record of vm3" [ ! -e "$W/state/domains/vm3.state" ]
finish
