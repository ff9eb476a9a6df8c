#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Writes a plan-case folder (tests/unit/plan-case.c) whose domain.xml is a well-formed domain of
# exactly SIZE_MB MiB, annotated for virt-nfsroot, its bulk in <description>. Generated at test
# time so the repository does not carry 50 MB. Usage: make-huge-case.sh OUTDIR SIZE_MB
set -eu
out=$1 mb=$2
mkdir -p "$out"
size=$((mb * 1024 * 1024))
head='<domain type="qemu">
  <name>vm1</name>
  <uuid>4b1c2d3e-1111-2222-3333-444455556666</uuid>
  <metadata>
    <nfsroot:nfsroot xmlns:nfsroot="http://virt-nfsroot.org/xmlns/domain/1.0"/>
  </metadata>
  <os><type arch="x86_64">hvm</type></os>
  <devices><interface type="network"><mac address="52:54:00:aa:bb:01"/><source network="default"/></interface></devices>
  <description>'
tail='</description>
</domain>
'
fill=$((size - ${#head} - ${#tail}))
{ printf '%s' "$head"; yes 'lorem ipsum dolor sit amet ' | tr -d '\n' | head -c "$fill"; printf '%s' "$tail"; } > "$out/domain.xml"
[ "$(stat -c %s "$out/domain.xml")" -eq "$size" ]
echo "dir export/vm1" > "$out/setup"
echo "error: domain XML of $size bytes is larger than the 8388608 bytes accepted" > "$out/expected"
