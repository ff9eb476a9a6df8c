# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# Cockpit's web server as the cockpit tests run it (source this file):
#   ws_start PORT LOG [PREFIX...]   cockpit-ws --no-tls --local-session on 127.0.0.1:PORT in the
#                                   background (run through PREFIX, e.g. setpriv as another user),
#                                   its pid in WS_PID; returns once it listens (10 s at most)
ws_start() {
    local port=$1 log=$2
    shift 2
    "$@" /usr/lib/cockpit/cockpit-ws --no-tls --local-session=cockpit-bridge -a 127.0.0.1 \
        -p "$port" >"$log" 2>&1 &
    # shellcheck disable=SC2034 # read by the scripts that source this file
    WS_PID=$!
    for _ in $(seq 50); do
        /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" \
            2>/dev/null && return 0
        sleep 0.2
    done
}
