#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Issue 23, part 4: the NFS server's stale connections from a guest are closed, and nothing else
# (nfsroot_tcp_close_from, SOCK_DESTROY over NETLINK_SOCK_DIAG). Real sockets in a network
# namespace of the test's own: the addresses on its loopback, the checks in tcp-close.c.
#
# Usage: test-tcp-close.sh TCP-CLOSE-BINARY   (root: a network namespace)
set -u
BIN=$1
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (a network namespace)"; exit 77; }
command -v ip >/dev/null || { echo "SKIP: ip missing"; exit 77; }
if [ -z "${TCP_CLOSE_NS:-}" ]; then
    TCP_CLOSE_NS=1 exec unshare -n "$0" "$@"
fi
# The addresses on this namespace's loopback (no dummy or veth module needed).
ip link set lo up || exit 1
for a in 10.9.0.1/24 10.9.0.2/24 10.9.0.3/24 fd00:9::1/128 fd00:9::2/128; do
    ip addr add "$a" dev lo || exit 1
done
exec "$BIN"
