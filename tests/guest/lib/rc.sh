# SPDX-License-Identifier: GPL-2.0-only
# RC data path tests with tests/progs/prxe_rc_test (see its --help): helpers
# to run it in loopback, as a server/client pair (in two namespaces, or both
# in the initial one), and to judge its runs.
#
#   rc_loopback DEV ARGS...          one process, both QPs on DEV
#   rc_test_pair DEVA DEVB ARGS...   server on DEVA in netns pa, client on
#                                    DEVB in netns pb connecting to IP_A
#   rc_pair SNS SDEV CNS CDEV IP ARGS...   the general form ("-": the
#                                    initial namespace)
#
# Each sets RC_STATUS (the client's exit status, or the loopback's), and for
# pairs RC_SERVER_STATUS, prints the output, and returns 0: judge the run
# with rc_pass WHAT, or read RC_STATUS / RC_OUT for an expected failure.
#
#   pair_run PORT SNS CNS            any server/client pair of programs
#                                    (PAIR_SERVER, PAIR_CLIENT arrays)
#   rc_gid_index DEV IP              GID index of IP's RoCEv2 GID (for -g / -x)
#   prxe_pair_up                     prxe_a on va (netns pa) and prxe_b on vb
#                                    (pb), each with its RoCEv2 GID
#
#   rxe_initial_setup                rdma_rxe device rxe0 in the initial
#                                    namespace (veth rxa, RXE_IP) for the
#                                    baseline: stock rdma_rxe's UDP socket
#                                    lives there only
#   interop_up [MTU]                 rxe0 as above and prxe_c on its veth
#                                    peer in namespace NS_C (IP_C), for
#                                    prxe <-> rdma_rxe tests

RC_PORT=${RC_PORT:-18520}
RC_SERVER_ARGS=()	# options of the server's own (e.g. --mmap FILE)
RC_RUN_TIMEOUT=${RC_RUN_TIMEOUT:-100}
RXE_NETDEV=rxa RXE_PEER=rxb RXE_IP=10.78.0.1

rc_prog() { echo "$PRXE_TESTS/prxe_rc_test"; }

prxe_pair_up() {
	prxe_add prxe_a "$NS_A" "$NETDEV_A"
	prxe_add prxe_b "$NS_B" "$NETDEV_B"
	wait_for 10 "prxe_a has its RoCEv2 GID" rc_gid_ready prxe_a "$IP_A"
	wait_for 10 "prxe_b has its RoCEv2 GID" rc_gid_ready prxe_b "$IP_B"
}

# in_ns NS COMMAND...: run in network namespace NS ("-": this one).
in_ns() {
	local ns=$1
	shift
	if [ "$ns" = - ]; then
		"$@"
	else
		ip netns exec "$ns" "$@"
	fi
}

# rc_listening NS PORT: a TCP socket listens on PORT in NS.
rc_listening() {
	in_ns "$1" ss -Hltn "sport = :$2" 2>/dev/null | grep -q .
}

rc_loopback() {
	local dev=$1
	shift
	echo "+ prxe_rc_test -d $dev loopback $*"
	RC_STATUS=0
	RC_OUT=$(timeout -k 5 "$RC_RUN_TIMEOUT" "$(rc_prog)" -d "$dev" "$@" \
		loopback 2>&1) || RC_STATUS=$?
	RC_SERVER_STATUS=
	printf '%s\n' "$RC_OUT"
	echo "+ exit $RC_STATUS"
	return 0
}

