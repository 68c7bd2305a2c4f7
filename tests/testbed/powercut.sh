#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The power-cut test: cycles of "write, acknowledge, cut the power, check"
# on one NVDIMM backing file kept from boot to boot.
#
#   powercut.sh        (after build-env.sh, build.sh and image.sh)
#
# A cycle: the guest (tests/guest/powercut) runs writers that append
# records to logs on persistent memory with RDMA WRITE + FLUSH
# (persistent) + ATOMIC WRITE of a commit word + FLUSH, each record
# reported on the results port once its last FLUSH completed; this script
# SIGKILLs qemu at a random moment, and the next boot, on the same
# backing file, checks that every record it saw acknowledged is intact.
# Each boot checks the previous cycle and starts the next: N cycles take
# N+1 boots.  Cycles:
#
#   cycle1..cycleN  (N = PRXE_POWERCUT_CYCLES, default 3) all four writers
#                   at once: ext4-plain, ext4-sync, xfs-plain, devdax
#                   (PRXE_POWERCUT_WRITERS: a comma-separated subset)
#   alone, broken   (unless PRXE_POWERCUT_BROKEN=0) ext4-plain alone, first
#                   as it is, then with prxe's fault-injection switch
#                   test_skip_flush_sync on: the broken cycle's check
#                   passes only if acknowledged records were lost, and the
#                   same writer alone without the switch must lose none.
#                   Alone, because journal commits are file-system wide:
#                   ext4-sync's MAP_SYNC faults commit ext4-plain's
#                   allocations too.
#
# The power is cut PRXE_POWERCUT_MIN..PRXE_POWERCUT_MAX seconds (default
# 5..20, uniformly) after every writer of the cycle acknowledged its first
# record.  Results: one test line per cycle and log
# (powercut/LABEL/NAME), one per boot (powercut/bootK: it did what it
# should before the cut), gathered in $BUILD_DIR/powercut/results.log and
# console.log for report.sh; the counts and times in
# $BUILD_DIR/powercut/summary.txt.
set -euo pipefail
. "$(dirname "$0")/common.sh"

cycles=${PRXE_POWERCUT_CYCLES:-3}
writers=${PRXE_POWERCUT_WRITERS:-ext4-plain,ext4-sync,xfs-plain,devdax}
broken=${PRXE_POWERCUT_BROKEN:-1}
cut_min=${PRXE_POWERCUT_MIN:-5}
cut_max=${PRXE_POWERCUT_MAX:-20}
ready_s=${PRXE_POWERCUT_READY_TIMEOUT:-300}
dir=$BUILD_DIR/powercut
pidfile=$BUILD_DIR/qemu.pid

rm -rf "$dir"
mkdir -p "$dir"
: >"$dir/results.log"
: >"$dir/console.log"

# The plan: LABEL SKIP_SYNC WRITERS per cycle.
plan=()
for i in $(seq "$cycles"); do
	plan+=("cycle$i 0 $writers")
done
[ "$broken" = 0 ] || plan+=("alone 0 ext4-plain" "broken 1 ext4-plain")

# result VERDICT NAME [WHY]: a test line of this script's own.
result() { echo "PRXE-RESULT $*" >>"$dir/results.log"; }

# acked RESULTS NAME: the highest sequence number NAME acknowledged.
acked() {
	tr -d '\r' <"$1" | awk -v n="$2" '
		$1 == "PRXE-PC" && $2 == "ACK" && $3 == n && $4 > max { max = $4 }
		END { print max + 0 }'
}

