# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# The shell tests' pass/fail vocabulary (as libvirt's tests/testutils.c is for its C tests).
# Source it, then:
#   pass WHAT / fail WHAT          count one result and print "PASS: WHAT" / "FAIL: WHAT"
#   check WHAT COMMAND...          run COMMAND: pass when it succeeds, else fail (returns 1)
#   check_quiet WHAT COMMAND...    the same with COMMAND's output kept in $CHECK_LOG (a file in the
#                                  test's work dir) and shown indented when it fails, or always
#                                  with VERBOSE=1
#   not COMMAND...                 succeeds when COMMAND fails: check "x is gone" not grep -q x f
#   finish                         print "N passed, M failed"; status 1 when anything failed
#   summary                        finish, then exit with its status (the last line of a test)
# The counters are $ok and $bad; a test may read $bad (e.g. to stop after too many failures).
ok=0 bad=0

pass() { ok=$((ok + 1)); echo "PASS: $*"; }
fail() { bad=$((bad + 1)); echo "FAIL: $*"; }

check() {
    local what=$1
    shift
    if "$@"; then pass "$what"; return 0; fi
    fail "$what"
    return 1
}

check_quiet() {
    local what=$1 log=${CHECK_LOG:?check_quiet: set CHECK_LOG to a file in the test\'s work dir}
    shift
    if "$@" >"$log" 2>&1; then
        pass "$what"
        [ "${VERBOSE:-0}" = 1 ] && sed 's/^/     | /' "$log" | head -20
        return 0
    fi
    fail "$what"
    sed 's/^/     | /' "$log" | head -20
    return 1
}

not() { ! "$@"; }

finish() {
    echo "$ok passed, $bad failed"
    [ "$bad" -eq 0 ]
}

summary() {
    finish
    exit
}
