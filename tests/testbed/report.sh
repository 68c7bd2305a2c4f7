#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Judge a test boot from its two logs and print one line per test, then
# "N passed, N failed".
#
#   results.log  PRXE-RESULT PASS|FAIL|SKIP NAME [why]  ...  PRXE-DONE
#   console.log  the guest console: each test's output between
#                "=== BEGIN NAME" and "=== END NAME", and the kernel's
#                messages of level warning and above
#
# Beyond the tests' own verdicts the run fails when the kernel logged an
# Oops, BUG, WARNING, KFENCE report, GPF or panic, and when the guest did not
# finish (crash, hang, timeout).
set -uo pipefail
. "$(dirname "$0")/common.sh"

boot_rc=${1:-0}
results=$BUILD_DIR/results.log
console=$BUILD_DIR/console.log
passed=0
failed=0
skipped=0

show_output() {
	awk -v name="$1" '
		$0 == "=== BEGIN " name { on = 1; next }
		$0 == "=== END " name { on = 0 }
		on' "$console" | tail -n 40 | sed 's/^/    | /'
}

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
if [ -s "$BUILD_DIR/console-failed-boot.log" ]; then
	echo "NOTE: the first boot's guest kernel died before userspace, before prxe was loaded; booted again (its console: $BUILD_DIR/console-failed-boot.log):"
	tr -d '\r' <"$BUILD_DIR/console-failed-boot.log" |
		grep -E -m 1 -A 8 'Oops|Kernel panic' | sed 's/^/    | /'
fi

# Kernel messages on the console (printk lines, "[ seconds.micros] ..."),
# not the tests' own output, which may quote such words (perftest prints
# "WARNING: BW peak won't be measured").
kernel_bad='^\[ *[0-9]+\.[0-9]+\] .*(Oops|BUG:|WARNING:|KFENCE:|general protection fault|Kernel panic|Call Trace:)'
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
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
