# SPDX-License-Identifier: GPL-2.0-only
# The RoCEv2 packet layer without QPs: UDP port 4791 per network namespace,
# coexistence with rdma_rxe, receive checks (ICRC, headers) counted in
# `rdma statistic`, transmit through the debugfs hook, and ICRC
# compatibility with rdma_rxe in both directions.  Also the test programs'
# wire library (tests/progs/roce), which builds prxe_roce_send's packets.
# timeout: 90

SEND=$PRXE_TESTS/prxe_roce_send
XMIT=/sys/kernel/debug/prxe/xmit_ud
NOQP=0x12345		# a QP number no test creates

# expect_stat DEV COUNTER VALUE: the counter reaches VALUE (hw stats are
# cached for a few milliseconds).
expect_stat() {
	local i seen
	for i in $(seq 30); do
		seen=$(rc_stat "$1" "$2")
		[ "$seen" = "$3" ] && break
		sleep 0.1
	done
	expect_eq "$1 $2" "$3" "$seen"
}

# port_4791 NS: the UDP sockets on port 4791 in NS ("" for the initial one).
port_4791() {
	if [ -n "$1" ]; then
		ip netns exec "$1" ss -Hlun 'sport = :4791'
	else
		ss -Hlun 'sport = :4791'
	fi
}

# wait_gid DEV IP: ib_core has put IP in DEV's GID table (asynchronously).
wait_gid() {
	wait_for 10 "GID $2 on $1" sh -c \
		"ibv_devinfo -v -d $1 | grep -Eq '[[:space:]:]$2, RoCE v2'"
}

# with_ipv6: fd77::1 on $NETDEV_A, fd77::2 on $NETDEV_B, removed when the
# test exits (testbed_reset leaves addresses alone).
with_ipv6() {
	run "IPv6 on $NETDEV_A" in_a ip -6 addr replace fd77::1/64 dev "$NETDEV_A" nodad
	run "IPv6 on $NETDEV_B" in_b ip -6 addr replace fd77::2/64 dev "$NETDEV_B" nodad
	trap 'in_a ip -6 addr del fd77::1/64 dev "$NETDEV_A"; in_b ip -6 addr del fd77::2/64 dev "$NETDEV_B"' EXIT
}

# xmit DEV SRC DST QPN QKEY: DEV sends one UD packet (prxe_debugfs.c).
xmit() {
	mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
	wait_gid "$1" "$2"
	echo "$*" >"$XMIT" || fail "xmit_ud '$*' failed"
}

t_socket_per_netns() {
	expect_eq "sockets on 4791 in $NS_A before" "" "$(port_4791 "$NS_A")"
	prxe_add prxe0 "$NS_A" "$NETDEV_A"
	expect_match "IPv4 socket in $NS_A" '0\.0\.0\.0:4791' "$(port_4791 "$NS_A")"
	expect_match "IPv6 socket in $NS_A" '\[::\]:4791' "$(port_4791 "$NS_A")"
	expect_eq "sockets on 4791 in $NS_B" "" "$(port_4791 "$NS_B")"

	# A second device in the namespace shares the sockets ...
	run "dummy netdev" in_a ip link add pdm0 type dummy
	trap 'in_a ip link del pdm0' EXIT
	prxe_add prxe1 "$NS_A" pdm0
	expect_eq "sockets with two devices" 2 "$(port_4791 "$NS_A" | wc -l)"
	run "delete prxe0" rdma link delete prxe0
	expect_eq "sockets after deleting one of two" 2 \
		"$(port_4791 "$NS_A" | wc -l)"
	# ... and the last one closes them.
	run "delete prxe1" rdma link delete prxe1
	expect_eq "sockets on 4791 in $NS_A after delete" "" "$(port_4791 "$NS_A")"
}

# rdma_rxe holds 4791 in the initial namespace from module load on: prxe
# says so when asked for a device there, and works in other namespaces.
t_coexists_with_rxe() {
	expect_match "rdma_rxe's socket in the initial namespace" ':4791' \
		"$(port_4791 "")"
	run "veth in the initial namespace" \
		ip link add pxi0 type veth peer name pxi1
	trap 'ip link del pxi0' EXIT
	expect_fail "prxe device in the initial namespace" \
		"Address already in use" rdma link add prxe_i type prxe netdev pxi0
	expect_match "dmesg says why" \
		"prxe: UDP port 4791 is in use in the network namespace of pxi0 \(rdma_rxe\?\)" \
		"$(dmesg_since_start)"
	expect_eq "prxe devices" "" "$(prxe_devices | xargs)"

	prxe_add prxe0 "$NS_A" "$NETDEV_A"
	run "rdma_rxe device while prxe has a device" \
		rdma link add rxe_i type rxe netdev pxi0
	expect_match "both devices" "prxe0.*rxe_i|rxe_i.*prxe0" \
		"$(rdma link show | xargs)"
	run "delete rxe_i" rdma link delete rxe_i
}

