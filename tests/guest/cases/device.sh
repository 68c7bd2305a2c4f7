# SPDX-License-Identifier: GPL-2.0-only
# Device and port attributes as applications see them through libibverbs,
# and the port following its netdev (state, MTU, addresses).

# EUI-64 node GUID of a MAC, as ibv_devinfo prints it (xxxx:xxxx:xxxx:xxxx).
eui64_of_mac() {
	local IFS=: b
	read -ra b <<<"$1"
	printf '%02x%s:%sff:fe%s:%s%s\n' $((0x${b[0]} ^ 2)) "${b[1]}" \
		"${b[2]}" "${b[3]}" "${b[4]}" "${b[5]}"
}

t_device_attributes() {
	local mac out
	prxe_add prxe0 "$NS_A" "$NETDEV_A"
	mac=$(in_a cat "/sys/class/net/$NETDEV_A/address")
	out=$(devinfo prxe0)
	printf '%s\n' "$out"
	field() { awk -v f="$1:" '$1 == f { $1 = ""; sub(/^ */, ""); print; exit }' <<<"$out"; }
	expect_eq transport "InfiniBand (0)" "$(field transport)"
	expect_eq fw_ver 0.1 "$(field fw_ver)"
	expect_eq "node_guid (EUI-64 of $mac)" "$(eui64_of_mac "$mac")" "$(field node_guid)"
	expect_eq sys_image_guid "$(field node_guid)" "$(field sys_image_guid)"
	expect_eq vendor_id 0xffffff "$(field vendor_id)"
	expect_eq phys_port_cnt 1 "$(field phys_port_cnt)"
	expect_eq max_pkeys 1 "$(field max_pkeys)"
	expect_eq "port state" "PORT_ACTIVE (4)" "$(field state)"
	expect_eq "port phys_state" "LINK_UP (5)" "$(field phys_state)"
	expect_eq link_layer Ethernet "$(field link_layer)"
	expect_eq max_mtu "4096 (5)" "$(field max_mtu)"
	expect_eq "active_mtu for netdev MTU 1500" "1024 (3)" "$(field active_mtu)"
	expect_eq "node_type in sysfs" "1: CA" "$(cat /sys/class/infiniband/prxe0/node_type)"
	expect_eq "link layer in sysfs" Ethernet \
		"$(cat /sys/class/infiniband/prxe0/ports/1/link_layer)"
}

