# SPDX-License-Identifier: GPL-2.0-only
# prxe against the kernel's own rdma_rxe on the wire: rxe0 on veth rxa in
# the initial namespace (stock rdma_rxe works only there), prxe_c on its
# peer rxb moved into namespace pc.  Every byte verified by
# tests/progs/prxe_rc_test, with prxe as the requester (client) and as the
# responder (server).
# timeout: 400

. /opt/prxe/guest/lib/rc.sh
. /opt/prxe/guest/lib/apps.sh

# interop_ops MTU SIZES: every opcode, prxe requesting from rdma_rxe and
# rdma_rxe requesting from prxe.
interop_ops() {
	local mtu=$1 sizes=$2 op
	for op in send send_imm write write_imm read; do
		rc_pair - rxe0 "$NS_C" prxe_c "$RXE_IP" -o "$op" -m "$mtu" \
			-s "$sizes" -n 2
		rc_pass "$op, prxe -> rdma_rxe, MTU $mtu"
		rc_pair "$NS_C" prxe_c - rxe0 "$IP_C" -o "$op" -m "$mtu" \
			-s "$sizes" -n 2
		rc_pass "$op, rdma_rxe -> prxe, MTU $mtu"
	done
	for op in cmp_swp fetch_add; do
		rc_pair - rxe0 "$NS_C" prxe_c "$RXE_IP" -o "$op" -n 16
		rc_pass "$op, prxe -> rdma_rxe"
		rc_pair "$NS_C" prxe_c - rxe0 "$IP_C" -o "$op" -n 16
		rc_pass "$op, rdma_rxe -> prxe"
	done
}

t_opcodes_mtu_1024() {
	interop_up
	interop_ops 1024 0,1,1023,1024,1025,65536,1m
}

t_opcodes_mtu_4096() {
	interop_up 9000
	interop_ops 4096 0,1,4095,4096,4097,1m
}

# Errors cross the wire as NAKs rdma_rxe and prxe read alike: a WRITE with
# a bad rkey (remote access error) and a misaligned atomic (invalid
# request), prxe requesting from rdma_rxe.  (rdma_rxe as the requester
# deviates in what it flushes: rxe_baseline.)
t_error_naks() {
	local scenario
	interop_up
	for scenario in bad_rkey misaligned_atomic; do
		rc_pair - rxe0 "$NS_C" prxe_c "$RXE_IP" --expect "$scenario"
		rc_pass "--expect $scenario, prxe -> rdma_rxe"
	done
}

# Loss both ways (netem 3%): PSN sequence NAKs, READ re-requests and
# timeouts between the two implementations, every byte verified.
# rdma_rxe as a READ requester ignores the responses after a lost one and
# re-requests only when its retransmit timer (67 ms here) fires, so its
# READs take ~3 s per MiB at 3% loss: the waits are long (-t 60).
t_under_loss() {
	local op ack netem=(netem loss 3% delay 1ms)
	interop_up
	run "netem on $RXE_NETDEV" tc qdisc add dev "$RXE_NETDEV" root "${netem[@]}"
	run "netem on $RXE_PEER" ip netns exec "$NS_C" \
		tc qdisc add dev "$RXE_PEER" root "${netem[@]}"
	RC_SERVER_ARGS=(-t 60)
	for op in write read send; do
		# prxe's READs with a local ACK timeout of 268 ms, as in
		# rc/loss_and_reorder_64m.
		ack=14
		[ "$op" = read ] && ack=16
		SECONDS=0
		RC_RUN_TIMEOUT=200 rc_pair - rxe0 "$NS_C" prxe_c "$RXE_IP" \
			-o "$op" -s 1m --total 8m -t 60 --ack-timeout "$ack"
		rc_pass "$op of 8 MiB under 3% loss, prxe -> rdma_rxe ($SECONDS s)"
		SECONDS=0
		RC_RUN_TIMEOUT=200 rc_pair "$NS_C" prxe_c - rxe0 "$IP_C" \
			-o "$op" -s 1m --total 8m -t 60
		rc_pass "$op of 8 MiB under 3% loss, rdma_rxe -> prxe ($SECONDS s)"
	done
	RC_SERVER_ARGS=()
	rc_dump_counters
}

