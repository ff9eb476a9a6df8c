# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# The shell tests' pass/fail vocabulary (as libvirt's tests/testutils.c is for its C tests).
# Source it, then:
#   pass WHAT / fail WHAT          count one result and print "PASS: WHAT" / "FAIL: WHAT"
#   check WHAT COMMAND...          run COMMAND: pass when it succeeds, else fail (returns 1).
#                                  With CHECK_LOG set (a file in the test's work dir), COMMAND's
#                                  output goes there and is shown, indented, only when it fails
#                                  (always with VERBOSE=1)
#   not COMMAND...                 succeeds when COMMAND fails: check "x is gone" not grep -q x f
#   finish                         print "N passed, M failed"; status 1 when anything failed
#   summary                        finish, then exit with its status (the last line of a test)
#   skip WHY                       print "SKIP: WHY" and exit 77 (ctest's "cannot run here")
# The counters are $ok and $bad; a test may read $bad (e.g. to stop after too many failures).
ok=0 bad=0

pass() { ok=$((ok + 1)); echo "PASS: $*"; }
fail() { bad=$((bad + 1)); echo "FAIL: $*"; }

check() {
    local what=$1
    shift
    if [ -z "${CHECK_LOG:-}" ]; then
        if "$@"; then pass "$what"; return 0; fi
        fail "$what"
        return 1
    fi
    if "$@" >"$CHECK_LOG" 2>&1; then
        pass "$what"
        [ "${VERBOSE:-0}" = 1 ] && sed 's/^/     | /' "$CHECK_LOG" | head -20
        return 0
    fi
    fail "$what"
    sed 's/^/     | /' "$CHECK_LOG" | head -20
    return 1
}

not() { ! "$@"; }

finish() {
    echo "$ok passed, $bad failed"
    [ "$bad" -eq 0 ]
}

skip() {
    echo "SKIP: $*"
    exit 77
}

summary() {
    finish
    exit
}