# Packets from the peer namespace over the veth: good ones reach the QP
# layer, bad ones are counted and dropped, each in one counter (rcvd_pkts
# counts only packets that went to a QP's engines).
t_receive_checks_ipv4() {
	prxe_add prxe0 "$NS_A" "$NETDEV_A"
	expect_stat prxe0 rcvd_pkts 0

	run "valid packet" in_b "$SEND" -q $NOQP "$IP_A"
	expect_stat prxe0 rcvd_unknown_qp 1
	expect_stat prxe0 rcvd_icrc_err 0

	run "bad ICRC" in_b "$SEND" -b -n 3 -q $NOQP "$IP_A"
	expect_stat prxe0 rcvd_icrc_err 3
	run "unknown opcode" in_b "$SEND" -o 0x1f -q $NOQP "$IP_A"
	expect_stat prxe0 rcvd_bad_hdr 1
	run "transport version 1" in_b "$SEND" -t 1 -q $NOQP "$IP_A"
	expect_stat prxe0 rcvd_bad_hdr 2
	# An ACKNOWLEDGE carries no payload.
	run "ACK with a payload" in_b "$SEND" -o 0x11 -q $NOQP "$IP_A"
	expect_stat prxe0 rcvd_bad_hdr 3
	run "3-byte payload and 1 pad byte" in_b "$SEND" -l 3 -q $NOQP "$IP_A"
	expect_stat prxe0 rcvd_unknown_qp 2

	expect_stat prxe0 rcvd_icrc_err 3
	expect_stat prxe0 rcvd_pkts 0
	expect_stat prxe0 sent_pkts 0
}

# IPv6, with the zero UDP checksum rdma_rxe sends.
t_receive_checks_ipv6() {
	with_ipv6
	prxe_add prxe0 "$NS_A" "$NETDEV_A"
	run "valid packet" in_b "$SEND" -q $NOQP fd77::1
	expect_stat prxe0 rcvd_unknown_qp 1
	run "bad ICRC" in_b "$SEND" -b -q $NOQP fd77::1
	expect_stat prxe0 rcvd_icrc_err 1
	expect_stat prxe0 rcvd_unknown_qp 1
}

# A packet to the device's own address is delivered to the device that
# owns the address: from a UDP socket through "lo", from prxe's own
# transmit path handed to the receive path directly (prxe_xmit_local()).
t_loopback() {
	with_ipv6
	prxe_add prxe0 "$NS_A" "$NETDEV_A"
	run "raw packet to own address" in_a "$SEND" -q $NOQP "$IP_A"
	expect_stat prxe0 rcvd_unknown_qp 1

	# prxe's own transmit path, ICRC generated and checked.
	xmit prxe0 "$IP_A" "$IP_A" $NOQP 0x11
	expect_stat prxe0 sent_pkts 1
	expect_stat prxe0 rcvd_unknown_qp 2
	xmit prxe0 fd77::1 fd77::1 $NOQP 0x11
	expect_stat prxe0 sent_pkts 2
	expect_stat prxe0 rcvd_unknown_qp 3
	expect_stat prxe0 rcvd_icrc_err 0
	expect_stat prxe0 rcvd_bad_hdr 0
	expect_stat prxe0 send_err 0
}

t_xmit_between_devices() {
	with_ipv6
	prxe_add prxe_a "$NS_A" "$NETDEV_A"
	prxe_add prxe_b "$NS_B" "$NETDEV_B"
	xmit prxe_a "$IP_A" "$IP_B" $NOQP 0x11
	xmit prxe_a fd77::1 fd77::2 $NOQP 0x11
	expect_stat prxe_a sent_pkts 2
	expect_stat prxe_b rcvd_unknown_qp 2
	expect_stat prxe_b rcvd_icrc_err 0
	expect_stat prxe_a rcvd_unknown_qp 0
	expect_stat prxe_a send_err 0
}

