# SPDX-License-Identifier: GPL-2.0-only
# Teardown while RC traffic runs between prxe_a (netns pa) and prxe_b
# (netns pb): killed processes, QPs destroyed, `rdma link delete`, the
# netdev going down, rmmod.  None may oops or warn (checked after every
# test), the applications must end instead of hanging, nothing may be left
# behind (rdma resource counts, the module's reference count), and the
# devices (or new ones) must carry verified traffic again afterwards.
# timeout: 240

. /opt/prxe/guest/lib/rc.sh

TRAFFIC_LOG=/tmp/traffic.log

# Packets flow, whichever way (READ responses come from prxe_a).
traffic_flowing() {
	[ $(($(rc_stat prxe_a sent_pkts) + $(rc_stat prxe_b sent_pkts))) -gt 2000 ] \
		2>/dev/null
}

# traffic_start ARGS...: a long verified transfer (prxe_rc_test, server on
# prxe_a, client on prxe_b, 2 s completion timeout) in the background,
# returning once packets flow.
traffic_start() {
	(RC_RUN_TIMEOUT=100 rc_test_pair prxe_a prxe_b -t 2 "$@" \
		>"$TRAFFIC_LOG" 2>&1) &
	TRAFFIC_PID=$!
	wait_for 30 "traffic flows" traffic_flowing
}

# traffic_ends SECONDS: the background transfer has ended within SECONDS
# (a failure is expected: its device or path went away).
traffic_ends() {
	local i
	for i in $(seq $(($1 * 10))); do
		exited "$TRAFFIC_PID" && break
		sleep 0.1
	done
	if ! exited "$TRAFFIC_PID"; then
		cat "$TRAFFIC_LOG"
		ps -eo pid,stat,wchan:30,args | grep -v grep | grep prxe_rc_test
		fail "the applications still run $1 s after the teardown"
	fi
	wait "$TRAFFIC_PID"
	grep -E 'FAIL|PASS|exit' "$TRAFFIC_LOG" | sed 's/^/traffic| /' | head -n 6
	echo "ok: the applications ended"
}

# nothing_left: no verbs object of an application is left on a prxe
# device (the kernel's own, "comm [ib_core]", are the MAD layer's GSI QP
# with its CQ and PD), and no process holds the module.
nothing_left() {
	local d kind res left
	for d in $(prxe_devices); do
		rdma resource show "$d" 2>&1
		grep -Eq ' ctx [1-9]' <<<"$(rdma resource show "$d" 2>&1)" &&
			fail "user contexts left on $d: $(rdma resource show "$d")"
		for kind in qp cq pd mr; do
			if [ "$kind" = qp ]; then
				res=$(rdma resource show qp link "$d/1" 2>&1)
			else
				res=$(rdma resource show "$kind" dev "$d" 2>&1)
			fi
			left=$(grep -v 'comm \[' <<<"$res" | grep .)
			[ -z "$left" ] || fail "$kind left on $d: $left"
		done
	done
	wait_for 10 "prxe.ko has no users" \
		eval '[ "$(cat /sys/module/prxe/refcnt)" = 0 ]'
}

# works_again: a fresh verified transfer between prxe_a and prxe_b.
works_again() {
	rc_test_pair prxe_a prxe_b -o write -s 1m --total 8m
	rc_pass "a new transfer after the teardown"
}

t_kill_applications() {
	local p
	prxe_pair_up
	traffic_start -o write -s 1m --total 2g
	# While it runs, the QPs' engine state is there to see.
	expect_match "rdma -dd resource show qp: the requester's state" \
		"drv_sq_posted [0-9]+ drv_sq_sent [0-9]+ drv_req_psn 0x" \
		"$(rdma -dd resource show qp link prxe_b/1 2>&1)"
	for p in $(pgrep -f prxe_rc_test); do kill -9 "$p"; done
	traffic_ends 20
	nothing_left
	works_again
}

t_link_delete() {
	local dev
	for dev in prxe_a prxe_b; do
		prxe_pair_up
		traffic_start -o read -s 1m --total 2g
		run "rdma link delete $dev during traffic" rdma link delete "$dev"
		traffic_ends 30
		nothing_left
		testbed_reset
	done
	prxe_pair_up
	works_again
}

t_netdev_down() {
	prxe_pair_up
	traffic_start -o send -s 1m --total 2g
	run "$NETDEV_B down during traffic" in_b ip link set "$NETDEV_B" down
	traffic_ends 30
	expect_match "the requester gave up" "retry|timeout|completions|FAIL" \
		"$(cat "$TRAFFIC_LOG")"
	nothing_left
	run "$NETDEV_B up" in_b ip link set "$NETDEV_B" up
	wait_for 10 "prxe_b has its RoCEv2 GID again" rc_gid_ready prxe_b "$IP_B"
	wait_for 10 "prxe_b port active" rc_port_active prxe_b
	works_again
}

t_netdev_delete() {
	prxe_pair_up
	traffic_start -o write -s 1m --total 2g
	run "delete $NETDEV_B during traffic" in_b ip link delete "$NETDEV_B"
	traffic_ends 30
	nothing_left
	testbed_reset
	prxe_pair_up
	works_again
}

# rmmod while applications use the devices: ib_core takes the devices
# from under them (they see their rings go idle and end), then the module
# goes away; loaded again, it works.
t_rmmod() {
	prxe_pair_up
	traffic_start -o write -s 1m --total 2g
	run "rmmod prxe during traffic" rmmod prxe
	traffic_ends 30
	[ ! -e /sys/module/prxe ] || fail "prxe.ko still loaded"
	run "modprobe prxe" modprobe prxe
	prxe_pair_up
	nothing_left
	works_again
}
