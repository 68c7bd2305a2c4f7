# SPDX-License-Identifier: GPL-2.0-only
# RC transport on pinned memory between prxe devices: every opcode, size,
# SGE layout and posting style, with every byte verified by
# tests/progs/prxe_rc_test, in loopback on one device and between two
# devices in two network namespaces.
# timeout: 300

. /opt/prxe/guest/lib/rc.sh

# Sizes of issue 3 at a 1024-byte path MTU: 0, 1, MTU-1, MTU, MTU+1, 1 MiB.
RC_SIZES=0,1,1023,1024,1025,1m

prxe_pair_up() {
	prxe_add prxe_a "$NS_A" "$NETDEV_A"
	prxe_add prxe_b "$NS_B" "$NETDEV_B"
	wait_for 10 "prxe_a has its RoCEv2 GID" rc_gid_ready prxe_a "$IP_A"
	wait_for 10 "prxe_b has its RoCEv2 GID" rc_gid_ready prxe_b "$IP_B"
}

rc_all_opcodes() {
	local how=$1 op
	shift
	for op in send send_imm write write_imm read; do
		"$how" "$@" -o "$op" -m 1024 -s "$RC_SIZES" -n 2
		rc_pass "$op"
	done
}

t_loopback_opcodes() {
	prxe_add prxe0 "$NS_A" "$NETDEV_A"
	wait_for 10 "prxe0 has its RoCEv2 GID" rc_gid_ready prxe0 "$IP_A"
	rc_all_opcodes rc_loopback prxe0
}

t_pair_opcodes() {
	prxe_pair_up
	rc_all_opcodes rc_test_pair prxe_a prxe_b
}
