# SPDX-License-Identifier: GPL-2.0-only
# The packet-layer fuzzer (tests/progs/inject/prxe_fuzz, issue 10): the
# device prxe0 on va in netns pa, its RC QPs connected to a QP at
# 10.77.0.2 that no device has, which the program plays from netns pb,
# gets mutated packets of every kind roce/mutate.h makes; every packet
# must end in exactly one of the receive path's counters (or, for a UDP
# length that lies, in the IP/UDP stack's), nothing may be written
# outside the regions (guards of known contents), and the device must
# still pass verified traffic afterwards.  A kernel Oops, WARNING, BUG or
# KFENCE report fails the test (run-tests).  The seed is printed
# ("seed N"): `prxe_fuzz --seed N ...` replays the run, and with
# `--batch 1 --trace` names the counter each packet ended in.
#
# t_fuzz_100k: 10^5 packets, in CI.
# t_soak: 10^6 packets (or PRXE_FUZZ_PACKETS), run by hand; skips unless
# PRXE_FUZZ_PACKETS is set in the guest's environment, which the kernel
# command line does (a VAR=VALUE word without a dot goes to init's
# environment):
#
#   PRXE_KERNEL_ARGS=PRXE_FUZZ_PACKETS=1000000 \
#       tests/testbed/testbed.sh test fuzz/soak
#
# Under TCG (2 shared host cores) 10^5 packets take 30-75 s, 10^6 about 5
# minutes.  Each test limits its program itself (prog_run -t), by the
# packets it sends; the group's time limit below, and the boot's
# (PRXE_BOOT_TIMEOUT, 3000 s), fit a soak of 10^6: raise both for more.
# timeout: 3000

# fuzz_run PACKETS SECONDS: the fuzzer against prxe0, within SECONDS.
fuzz_run() {
	prxe_add prxe0 "$NS_A" "$NETDEV_A"
	wait_for 10 "prxe0 has its RoCEv2 GID" rc_gid_ready prxe0 "$IP_A"
	prog_run -n "$NS_A" -t "$2" prxe_fuzz --packets "$1" --pmem "$PMEM_MNT" \
		prxe0 "$NS_B" "$IP_B"
}

t_fuzz_100k() { fuzz_run 100000 600; }

t_soak() {
	local n=${PRXE_FUZZ_PACKETS:-}
	[ -n "$n" ] || skip "the soak runs by hand: PRXE_KERNEL_ARGS=PRXE_FUZZ_PACKETS=1000000 (see fuzz.sh)"
	fuzz_run "$n" $((300 + n / 400))
}
