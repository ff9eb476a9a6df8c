#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The bash completion script, driven the way bash drives it: subcommands, options per
# subcommand, option values, and domain names from `virsh list` (libvirt's test driver, through
# the --connect given on the line).
set -u
SCRIPT=$1
BC=/usr/share/bash-completion/bash_completion
[ -r "$BC" ] || { echo "SKIP: bash-completion is not installed"; exit 77; }
command -v virsh >/dev/null || { echo "SKIP: virsh is not installed"; exit 77; }
# shellcheck source=/dev/null # bash-completion's own library, not ours to check
. "$BC"
# shellcheck source=/dev/null # generated at build time (packaging/make-completion.sh)
. "$SCRIPT"
# shellcheck source=../lib/check.sh
. "$(dirname "$0")/../lib/check.sh"
complete_line() { # the whole line up to the cursor -> COMPREPLY, sorted on one line
    local line=$1
    COMP_LINE=$line
    COMP_POINT=${#line}
    read -ra COMP_WORDS <<<"$line"
    [[ $line == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMPREPLY=()
    _virt_nfsroot virt-nfsroot "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
    printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}
expect() { # LINE EXPECTED
    local got
    got=$(complete_line "$1")
    if [ "$got" = "$2" ]; then pass "'$1' -> '$got'"; else fail "'$1' -> '$got', expected '$2'"; fi
}
expect "virt-nfsroot " "annotate create delete doctor help reconcile status validate"
expect "virt-nfsroot re" "reconcile"
expect "virt-nfsroot --js" "--json"
expect "virt-nfsroot reconcile --a" "--apply"
expect "virt-nfsroot doctor --r" "--root"
expect "virt-nfsroot --color " "always auto never"
expect "virt-nfsroot annotate --pin" "--pin-address"
expect "virt-nfsroot -c test:///default annotate " "test"
expect "virt-nfsroot annotate --connect test:///default t" "test"
expect "virt-nfsroot -c test:///default annotate test " ""
expect "virt-nfsroot -c test:///default validate --domain " "test"
expect "virt-nfsroot create --rel" "--release"
expect "virt-nfsroot create --release " "bookworm trixie"
expect "virt-nfsroot create --virt-type " "kvm qemu"
expect "virt-nfsroot -c test:///default delete " "test"
expect "virt-nfsroot delete test --t" "--tree"
summary
