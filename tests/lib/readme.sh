# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# README.md's commands for a newcomer, as the tests run them: each is the fenced block right
# after a `<!-- newcomer: NAME -->` line.
#   readme_block README NAME   print block NAME's lines (without the fences); status 1 when
#                              README has no such block or it is empty
readme_block() {
    awk -v want="<!-- newcomer: $2 -->" '
        $0 == want { armed = 1; next }
        armed && /^```/ { if (inside) exit; inside = 1; next }
        armed && !inside && NF { exit }
        inside { print; n++ }
        END { exit n ? 0 : 1 }' "$1"
}
