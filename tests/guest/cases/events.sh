# SPDX-License-Identifier: GPL-2.0-only
# Asynchronous events, each delivered exactly once to the right object:
# the port's PORT_ERR / PORT_ACTIVE with its netdev down and up
# (ibv_asyncwatch), and QP / CQ / SRQ events through
# tests/progs/prxe_srq_test on one device: a CQ overrun (CQ_ERR for the CQ,
# QP_FATAL for the QP), an invalid request (QP_REQ_ERR on the responder),
# a remote access error (QP_ACCESS_ERR on the responder), and QPs on an
# SRQ leaving it (QP_LAST_WQE_REACHED, the SRQ's WQEs not flushed).
# timeout: 200

. /opt/prxe/guest/lib/rc.sh
. /opt/prxe/guest/lib/apps.sh

events_test() {
	SRQ_TEST_PASSES=$# srq_test events "$@"
}

t_port_err_active() {
	prxe_add prxe0 "$NS_A" "$NETDEV_A"
	asyncwatch_start prxe0 /tmp/watch.log
	run "netdev down" in_a ip link set "$NETDEV_A" down
	wait_for 10 "IBV_EVENT_PORT_ERR delivered" grep -q IBV_EVENT_PORT_ERR /tmp/watch.log
	run "netdev up" in_a ip link set "$NETDEV_A" up
	wait_for 10 "IBV_EVENT_PORT_ACTIVE delivered" grep -q IBV_EVENT_PORT_ACTIVE /tmp/watch.log
	sleep 0.5
	kill "$WATCH_PID"
	wait "$WATCH_PID" 2>/dev/null || true
	expect_eq "events, each once, port 1" \
		"IBV_EVENT_PORT_ERR,1 IBV_EVENT_PORT_ACTIVE,1" \
		"$(awk '/event_type/ { print $2 "," $NF }' /tmp/watch.log | xargs)"
}

t_cq_overrun() {
	apps_pair_up
	events_test cq_overrun
}

t_responder_req_err() {
	apps_pair_up
	events_test req_err
}

t_responder_access_err() {
	apps_pair_up
	events_test access_err
}

t_last_wqe_reached() {
	apps_pair_up
	events_test last_wqe too_long
}

# Completion events of a CQ in every order of arming: armed for solicited
# completions and then for the next one, any completion fires it; each
# arming fires once (tests/progs/prxe_cq_events).
t_cq_arming() {
	prxe_add prxe0 "$NS_A" "$NETDEV_A"
	wait_for 10 "prxe0 has its RoCEv2 GID" rc_gid_ready prxe0 "$IP_A"
	prog_run -n "$NS_A" prxe_cq_events prxe0
}
