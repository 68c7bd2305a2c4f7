# SPDX-License-Identifier: GPL-2.0-only
# rdma_cm between prxe_a (netns pa) and prxe_b (pb): the connection
# manager's messages (MADs) travel as UD datagrams between the devices' GSI
# QPs (QP 1, created by ib_core's MAD layer on prxe), and the applications
# then talk over the RC or UD QPs rdma_cm connected.  rping checks its data
# (-V), udaddy and ucmatose their message counts, perftest -R connects with
# rdma_cm.
# timeout: 300

. /opt/prxe/guest/lib/rc.sh
. /opt/prxe/guest/lib/apps.sh

t_gsi_qp() {
	prxe_pair_up
	rdma resource show qp link prxe_a/1
	expect_match "prxe_a has the MAD layer's GSI QP" "lqpn 1 .*type GSI" \
		"$(rdma resource show qp link prxe_a/1)"
}

t_rping() {
	prxe_pair_up
	CM_PORT=7174
	cm_pair rping -s -a "$IP_A" -p "$CM_PORT" -C 50 -S 1024 -V -- \
		rping -c -a "$IP_A" -p "$CM_PORT" -C 50 -S 1024 -V
	expect_no_match "rping" "mismatch" "$PAIR_OUT"
}

t_ucmatose() {
	prxe_pair_up
	CM_PORT=7471
	cm_pair ucmatose -b "$IP_A" -c 2 -C 20 -- \
		ucmatose -s "$IP_A" -c 2 -C 20
}

t_udaddy() {
	prxe_pair_up
	CM_PORT=7174
	cm_pair udaddy -b "$IP_A" -c 2 -C 20 -- \
		udaddy -s "$IP_A" -c 2 -C 20
}

# perftest connecting its QPs with rdma_cm (-R): no TCP at all.
t_perftest_rdma_cm() {
	local prog
	prxe_pair_up
	for prog in ib_send_bw ib_write_bw ib_read_bw ib_write_lat; do
		CM_PORT=$APP_PORT
		cm_pair "$prog" -d prxe_a -R -p "$CM_PORT" -s 4096 -n 200 -F -- \
			"$prog" -d prxe_b -R -p "$CM_PORT" -s 4096 -n 200 -F \
			"$IP_A"
		awk '$1 == 4096 && $2 == 200 { ok = 1 } END { exit !ok }' \
			<<<"$PAIR_OUT" || fail "$prog -R: no result line"
		APP_PORT=$((APP_PORT + 1))
		echo "ok: $prog -R"
	done
}
