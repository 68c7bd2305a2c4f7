# SPDX-License-Identifier: GPL-2.0-only
# The guest's test bed: what the tests can rely on, and how to set it up
# and put it back between tests.  Sourced by init, run-tests and the tests.
#
#   /mnt/pmem      ext4 -o dax on /dev/pmem0 (fsdax namespace of the NVDIMM)
#   netns pa       veth va, 10.77.0.1/24
#   netns pb       veth vb, 10.77.0.2/24 (the peer of va)
#   modules        prxe, rdma_rxe, ib_uverbs, rdma_ucm, veth, nfit, nd_pmem,
#                  sch_netem, ext4, xfs

PMEM_DEV=/dev/pmem0
PMEM_MNT=/mnt/pmem
NS_A=pa NS_B=pb
NETDEV_A=va NETDEV_B=vb
IP_A=10.77.0.1 IP_B=10.77.0.2
PRXE_TESTS=/usr/lib/prxe/tests

in_a() { ip netns exec "$NS_A" "$@"; }
in_b() { ip netns exec "$NS_B" "$@"; }

testbed_modules() {
	modprobe -a nfit nd_pmem veth sch_netem ext4 xfs ib_uverbs rdma_ucm \
		rdma_rxe && modprobe prxe
}

testbed_pmem() {
	local i
	ndctl create-namespace -f -e namespace0.0 -m fsdax \
		>/tmp/ndctl.log 2>&1 || { cat /tmp/ndctl.log; return 1; }
	for i in $(seq 50); do
		[ -b "$PMEM_DEV" ] && break
		sleep 0.1
	done
	# 4 KiB blocks: mkfs picks 1 KiB on a small device, and DAX needs the
	# page size.
	mkfs.ext4 -q -F -b 4096 "$PMEM_DEV" &&
		mkdir -p "$PMEM_MNT" &&
		mount -o dax "$PMEM_DEV" "$PMEM_MNT"
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
	testbed_pmem || { echo "setup: pmem / DAX mount failed"; return 1; }
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
