# SPDX-License-Identifier: GPL-2.0-only
# Shared receive queues: rdma-core's ibv_srq_pingpong and perftest with
# --use-srq between prxe_a (netns pa) and prxe_b (netns pb); and
# tests/progs/prxe_srq_test on one device: several QPs taking their
# receive WQEs from one SRQ with every byte and completion checked (also
# with the receive buffers on demand), the SRQ limit event, and bad sizes.
# timeout: 300

. /opt/prxe/guest/lib/rc.sh
. /opt/prxe/guest/lib/apps.sh


# srq_pingpong SIZE ITERS [ARGS...]: ibv_srq_pingpong with its buffer check.
srq_pingpong() {
	pingpong ibv_srq_pingpong "$1" "$2" -m 1024 "${@:3}"
}

t_device_attrs() {
	prxe_add prxe0 "$NS_A" "$NETDEV_A"
	expect_eq "max_srq" 65536 "$(devinfo_field prxe0 max_srq)"
	expect_eq "max_srq_wr" 16384 "$(devinfo_field prxe0 max_srq_wr)"
	expect_eq "max_srq_sge" 32 "$(devinfo_field prxe0 max_srq_sge)"
	expect_match "RC ODP caps" "SUPPORT_SRQ" \
		"$(devinfo prxe0 | sed -n '/rc_odp_caps:/,/uc_odp_caps:/p')"
}

# 16 QPs (its default) on one SRQ at each end, polling and with events.
t_srq_pingpong() {
	local size
	apps_pair_up
	for size in 1 4096 65536; do
		srq_pingpong "$size" 200
	done
	srq_pingpong 4096 200 -e
	srq_pingpong 1024 300 -q 4 -r 8
}

# The receive buffers are an ODP region (IBV_ODP_SUPPORT_SRQ_RECV).
t_srq_pingpong_odp() {
	apps_pair_up
	srq_pingpong 4096 200 --odp
	srq_pingpong 65536 100 --odp
}

t_perftest_srq() {
	apps_pair_up
	perftest ib_send_bw 65536 300 --use-srq
	perftest ib_send_bw 4096 1000 --use-srq -q 4
	perftest ib_send_lat 8 500 --use-srq
}

# Several QPs, one SRQ, every byte and every completion checked: in
# order per QP, the right QP, wr_id, byte_len and immediate data.
t_shared_data() {
	apps_pair_up
	srq_test data -q 4 -n 300 -s 5000 -r 64
	# Fewer WQEs than messages in flight: receivers wait (RNR) and retry.
	srq_test data -q 8 -n 200 -s 3000 -r 8 -w 4
	srq_test data -q 2 -n 100 -s 70000 -r 16 -w 4
}

t_shared_data_odp() {
	apps_pair_up
	srq_test data --odp -q 4 -n 200 -s 9000 -r 32
}

# A QP reset in the middle of a message gives its WQE back to the SRQ.
t_reset_gives_back() {
	apps_pair_up
	srq_test events reset
}

t_limit_event() {
	apps_pair_up
	srq_test limit
}

t_bad_input() {
	apps_pair_up
	srq_test bad
}