# rdma_rxe in the initial namespace, prxe in $NS_A, joined by a veth pair.
# rdma_rxe counts a packet in rcvd_pkts only after its ICRC check, and only
# for an existing QP: QP 1 with the GSI Q_Key.
t_icrc_interop_with_rxe() {
	run "veth to $NS_A" ip link add pxr0 type veth peer name pxr1 netns "$NS_A"
	trap 'ip link del pxr0' EXIT
	run "address" ip addr add 10.78.0.1/24 dev pxr0
	run "address" in_a ip addr add 10.78.0.2/24 dev pxr1
	ip link set pxr0 up
	in_a ip link set pxr1 up
	run "rdma_rxe device" rdma link add rxe_i type rxe netdev pxr0
	prxe_add prxe0 "$NS_A" pxr1
	wait_for 10 "rxe_i port active" sh -c \
		"rdma link show rxe_i/1 | grep -q 'state ACTIVE'"
	wait_gid rxe_i 10.78.0.1

	# The test sender's ICRC is the one rdma_rxe checks ...
	run "raw packet to rdma_rxe" in_a "$SEND" 10.78.0.1
	expect_stat rxe_i rcvd_pkts 1
	# ... and prxe's is too.
	xmit prxe0 10.78.0.2 10.78.0.1 1 0x80010000
	expect_stat prxe0 sent_pkts 1
	expect_stat rxe_i rcvd_pkts 2

	# rdma_rxe to prxe: the rdma_cm connection request of rping, a UD
	# packet to prxe's QP 1.
	timeout 20 rping -c -a 10.78.0.2 -C 1 >/tmp/rping.log 2>&1 &
	local pid=$!
	local i n=0
	for i in $(seq 100); do
		n=$(stat prxe0 rcvd_pkts)
		[ "$n" != 0 ] && break
		sleep 0.1
	done
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[ "$n" != 0 ] && [ "$n" != missing ] ||
		fail "prxe0 received nothing from rdma_rxe's rping: $(cat /tmp/rping.log)"
	echo "ok: prxe0 rcvd_pkts = $n from rdma_rxe"
	expect_stat prxe0 rcvd_icrc_err 0
	expect_stat prxe0 rcvd_bad_hdr 0

	run "delete rxe_i" rdma link delete rxe_i
}

# Devices go away and the module unloads while packets arrive: the receive
# path holds its device reference, the sockets close, nothing oopses
# (run-tests fails a test on any kernel warning).
t_remove_under_traffic() {
	local pid i
	prxe_add prxe0 "$NS_A" "$NETDEV_A"
	# Not through in_b: $! must be the sender itself (ip netns exec execs).
	ip netns exec "$NS_B" timeout 120 "$SEND" -n 1000000 -q $NOQP "$IP_A" \
		>/dev/null 2>&1 &
	pid=$!
	trap 'kill $pid 2>/dev/null' EXIT
	wait_for 10 "packets arrive" sh -c \
		"[ \"\$(rdma statistic show link prxe0/1 | grep -o 'rcvd_unknown_qp [0-9]*')\" != 'rcvd_unknown_qp 0' ]"
	for i in 1 2 3; do
		run "delete under traffic ($i)" rdma link delete prxe0
		prxe_add prxe0 "$NS_A" "$NETDEV_A"
	done
	run "rmmod under traffic" timeout 60 rmmod prxe
	expect_eq "sockets on 4791 in $NS_A after rmmod" "" "$(port_4791 "$NS_A")"
	exited "$pid" && fail "the sender stopped early"
	kill "$pid"
	wait_for 10 "the sender stopped" exited "$pid"
}

# The wire library on its own (tests/progs/roce): header encodings, the
# opcode table, the ICRC against a ConnectX-4 Lx capture and a reference,
# the builder and parser, the fuzz mutator over 10^5 packets (every kind
# and variant made, the same bytes for the same seed).  No device.
t_roce_selftest() {
	local out
	out=$("$PRXE_TESTS/prxe_roce_selftest" 2>&1) ||
		fail "prxe_roce_selftest: $(grep -m 1 FAIL <<<"$out" || tail -n 1 <<<"$out")"
	printf '%s\n' "$out"
	expect_match "ICRC of a hardware capture" \
		'^ok: ICRC against a ConnectX-4 Lx capture' "$out"
	expect_match "mutator" '^ok: mutator: deterministic' "$out"
	expect_match "100000 mutated packets" '^100000 packets, [0-9]+ with a bad ICRC' "$out"
	expect_match "completion" '^prxe_roce_selftest: PASS' "$out"
}

# The library's raw sender, with a source address no host has, from $NS_A
# to its listener on port 4791 in $NS_B (no device holds the port there),
# over IPv4 and IPv6: the packets arrive as built, the listener checks
# their ICRC, a wrong one is seen as wrong, other ports are not taken.
t_roce_wire() {
	with_ipv6
	run "IPv4" "$PRXE_TESTS/prxe_roce_selftest" --wire "$NS_A" "$NS_B" \
		10.77.0.9 "$IP_B"
	run "IPv6" "$PRXE_TESTS/prxe_roce_selftest" --wire "$NS_A" "$NS_B" \
		fd77::9 fd77::2
}
