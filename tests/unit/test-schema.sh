#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every example domain under xml/examples/: the whole domain is valid for libvirt's own schema,
# our element is valid for xml/virt-nfsroot.rng, and the library's parser agrees with the schema:
# *-invalid.xml must fail both, every other example must pass both.
set -u
PARSE=$1 SRC=$2
LIBVIRT_RNG=/usr/share/libvirt/schemas/domain.rng
command -v xmllint >/dev/null || { echo "SKIP: xmllint (libxml2-utils) missing"; exit 77; }
[ -f "$LIBVIRT_RNG" ] || { echo "SKIP: $LIBVIRT_RNG missing (libvirt-daemon)"; exit 77; }
# shellcheck source=../lib/check.sh
. "$(dirname "$0")/../lib/check.sh"
tmp=$(mktemp); trap 'rm -f "$tmp"' EXIT
for f in "$SRC"/xml/examples/*.xml; do
    name=$(basename "$f")
    case $name in *-invalid.xml) want=invalid ;; *) want=valid ;; esac
    xmllint --noout --relaxng "$LIBVIRT_RNG" "$f" 2>/dev/null && lv=valid || lv=invalid
    xmllint --xpath '//*[namespace-uri()="http://virt-nfsroot.org/xmlns/domain/1.0" and local-name()="nfsroot"]' "$f" > "$tmp" 2>/dev/null
    xmllint --noout --relaxng "$SRC/xml/virt-nfsroot.rng" "$tmp" 2>/dev/null && ours=valid || ours=invalid
    if msg=$("$PARSE" "$f"); then parsed=valid; else parsed=invalid; fi
    if [ "$lv" = valid ] && [ "$ours" = "$want" ] && [ "$parsed" = "$want" ]; then
        pass "$name ($want${msg:+: $msg})"
    else
        fail "$name: want $want; libvirt schema $lv, our schema $ours, parser $parsed ${msg}"
    fi
done
finish && [ "$ok" -gt 0 ]
