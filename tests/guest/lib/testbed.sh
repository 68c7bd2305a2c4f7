# SPDX-License-Identifier: GPL-2.0-only
# The guest's test bed: what the tests can rely on, and how to set it up
# and put it back between tests.  Sourced by init, run-tests and the tests.
#
#   NVDIMM region0 (1280 MiB, labelled) in three namespaces, 2 MiB aligned:
#   /mnt/pmem      PMEM_MNT: ext4 -o dax on PMEM_DEV /dev/pmem0 (namespace0.0,
#                  fsdax, 512 MiB: ~420 MiB free)
#   /mnt/pmem-xfs  PMEM_XFS_MNT: xfs -o dax=always on PMEM_XFS_DEV
#                  /dev/pmem0.1 (namespace0.1, fsdax, 512 MiB: ~430 MiB free)
#   /dev/dax0.2    DAX_DEV: device-dax (namespace0.2, the remaining 256 MiB,
#                  250 MiB usable; mmap lengths and offsets in DAX_ALIGN
#                  (2 MiB) units, MAP_SHARED)
#   Both file systems are made with 2 MiB stripe units (ext4 stride, xfs
#   su), so files get 2 MiB-aligned extents and DAX can map them with
#   2 MiB (PMD) entries.
#   /mnt/pagecache PAGECACHE_MNT: ext4 without DAX on a loop device over
#                  a 160 MiB file in /run (tmpfs): a page-cache file system
#   /dev/shm       tmpfs (shmem)
#   netns pa       veth va, 10.77.0.1/24
#   netns pb       veth vb, 10.77.0.2/24 (the peer of va)
#   modules        prxe, rdma_rxe, ib_uverbs, rdma_ucm, veth, nfit, nd_pmem,
#                  dax_pmem, device_dax, loop, sch_netem, ext4, xfs

PMEM_DEV=/dev/pmem0
PMEM_MNT=/mnt/pmem
PMEM_XFS_DEV=/dev/pmem0.1
PMEM_XFS_MNT=/mnt/pmem-xfs
DAX_DEV=/dev/dax0.2
DAX_ALIGN=$((2 << 20))
PAGECACHE_IMG=/run/pagecache.img
PAGECACHE_MNT=/mnt/pagecache
NS_A=pa NS_B=pb
NETDEV_A=va NETDEV_B=vb
IP_A=10.77.0.1 IP_B=10.77.0.2
PRXE_TESTS=/usr/lib/prxe/tests

in_a() { ip netns exec "$NS_A" "$@"; }
in_b() { ip netns exec "$NS_B" "$@"; }

testbed_modules() {
	modprobe -a nfit nd_pmem dax_pmem device_dax loop veth sch_netem ext4 \
		xfs ib_uverbs rdma_ucm rdma_rxe && modprobe prxe
}

# pmem_namespace MODE SIZE DEVICE: a namespace of the NVDIMM's region in
# MODE (fsdax, devdax; SIZE "" for the rest of the region), 2 MiB aligned,
# which must come up as DEVICE (the names follow the creation order).
pmem_namespace() {
	local mode=$1 size=$2 dev=$3 i
	ndctl create-namespace -r region0 -m "$mode" -a 2M ${size:+-s "$size"} \
		>/tmp/ndctl.log 2>&1 || { cat /tmp/ndctl.log; return 1; }
	grep -Eq "\"(blockdev|chardev)\":\"${dev#/dev/}\"" /tmp/ndctl.log || {
		echo "setup: the $mode namespace is not $dev:"
		cat /tmp/ndctl.log
		return 1
	}
	for i in $(seq 50); do
		[ -e "$dev" ] && return 0
		sleep 0.1
	done
	echo "setup: no $dev"
	return 1
}

# pmem_wait DEVICE: a namespace that the labels of a kept NVDIMM bring up.
pmem_wait() {
	local i
	for i in $(seq 100); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	echo "setup: no $1 on the kept NVDIMM:"
	ndctl list -N
	return 1
}

# The NVDIMM of the previous boot (PRXE_PMEM_KEEP=1, the power-cut test):
# its labels bring the namespaces back; the file systems are mounted as
# they are (their journals replayed), nothing is made anew.
testbed_pmem_kept() {
	pmem_wait "$PMEM_DEV" && pmem_wait "$PMEM_XFS_DEV" &&
		pmem_wait "$DAX_DEV" || return 1
	mkdir -p "$PMEM_MNT" "$PMEM_XFS_MNT" &&
		mount -o "dax${PMEM_EXT4_OPTS:+,$PMEM_EXT4_OPTS}" "$PMEM_DEV" \
			"$PMEM_MNT" &&
		mount -o dax=always "$PMEM_XFS_DEV" "$PMEM_XFS_MNT"
}

testbed_pagecache() {
	truncate -s 160M "$PAGECACHE_IMG" &&
		mkfs.ext4 -q -F -b 4096 "$PAGECACHE_IMG" &&
		mkdir -p "$PAGECACHE_MNT" &&
		mount -o loop "$PAGECACHE_IMG" "$PAGECACHE_MNT"
}

