# SPDX-License-Identifier: GPL-2.0-only
# Unmodified applications on prxe devices, between prxe_a (netns pa) and
# prxe_b (netns pb): perftest's six RC tests and rdma-core's
# ibv_rc_pingpong.  perftest checks no data (tests/guest/cases/rc.sh does);
# these show that applications written for any RDMA device run to the end
# and report their results.
# timeout: 300

. /opt/prxe/guest/lib/rc.sh

APP_PORT=18600

apps_pair_up() {
	prxe_add prxe_a "$NS_A" "$NETDEV_A"
	prxe_add prxe_b "$NS_B" "$NETDEV_B"
	wait_for 10 "prxe_a has its RoCEv2 GID" rc_gid_ready prxe_a "$IP_A"
	wait_for 10 "prxe_b has its RoCEv2 GID" rc_gid_ready prxe_b "$IP_B"
	GID_A=$(rc_gid_index prxe_a "$IP_A")
	GID_B=$(rc_gid_index prxe_b "$IP_B")
}

# app_pair SERVER_ARGS... -- CLIENT_ARGS...: PAIR_SERVER / PAIR_CLIENT from
# the two argument lists, run in pa / pb; fails unless both exit 0.
app_pair() {
	PAIR_SERVER=() PAIR_CLIENT=()
	while [ "$1" != -- ]; do PAIR_SERVER+=("$1"); shift; done
	shift
	PAIR_CLIENT=("$@")
	pair_run "$APP_PORT" "$NS_A" "$NS_B"
	printf '%s\n' "$PAIR_OUT"
	echo "+ exit: client $PAIR_STATUS, server $PAIR_SERVER_STATUS"
	if [ "$PAIR_STATUS" != 0 ] || [ "$PAIR_SERVER_STATUS" != 0 ]; then
		rc_dump_counters
		fail "${PAIR_CLIENT[0]}: exit $PAIR_STATUS (server $PAIR_SERVER_STATUS): $(grep -Ev '^(server\| )?[- ]*$' <<<"$PAIR_OUT" | tail -n 2 | tr '\n' ' ')"
	fi
	APP_PORT=$((APP_PORT + 1))
}

# perftest PROG SIZE ITERS [ARGS...]: one run, which must print its result
# line at the client (size, then the iterations: ITERS times the QPs).
perftest() {
	local prog=$1 size=$2 iters=$3 common
	shift 3
	common=(-p "$APP_PORT" -m 1024 -F -s "$size" -n "$iters" "$@")
	app_pair "$prog" -d prxe_a -x "$GID_A" "${common[@]}" -- \
		"$prog" -d prxe_b -x "$GID_B" "${common[@]}" "$IP_A"
	awk -v s="$size" -v n="$iters" '$1 == s && $2 >= n && $2 % n == 0 { ok = 1 } END { exit !ok }' \
		<<<"$PAIR_OUT" || fail "$prog: no result line for $size bytes x $iters"
	echo "ok: $prog -s $size -n $iters $*"
}

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
	local size extra
	apps_pair_up
	for size in 1 4096 65536; do
		for extra in "" -e; do
			app_pair ibv_rc_pingpong -d prxe_a -g "$GID_A" -p "$APP_PORT" \
				-m 1024 -s "$size" -n 200 -c $extra -- \
				ibv_rc_pingpong -d prxe_b -g "$GID_B" -p "$APP_PORT" \
				-m 1024 -s "$size" -n 200 -c $extra "$IP_A"
			[ "$(grep -c '^\(server| \)\{0,1\}200 iters in' <<<"$PAIR_OUT")" = 2 ] ||
				fail "ibv_rc_pingpong -s $size $extra: not both ends report 200 iterations"
			expect_no_match "ibv_rc_pingpong -s $size $extra" "invalid data" "$PAIR_OUT"
			echo "ok: ibv_rc_pingpong -s $size $extra"
		done
	done
}
