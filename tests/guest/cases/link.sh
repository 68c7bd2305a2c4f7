# SPDX-License-Identifier: GPL-2.0-only
# rdma link type prxe: adding and deleting devices, and refusing bad input
# with an errno and a dmesg line that say what was wrong.

t_add_show_delete() {
	prxe_add prxe0 "$NS_A" "$NETDEV_A"
	expect_eq "sysfs prxe_abi_version" 1 \
		"$(cat /sys/class/infiniband/prxe0/prxe_abi_version)"
	expect_match "rdma link show (in the netdev's namespace)" \
		"^link prxe0/1 state ACTIVE physical_state LINK_UP netdev $NETDEV_A" \
		"$(in_a rdma link show prxe0/1)"
	expect_match "dmesg" "prxe0: added on netdev $NETDEV_A" "$(dmesg_since_start)"

	run "rdma link delete" rdma link delete prxe0
	[ ! -e /sys/class/infiniband/prxe0 ] || fail "prxe0 still in sysfs after delete"
	expect_no_match "rdma link show after delete" "prxe0" "$(rdma link show)"
	expect_match "dmesg" "prxe0: removed" "$(dmesg_since_start)"
}

t_add_unknown_netdev() {
	expect_fail "add on a netdev that does not exist" "No such device" \
		in_a rdma link add prxe0 type prxe netdev nosuch0
	[ ! -e /sys/class/infiniband/prxe0 ] || fail "a device was created"
}

t_add_duplicate_name() {
	prxe_add prxe0 "$NS_A" "$NETDEV_A"
	expect_fail "second device named prxe0" "File exists" \
		in_b rdma link add prxe0 type prxe netdev "$NETDEV_B"
	expect_match "dmesg says why" \
		"prxe: cannot add prxe0: an RDMA device of that name exists" \
		"$(dmesg_since_start)"
	expect_eq "prxe devices" prxe0 "$(prxe_devices | xargs)"
	# The first device is unharmed.
	expect_eq "prxe0 port state" "PORT_ACTIVE (4)" \
		"$(devinfo_field prxe0 state)"
}

t_add_netdev_twice() {
	prxe_add prxe0 "$NS_A" "$NETDEV_A"
	expect_fail "second device on the same netdev" "File exists" \
		in_a rdma link add prxe1 type prxe netdev "$NETDEV_A"
	expect_match "dmesg says why" \
		"prxe: cannot add prxe1: netdev $NETDEV_A already has prxe device prxe0" \
		"$(dmesg_since_start)"
	expect_eq "prxe devices" prxe0 "$(prxe_devices | xargs)"
}

t_add_non_ethernet() {
	expect_fail "device on the loopback netdev" "Invalid argument" \
		in_a rdma link add prxe0 type prxe netdev lo
	expect_match "dmesg says why" \
		"prxe: cannot add prxe0: netdev lo is not an Ethernet device" \
		"$(dmesg_since_start)"
	expect_eq "prxe devices" "" "$(prxe_devices | xargs)"
}

# The provider must not depend on the device name (rdma-core's rxe provider
# claims names starting with "rxe").
t_any_name_is_claimed() {
	local name
	for name in pmem_replica roce-7 x; do
		prxe_add "$name" "$NS_A" "$NETDEV_A"
		run "provider check of $name" "$PRXE_TESTS/prxe_provider_check" "$name"
		run "rdma link delete $name" rdma link delete "$name"
	done
}

# With disassociate support, deleting a device does not wait for the
# applications that have it open: they get IBV_EVENT_DEVICE_FATAL.
t_delete_while_open() {
	prxe_add prxe0 "$NS_A" "$NETDEV_A"
	asyncwatch_start prxe0 /tmp/watch.log
	run "rdma link delete while open" timeout 30 rdma link delete prxe0
	[ ! -e /sys/class/infiniband/prxe0 ] || fail "prxe0 still in sysfs"
	wait_for 10 "ibv_asyncwatch got IBV_EVENT_DEVICE_FATAL" \
		grep -q "IBV_EVENT_DEVICE_FATAL" /tmp/watch.log
	# ib_uverbs reports DEVICE_FATAL and expects the application to close
	# the device; ibv_asyncwatch just keeps waiting, but is not stuck.
	kill "$WATCH_PID"
	wait_for 10 "ibv_asyncwatch exits when told" exited "$WATCH_PID"
}
