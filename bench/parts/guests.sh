# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# bench/run, parts 5 to 9: whole-guest benchmarks, each run by a script of its own (the
# initramfs scan, the tree copy, a boot, in-guest I/O, a migration), whose output becomes rows.
# Sourced by bench/run inside its namespaces.

# ------------------------------------------------------------------------------------------------
# Part 5: the initramfs scan (the boot check's), by bench/initramfs/run.sh:
# it prints a whitespace table, one line per image, which becomes rows here. Its images are
# ~40 MB compressed and dracut's lsinitrd takes seconds per listing: full runs only.
INITRAMFS_TOOL=$BUILD/tests/unit/bootcheck/bootcheck-tool
if ! want 5; then
    :
elif [ ! -x "$HERE/initramfs/run.sh" ]; then
    not_run 5 "initramfs scan" "bench/initramfs/run.sh does not exist"
elif [ "$QUICK" = 1 ] && ! want_explicit 5; then
    not_run 5 "initramfs scan" "--quick; --only 5 runs it"
elif [ ! -x "$INITRAMFS_TOOL" ]; then
    not_run 5 "initramfs scan" "no $INITRAMFS_TOOL; build with BUILD_TESTING"
else
    note "part 5: bench/initramfs/run.sh"
    if script_part 5 "initramfs scan" "$W/initramfs.out" "$W/log/initramfs" \
        env RUNS="$([ "$QUICK" = 1 ] && echo 1 || echo 3)" "$HERE/initramfs/run.sh" "$INITRAMFS_TOOL"; then
        # image MB files first cached cached-us lsinitrd decompress lsinitrd/x scan/dec;
        # times are "median/min" seconds.
        # Two tables: wall time (image MB files first cached cached-us lsinitrd decompress
        # lsinitrd/x scan/dec; "median/min" seconds), then CPU time (image scan decompress
        # lsinitrd lsinitrd/x scan/dec), the steadier one on a busy host.
        awk -v OFS='\t' '
            function med(x) { split(x, a, "/"); return a[1] }
            function sec(x) { x = med(x); return (x == "-" || x == "nan") ? "" : sprintf("%.3f s", x) }
            function rx(x) { return (x == "-" || x == "nanx") ? "" : x }
            $1 == "image" { cpu = ($2 == "scan" && $3 == "cpu"); next }
            $1 !~ /^(main|ucode|dracut)\./ { next }
            !cpu {
                print "5", "initramfs " $1 " (" $2 " MB, " $3 " files): first scan, wall", sec($4), "", "", "",
                      rx($10), "", (rx($10) == "" ? "" : "raw decompression"), "", ""
                print "5", "  same, cached (new process; the library call alone: " $6 " us)", sec($5),
                      "", "", "", "", "", "", "", ""
                print "5", "  dracut lsinitrd, same image", sec($7), "", "", "", rx($9), "", "first scan", "", ""
            }
            cpu {
                print "5 CPU", "initramfs " $1 ": first scan, CPU time", sec($2), "", "", "", rx($6), "",
                      (rx($6) == "" ? "" : "raw decompression, CPU"), "", ""
                print "5 CPU", "  dracut lsinitrd, same image, CPU time", sec($4), "", "", "", rx($5), "",
                      "first scan, CPU", "", ""
            }' "$W/initramfs.out" >>"$BW/rows"
        grep -E '^(host|uncompressed|note:)' "$W/initramfs.out" | sed 's/^/NOTE\tinitramfs: /' >>"$BW/notes"
    fi
fi

# ------------------------------------------------------------------------------------------------
# Part 6: create's tree copy (issue 23's instant clones), by bench/clone.sh: the e2e tests'
# cached trixie tree copied on XFS with shared extents and plainly (same XFS, ext4), A B C.
if ! want 6; then
    :
elif [ "$QUICK" = 1 ] && ! want_explicit 6; then
    not_run 6 "tree copy" "--quick; --only 6 runs it"
else
    note "part 6: bench/clone.sh"
    if script_part 6 "tree copy" "$W/clone.out" "$W/log/clone" \
        "$HERE/clone.sh" "" "$([ "$QUICK" = 1 ] && echo 1 || echo 5)"; then
        sed -n 's/^# /NOTE\tclone: /p' "$W/clone.out" >>"$BW/notes"
        awk -F'\t' -v OFS='\t' '!/^#/ { t[$1] = $2; print "6", "tree copy, " $1 " (" $5 " MiB used; min " $3 " s, max " $4 " s, " $6 " runs)", $2 " s", "", "", "", (t["xfs-reflink"] && $1 != "xfs-reflink" ? sprintf("%.1fx", $2 / t["xfs-reflink"]) : ""), "", ($1 == "xfs-reflink" ? "" : "reflink"), "", "" }' \
            "$W/clone.out" >>"$BW/rows"
    fi
fi

# ------------------------------------------------------------------------------------------------
# Part 7: a guest's boot (issue 23), by bench/boot.sh: `virsh start` -> `login:` and -> the e2e
# proof's marker for a guest made by --before's create against this build's, A B A B.
if ! want 7; then
    :
elif [ ! -x "${BEFORE:-/nonexistent}/tools/virt-nfsroot" ] || [ ! -x "$BUILD/tools/virt-nfsroot" ] ||
    { [ "$QUICK" = 1 ] && ! want_explicit 7; }; then
    not_run 7 "guest boot" "needs --build and --before with the CLI built; --quick: --only 7"
