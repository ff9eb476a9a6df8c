#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A FIFO or a device where the library reads a file its caller names (the tarball, root's
# password file): refused at once with one sentence, never waited on (a FIFO without a writer
# blocked open(2) for ever). Each call is bounded by timeout(1): a hang fails, as exit 124.
set -uo pipefail
TOOL=$(realpath "${1:?usage: not-regular.sh GUEST_TOOL}")
DATA=$(cd "$(dirname "$0")/../../data/guest" && pwd)
W=$(mktemp -d /tmp/guest-not-regular.XXXXXX)
trap 'rm -rf "$W"' EXIT
# shellcheck source=../../lib/check.sh
. "$(dirname "$0")/../../lib/check.sh"
mkfifo "$W/fifo"
mkdir "$W/target"
cp -r "$DATA/debian-bookworm/tree" "$W/tree"
printf 'secret\n' >"$W/password"

# tool WHAT WANT-EXIT WANT-LINE ARGS... : guest-tool ARGS within 20 s, its exit and its last line.
tool() {
    local what=$1 want=$2 line=$3 rc
    shift 3
    timeout 20 "$TOOL" "$@" >"$W/out" 2>&1; rc=$?
    check "$what: exit $want (got $rc)" [ "$rc" = "$want" ]
    check "$what: says '$line'" grep -qxF "$line" "$W/out" || sed 's/^/     | /' "$W/out"
}

for f in "$W/fifo" /dev/null; do
    tool "unpack from $f" 1 "refused (EINVAL): tarball '$f': is not a regular file" \
        unpack "$f" "$W/target"
    tool "root password file $f" 1 \
        "refused (EINVAL): the root password file '$f' is not a regular file" \
        configure "$W/tree" "$f"
done
check "nothing unpacked" [ -z "$(ls -A "$W/target")" ]
tool "root password file, a regular file" 0 ok configure "$W/tree" "$W/password"
summary