# pair_run PORT SNS CNS: the server command PAIR_SERVER (an array) in
# namespace SNS and, once it listens on TCP PORT (or once the command named
# by PAIR_READY says "NS PORT" is ready), the client PAIR_CLIENT in
# CNS ("-": the initial namespace), each under RC_RUN_TIMEOUT.  Sets
# PAIR_STATUS (the client's exit status), PAIR_SERVER_STATUS and PAIR_OUT
# (the client's output, then the server's with "server| " in front).
pair_run() {
	local port=$1 sns=$2 cns=$3 slog=/tmp/pair-server.log spid i
	local snet=() cnet=()
	[ "$sns" = - ] || snet=(ip netns exec "$sns")
	[ "$cns" = - ] || cnet=(ip netns exec "$cns")
	echo "+ [$sns] ${PAIR_SERVER[*]}"
	timeout -k 5 "$RC_RUN_TIMEOUT" "${snet[@]}" "${PAIR_SERVER[@]}" \
		>"$slog" 2>&1 &
	spid=$!
	# Wait for the server's socket, not a fixed time; stop if it died.
	for i in $(seq 200); do
		"${PAIR_READY:-rc_listening}" "$sns" "$port" && break
		exited "$spid" && break
		sleep 0.05
	done
	echo "+ [$cns] ${PAIR_CLIENT[*]}"
	PAIR_STATUS=0
	if "${PAIR_READY:-rc_listening}" "$sns" "$port"; then
		PAIR_OUT=$(timeout -k 5 "$RC_RUN_TIMEOUT" "${cnet[@]}" \
			"${PAIR_CLIENT[@]}" 2>&1) || PAIR_STATUS=$?
	else
		PAIR_OUT="pair_run: the server never listened on port $port"
		PAIR_STATUS=1
	fi
	# The server ends with the client's connection; do not let a client
	# that failed early leave it waiting for one.
	for i in $(seq 200); do
		exited "$spid" && break
		sleep 0.1
	done
	exited "$spid" || {
		kill "$spid" 2>/dev/null
		PAIR_OUT="$PAIR_OUT
pair_run: the server did not finish within 20 s of the client; killed"
	}
	PAIR_SERVER_STATUS=0
	wait "$spid" || PAIR_SERVER_STATUS=$?
	PAIR_OUT="$PAIR_OUT
$(sed 's/^/server| /' "$slog")"
}

rc_pair() {
	local sns=$1 sdev=$2 cns=$3 cdev=$4 ip=$5
	shift 5
	PAIR_SERVER=("$(rc_prog)" -d "$sdev" -p "$RC_PORT" "${RC_SERVER_ARGS[@]}"
		     server)
	PAIR_CLIENT=("$(rc_prog)" -d "$cdev" -p "$RC_PORT" client "$ip" "$@")
	pair_run "$RC_PORT" "$sns" "$cns"
	RC_STATUS=$PAIR_STATUS RC_SERVER_STATUS=$PAIR_SERVER_STATUS
	RC_OUT=$PAIR_OUT
	printf '%s\n' "$RC_OUT"
	echo "+ exit: client $RC_STATUS, server $RC_SERVER_STATUS"
	return 0
}

rc_test_pair() {
	local deva=$1 devb=$2
	shift 2
	rc_pair "$NS_A" "$deva" "$NS_B" "$devb" "$IP_A" "$@"
}

# The protocol counters of every prxe device, for the log of a failure.
rc_dump_counters() {
	local d
	for d in $(prxe_devices); do
		rdma statistic show link "$d/1" 2>/dev/null | tr -s ' \n' ' '
		echo
	done
}

# rc_stat DEV COUNTER: the value of one of DEV's `rdma statistic` counters
# ("missing" if it has no such counter).
rc_stat() {
	rdma statistic show link "$1/1" 2>/dev/null | tr -s ' ' '\n' |
		awk -v c="$2" 'prev == c { print; found = 1; exit } { prev = $0 }
			END { if (!found) print "missing" }'
}

# rc_pass WHAT: the last run passed at every end, each saying PASS.
rc_pass() {
	local why
	if [ "$RC_STATUS" != 0 ] || [ "${RC_SERVER_STATUS:-0}" != 0 ]; then
		rc_dump_counters
		why=$(grep -E -m 2 'FAIL:|UNSUPPORTED:' <<<"$RC_OUT" | tr '\n' ' ')
		fail "$1: exit ${RC_STATUS}${RC_SERVER_STATUS:+ (server $RC_SERVER_STATUS)}: ${why:-$(tail -n 2 <<<"$RC_OUT")}"
	fi
	grep -q 'PASS:' <<<"$RC_OUT" || fail "$1: no PASS line"
	echo "ok: $1"
}

