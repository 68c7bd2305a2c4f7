#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Boot the guest under qemu with an emulated NVDIMM.
#
#   boot.sh MODE [FILTER]    MODE: test | bench | demo | shell | powercut
#
# The guest console goes to $BUILD_DIR/console.log (and to the terminal in
# demo/shell mode); the test results come over the second serial port into
# $BUILD_DIR/results.log (PRXE_CONSOLE_LOG, PRXE_RESULTS_LOG: elsewhere).
# A guest that does not power off within PRXE_BOOT_TIMEOUT seconds is
# killed.  qemu's pid is in $BUILD_DIR/qemu.pid while it runs.
#
# Each boot gets a fresh NVDIMM backing file ($BUILD_DIR/pmem.img), unless
# PRXE_PMEM_KEEP=1 (the power-cut test): then the guest boots on the one
# the previous boot left, and is told so (prxetest.pmem=keep).
set -euo pipefail
. "$(dirname "$0")/common.sh"

mode=${1:-test}
filter=${2:-}
timeout_s=${PRXE_BOOT_TIMEOUT:-3000}
kver=$(cat "$BUILD_DIR/kernel/version")
vmlinuz=$BUILD_DIR/kernel/boot/vmlinuz-$kver
console=${PRXE_CONSOLE_LOG:-$BUILD_DIR/console.log}
results=${PRXE_RESULTS_LOG:-$BUILD_DIR/results.log}
keep_pmem=${PRXE_PMEM_KEEP:-0}
pidfile=$BUILD_DIR/qemu.pid
failed_boot=${console%.log}-failed-boot.log

# Nested KVM is broken on some hosts (qemu aborts setting MSRs): try it on
# a throw-away boot and fall back to TCG.
kvm_works() {
	local probe=$BUILD_DIR/kvm-probe.log pid i
	[ -w /dev/kvm ] || return 1
	rm -f "$probe"
	qemu-system-x86_64 -accel kvm -cpu host -m 256 -display none \
		-nodefaults -no-reboot -serial "file:$probe" \
		-kernel "$vmlinuz" -append "console=ttyS0 panic=-1" \
		>/dev/null 2>&1 &
	pid=$!
	for i in $(seq 40); do
		if grep -q 'Linux version' "$probe" 2>/dev/null; then
			kill "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.2
	done
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 1
}

if [ "${PRXE_ACCEL:-}" ]; then
	accel=$PRXE_ACCEL
elif kvm_works 2>/dev/null; then
	accel=kvm
else
	accel=tcg
fi
if [ "$accel" = kvm ]; then
	accel_args=(-accel kvm -cpu host)
else
	accel_args=(-accel tcg,thread=multi -cpu max)
fi
log "booting the guest ($mode, $accel)"
echo "$accel" >"$BUILD_DIR/accel"

# A fresh NVDIMM backing file per boot.  1280 MiB + 128 KiB: the region
# (size minus the label area) must be 16 MiB aligned for an fsdax namespace.
pmem=$BUILD_DIR/pmem.img
fresh_pmem() {
	rm -f "$pmem"
	truncate -s 1310848K "$pmem"
}
if [ "$keep_pmem" = 1 ] && [ -f "$pmem" ]; then
	log "keeping the NVDIMM of the previous boot ($pmem)"
else
	keep_pmem=0
	fresh_pmem
fi

# loglevel 5: kernel warnings (KERN_WARNING, e.g. WARN_ON) reach the
# console too, where report.sh looks for them besides the per-test checks.
cmdline="console=ttyS0 loglevel=5 panic=-1 prxetest.mode=$mode"
[ -n "$filter" ] && cmdline="$cmdline prxetest.filter=$filter"
[ "$keep_pmem" = 1 ] && cmdline="$cmdline prxetest.pmem=keep"
# Tests run with the kernel's memory debugging (PRXE_MEMDEBUG=0: without):
# SLUB sanity checks, red zones, poisoning and owner tracking, KFENCE
# sampling every 10 ms (Debian's default is 100), freed memory zeroed.
# An overrun, a use after free or a double free on a test's watch is then
# a BUG/KFENCE report on the console, which fails the run.
if [ "$mode" = test ] && [ "${PRXE_MEMDEBUG:-1}" != 0 ]; then
	cmdline="$cmdline slub_debug=FZPU kfence.sample_interval=10 init_on_free=1"
fi
[ -n "${PRXE_KERNEL_ARGS:-}" ] && cmdline="$cmdline $PRXE_KERNEL_ARGS"

: >"$console"
: >"$results"
rm -f "$failed_boot"
qemu_args=(
	"${accel_args[@]}" -smp 2
	-machine pc,nvdimm=on -m 3G,slots=2,maxmem=8G
	-object "memory-backend-file,id=mem1,share=on,mem-path=$pmem,size=1310848K"
	-device nvdimm,id=nv1,memdev=mem1,label-size=128K
	-kernel "$vmlinuz" -initrd "$BUILD_DIR/initramfs.gz"
	-append "$cmdline"
	-drive "file=$BUILD_DIR/guest-root.ext4,if=virtio,format=raw,snapshot=on"
	-nic none -display none -no-reboot -pidfile "$pidfile"
)
# Did the guest kernel die while booting, before its userspace (and so
# any prxe code) ran?  Seen once in many boots under multi-threaded TCG:
# an int3 Oops in early boot code whose jump label another vCPU was
# patching (sched_clock_cpu, PID 1 in an initcall).
died_booting() {
	! grep -q '^prxe guest up after' "$console" &&
		grep -Eq 'Kernel panic|Oops' "$console"
}

if [ "$mode" = test ] || [ "$mode" = bench ] || [ "$mode" = powercut ] ||
   [ ! -t 0 ]; then
	qemu_args+=(-serial "file:$console" -serial "file:$results")
	for attempt in 1 2; do
		rc=0
		timeout --kill-after=10 "$timeout_s" \
			qemu-system-x86_64 "${qemu_args[@]}" </dev/null || rc=$?
		[ $rc = 124 ] && log "guest killed after ${timeout_s}s"
		# Once, and said: the failed boot's console is kept.
		if [ $attempt = 1 ] && died_booting; then
			cp "$console" "$failed_boot"
			log "the guest kernel died while booting, before userspace and prxe ($failed_boot: $(grep -Em 1 'Oops|Kernel panic' "$console")); booting once more"
			: >"$console"
			: >"$results"
			# A kept NVDIMM is the test's: the kernel died before
			# it touched it.
			[ "$keep_pmem" = 1 ] || fresh_pmem
			continue
		fi
		break
	done
	[ $rc = 0 ] || exit $rc
else
	# Interactive: console on this terminal (Ctrl-A X quits qemu).
	qemu_args+=(-serial mon:stdio -serial "file:$results")
	timeout --foreground --kill-after=10 "$timeout_s" \
		qemu-system-x86_64 "${qemu_args[@]}" | tee "$console"
fi