# The active MTU is the largest IB MTU whose packets, headers included,
# fit the netdev MTU (84 bytes of headers at most).
t_active_mtu_follows_netdev() {
	local mtu want
	prxe_add prxe0 "$NS_A" "$NETDEV_A"
	for mtu in 9000:4096 4180:4096 4179:2048 1500:1024 1108:1024 1107:512 600:512; do
		want=${mtu#*:}
		mtu=${mtu%:*}
		run "set $NETDEV_A mtu $mtu" in_a ip link set "$NETDEV_A" mtu "$mtu"
		expect_match "active_mtu at netdev MTU $mtu" "^$want " \
			"$(devinfo_field prxe0 active_mtu)"
	done
}

t_port_state_follows_netdev() {
	prxe_add prxe0 "$NS_A" "$NETDEV_A"
	asyncwatch_start prxe0 /tmp/watch.log

	run "netdev down" in_a ip link set "$NETDEV_A" down
	expect_eq "state with netdev down" "PORT_DOWN (1)" "$(devinfo_field prxe0 state)"
	expect_eq "phys_state with netdev down" "DISABLED (3)" \
		"$(devinfo_field prxe0 phys_state)"
	expect_eq "sysfs state" "1: DOWN" "$(cat /sys/class/infiniband/prxe0/ports/1/state)"
	wait_for 10 "IBV_EVENT_PORT_ERR delivered" grep -q IBV_EVENT_PORT_ERR /tmp/watch.log

	run "netdev up" in_a ip link set "$NETDEV_A" up
	wait_for 10 "port active again" sh -c \
		"ibv_devinfo -d prxe0 | grep -q 'PORT_ACTIVE (4)'"
	wait_for 10 "IBV_EVENT_PORT_ACTIVE delivered" grep -q IBV_EVENT_PORT_ACTIVE /tmp/watch.log

	# Carrier: the peer going down takes this port down too.  Carrier
	# changes reach netdev notifiers through linkwatch, a little later.
	run "peer down" in_b ip link set "$NETDEV_B" down
	wait_for 10 "port down on loss of carrier" sh -c \
		"ibv_devinfo -d prxe0 | grep -q 'PORT_DOWN (1)'"
	wait_for 10 "second IBV_EVENT_PORT_ERR delivered" sh -c \
		"[ \$(grep -c IBV_EVENT_PORT_ERR /tmp/watch.log) = 2 ]"
	run "peer up" in_b ip link set "$NETDEV_B" up
	wait_for 10 "port active with carrier back" sh -c \
		"ibv_devinfo -d prxe0 | grep -q 'PORT_ACTIVE (4)'"
	wait_for 10 "second IBV_EVENT_PORT_ACTIVE delivered" sh -c \
		"[ \$(grep -c IBV_EVENT_PORT_ACTIVE /tmp/watch.log) = 2 ]"
	expect_eq "events, in order" \
		"IBV_EVENT_PORT_ERR IBV_EVENT_PORT_ACTIVE IBV_EVENT_PORT_ERR IBV_EVENT_PORT_ACTIVE" \
		"$(grep -o 'IBV_EVENT_PORT_[A-Z]*' /tmp/watch.log | xargs)"
	kill "$WATCH_PID"
}

# sysfs GID entry (as ib_core prints it) holding the given text, or fail.
gid_index_of() {
	local g
	for g in /sys/class/infiniband/"$1"/ports/1/gids/*; do
		[ "$(cat "$g" 2>/dev/null)" = "$2" ] && { basename "$g"; return 0; }
	done
	return 1
}

t_gid_table_follows_addresses() {
	local v4=0000:0000:0000:0000:0000:ffff:0a4d:0001
	local v4b=0000:0000:0000:0000:0000:ffff:0a4d:6301
	local v6=fd00:0077:0000:0000:0000:0000:0000:0001
	local idx
	prxe_add prxe0 "$NS_A" "$NETDEV_A"

	wait_for 10 "GID of $IP_A in the table" gid_index_of prxe0 "$v4"
	idx=$(gid_index_of prxe0 "$v4")
	expect_eq "type of GID[$idx]" "RoCE v2" \
		"$(cat /sys/class/infiniband/prxe0/ports/1/gid_attrs/types/"$idx")"
	expect_eq "netdev of GID[$idx]" "$NETDEV_A" \
		"$(cat /sys/class/infiniband/prxe0/ports/1/gid_attrs/ndevs/"$idx")"
	expect_match "ibv_devinfo -v lists it" \
		"GID\[ *$idx\]:.*::ffff:$IP_A, RoCE v2" "$(devinfo prxe0)"
	# Only RoCEv2 entries: prxe speaks RoCEv2 alone.
	expect_no_match "GID types" "RoCE v1|IB/RoCE v1" \
		"$(cat /sys/class/infiniband/prxe0/ports/1/gid_attrs/types/* 2>/dev/null)"

	run "add 10.77.99.1" in_a ip addr add 10.77.99.1/24 dev "$NETDEV_A"
	run "add fd00:77::1" in_a ip addr add fd00:77::1/64 dev "$NETDEV_A" nodad
	wait_for 10 "GID of 10.77.99.1 added" gid_index_of prxe0 "$v4b"
	wait_for 10 "GID of fd00:77::1 added" gid_index_of prxe0 "$v6"
	run "delete 10.77.99.1" in_a ip addr del 10.77.99.1/24 dev "$NETDEV_A"
	wait_for 10 "GID of 10.77.99.1 removed" sh -c \
		"! grep -qx $v4b /sys/class/infiniband/prxe0/ports/1/gids/*"
	gid_index_of prxe0 "$v4" >/dev/null || fail "GID of $IP_A lost"
}
