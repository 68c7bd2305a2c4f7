# SPDX-License-Identifier: GPL-2.0-only
# Assertions for guest tests.  A failed assertion records why in
# $PRXE_FAIL_FILE (read by run-tests for the result line) and exits the test.
# skip records why in the same file and exits with PRXE_SKIP_STATUS, which
# run-tests reports as SKIP.

PRXE_SKIP_STATUS=77

fail() {
	echo "FAIL: $*" >&2
	[ -n "${PRXE_FAIL_FILE:-}" ] && echo "$*" >"$PRXE_FAIL_FILE"
	exit 1
}

# skip REASON: the test cannot say anything here (say why: what is missing
# or known broken, not what would have been checked).  A kernel problem
# logged during the test still fails it.
skip() {
	echo "SKIP: $*" >&2
	[ -n "${PRXE_FAIL_FILE:-}" ] && echo "$*" >"$PRXE_FAIL_FILE"
	exit "$PRXE_SKIP_STATUS"
}

# expect_eq WHAT EXPECTED SEEN
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: expected '$2', saw '$3'"
	echo "ok: $1 = '$3'"
}

# expect_match WHAT REGEX TEXT
expect_match() {
	grep -Eq -- "$2" <<<"$3" || fail "$1: expected a match for /$2/ in: $(head -c 400 <<<"$3")"
	echo "ok: $1 matches /$2/"
}

# expect_no_match WHAT REGEX TEXT
expect_no_match() {
	! grep -Eq -- "$2" <<<"$3" || fail "$1: expected no match for /$2/ in: $(grep -E -m 3 -- "$2" <<<"$3")"
	echo "ok: $1 has no /$2/"
}

# expect_fail WHAT ERROR_REGEX COMMAND...: the command must fail, and its
# output must say why (match ERROR_REGEX).
expect_fail() {
	local what=$1 re=$2 out rc=0
	shift 2
	out=$("$@" 2>&1) || rc=$?
	[ $rc -ne 0 ] || fail "$what: '$*' succeeded, expected it to fail"
	expect_match "$what (exit $rc)" "$re" "$out"
}

# run WHAT COMMAND...: the command must succeed; its output is printed.
run() {
	local what=$1 out rc=0
	shift
	out=$("$@" 2>&1) || rc=$?
	printf '%s\n' "$out"
	[ $rc -eq 0 ] || fail "$what: '$*' exited $rc: $(tail -n 3 <<<"$out")"
}

# wait_for SECONDS WHAT COMMAND...: poll until the command succeeds.
wait_for() {
	local secs=$1 what=$2 i
	shift 2
	for i in $(seq $((secs * 10))); do
		"$@" >/dev/null 2>&1 && { echo "ok: $what"; return 0; }
		sleep 0.1
	done
	fail "$what: not true after ${secs}s ($*)"
}

# Kernel messages logged since the test began (run-tests marks the start).
dmesg_since_start() {
	dmesg | sed -n "/prxe-test: begin ${PRXE_TEST_NAME//\//\\/}\$/,\$p"
}

# exited PID: the process has ended (gone, or a zombie not yet reaped).
exited() {
	[ ! -e "/proc/$1/stat" ] || [ "$(awk '{ print $3 }' "/proc/$1/stat")" = Z ]
}
