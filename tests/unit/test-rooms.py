#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# unit.rooms: the rooms of lib/ and of tools/ (HACKING.md, "Rooms and what each owns") call and
# include only what their rules allow. Two kinds of arrow are read: a quoted #include (resolved by
# the header's name, which is unique in its tree), and a symbol one object file uses that another
# room's object defines (nm). A failure prints each arrow that breaks a rule, with the files and
# the name.
#   lib:   include/ < common/ < base/ < formats/ < host/ < guest/, backend/ < bootcheck/ < core/;
#          each calls only downward; guest/ and backend/ stand on one floor and know nothing of
#          each other.
#   tools: the ground (cli.h, opt, util, main, the generated help texts) uses nothing above it;
#          shared/ only the ground; a command's room (create/, doctor/, or its one file) only
#          itself, shared/ and the ground: no command reaches into another's room. main.c's
#          table of commands names each command's cli_cmd_<name>, and nothing else of them.
# Usage: test-rooms.py lib LIBDIR OBJECT...   |   test-rooms.py tools TOOLSDIR OBJECT...
import os
import re
import subprocess
import sys

FLOOR = {"include": 0, "common": 1, "base": 2, "formats": 3, "host": 4, "guest": 5,
         "backend": 5, "bootcheck": 6, "core": 7}
TOOLS_GROUND = {"cli.h", "opt.c", "opt.h", "util.c", "main.c", "help.c"}
kind, srcdir, objects = sys.argv[1], sys.argv[2], sys.argv[3:]
if kind not in ("lib", "tools"):
    sys.exit("usage: test-rooms.py lib|tools DIR OBJECT...")
OBJDIR = {"lib": "virt-nfsroot.dir/", "tools": "virt-nfsroot-cli.dir/"}[kind]


def room(rel):
    top = rel.split("/", 1)[0]
    if kind == "tools":
        return "ground" if rel in TOOLS_GROUND else top
    if top not in FLOOR:
        sys.exit("unit.rooms: %s is in no room this test knows: add its floor to FLOOR" % rel)
    return top


def allowed(a, b, symbol=None):
    if kind == "lib":
        return a == b or FLOOR[b] < FLOOR[a]
    if symbol and symbol.startswith("cli_cmd_") and a == "ground":
        return True  # main.c's table of commands
    return a == b or b == "ground" or (b == "shared" and a != "ground")


# Includes.
headers = {}
sources = []
for d, _, files in os.walk(srcdir):
    for f in files:
        rel = os.path.relpath(os.path.join(d, f), srcdir)
        if f.endswith(".h"):
            headers.setdefault(f, rel)
        if f.endswith((".c", ".h")):
            sources.append(rel)
bad = []
for rel in sorted(sources):
    for line in open(os.path.join(srcdir, rel), encoding="utf-8"):
        m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
        if not m:
            continue
        inc = m.group(1)
        target = inc if os.path.exists(os.path.join(srcdir, inc)) else headers.get(
            os.path.basename(inc))
        if target and not allowed(room(rel), room(target)):
            bad.append("%s includes %s (%s -> %s)" % (rel, target, room(rel), room(target)))


# Calls and data: who defines what, then who uses it.
def obj_rel(o):
    rel = o.split(OBJDIR, 1)[1]
    return rel[:-2] if rel.endswith(".o") else rel


defined, used = {}, {}
out = subprocess.run(["nm", "-A"] + objects, check=True, capture_output=True, text=True).stdout
for line in out.splitlines():
    m = re.match(r"(.*\.o):\s*(?:[0-9a-f]+\s+)?([A-Za-z])\s+(\S+)$", line)
    if not m:
        continue
    o, k, name = m.groups()
    if k == "U":
        used.setdefault(o, []).append(name)
    elif k in "TDRBV":
        defined[name] = o
if not defined:
    sys.exit("unit.rooms: no symbol defined in the objects given")
for o in objects:
    for s in used.get(o, []):
        d = defined.get(s)
        if d and not allowed(room(obj_rel(o)), room(obj_rel(d)), s):
            bad.append("%s uses %s of %s (%s -> %s)" % (obj_rel(o), s, obj_rel(d),
                                                        room(obj_rel(o)), room(obj_rel(d))))

if bad:
    print("arrows that break the rules of %s/'s rooms:" % kind)
    print("".join("    %s\n" % b for b in bad), end="")
    sys.exit(1)
print("unit.rooms: %s/: %d files, %d objects: every arrow keeps the rules" %
      (kind, len(sources), len(objects)))
