# SPDX-License-Identifier: GPL-2.0-only
# The provider's ring index arithmetic (providers/prxe/ring.h), which the
# kernel side must agree with: checked in ordinary memory, no device needed.

# Two threads pass entries through a small ring whose free-running u32
# indices wrap at 2^32; every entry must arrive once, in order, intact.
t_ring_indices() {
	local out
	out=$("$PRXE_TESTS/prxe_ring_test" 1000000 2>&1) ||
		fail "prxe_ring_test: $(grep -m 1 FAIL <<<"$out" || tail -n 1 <<<"$out")"
	printf '%s\n' "$out"
	expect_match "wrap-around" \
		"two threads passed 1000000 entries .* \(wrapping at 2\^32\)" "$out"
	expect_match "completion" "^prxe_ring_test: all passed$" "$out"
}
