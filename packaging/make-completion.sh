#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Writes the bash completion: the CLI's option tables (virt-nfsroot --completion-data) in place of
# the "# @COMPLETION_DATA@" line of the template. Usage: make-completion.sh CLI TEMPLATE OUT
set -eu
cli=$1 template=$2 out=$3
"$cli" --completion-data >"$out.data"
sed -e "/^# @COMPLETION_DATA@\$/{r $out.data" -e 'd;}' "$template" >"$out.tmp"
rm -f "$out.data"
mv "$out.tmp" "$out"
