# SPDX-License-Identifier: GPL-2.0-only
# libibverbs drives prxe devices through providers/prxe, and only those.

t_provider_claims_device() {
	local out
	prxe_add prxe0 "$NS_A" "$NETDEV_A"
	out=$("$PRXE_TESTS/prxe_provider_check" prxe0 2>&1) ||
		fail "prxe_provider_check prxe0: $out"
	printf '%s\n' "$out"
	expect_match "provider library" \
		"provider: +prxe from .*/libibverbs/libprxe-rdmav34.so" "$out"
	expect_match "ibv_devices" "^[[:space:]]+prxe0[[:space:]]+[0-9a-f]{16}$" "$(ibv_devices)"
	# No "no userspace device-specific driver" warnings from libibverbs.
	expect_no_match "libibverbs warnings" "Warning|couldn't" \
		"$(IBV_SHOW_WARNINGS=1 ibv_devices 2>&1)"
}

# An rdma_rxe device next to a prxe device stays with rdma-core's rxe
# provider, and each works.
t_other_devices_left_alone() {
	local out
	prxe_add prxe0 "$NS_A" "$NETDEV_A"
	run "add rdma_rxe device" in_b rdma link add rxe0 type rxe netdev "$NETDEV_B"
	[ ! -e /sys/class/infiniband/rxe0/prxe_abi_version ] ||
		fail "rxe0 carries the prxe sysfs attribute"
	out=$("$PRXE_TESTS/prxe_provider_check" rxe0 2>&1) &&
		fail "prxe_provider_check accepted rxe0: $out"
	expect_match "rxe0 is claimed by rdma-core's rxe provider" \
		'provider name: expected "prxe", seen rxe' "$out"
	expect_eq "rxe0 through the rxe provider" "PORT_ACTIVE (4)" \
		"$(devinfo_field rxe0 state)"
	run "prxe0 still ours" "$PRXE_TESTS/prxe_provider_check" prxe0
}
