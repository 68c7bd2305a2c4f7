# SPDX-License-Identifier: GPL-2.0-only
# Unmodified applications (perftest, rdma-core's examples) as a server in
# netns pa on prxe_a and a client in pb on prxe_b (lib/rc.sh's pair_run).
#
#   apps_pair_up                     the two devices; GID_A / GID_B set
#   app_pair SARGS... -- CARGS...    one server/client run (in APP_SERVER_NS
#                                    and APP_CLIENT_NS, default pa and pb);
#                                    fails unless both exit 0
#   perftest PROG SIZE ITERS [ARGS...]   one perftest run with ARGS on both
#                                    ends, PT_SERVER_ARGS / PT_CLIENT_ARGS
#                                    (arrays) on one end only; fails
#                                    without its result line
#   srq_test ARGS...                 tests/progs/prxe_srq_test on prxe_a
#   cm_pair SARGS... -- CARGS...     app_pair for rdma_cm programs, which
#                                    listen on rdma_cm port CM_PORT, not TCP
#   pingpong PROG SIZE ITERS [ARGS...]  ibv_{rc,srq,ud}_pingpong with its
#                                    buffer check (-c) and ARGS on both
#                                    ends; both must report ITERS
#                                    iterations, no bad data
#   rc_pingpong SIZE ITERS [ARGS...] pingpong ibv_rc_pingpong, MTU 1024

APP_PORT=${APP_PORT:-18600}
PT_SERVER_ARGS=() PT_CLIENT_ARGS=()

apps_pair_up() {
	prxe_pair_up
	GID_A=$(rc_gid_index prxe_a "$IP_A")
	GID_B=$(rc_gid_index prxe_b "$IP_B")
}

app_pair() {
	PAIR_SERVER=() PAIR_CLIENT=()
	while [ "$1" != -- ]; do PAIR_SERVER+=("$1"); shift; done
	shift
	PAIR_CLIENT=("$@")
	pair_run "$APP_PORT" "${APP_SERVER_NS:-$NS_A}" "${APP_CLIENT_NS:-$NS_B}"
	printf '%s\n' "$PAIR_OUT"
	echo "+ exit: client $PAIR_STATUS, server $PAIR_SERVER_STATUS"
	if [ "$PAIR_STATUS" != 0 ] || [ "$PAIR_SERVER_STATUS" != 0 ]; then
		rc_dump_counters
		fail "${PAIR_CLIENT[0]}: exit $PAIR_STATUS (server $PAIR_SERVER_STATUS): $(grep -Ev '^(server\| )?[- ]*$' <<<"$PAIR_OUT" | tail -n 2 | tr '\n' ' ')"
	fi
	APP_PORT=$((APP_PORT + 1))
}

# srq_test ARGS...: tests/progs/prxe_srq_test on prxe_a in netns pa; it
# must exit 0 and say PASS (SRQ_TEST_PASSES times, if set: once per
# scenario asked for).
srq_test() {
	local out rc=0 passes
	echo "+ prxe_srq_test $*"
	out=$(timeout -k 5 "$RC_RUN_TIMEOUT" ip netns exec "$NS_A" "$PRXE_TESTS/prxe_srq_test" \
		-d prxe_a -g "$GID_A" "$@" 2>&1) || rc=$?
	printf '%s\n' "$out"
	[ $rc = 0 ] || fail "prxe_srq_test $*: exit $rc: $(grep -m 1 'FAIL:' <<<"$out" || tail -n 2 <<<"$out")"
	passes=$(grep -c '^PASS:' <<<"$out")
	if [ -n "${SRQ_TEST_PASSES:-}" ]; then
		[ "$passes" = "$SRQ_TEST_PASSES" ] ||
			fail "prxe_srq_test $*: expected $SRQ_TEST_PASSES PASS lines, saw $passes"
	else
		[ "$passes" != 0 ] || fail "prxe_srq_test $*: no PASS line"
	fi
}

# cm_listening NS PORT: an rdma_cm ID listens on PORT, on device
# CM_LISTEN_DEV if set.  A server bound to no address (perftest -R) has
# rdma_cm listen on every device, through an ID per device made one after
# the other: the one of the device the client reaches must be listening.
# An ID shows LISTEN just before the CM takes requests for it, hence the
# second look.
cm_listening() {
	local re="^link ${CM_LISTEN_DEV:-[^ ]+}/.*state LISTEN.*:$2 "
	rdma resource show cm_id 2>/dev/null | grep -Eq "$re" || return 1
	sleep 0.1
	rdma resource show cm_id 2>/dev/null | grep -Eq "$re"
}

# The server's device is the one after its -d, if it has one.
cm_pair() {
	local a dev= prev=
	for a in "$@"; do
		[ "$a" = -- ] && break
		[ "$prev" = -d ] && dev=$a
		prev=$a
	done
	CM_LISTEN_DEV=$dev PAIR_READY=cm_listening APP_PORT=$CM_PORT \
		app_pair "$@"
}

# The result line: the size, then the iterations (ITERS times the QPs).
perftest() {
	local prog=$1 size=$2 iters=$3 common
	shift 3
	common=(-p "$APP_PORT" -m 1024 -F -s "$size" -n "$iters" "$@")
	app_pair "$prog" -d prxe_a -x "$GID_A" "${common[@]}" \
		"${PT_SERVER_ARGS[@]}" -- \
		"$prog" -d prxe_b -x "$GID_B" "${common[@]}" \
		"${PT_CLIENT_ARGS[@]}" "$IP_A"
	awk -v s="$size" -v n="$iters" '$1 == s && $2 >= n && $2 % n == 0 { ok = 1 } END { exit !ok }' \
		<<<"$PAIR_OUT" || fail "$prog: no result line for $size bytes x $iters"
	echo "ok: $prog -s $size -n $iters $* ${PT_SERVER_ARGS[*]} / ${PT_CLIENT_ARGS[*]}"
}

# pingpong PROG SIZE ITERS [ARGS...]: one of rdma-core's ibv_*_pingpong
# with its buffer check (-c); both ends must report ITERS iterations and
# no bad data.
pingpong() {
	local prog=$1 size=$2 iters=$3 common
	shift 3
	common=(-p "$APP_PORT" -s "$size" -n "$iters" -c "$@")
	app_pair "$prog" -d prxe_a -g "$GID_A" "${common[@]}" -- \
		"$prog" -d prxe_b -g "$GID_B" "${common[@]}" "$IP_A"
	[ "$(grep -c "^\(server| \)\{0,1\}$iters iters in" <<<"$PAIR_OUT")" = 2 ] ||
		fail "$prog -s $size $*: not both ends report $iters iterations"
	expect_no_match "$prog -s $size $*" "invalid data" "$PAIR_OUT"
	echo "ok: $prog -s $size -n $iters $*"
}

rc_pingpong() {
	pingpong ibv_rc_pingpong "$1" "$2" -m 1024 "${@:3}"
}