# rc_unsupported_or_pass WHAT: exit 77 is a SKIP with the tester's reason.
rc_unsupported_or_pass() {
	if [ "$RC_STATUS" = 77 ] || [ "${RC_SERVER_STATUS:-0}" = 77 ]; then
		skip "$1: $(grep -m 1 -o 'UNSUPPORTED: .*' <<<"$RC_OUT")"
	fi
	rc_pass "$1"
}

# rc_gid_index DEV IP: the index of DEV's RoCEv2 GID of IPv4 address IP.
rc_gid_index() {
	local dev=$1 hex g i
	hex=$(printf '%02x%02x:%02x%02x' ${2//./ })
	for i in /sys/class/infiniband/"$dev"/ports/1/gids/*; do
		g=$(cat "$i" 2>/dev/null) || continue
		[ "$g" = "0000:0000:0000:0000:0000:ffff:$hex" ] || continue
		[ "$(cat /sys/class/infiniband/"$dev"/ports/1/gid_attrs/types/"${i##*/}" 2>/dev/null)" = "RoCE v2" ] ||
			continue
		echo "${i##*/}"
		return 0
	done
	return 1
}

# rc_gid_ready DEV IP: DEV's GID table holds the RoCEv2 GID of IPv4 IP.
rc_gid_ready() {
	rc_gid_index "$@" >/dev/null
}

# rc_port_active DEV
rc_port_active() {
	grep -q ACTIVE "/sys/class/infiniband/$1/ports/1/state" 2>/dev/null
}

rxe_initial_setup() {
	ip link del "$RXE_NETDEV" 2>/dev/null
	run "veth $RXE_NETDEV/$RXE_PEER in the initial namespace" \
		ip link add "$RXE_NETDEV" type veth peer name "$RXE_PEER"
	run "address $RXE_IP" ip addr add "$RXE_IP/24" dev "$RXE_NETDEV"
	run "$RXE_NETDEV up" ip link set "$RXE_NETDEV" up
	run "$RXE_PEER up" ip link set "$RXE_PEER" up
	run "rdma_rxe device rxe0" rdma link add rxe0 type rxe netdev "$RXE_NETDEV"
	wait_for 10 "rxe0 port active" rc_port_active rxe0
	wait_for 10 "rxe0 has the RoCEv2 GID of $RXE_IP" rc_gid_ready rxe0 "$RXE_IP"
}

rxe_initial_cleanup() {
	rdma link delete rxe0 2>/dev/null
	ip link del "$RXE_NETDEV" 2>/dev/null
	return 0
}

# prxe against rdma_rxe: rxe0 on veth rxa in the initial namespace,
# prxe_c on its peer rxb in namespace pc (interop.sh, flush.sh).
NS_C=pc IP_C=10.78.0.2

interop_cleanup() {
	rdma link delete prxe_c 2>/dev/null
	ip netns del "$NS_C" 2>/dev/null
	rxe_initial_cleanup
}

# interop_up [MTU]: rxe0 and prxe_c, the veth at MTU (default 1500).
interop_up() {
	trap interop_cleanup EXIT
	rxe_initial_setup
	ip netns del "$NS_C" 2>/dev/null
	run "netns $NS_C" ip netns add "$NS_C"
	run "$RXE_PEER into $NS_C" ip link set "$RXE_PEER" netns "$NS_C"
	run "address $IP_C" ip netns exec "$NS_C" ip addr add "$IP_C/24" dev "$RXE_PEER"
	if [ -n "${1:-}" ]; then
		run "MTU $1 on $RXE_NETDEV" ip link set "$RXE_NETDEV" mtu "$1"
		run "MTU $1 on $RXE_PEER" ip netns exec "$NS_C" ip link set "$RXE_PEER" mtu "$1"
	fi
	run "$RXE_PEER up" ip netns exec "$NS_C" ip link set "$RXE_PEER" up
	run "lo up in $NS_C" ip netns exec "$NS_C" ip link set lo up
	prxe_add prxe_c "$NS_C" "$RXE_PEER"
	wait_for 10 "prxe_c has its RoCEv2 GID" rc_gid_ready prxe_c "$IP_C"
	wait_for 10 "rxe0 has its RoCEv2 GID" rc_gid_ready rxe0 "$RXE_IP"
}
