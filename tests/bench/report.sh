#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The benchmark, host side: after a bench boot (testbed.sh bench), turn the
# guest's "PRXE-BENCH <line>" lines on the results serial port
# (build/results.log) into build/bench.txt, headed by what the host knows
# (source commit, accelerator), and print it.  The guest console, with each
# run's progress and the perftest output of runs without a figure, is kept
# as build/bench-console.log.
#
#   report.sh [QEMU_EXIT_STATUS]
#
# Exit status 0 when the guest finished the bench with a figure for every
# run and the kernel reported no problem; 1 otherwise (bench.txt is still
# written with what there is).
set -uo pipefail
. "$(dirname "$0")/../testbed/common.sh"

boot_rc=${1:-0}
results=$BUILD_DIR/results.log
console=$BUILD_DIR/console.log
bench=$BUILD_DIR/bench.txt
status=0

commit=$(git -C "$SRC_DIR" -c safe.directory="$SRC_DIR" describe --always --dirty 2>/dev/null) || commit=unknown
{
	echo "source $commit (a -dirty tree is built as it is), accelerator $(cat "$BUILD_DIR/accel" 2>/dev/null || echo '?')"
	tr -d '\r' <"$results" | sed -n 's/^PRXE-BENCH //p'
} >"$bench"
cat "$bench"
# The next boot (of anyone sharing build/) overwrites console.log.
cp "$console" "$BUILD_DIR/bench-console.log"

kernel_bad='Oops|BUG:|WARNING:|KFENCE:|general protection fault|Kernel panic|Call Trace:'
if grep -Eq "$kernel_bad" "$console"; then
	status=1
	echo "FAIL: the guest kernel reported a problem during the bench:"
	grep -E -m 20 -A 12 "$kernel_bad" "$console" | sed 's/^/    | /'
fi
if ! tr -d '\r' <"$results" | grep -q '^PRXE-DONE'; then
	status=1
	echo "FAIL: the guest did not finish the bench (qemu exit $boot_rc); console tail:"
	tail -n 30 "$console" | sed 's/^/    | /'
fi
grep -q '^BENCH-INCOMPLETE' "$bench" && status=1
echo "bench table: $bench; guest console: $BUILD_DIR/bench-console.log"
exit $status