# PMEM_EXT4_OPTS: more mount options of the ext4 DAX mount (the power-cut
# test's commit=60).
testbed_pmem() {
	if [ "${PRXE_PMEM_KEEP:-0}" = 1 ]; then
		testbed_pmem_kept && testbed_pagecache
		return
	fi
	# The fresh NVDIMM has no namespace labels: initialise them (the
	# region off meanwhile) so the region holds several namespaces.
	{ ndctl disable-region region0 && ndctl init-labels -f nmem0 &&
		ndctl enable-region region0; } >/tmp/ndctl.log 2>&1 ||
		{ cat /tmp/ndctl.log; return 1; }
	pmem_namespace fsdax 512M "$PMEM_DEV" &&
		pmem_namespace fsdax 512M "$PMEM_XFS_DEV" &&
		pmem_namespace devdax "" "$DAX_DEV" || return 1
	# 4 KiB blocks: mkfs picks 1 KiB on a small device, and DAX needs the
	# page size.  stride/stripe_width 512 blocks (2 MiB): the allocator
	# aligns extents for PMD mappings.
	mkfs.ext4 -q -F -b 4096 -E stride=512,stripe_width=512 "$PMEM_DEV" &&
		mkdir -p "$PMEM_MNT" &&
		mount -o "dax${PMEM_EXT4_OPTS:+,$PMEM_EXT4_OPTS}" "$PMEM_DEV" \
			"$PMEM_MNT" || return 1
	# No reflink: it and DAX do not mix everywhere; su=2m as above.
	# mkfs.xfs wants a log of 64 MiB, more than an allocation group holds
	# when it picks 8 for a striped 500 MiB device: 4; a 2 MiB log stripe
	# unit is too large (32 KiB, said, to keep it quiet).
	mkfs.xfs -q -f -K -m reflink=0 -d su=2m,sw=1,agcount=4 -l su=32k \
		"$PMEM_XFS_DEV" && mkdir -p "$PMEM_XFS_MNT" &&
		mount -o dax=always "$PMEM_XFS_DEV" "$PMEM_XFS_MNT" || return 1
	# A block file system with a page cache (no DAX), on a loop device.
	testbed_pagecache
}

# (Re)create the two namespaces joined by the veth pair.
testbed_net() {
	ip netns del "$NS_A" 2>/dev/null
	ip netns del "$NS_B" 2>/dev/null
	ip netns add "$NS_A" && ip netns add "$NS_B" &&
		ip link add "$NETDEV_A" netns "$NS_A" type veth \
			peer name "$NETDEV_B" netns "$NS_B" &&
		in_a ip addr add "$IP_A/24" dev "$NETDEV_A" &&
		in_b ip addr add "$IP_B/24" dev "$NETDEV_B" &&
		in_a ip link set lo up && in_b ip link set lo up &&
		in_a ip link set "$NETDEV_A" up && in_b ip link set "$NETDEV_B" up
}

testbed_setup() {
	testbed_modules || { echo "setup: loading modules failed"; return 1; }
	testbed_pmem || { echo "setup: pmem / DAX / page-cache mounts failed"; return 1; }
	testbed_net || { echo "setup: network namespaces failed"; return 1; }
}

# Names of the prxe devices present (those with the prxe sysfs attribute).
prxe_devices() {
	local d
	for d in /sys/class/infiniband/*; do
		[ -e "$d/prxe_abi_version" ] && basename "$d"
	done
	return 0
}

# Back to the state testbed_setup left, after a test that changed it.
testbed_reset() {
	local d
	lsmod | grep -q '^prxe ' || modprobe prxe
	for d in $(prxe_devices); do
		rdma link delete "$d"
	done
	for d in /sys/class/infiniband/rxe*; do
		[ -e "$d" ] && rdma link delete "$(basename "$d")"
	done
	if ! in_a ip link show "$NETDEV_A" >/dev/null 2>&1 ||
	   ! in_b ip link show "$NETDEV_B" >/dev/null 2>&1 ||
	   [ "$(in_a cat /sys/class/net/$NETDEV_A/mtu)" != 1500 ]; then
		testbed_net
	fi
	# No qdisc (netem) left behind by a test.
	in_a tc qdisc del dev "$NETDEV_A" root 2>/dev/null
	in_b tc qdisc del dev "$NETDEV_B" root 2>/dev/null
	in_a ip link set "$NETDEV_A" up
	in_b ip link set "$NETDEV_B" up
}

# prxe_add NAME NS NETDEV: rdma link add, from inside the netdev's namespace.
prxe_add() {
	run "rdma link add $1 on $3" ip netns exec "$2" \
		rdma link add "$1" type prxe netdev "$3"
}

# devinfo DEVICE: ibv_devinfo -v of the device (must succeed).
devinfo() {
	local out
	out=$(ibv_devinfo -v -d "$1" 2>&1) ||
		fail "ibv_devinfo -v -d $1 failed: $(tail -n 3 <<<"$out")"
	printf '%s\n' "$out"
}

# devinfo_field DEVICE FIELD: the value ibv_devinfo -v prints for FIELD.
devinfo_field() {
	devinfo "$1" | awk -v f="$2:" '$1 == f { $1 = ""; sub(/^ */, ""); print; exit }'
}

# asyncwatch_start DEVICE LOG: ibv_asyncwatch holding DEVICE open in the
# background, printing its async events to LOG; its pid in WATCH_PID.
asyncwatch_start() {
	ibv_asyncwatch -d "$1" >"$2" 2>&1 &
	WATCH_PID=$!
	wait_for 20 "ibv_asyncwatch opened $1" grep -q "async event FD" "$2"
}
