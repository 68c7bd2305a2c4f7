# SPDX-License-Identifier: GPL-2.0-only
# Loading and unloading prxe.ko, and devices going away with their netdev.

t_unload_without_devices() {
	run "rmmod" rmmod prxe
	expect_no_match lsmod "^prxe " "$(lsmod)"
	run "modprobe" modprobe prxe
	expect_match "dmesg" "prxe: unloaded" "$(dmesg_since_start)"
	expect_match "dmesg" "prxe: loaded" "$(dmesg_since_start)"
}

t_unload_with_devices() {
	prxe_add prxe_a "$NS_A" "$NETDEV_A"
	prxe_add prxe_b "$NS_B" "$NETDEV_B"
	run "rmmod with two devices" timeout 60 rmmod prxe
	expect_eq "prxe devices after rmmod" "" "$(prxe_devices | xargs)"
	expect_match "dmesg" "prxe_a: removed" "$(dmesg_since_start)"
	expect_match "dmesg" "prxe_b: removed" "$(dmesg_since_start)"
	# Loading again gives working devices.
	run "modprobe" modprobe prxe
	prxe_add prxe_a "$NS_A" "$NETDEV_A"
	run "provider check after reload" "$PRXE_TESTS/prxe_provider_check" prxe_a
}

# Applications holding a device do not block the unload: their contexts
# are revoked (IBV_EVENT_DEVICE_FATAL).
t_unload_while_open() {
	prxe_add prxe0 "$NS_A" "$NETDEV_A"
	asyncwatch_start prxe0 /tmp/watch.log
	run "rmmod while the device is open" timeout 60 rmmod prxe
	expect_eq "prxe devices after rmmod" "" "$(prxe_devices | xargs)"
	wait_for 10 "ibv_asyncwatch got IBV_EVENT_DEVICE_FATAL" \
		grep -q IBV_EVENT_DEVICE_FATAL /tmp/watch.log
	# ib_uverbs reports DEVICE_FATAL and expects the application to close
	# the device; ibv_asyncwatch just keeps waiting, but is not stuck.
	kill "$WATCH_PID"
	wait_for 10 "ibv_asyncwatch exits when told" exited "$WATCH_PID"
}

# `rdma link add ... type prxe` loads the module through its alias.
t_autoload_on_link_add() {
	run "rmmod" rmmod prxe
	prxe_add prxe0 "$NS_A" "$NETDEV_A"
	expect_match lsmod "^prxe " "$(lsmod)"
	expect_eq "prxe devices" prxe0 "$(prxe_devices | xargs)"
}

t_netdev_delete_removes_devices() {
	prxe_add prxe_a "$NS_A" "$NETDEV_A"
	prxe_add prxe_b "$NS_B" "$NETDEV_B"
	# Deleting one end of the veth pair deletes both netdevs.
	run "delete $NETDEV_A" in_a ip link del "$NETDEV_A"
	wait_for 20 "both devices removed" sh -c \
		"! ls /sys/class/infiniband/ | grep -q prxe_"
	expect_match "dmesg" "prxe_a: netdev $NETDEV_A is unregistering" \
		"$(dmesg_since_start)"
	expect_match "dmesg" "prxe_b: removed" "$(dmesg_since_start)"
}

t_netns_delete_removes_device() {
	prxe_add prxe_b "$NS_B" "$NETDEV_B"
	asyncwatch_start prxe_b /tmp/watch.log
	run "delete namespace $NS_B" ip netns del "$NS_B"
	wait_for 20 "device removed with its namespace" sh -c \
		"! test -e /sys/class/infiniband/prxe_b"
	wait_for 10 "ibv_asyncwatch got IBV_EVENT_DEVICE_FATAL" \
		grep -q IBV_EVENT_DEVICE_FATAL /tmp/watch.log
}
