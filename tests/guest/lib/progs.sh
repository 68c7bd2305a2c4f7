# SPDX-License-Identifier: GPL-2.0-only
# Running the C test programs of tests/progs that follow the test
# library's convention (tests/progs/lib/check.h): one "ok:" / "FAIL:" line
# per check, a last line "PROG: PASS" or "PROG: FAIL (...)", exit 77 with a
# "SKIP: reason" line when there is nothing to test here.

# prog_run [-n NS] [-t SECONDS] PROG ARGS...: runs PROG (in network
# namespace NS, within SECONDS, default 100) and judges it: the test
# passes on exit 0 with the PASS line, skips on 77, fails otherwise with
# the first FAIL line.  The output is in PROG_OUT.
prog_run() {
	local ns=- limit=100 prog rc=0
	while :; do
		case "$1" in
		-n) ns=$2; shift 2 ;;
		-t) limit=$2; shift 2 ;;
		*) break ;;
		esac
	done
	prog=$1
	shift
	echo "+ $prog $*"
	PROG_OUT=$(in_ns "$ns" timeout -k 5 "$limit" "$PRXE_TESTS/$prog" "$@" 2>&1) ||
		rc=$?
	printf '%s\n' "$PROG_OUT"
	echo "+ exit $rc"
	if [ "$rc" = 77 ]; then
		skip "$prog: $(grep -m 1 '^SKIP:' <<<"$PROG_OUT" | sed 's/^SKIP: //')"
	fi
	[ "$rc" = 0 ] && grep -q "^$prog: PASS\$" <<<"$PROG_OUT" && return 0
	[ "$rc" = 124 ] && fail "$prog timed out after ${limit}s"
	fail "$prog (exit $rc): $(grep -m 1 '^FAIL:' <<<"$PROG_OUT" ||
		tail -n 1 <<<"$PROG_OUT")"
}
