#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# e2e's pruning of create's tree cache (tests/e2e/guest.sh: e2e_prune_cache) waits for create's
# cache lock (<cache>/trees/.lock, flock as create takes it): an entry a create is filling while
# the lock is held is still whole until the lock is let go, then only the kept entry stays.
# Usage: test-e2e-prune.sh   (writes only in its own temp dir)
set -u
# shellcheck source=../lib/check.sh
. "$(dirname "$0")/../lib/check.sh"
# shellcheck source=../e2e/guest.sh
. "$(dirname "$0")/../e2e/guest.sh"
command -v flock >/dev/null || skip "no flock"
W=$(mktemp -d) || exit 1
trap 'rm -rf "$W"' EXIT
T=$W/trees
mkdir -p "$T/debian-trixie-keep/etc" "$T/debian-trixie-old/etc" "$T/debian-trixie-filling/etc"
touch "$T/debian-trixie-keep.done" "$T/debian-trixie-old.done"
# A create holding the cache lock (it fills debian-trixie-filling) until $W/go appears.
flock "$T/.lock" bash -c "touch '$W/locked'; while [ ! -e '$W/go' ]; do sleep 0.1; done" &
holder=$!
for _ in $(seq 50); do [ -e "$W/locked" ] && break; sleep 0.1; done
e2e_prune_cache "$T" debian-trixie-keep &
pruner=$!
sleep 1
check "the prune waits while create holds the lock" test -d "$T/debian-trixie-filling/etc"
check "nothing is removed meanwhile" test -e "$T/debian-trixie-old.done"
touch "$W/go"
wait "$holder"
wait "$pruner"
check "then the old entries go" test ! -e "$T/debian-trixie-old" -a ! -e "$T/debian-trixie-filling"
check "their records too" test ! -e "$T/debian-trixie-old.done"
check "the kept entry and its record stay" test -d "$T/debian-trixie-keep/etc" -a \
    -e "$T/debian-trixie-keep.done"
summary
