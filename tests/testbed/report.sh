#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Judge test boots from their two logs and print one line per test, then
# "N passed, N failed".
#
#   report.sh BOOT_RC [RESULTS CONSOLE]...
#
#   RESULTS      PRXE-RESULT PASS|FAIL|SKIP NAME [why]  ...  PRXE-DONE
#   CONSOLE      the guest console: each test's output between
#                "=== BEGIN NAME" and "=== END NAME", and the kernel's
#                messages of level warning and above
#
# Without a pair of logs: $BUILD_DIR/results.log and console.log.  Several
# pairs (the test boot's, the power-cut boots' gathered by powercut.sh) are
# judged together.  Beyond the tests' own verdicts the run fails when a
# kernel logged an Oops, BUG, WARNING, KFENCE report, GPF or panic, and
# when a guest did not finish (crash, hang, timeout).
set -uo pipefail
. "$(dirname "$0")/common.sh"

boot_rc=${1:-0}
shift
[ $# -ge 2 ] || set -- "$BUILD_DIR/results.log" "$BUILD_DIR/console.log"
passed=0
failed=0
skipped=0

show_output() {
	awk -v name="$1" '
		$0 == "=== BEGIN " name { on = 1; next }
		$0 == "=== END " name { on = 0 }
		on' "$console" | tail -n 40 | sed 's/^/    | /'
}

# Kernel messages on the console (printk lines, "[ seconds.micros] ..."),
# not the tests' own output, which may quote such words (perftest prints
# "WARNING: BW peak won't be measured").
kernel_bad='^\[ *[0-9]+\.[0-9]+\] .*(Oops|BUG:|WARNING:|KFENCE:|general protection fault|Kernel panic|Call Trace:)'

# judge RESULTS CONSOLE: one boot's (or a gathered set of boots') logs.
judge() {
	local results=$1 console=$2 tag verdict name why
	# boot.sh keeps the console of a boot that died before userspace here.
	local failed_boot=${console%.log}-failed-boot.log

	while read -r tag verdict name why; do
		[ "$tag" = PRXE-RESULT ] || continue
		case "$verdict" in
		PASS)
			passed=$((passed + 1))
			echo "PASS $name"
			;;
		SKIP)
			skipped=$((skipped + 1))
			echo "SKIP $name: $why"
			;;
		*)
			failed=$((failed + 1))
			echo "FAIL $name: $why"
			show_output "$name"
			;;
		esac
	done < <(tr -d '\r' <"$results")

	# A first boot whose kernel died before userspace (boot.sh booted again).
	if [ -s "$failed_boot" ]; then
		echo "NOTE: the first boot's guest kernel died before userspace, before prxe was loaded; booted again (its console: $failed_boot):"
		tr -d '\r' <"$failed_boot" |
			grep -E -m 1 -A 8 'Oops|Kernel panic' | sed 's/^/    | /'
	fi

	if tr -d '\r' <"$console" | grep -Eq "$kernel_bad"; then
		failed=$((failed + 1))
		echo "FAIL guest-kernel-log: the kernel reported a problem:"
		tr -d '\r' <"$console" | grep -E -m 20 -A 12 "$kernel_bad" | sed 's/^/    | /'
	fi
	if ! grep -q '^PRXE-DONE' <(tr -d '\r' <"$results"); then
		failed=$((failed + 1))
		echo "FAIL guest-finished: the guest did not finish its tests (qemu exit $boot_rc); console tail:"
		tail -n 30 "$console" | sed 's/^/    | /'
	fi
	echo "console log: $console"
}

while [ $# -ge 2 ]; do
	judge "$1" "$2"
	shift 2
done

if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