# Datagrams and rdma_cm between the two: verified UD SENDs both ways, then
# rping (data checked) and udaddy with either as the server.  The
# connection manager's MADs go between prxe's and rdma_rxe's GSI QPs.
t_ud_and_rdma_cm() {
	interop_up
	rc_pair - rxe0 "$NS_C" prxe_c "$RXE_IP" --ud -o send_imm -S 2
	rc_pass "UD, prxe -> rdma_rxe"
	rc_pair "$NS_C" prxe_c - rxe0 "$IP_C" --ud -o send_imm -S 2
	rc_pass "UD, rdma_rxe -> prxe"

	CM_PORT=7174
	APP_SERVER_NS=- APP_CLIENT_NS=$NS_C cm_pair \
		rping -s -a "$RXE_IP" -p "$CM_PORT" -C 20 -S 512 -V -- \
		rping -c -a "$RXE_IP" -p "$CM_PORT" -C 20 -S 512 -V
	echo "ok: rping, server rdma_rxe, client prxe"
	APP_SERVER_NS=$NS_C APP_CLIENT_NS=- cm_pair \
		rping -s -a "$IP_C" -p "$CM_PORT" -C 20 -S 512 -V -- \
		rping -c -a "$IP_C" -p "$CM_PORT" -C 20 -S 512 -V
	echo "ok: rping, server prxe, client rdma_rxe"
	APP_SERVER_NS=- APP_CLIENT_NS=$NS_C cm_pair \
		udaddy -b "$RXE_IP" -C 10 -- udaddy -s "$RXE_IP" -C 10
	echo "ok: udaddy, server rdma_rxe, client prxe"
	APP_SERVER_NS=$NS_C APP_CLIENT_NS=- cm_pair \
		udaddy -b "$IP_C" -C 10 -- udaddy -s "$IP_C" -C 10
	echo "ok: udaddy, server prxe, client rdma_rxe"
}

# Every perftest between the two, prxe as server and as client, at path
# MTU 1024 and 4096 (veth MTU 9000).
interop_perftests() {
	local mtu=$1 prog gx gc
	gx=$(rc_gid_index rxe0 "$RXE_IP")
	gc=$(rc_gid_index prxe_c "$IP_C")
	for prog in ib_send_bw ib_write_bw ib_read_bw ib_atomic_bw ib_send_lat \
		    ib_write_lat ib_read_lat ib_atomic_lat; do
		interop_perftest "$prog" "$mtu" - rxe0 "$gx" "$NS_C" prxe_c "$gc" "$RXE_IP"
		interop_perftest "$prog" "$mtu" "$NS_C" prxe_c "$gc" - rxe0 "$gx" "$IP_C"
	done
}

t_perftest_mtu_1024() {
	interop_up
	interop_perftests 1024
}

t_perftest_mtu_4096() {
	interop_up 9000
	interop_perftests 4096
}

# interop_perftest PROG MTU SNS SDEV SGID CNS CDEV CGID SERVER_IP: one
# run, both ends must exit 0 and the client print its result line.
interop_perftest() {
	local prog=$1 common=(-p "$APP_PORT" -m "$2" -F -n 200)
	shift 2
	case $prog in
	ib_atomic_*) ;;
	*_lat) common+=(-s 64) ;;
	*) common+=(-s 16384) ;;
	esac
	APP_SERVER_NS=$1 APP_CLIENT_NS=$4 app_pair \
		"$prog" -d "$2" -x "$3" "${common[@]}" -- \
		"$prog" -d "$5" -x "$6" "${common[@]}" "$7"
	awk '$2 == 200 { ok = 1 } END { exit !ok }' <<<"$PAIR_OUT" ||
		fail "$prog $2 <- $5: no result line"
	echo "ok: $prog, MTU ${common[3]}, server $2, client $5"
}