# all_acked RESULTS WRITERS: each writer acknowledged a record.
all_acked() {
	local w
	for w in ${2//,/ }; do
		tr -d '\r' <"$1" | grep -q "^PRXE-PC ACK $w " || return 1
	done
}

qemu_kill() {
	local pid
	pid=$(cat "$pidfile" 2>/dev/null) || return 0
	# Only our qemu: the pid file is ours, and the process must be a
	# qemu on our NVDIMM backing file.
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null |
		grep -q "^qemu-system.*mem-path=$BUILD_DIR/pmem.img," &&
		kill -KILL "$pid" 2>/dev/null
	return 0
}

check=
total_start=$(date +%s)
printf '%-8s %-10s %12s %10s %6s\n' cycle log acknowledged recovered lost \
	>"$dir/summary.txt"
nboots=$((${#plan[@]} + 1))
for ((b = 0; b < nboots; b++)); do
	start='' label='' skip='' list='' run=''
	if [ $b -lt ${#plan[@]} ]; then
		read -r label skip list <<<"${plan[$b]}"
		run=0x$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
		start=$label:$run:$skip:$list
	fi
	args=${PRXE_KERNEL_ARGS:-}
	[ -n "$check" ] && args="$args prxetest.pc_check=$check"
	[ -n "$start" ] && args="$args prxetest.pc_start=$start"
	con=$dir/boot$b.console.log
	res=$dir/boot$b.results.log
	log "power-cut boot $b of $((nboots - 1)): check ${check:-nothing}, start ${start:-nothing}"
	t0=$(date +%s)
	rm -f "$pidfile"
	: >"$res"
	PRXE_PMEM_KEEP=$((b > 0 ? 1 : 0)) PRXE_KERNEL_ARGS=$args \
		PRXE_CONSOLE_LOG=$con PRXE_RESULTS_LOG=$res \
		"$TESTBED_DIR/boot.sh" powercut &
	boot_pid=$!

	why='' cut_at=''
	if [ -n "$start" ]; then
		# Wait for every writer's first acknowledgement, or an abort,
		# or the guest's end.
		deadline=$(($(date +%s) + ready_s))
		while :; do
			sleep 1
			if all_acked "$res" "$list"; then
				break
			elif tr -d '\r' <"$res" | grep -q '^PRXE-PC ABORT'; then
				why="a writer failed: $(tr -d '\r' <"$res" | grep -m 1 '^PRXE-PC ABORT')"
				break
			elif ! kill -0 "$boot_pid" 2>/dev/null; then
				why="the guest ended before every writer acknowledged a record"
				break
			elif [ "$(date +%s)" -gt "$deadline" ]; then
				why="not every writer acknowledged a record within ${ready_s}s"
				break
			fi
		done
		if [ -z "$why" ]; then
			delay=$((cut_min + RANDOM % (cut_max - cut_min + 1)))
			log "every writer acknowledged a record; cutting the power in ${delay}s"
			sleep "$delay"
			if ! kill -0 "$boot_pid" 2>/dev/null; then
				why="the guest ended before the power cut"
			fi
			cut_at=$(($(date +%s) - t0))
		fi
		qemu_kill
	fi
	boot_rc=0
	wait "$boot_pid" || boot_rc=$?
	t1=$(date +%s)

	# This boot's results and console, in the gathered logs.
	tr -d '\r' <"$res" | grep -v -e '^PRXE-PC ACK ' -e '^PRXE-DONE' \
		>>"$dir/results.log" || true
	{
		echo "=== power-cut boot $b: check ${check:-nothing}, start ${start:-nothing}"
		cat "$con"
	} >>"$dir/console.log"
	if [ -s "${con%.log}-failed-boot.log" ]; then
		cat "${con%.log}-failed-boot.log" >>"$dir/console-failed-boot.log"
	fi
	# The counts of the checks this boot made.
	tr -d '\r' <"$res" | awk '$1 == "PRXE-PC" && $2 == "STAT" {
		printf "%-8s %-10s %12s %10s %6s\n", $3, $4, $6, $8, $10 }' \
		>>"$dir/summary.txt"

	if [ -n "$start" ]; then
		[ -n "$why" ] || ! tr -d '\r' <"$res" | grep -q '^PRXE-DONE' ||
			why="the guest finished instead of being cut"
		if [ -n "$why" ]; then
			result FAIL "powercut/boot$b $why (qemu exit $boot_rc)"
		else
			result PASS "powercut/boot$b"
		fi
		# What the next boot checks: the highest acknowledged record
		# of each writer.
		check=$label:$run:$skip:
		sep=
		for w in ${list//,/ }; do
			n=$(acked "$res" "$w")
			check=$check$sep$w=$n
			sep=,
		done
		log "boot $b: $((t1 - t0))s (power cut after ${cut_at:-?}s); acknowledged: ${check##*:}"
	else
		if [ "$boot_rc" = 0 ] && tr -d '\r' <"$res" | grep -q '^PRXE-DONE'; then
			echo PRXE-DONE >>"$dir/results.log"
			result PASS "powercut/boot$b"
		else
			result FAIL "powercut/boot$b the checking guest did not finish (qemu exit $boot_rc)"
		fi
		log "boot $b: $((t1 - t0))s (check only)"
	fi
	echo "boot $b: $((t1 - t0)) s${cut_at:+, power cut after ${cut_at} s}" \
		>>"$dir/times.txt"
done
{
	echo
	cat "$dir/times.txt"
	echo "total: $(($(date +%s) - total_start)) s for $nboots boots"
} >>"$dir/summary.txt"
log "power-cut test done: $dir/summary.txt"
cat "$dir/summary.txt" >&2
