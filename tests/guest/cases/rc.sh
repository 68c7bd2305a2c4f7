# SPDX-License-Identifier: GPL-2.0-only
# RC transport on pinned memory between prxe devices: every opcode, size,
# SGE layout and posting style, with every byte verified by
# tests/progs/prxe_rc_test, in loopback on one device and between two
# devices in two network namespaces.
# timeout: 480

. /opt/prxe/guest/lib/rc.sh

# Sizes of issue 3 at a 1024-byte path MTU: 0, 1, MTU-1, MTU, MTU+1, 1 MiB.
RC_SIZES=0,1,1023,1024,1025,1m

ns_of() { [ "$1" = "$NETDEV_A" ] && echo "$NS_A" || echo "$NS_B"; }

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

# Several SGEs of uneven sizes, inline data, unsignaled work requests.
t_sge_inline_unsignaled() {
	prxe_pair_up
	rc_test_pair prxe_a prxe_b -o send -S 3 -s 1,1023,1025,65536
	rc_pass "send, 3 SGEs"
	rc_test_pair prxe_a prxe_b -o write -S 16 -s 4096,65536
	rc_pass "write, 16 SGEs"
	rc_test_pair prxe_a prxe_b -o read -S 7 -s 1025,65536
	rc_pass "read, 7 SGEs"
	rc_test_pair prxe_a prxe_b -o send_imm -I -s 0,1,64,256
	rc_pass "send_imm, inline"
	rc_test_pair prxe_a prxe_b -o write -I -s 1,255,256
	rc_pass "write, inline"
	rc_test_pair prxe_a prxe_b -o write_imm -u 4 -n 8 -s 1,4096
	rc_pass "write_imm, every 4th signaled"
	rc_test_pair prxe_a prxe_b -o send -u 3 -n 9 --offset 3 -s 1025
	rc_pass "send, every 3rd signaled, unaligned"
}

# The extended QP API (ibv_wr_*) and completion events.
t_ex_api_and_events() {
	local op
	prxe_pair_up
	for op in send send_imm write write_imm read; do
		rc_test_pair prxe_a prxe_b --ex -o "$op" -s 0,1,1025,65536
		rc_pass "$op with ibv_wr_*"
	done
	rc_test_pair prxe_a prxe_b --ex -o send -S 3 -s 4096
	rc_pass "ibv_wr_set_sge_list"
	rc_test_pair prxe_a prxe_b --ex -o send -I -s 1,200
	rc_pass "ibv_wr_set_inline_data"
	rc_test_pair prxe_a prxe_b --events -o send -s 1,65536
	rc_pass "completion events"
	rc_test_pair prxe_a prxe_b --events=solicited -o send_imm -s 1,4096
	rc_pass "solicited-only events"
}

# Path MTUs 256..4096 (4096 needs a jumbo netdev MTU), and the 24-bit PSN
# wrapping in the middle of messages.
t_path_mtus_and_psn_wrap() {
	local mtu
	run "netdev MTU 9000" in_a ip link set "$NETDEV_A" mtu 9000
	run "netdev MTU 9000" in_b ip link set "$NETDEV_B" mtu 9000
	prxe_pair_up
	for mtu in 256 512 2048 4096; do
		rc_test_pair prxe_a prxe_b -o write -m "$mtu" \
			-s 1,$((mtu - 1)),$mtu,$((mtu + 1)),65536
		rc_pass "write at path MTU $mtu"
		rc_test_pair prxe_a prxe_b -o read -m "$mtu" -s $((mtu + 1)),65536
		rc_pass "read at path MTU $mtu"
	done
	rc_test_pair prxe_a prxe_b -o send -m 1024 --psn 0xfffff0 -s 65536
	rc_pass "send across the PSN wrap"
	rc_test_pair prxe_a prxe_b -o read -m 1024 --psn 0xfffff8 -s 65536
	rc_pass "read across the PSN wrap"
}

# Errors reach the requester with the IBTA status and flush what follows.
t_errors() {
	local scenario
	prxe_pair_up
	for scenario in bad_rkey rnr too_long local_len; do
		rc_test_pair prxe_a prxe_b --expect "$scenario"
		rc_pass "--expect $scenario"
	done
	rc_test_pair prxe_a prxe_b --destroy-inflight -o write -s 65536
	rc_pass "destroy QPs with work in flight"
}


# SQD: the send queue drains (the half posted before completes, then
# IBV_EVENT_SQ_DRAINED), work requests posted in SQD wait for RTS.
t_sqd_drain() {
	local op
	prxe_pair_up
	for op in write read send; do
		rc_test_pair prxe_a prxe_b --sqd -o "$op" -s 1,65536 -n 4
		rc_pass "$op through SQD and back to RTS"
	done
}

# Loss and reordering on the veth, both directions (netem: 5% of the
# packets lost, a quarter of them held back 1 ms so that later ones
# overtake them): a verified 64 MiB transfer of each kind completes with
# every byte right.  Exercises NAK/rewind (SEND, WRITE), targeted READ
# re-requests and the retransmit timer; the counters are printed.
t_loss_and_reorder_64m() {
	local op t0 ack netem=(netem loss 5% delay 1ms reorder 75% 50%)
	prxe_pair_up
	run "netem on $NETDEV_A" in_a tc qdisc add dev "$NETDEV_A" root "${netem[@]}"
	run "netem on $NETDEV_B" in_b tc qdisc add dev "$NETDEV_B" root "${netem[@]}"
	for op in read write send; do
		t0=$(date +%s%N)
		# Under TCG: READ ~15 s, WRITE and SEND ~35 s.  READ with a
		# local ACK timeout of 268 ms: with the test bed's
		# memory-debugging kernel the guest is about twice as slow, and
		# go-back-N READ recovery (which resends several times the data
		# under this loss) used up 7 retries of 67 ms, with the driver of
		# before issue 10 too.  WRITE and SEND keep 67 ms: their lost
		# last packets are found by the timer.
		ack=14
		[ "$op" = read ] && ack=16
		RC_RUN_TIMEOUT=150 rc_test_pair prxe_a prxe_b -o "$op" -m 1024 \
			-s 1m --total 64m --ack-timeout "$ack"
		echo "$op: $((($(date +%s%N) - t0) / 1000000)) ms"
		rc_dump_counters
		rc_pass "$op of 64 MiB under 5% loss and reordering"
	done
}
