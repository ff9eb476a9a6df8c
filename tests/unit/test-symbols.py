#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# unit.symbols: the library exports exactly the two version nodes (lib/libvirt-nfsroot_public.syms
# and _private.syms, one symbol per line, sorted, disjoint), each symbol in its node, and every
# public symbol is declared and documented (a comment heads its group of declarations) in the
# installed header, which declares nothing else. A failure prints the symbols to add or fix.
# Usage: test-symbols.py LIBRARY PUBLIC.syms PRIVATE.syms HEADER VERSION
import re
import subprocess
import sys

lib, pub_file, priv_file, header, version = sys.argv[1:6]
bad = []


def fail(msg, names):
    if names:
        bad.append(msg + "\n" + "".join("    %s\n" % n for n in names))


def read_list(path):
    names = [ln.strip() for ln in open(path) if ln.strip() and not ln.startswith("#")]
    fail("%s is not sorted (LC_ALL=C sort), first out of order:" % path,
         [b for a, b in zip(names, names[1:]) if a >= b][:1])
    return names


pub, priv = read_list(pub_file), read_list(priv_file)
fail("in both lists:", sorted(set(pub) & set(priv)))

nodes = {"VIRT_NFSROOT_0": set(pub), "VIRT_NFSROOT_PRIVATE_" + version: set(priv)}
out = subprocess.run(["nm", "-D", "--defined-only", lib], check=True, capture_output=True,
                     text=True).stdout
exported = {}
for line in out.splitlines():
    kind, sym = line.split()[-2:]
    if kind == "A":
        continue  # the version nodes themselves
    name, _, node = sym.partition("@@")
    exported[name] = node
listed = set(pub) | set(priv)
fail("exported but in neither list (add each to lib/libvirt-nfsroot_private.syms, or to "
     "_public.syms with its documentation in the installed header):",
     sorted(set(exported) - listed))
fail("listed but not exported (remove from its list):", sorted(listed - set(exported)))
fail("exported in the wrong version node:",
     sorted(n for n, node in exported.items() if n in listed and n not in nodes.get(node, ())))

# The installed header: groups of declarations, each headed by the comment right above it.
lines = open(header).read().split("\n")
declared, documented = set(), set()
commented = False
for line in lines:
    m = re.match(r"NFSROOT_API\b.*?\b(nfsroot_\w+)\s*\(", line)
    if m:
        declared.add(m.group(1))
        if commented:
            documented.add(m.group(1))
    elif re.match(r"(/\*| \*)", line):
        commented = commented or line.rstrip().endswith("*/")
    elif line.startswith("    "):
        pass  # a declaration's continuation (or a struct's field: its closing line resets)
    else:
        commented = False
fail("public but not declared in %s:" % header, sorted(set(pub) - declared))
fail("declared in the installed header but not public (move it to virt-nfsroot-private.h):",
     sorted(declared - set(pub)))
fail("public but undocumented (no comment heads its declarations in %s):" % header,
     sorted((set(pub) & declared) - documented))

if bad:
    sys.stdout.write("".join("FAIL: " + b for b in bad))
    sys.exit(1)
print("ok: %d public, %d private symbols" % (len(pub), len(priv)))
