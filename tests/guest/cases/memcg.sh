# SPDX-License-Identifier: GPL-2.0-only
# ODP memory and memory cgroups: what the device writes into anonymous ODP
# memory survives reclaim and swap, including pages HMM hands out clean
# and writable (tests/progs/prxe_odp_dirty); the kernel memory a process
# makes prxe allocate (the ODP mirror, QP rings) is charged to its cgroup
# and given back when emptied or freed (tests/progs/prxe_memcg_charge).
# The test's shell and its programs run in a cgroup of their own.
# timeout: 300

. /opt/prxe/guest/lib/rc.sh

# Not under /sys: `ip netns exec` mounts a sysfs of its own there.
CG_ROOT=/run/cgroup2
CG=$CG_ROOT/prxe-test

# memcg_enter MAX: this shell (and so what it runs) into the cgroup $CG,
# limited to MAX bytes ("max": no limit); memcg_cleanup on exit.
memcg_enter() {
	mkdir -p "$CG_ROOT"
	mountpoint -q "$CG_ROOT" || run "cgroup2" mount -t cgroup2 none "$CG_ROOT"
	grep -qw memory "$CG_ROOT/cgroup.subtree_control" ||
		run "memory controller" sh -c "echo +memory >$CG_ROOT/cgroup.subtree_control"
	mkdir -p "$CG"
	echo "$1" >"$CG/memory.max" || fail "cannot limit $CG to $1"
	trap memcg_cleanup EXIT
	echo $BASHPID >"$CG/cgroup.procs" || fail "cannot enter $CG"
	echo "ok: in $CG, memory.max $(cat "$CG/memory.max")"
}

memcg_cleanup() {
	echo $BASHPID >"$CG_ROOT/cgroup.procs"
	rmdir "$CG" 2>/dev/null
	if grep -q zram0 /proc/swaps; then
		swapoff /dev/zram0
		echo 1 >/sys/block/zram0/reset
	fi
}

# swap_on SIZE: a compressed RAM swap device of SIZE (zram).
swap_on() {
	grep -q zram0 /proc/swaps && return 0
	run "zram module" modprobe zram num_devices=1
	echo "$1" >/sys/block/zram0/disksize || fail "zram0 disksize $1"
	run "mkswap" mkswap /dev/zram0
	run "swapon" swapon /dev/zram0
}

memcg_device_up() {
	prxe_add prxe0 "$NS_A" "$NETDEV_A"
	wait_for 10 "prxe0 has its RoCEv2 GID" rc_gid_ready prxe0 "$IP_A"
}

# The device writes pages that are clean and mapped writable (MADV_FREE,
# swap cache), which are then paged out and read back; and a buffer twice
# the cgroup's limit, written while reclaim pushes it out to swap.
t_odp_dirty_pages() {
	memcg_device_up
	swap_on 512M
	memcg_enter 64M
	prog_run -n "$NS_A" -t 250 prxe_odp_dirty --pressure 128 prxe0
}

# The ODP mirror's leaves and the QPs' rings are charged to the cgroup of
# the process, and given back.
t_kernel_memory_charged() {
	memcg_device_up
	memcg_enter max
	prog_run -n "$NS_A" prxe_memcg_charge prxe0 "$CG"
}