else
    note "part 7: bench/boot.sh (TCG boots, about 4 minutes a cycle)"
    if script_part 7 "guest boot" "$W/boot.out" "$W/log/boot" \
        "$HERE/boot.sh" "$HOOK" "$BUILD/tools/virt-nfsroot" "$BEFORE/tools/virt-nfsroot" \
        "${BENCH_BOOT_CYCLES:-$([ "$QUICK" = 1 ] && echo 1 || echo 3)}"; then
        sed -n 's/^# /NOTE\tboot: /p' "$W/log/boot" >>"$BW/notes"
        awk -F'\t' -v OFS='\t' -v b="$BEFORE_NAME" '{ t[$1 $2] = $3; print "7", "virsh start -> " $2 ", " $1 " create (min " $4 " s, max " $5 " s, " $6 " boots)", $3 " s", "", "", "", ($1 == "new" && t["old" $2] ? sprintf("%.2fx", $3 / t["old" $2]) : ""), "", ($1 == "new" ? b : ""), "", "" }' \
            "$W/boot.out" >>"$BW/rows"
    fi
fi

# ------------------------------------------------------------------------------------------------
# Part 8: the root filesystem inside the guest (issue 23 part 3), by bench/guest-io.sh: each
# workload's time on NFS against the same tree in an ext4 image, and the RPCs it cost on NFS.
if ! want 8; then
    :
elif [ ! -x "$BUILD/tools/virt-nfsroot" ] || { [ "$QUICK" = 1 ] && ! want_explicit 8; }; then
    not_run 8 "in-guest I/O" "needs --build with the CLI built; --quick: --only 8"
else
    note "part 8: bench/guest-io.sh (two TCG boots a cycle, about 10 minutes)"
    if script_part 8 "in-guest I/O" "$W/guest-io.out" "$W/log/guest-io" \
        "$HERE/guest-io.sh" "$HOOK" "$BUILD/tools/virt-nfsroot" "${BENCH_IO_CYCLES:-1}"; then
        sed -n 's/^# /NOTE\tguest-io: /p' "$W/log/guest-io" >>"$BW/notes"
        awk -F'\t' -v OFS='\t' '{ meta = ($1 == "unpack" || $1 == "walk" || $1 == "again" || $1 == "rm")
            print "8", "in guest: " $1 " (" $2 "; NFS: " $6 " RPCs, " $7 "; " $8 " boots)", $3 " s", "", "", "",
                $5, "", "ext4 image " $4 " s" ($9 ~ /nan/ ? "" : "; virtiofs " $9 " s (" $10 " ext4)"),
                (meta ? "2x" : "1.2x"),
                ($5 ~ /nan/ ? "-" : $5 + 0 <= (meta ? 2 : 1.2) ? "yes" : "no") }' "$W/guest-io.out" >>"$BW/rows"
    fi
fi

# ------------------------------------------------------------------------------------------------
# Part 9: the guest's stall at a live migration (issue 23), by tests/migration/test-migrate.sh
# with MIG_MOVES: BENCH_MOVES (default 10) client-driven moves between its two simulated hosts,
# each move's `virsh migrate` time, libvirt's downtime and the guest's stall (the largest gap
# between its once-a-second ticks, minus 1 s), and their median, min and max.
if ! want 9; then
    :
elif { [ "$QUICK" = 1 ] && ! want_explicit 9; } || [ ! -x "$BUILD/tools/virt-nfsroot" ]; then
    not_run 9 "migration stall" "needs the CLI built; --quick: --only 9"
else
    note "part 9: tests/migration/test-migrate.sh, ${BENCH_MOVES:-10} moves (a TCG guest, about 6 minutes)"
    if script_part 9 "migration stall" "$W/migrate.out" "$W/migrate.out" \
        env MIG_MOVES="${BENCH_MOVES:-10}" "$SRC/tests/migration/test-migrate.sh" "$HOOK" \
        "$BUILD/tools/virt-nfsroot"; then
        sed -n 's/^timing: \(move [0-9]*: .*\)/NOTE\tmigration: \1/p' "$W/migrate.out" >>"$BW/notes"
        sed -n 's/^timing: move [0-9]*: .*virsh migrate \([0-9.]*\) s.* downtime \([0-9?]*\) ms.* guest stall \([0-9.]*\) s.*/\1 \2 \3/p' \
            "$W/migrate.out" | awk -v OFS='\t' '
            function med(a, n,   i, j, t) {
                for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
                return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
            { n++; m[n] = $1; d[n] = $2; s[n] = $3 }
            END {
                if (!n) exit 1
                mm = med(m, n); md = med(d, n); ms = med(s, n) # each sorts its array: [1] min, [n] max
                print "9", "virsh migrate --live, " n " moves (min " m[1] " s, max " m[n] " s)", mm " s", "", "", "", "", "", "", "", ""
                print "9", "libvirt downtime, " n " moves (min " d[1] " ms, max " d[n] " ms)", md " ms", "", "", "", "", "", "", "", ""
                print "9", "guest stall, " n " moves (min " s[1] " s, max " s[n] " s)", sprintf("%.2f s", ms), "", "", "", "", "", "", "< 2 s", (ms < 2 ? "yes" : "no")
            }' >>"$BW/rows" || broke "part 9: no move's timing line in $W/migrate.out"
    fi
fi
