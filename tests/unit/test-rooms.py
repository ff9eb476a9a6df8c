#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# unit.rooms: lib/'s rooms call and include only downward (HACKING.md, "Rooms and what each
# owns"): include/ < common/ < base/ < formats/ < host/ < guest/, backend/ < bootcheck/ < core/.
# guest/ and backend/ stand on one floor and know nothing of each other. Two kinds of arrow are
# read: a quoted #include in a file under lib/ (resolved by the header's name, which is unique in
# lib/), and a symbol one object file of the library uses that another room's object defines
# (nm). A failure prints each arrow that runs up or sideways, with the files and the name.
# Usage: test-rooms.py LIBDIR OBJECT...
import os
import re
import subprocess
import sys

FLOOR = {"include": 0, "common": 1, "base": 2, "formats": 3, "host": 4, "guest": 5,
         "backend": 5, "bootcheck": 6, "core": 7}
libdir, objects = sys.argv[1], sys.argv[2:]
bad = []


def room(rel):
    top = rel.split("/", 1)[0]
    if top not in FLOOR:
        sys.exit("unit.rooms: %s is in no room this test knows: add its floor to FLOOR" % rel)
    return top


def allowed(a, b):
    return a == b or FLOOR[b] < FLOOR[a]


# Includes.
headers = {}
sources = []
for d, _, files in os.walk(libdir):
    for f in files:
        rel = os.path.relpath(os.path.join(d, f), libdir)
        if f.endswith(".h"):
            headers.setdefault(f, rel)
        if f.endswith((".c", ".h")):
            sources.append(rel)
for rel in sorted(sources):
    for line in open(os.path.join(libdir, rel), encoding="utf-8"):
        m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
        if not m:
            continue
        inc = m.group(1)
        target = inc if os.path.exists(os.path.join(libdir, inc)) else headers.get(
            os.path.basename(inc))
        if target and not allowed(room(rel), room(target)):
            bad.append("%s includes %s (%s -> %s)" % (rel, target, room(rel), room(target)))

# Calls and data: who defines what, then who uses it.
def obj_rel(o):
    return o.split("virt-nfsroot.dir/", 1)[1]


defined, used = {}, {}
out = subprocess.run(["nm", "-A"] + objects, check=True, capture_output=True, text=True).stdout
for line in out.splitlines():
    m = re.match(r"(.*\.o):\s*(?:[0-9a-f]+\s+)?([A-Za-z])\s+(\S+)$", line)
    if not m:
        continue
    o, kind, name = m.groups()
    if kind == "U":
        used.setdefault(o, []).append(name)
    elif kind in "TDRBV":
        defined[name] = o
if not defined:
    sys.exit("unit.rooms: no symbol defined in the objects given")
for o in objects:
    for s in used.get(o, []):
        d = defined.get(s)
        if d and not allowed(room(obj_rel(o)), room(obj_rel(d))):
            bad.append("%s uses %s of %s (%s -> %s)" % (obj_rel(o), s, obj_rel(d),
                                                        room(obj_rel(o)), room(obj_rel(d))))

if bad:
    print("arrows that run up or sideways between lib/'s rooms:")
    print("".join("    %s\n" % b for b in bad), end="")
    sys.exit(1)
print("unit.rooms: %d files, %d objects: every arrow runs down" % (len(sources), len(objects)))
