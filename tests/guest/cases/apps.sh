# SPDX-License-Identifier: GPL-2.0-only
# Unmodified applications on prxe devices, between prxe_a (netns pa) and
# prxe_b (netns pb): perftest's six RC tests and rdma-core's
# ibv_rc_pingpong.  perftest checks no data (tests/guest/cases/rc.sh does);
# these show that applications written for any RDMA device run to the end
# and report their results.
# timeout: 300

. /opt/prxe/guest/lib/rc.sh
. /opt/prxe/guest/lib/apps.sh

t_perftest_bw() {
	apps_pair_up
	perftest ib_send_bw 65536 300
	perftest ib_write_bw 65536 300
	perftest ib_read_bw 65536 300
	perftest ib_write_bw 4096 1000 -q 4
	perftest ib_read_bw 1024 300 -o 4
	perftest ib_send_bw 1 1000
}

t_perftest_lat() {
	apps_pair_up
	perftest ib_send_lat 8 500
	perftest ib_write_lat 8 500
	perftest ib_read_lat 8 500
	perftest ib_send_lat 4096 200
}

# ibv_rc_pingpong with its buffer check (-c), polling and with events (-e).
t_rc_pingpong() {
	local size
	apps_pair_up
	for size in 1 4096 65536; do
		rc_pingpong "$size" 200
		rc_pingpong "$size" 200 -e
	done
}
