// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe_inject: hand-built RoCEv2 packets against a device's live QPs and
 * memory regions; the device must drop or refuse each as IBTA says, write
 * nothing outside what a request may touch, and answer as it should.
 *
 * Usage: prxe_inject DEVICE PEER_NS PEER_IP [CASE...]
 *
 * Runs in the device's network namespace; PEER_NS is the namespace of the
 * address PEER_IP, which the program impersonates (the device's QPs are
 * connected to a QP there that does not exist).  Each case has fresh QPs
 * (most end in the error state); all cases run when none are named:
 *
 *   write_wrap       a WRITE whose RETH asks for 2^32 - 4096 bytes ending
 *                    at the end of a 4 GiB ODP region: refused (NAK
 *                    invalid request: over IBTA's 2^31), nothing written
 *                    past the region by the MIDDLE packets that follow;
 *                    2^31 + 1 refused, 2^31 taken
 *   read_len         READs of 2^32 - 1 and 2^31 + 1 bytes: refused
 *   dereg_mid_write  the FIRST packet of a WRITE, then ibv_dereg_mr()
 *                    (pinned and ODP): it returns at once, and the next
 *                    packet of the WRITE is NAKed remote access error
 *   wrong_source     a valid WRITE from another address (spoofed, and the
 *                    device's own): dropped, counted in rcvd_wrong_src,
 *                    nothing written; from the peer's address: written
 *   pkey             a P_Key not the port's: dropped (rcvd_bad_pkey); a
 *                    limited member's (0x7fff): taken
 *   send_invalidate  SEND with Invalidate: NAK invalid request, and no
 *                    receive completes successfully
 *   atomic_align     a FETCH_ADD at a misaligned VA: NAK invalid
 *                    request, memory unchanged; an aligned one is done
 *   basics           a bad ICRC (rcvd_icrc_err), a PSN ahead (one NAK
 *                    PSN sequence error), a valid WRITE (ACK, written)
 *
 * Output and exit status: the test library's convention (check.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "check.h"
#include "peer.h"
#include "qp.h"
#include "target.h"
#include "wc.h"

#define QPS_PER_CASE	4
#define PAGE		4096u
#define SILENCE_MS	300

static struct target t;
static struct peer p;
static unsigned int next_qp;
static uint8_t payload[4096];

/* A fresh RC QP of the target for a case. */
static unsigned int fresh_qp(void)
{
	if (next_qp == t.nr_rc)
		die("out of QPs: raise the count in main()");
	return next_qp++;
}

/* Sends @h to RC QP @i from the peer, and moves the QP's PSN on. */
static void send_to(unsigned int i, struct roce_hdrs *h)
{
	peer_send(&p, h, NULL, false);
	t.rc[i].epsn = roce_psn_add(h->bth.psn, 1);
}

static bool all_zero(const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* The difference of counter @name since @before is @want (a check). */
static void expect_counter(const char *name, uint64_t before, uint64_t want)
{
	uint64_t seen = 0;
	int i;

	/* ib_core caches hw counters for a few milliseconds. */
	for (i = 0; i < 50; i++) {
		seen = target_counter(&t, name) - before;
		if (seen == want)
			break;
		usleep(20000);
	}
	expect_eq(want, seen, "%s grew by", name);
}

/* ------------------------------------------------------------------------
 * Lengths near 2^32 (a region of 4 GiB, ODP: registering it costs nothing)
 */

#define BIG_LEN		(4ull << 30)

struct big {
	uint8_t *map;			/* guard page, region, guard page */
	uint8_t *addr;
	struct ibv_mr *mr;
};

static void big_open(struct big *b)
{
	b->map = mmap(NULL, BIG_LEN + 2 * PAGE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (b->map == MAP_FAILED)
		die("mmap of 4 GiB: %s", strerror(errno));
	b->addr = b->map + PAGE;
	memset(b->map, 0x5a, PAGE);
	memset(b->addr + BIG_LEN, 0x5a, PAGE);
	b->mr = ibv_reg_mr(t.dev.pd, b->addr, BIG_LEN,
			   IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
			   IBV_ACCESS_REMOTE_READ | IBV_ACCESS_ON_DEMAND);
	if (!b->mr)
		die("ODP ibv_reg_mr of 4 GiB: %s", strerror(errno));
}

/* The pages before and after the region are what they were (a check). */
static void big_guards(const struct big *b, const char *what)
{
	uint8_t want[PAGE];
	bool ok;

	memset(want, 0x5a, PAGE);
	ok = !memcmp(b->map, want, PAGE) &&
	     !memcmp(b->addr + BIG_LEN, want, PAGE);
	check(ok, "the pages around the 4 GiB region unchanged",
	      ok ? "unchanged" : "written", "%s", what);
}

static void big_close(struct big *b)
{
	ibv_dereg_mr(b->mr);
	munmap(b->map, BIG_LEN + 2 * PAGE);
}

static void write_first(unsigned int i, uint64_t va, uint32_t rkey,
			uint32_t len)
{
	struct roce_hdrs h;

	target_rc_hdrs(&t, i, &h, ROCE_OP_RC_RDMA_WRITE_FIRST);
	h.reth = (struct roce_reth) { .va = va, .rkey = rkey, .dma_len = len };
	h.payload = payload;
	h.payload_len = t.mtu;
	send_to(i, &h);
}

static void case_write_wrap(void)
{
	uint32_t len = (uint32_t)(BIG_LEN - PAGE);	/* 2^32 - 4096 */
	unsigned int i = fresh_qp(), k;
	struct roce_hdrs h;
	struct big b;
	uint32_t psn;

	part_begin("write_wrap");
	big_open(&b);
	memset(payload, 0xee, sizeof(payload));
	psn = t.rc[i].epsn;
	write_first(i, (uintptr_t)b.addr + BIG_LEN - len, b.mr->rkey, len);
	expect_answer(&p, psn, ROCE_SYN_NAK(ROCE_NAK_INVALID_REQ),
		      "WRITE_FIRST of a %u-byte WRITE ending at the region's end",
		      len);
	/* What a wrapping offset would have placed past the region. */
	for (k = 0; k < 8; k++) {
		target_rc_hdrs(&t, i, &h, ROCE_OP_RC_RDMA_WRITE_MIDDLE);
		h.payload = payload;
		h.payload_len = t.mtu;
		h.bth.ack_req = false;
		send_to(i, &h);
	}
	usleep(200000);
	big_guards(&b, "after the WRITE and 8 MIDDLE packets");

	i = fresh_qp();
	psn = t.rc[i].epsn;
	write_first(i, (uintptr_t)b.addr, b.mr->rkey, (1u << 31) + 1);
	expect_answer(&p, psn, ROCE_SYN_NAK(ROCE_NAK_INVALID_REQ),
		      "WRITE_FIRST of a WRITE of 2^31 + 1 bytes");
	i = fresh_qp();
	psn = t.rc[i].epsn;
	write_first(i, (uintptr_t)b.addr, b.mr->rkey, 1u << 31);
	expect_answer(&p, psn, ROCE_SYN_ACK(0),
		      "WRITE_FIRST of a WRITE of 2^31 bytes (the largest)");
	check(!memcmp(b.addr, payload, t.mtu), "its first packet written",
	      memcmp(b.addr, payload, t.mtu) ? "not written" : "written",
	      "the 2^31-byte WRITE's first packet");
	big_guards(&b, "at the end");
	big_close(&b);
	part_end();
}

static void read_request(unsigned int i, uint64_t va, uint32_t rkey,
			 uint32_t len)
{
	struct roce_hdrs h;

	target_rc_hdrs(&t, i, &h, ROCE_OP_RC_RDMA_READ_REQUEST);
	h.reth = (struct roce_reth) { .va = va, .rkey = rkey, .dma_len = len };
	send_to(i, &h);
}

static void case_read_len(void)
{
	static const uint32_t lens[] = { 0xffffffffu, (1u << 31) + 1 };
	unsigned int n;
	struct big b;

	part_begin("read_len");
	big_open(&b);
	for (n = 0; n < 2; n++) {
		unsigned int i = fresh_qp();
		uint32_t psn = t.rc[i].epsn;

		read_request(i, (uintptr_t)b.addr, b.mr->rkey, lens[n]);
		expect_answer(&p, psn, ROCE_SYN_NAK(ROCE_NAK_INVALID_REQ),
			      "READ of %u bytes", lens[n]);
	}
	peer_drain(&p, 100);
	big_close(&b);
	part_end();
}

/* ------------------------------------------------------------------------
 * Deregistration while a peer holds a WRITE in progress
 */

static void on_alarm(int sig)
{
	static const char msg[] =
		"FAIL: ibv_dereg_mr: expected to return, seen still waiting after 10 s\n";

	(void)sig;
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(EXIT_FAIL);
	_exit(EXIT_FAIL);
}

static void dereg_mid_write(bool odp)
{
	unsigned int i = fresh_qp();
	struct target_mr m;
	struct roce_hdrs h;
	uint64_t t0;
	uint32_t psn;
	int err;

	target_mr_open(&t, &m, 64 * 1024, PAGE, odp);
	memset(payload, 0x3c, sizeof(payload));
	psn = t.rc[i].epsn;
	write_first(i, (uintptr_t)m.mem.addr, m.mr->rkey, 4 * t.mtu);
	expect_answer(&p, psn, ROCE_SYN_ACK(0), "%s: a WRITE's FIRST packet",
		      odp ? "ODP" : "pinned");

	signal(SIGALRM, on_alarm);
	alarm(10);
	t0 = now_ms();
	err = ibv_dereg_mr(m.mr);
	alarm(0);
	expect_err(0, err, "%s: ibv_dereg_mr with the WRITE in progress",
		   odp ? "ODP" : "pinned");
	check(now_ms() - t0 < 2000, "under 2000 ms",
	      strf("%" PRIu64 " ms", now_ms() - t0),
	      "%s: ibv_dereg_mr's time", odp ? "ODP" : "pinned");

	target_rc_hdrs(&t, i, &h, ROCE_OP_RC_RDMA_WRITE_MIDDLE);
	h.payload = payload;
	h.payload_len = t.mtu;
	psn = h.bth.psn;
	send_to(i, &h);
	expect_answer(&p, psn, ROCE_SYN_NAK(ROCE_NAK_REM_ACCESS_ERR),
		      "%s: the WRITE's next packet, after deregistration",
		      odp ? "ODP" : "pinned");
	check(all_zero(m.mem.addr + t.mtu, 3 * t.mtu), "nothing written",
	      all_zero(m.mem.addr + t.mtu, 3 * t.mtu) ? "nothing written" :
	      "written", "%s: the deregistered memory", odp ? "ODP" : "pinned");
	guarded_check(&m.mem, "%s: around the deregistered region",
		      odp ? "ODP" : "pinned");
	guarded_unmap(&m.mem);
}

static void case_dereg_mid_write(void)
{
	part_begin("dereg_mid_write");
	dereg_mid_write(false);
	dereg_mid_write(true);
	part_end();
}

/* ------------------------------------------------------------------------
 * Packets that are not the connection's
 */

static void write_only(unsigned int i, struct roce_hdrs *h,
		       const struct target_mr *m)
{
	target_rc_hdrs(&t, i, h, ROCE_OP_RC_RDMA_WRITE_ONLY);
	h->reth = (struct roce_reth) {
		.va = (uintptr_t)m->mem.addr, .rkey = m->mr->rkey,
		.dma_len = 64,
	};
	h->payload = payload;
	h->payload_len = 64;
}

static void case_wrong_source(void)
{
	unsigned int i = fresh_qp();
	uint64_t before = target_counter(&t, "rcvd_wrong_src");
	struct target_mr m;
	struct roce_hdrs h;

	part_begin("wrong_source");
	target_mr_open(&t, &m, PAGE, PAGE, false);
	memset(payload, 0x77, sizeof(payload));
	/* Another host's address, over the wire ... */
	write_only(i, &h, &m);
	peer_send(&p, &h, "10.77.0.9", false);
	expect_silence(&p, SILENCE_MS, "a WRITE from 10.77.0.9");
	/* ... and a local user's, from the device's own address. */
	write_only(i, &h, &m);
	peer_send_local(&p, &h, p.dev_addr);
	expect_silence(&p, SILENCE_MS, "a WRITE from %s (a local user)",
		       p.dev_addr);
	expect_counter("rcvd_wrong_src", before, 2);
	check(all_zero(m.mem.addr, PAGE), "nothing written",
	      all_zero(m.mem.addr, PAGE) ? "nothing written" : "written",
	      "the region after the WRITEs from other addresses");
	write_only(i, &h, &m);
	send_to(i, &h);
	expect_answer(&p, h.bth.psn, ROCE_SYN_ACK(0), "the same WRITE from %s",
		      p.addr);
	check(!memcmp(m.mem.addr, payload, 64), "written", "not written",
	      "the region after the WRITE from the peer");
	guarded_check(&m.mem, "around the region");
	target_mr_close(&m);
	part_end();
}

static void case_pkey(void)
{
	uint64_t before = target_counter(&t, "rcvd_bad_pkey");
	unsigned int i = fresh_qp();
	struct target_mr m;
	struct roce_hdrs h;

	part_begin("pkey");
	target_mr_open(&t, &m, PAGE, PAGE, false);
	memset(payload, 0x99, sizeof(payload));
	write_only(i, &h, &m);
	h.bth.pkey = 0x1234;
	peer_send(&p, &h, NULL, false);
	expect_silence(&p, SILENCE_MS, "a WRITE with P_Key 0x1234");
	expect_counter("rcvd_bad_pkey", before, 1);
	check(all_zero(m.mem.addr, PAGE), "nothing written",
	      all_zero(m.mem.addr, PAGE) ? "nothing written" : "written",
	      "the region after the WRITE with a foreign P_Key");
	write_only(i, &h, &m);
	h.bth.pkey = 0x7fff;
	send_to(i, &h);
	expect_answer(&p, h.bth.psn, ROCE_SYN_ACK(0),
		      "a WRITE with P_Key 0x7fff (limited member of the default partition)");
	target_mr_close(&m);
	part_end();
}

/* ------------------------------------------------------------------------
 * Opcodes and operands a responder must refuse
 */

static void case_send_invalidate(void)
{
	unsigned int i = fresh_qp();
	struct roce_hdrs h;
	struct ibv_wc wc;
	unsigned int ok = 0;

	part_begin("send_invalidate");
	target_rc_hdrs(&t, i, &h, ROCE_OP_RC_SEND_ONLY_WITH_INVALIDATE);
	h.ieth.rkey = 0x1234;
	h.payload = payload;
	h.payload_len = 64;
	send_to(i, &h);
	expect_answer(&p, h.bth.psn, ROCE_SYN_NAK(ROCE_NAK_INVALID_REQ),
		      "SEND_ONLY_WITH_INVALIDATE");
	while (poll_wc(t.cq, &wc, 300) == 1)
		ok += wc.qp_num == t.rc[i].qp->qp_num &&
		      wc.status == IBV_WC_SUCCESS;
	expect_eq(0, ok, "receives of that QP that completed successfully");
	part_end();
}

static void atomic_request(unsigned int i, uint64_t va, uint32_t rkey,
			   uint64_t add)
{
	struct roce_hdrs h;

	target_rc_hdrs(&t, i, &h, ROCE_OP_RC_FETCH_ADD);
	h.atomic_eth = (struct roce_atomic_eth) {
		.va = va, .rkey = rkey, .swap_add = add,
	};
	send_to(i, &h);
}

/*
 * The kernel checks an atomic's alignment in memory as well as in its VA
 * (a region whose iova is aligned otherwise than its address could put an
 * aligned VA over a word that straddles two pages), but ib_uverbs lets no
 * user region have an iova whose page offset differs from its address's,
 * so from here the two agree: a misaligned VA is refused, an aligned one
 * done.
 */
static void case_atomic_align(void)
{
	int access = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_ATOMIC;
	unsigned int i = fresh_qp();
	uint64_t before[2];
	struct guarded g;
	struct ibv_mr *mr;
	uint32_t psn;

	part_begin("atomic_align");
	if (guarded_map(&g, PAGE, PAGE))
		die("guarded_map: %s", strerror(errno));
	mr = ibv_reg_mr(t.dev.pd, g.addr, PAGE, access);
	if (!mr)
		die("ibv_reg_mr: %s", strerror(errno));
	memcpy(before, g.addr, sizeof(before));
	psn = t.rc[i].epsn;
	atomic_request(i, (uintptr_t)g.addr + 4, mr->rkey, 1);
	expect_answer(&p, psn, ROCE_SYN_NAK(ROCE_NAK_INVALID_REQ),
		      "FETCH_ADD at a VA 4 bytes off alignment");
	check(!memcmp(before, g.addr, sizeof(before)), "unchanged", "changed",
	      "the words around the misaligned target");
	i = fresh_qp();
	psn = t.rc[i].epsn;
	atomic_request(i, (uintptr_t)g.addr + 8, mr->rkey, 5);
	expect_answer(&p, psn, ROCE_SYN_ACK(0), "an aligned FETCH_ADD");
	check(((uint64_t *)g.addr)[1] == before[1] + 5, "added to", "not",
	      "the aligned target");
	guarded_check(&g, "around the atomics' page");
	ibv_dereg_mr(mr);
	guarded_unmap(&g);
	part_end();
}

static void case_basics(void)
{
	uint64_t icrc = target_counter(&t, "rcvd_icrc_err");
	unsigned int i = fresh_qp();
	struct target_mr m;
	struct roce_hdrs h;
	uint32_t psn;

	part_begin("basics");
	target_mr_open(&t, &m, PAGE, PAGE, true);
	memset(payload, 0x42, sizeof(payload));
	write_only(i, &h, &m);
	peer_send(&p, &h, NULL, true);
	expect_silence(&p, SILENCE_MS, "a WRITE with a bad ICRC");
	expect_counter("rcvd_icrc_err", icrc, 1);
	write_only(i, &h, &m);
	psn = h.bth.psn;
	h.bth.psn = roce_psn_add(psn, 5);
	peer_send(&p, &h, NULL, false);
	expect_answer(&p, psn, ROCE_SYN_NAK(ROCE_NAK_PSN_SEQ_ERR),
		      "a WRITE 5 PSNs ahead");
	check(all_zero(m.mem.addr, PAGE), "nothing written",
	      all_zero(m.mem.addr, PAGE) ? "nothing written" : "written",
	      "the region after the bad ICRC and the PSN gap");
	write_only(i, &h, &m);
	send_to(i, &h);
	expect_answer(&p, h.bth.psn, ROCE_SYN_ACK(0), "a valid WRITE (ODP)");
	check(!memcmp(m.mem.addr, payload, 64), "written", "not written",
	      "the region after the valid WRITE");
	guarded_check(&m.mem, "around the region");
	target_mr_close(&m);
	part_end();
}

static const struct {
	const char *name;
	void (*run)(void);
} cases[] = {
	{ "write_wrap", case_write_wrap },
	{ "read_len", case_read_len },
	{ "dereg_mid_write", case_dereg_mid_write },
	{ "wrong_source", case_wrong_source },
	{ "pkey", case_pkey },
	{ "send_invalidate", case_send_invalidate },
	{ "atomic_align", case_atomic_align },
	{ "basics", case_basics },
};

int main(int argc, char **argv)
{
	unsigned int c, n = sizeof(cases) / sizeof(cases[0]);
	int a;

	check_init("prxe_inject");
	if (argc < 4)
		die("usage: prxe_inject DEVICE PEER_NS PEER_IP [CASE...]");
	target_open(&t, argv[1], argv[3], n * QPS_PER_CASE);
	peer_open(&p, argv[2], argv[3], t.addr);
	for (c = 0; c < n; c++) {
		bool wanted = argc == 4;

		for (a = 4; a < argc; a++)
			wanted |= !strcmp(argv[a], cases[c].name);
		if (wanted)
			cases[c].run();
	}
	peer_close(&p);
	target_close(&t);
	return check_summary();
}
