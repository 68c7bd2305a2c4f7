// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe_roce_selftest: unit test of the RoCEv2 wire library (tests/progs/roce):
 * header encodings, the opcode table, the ICRC against known vectors and an
 * independent reference, the builder's lengths, pad and checksums, the
 * parser, and the mutator (deterministic, every kind and variant made).
 * No device needed.
 *
 *   prxe_roce_selftest [-n ITERATIONS] [-s SEED]
 *	ITERATIONS mutator packets (default 100000)
 *   prxe_roce_selftest --wire TX_NETNS RX_NETNS SRC DST
 *	raw packets from TX_NETNS with source address SRC (any: it need not
 *	be local) to a listener on DST:4791 in RX_NETNS (root; the network
 *	namespaces as "ip netns" names them)
 *
 * One line per group of checks, "ok: ..." or "FAIL: ..." per failed check;
 * the last line is "prxe_roce_selftest: PASS" (exit 0) or "... FAIL" (1).
 *
 * The references here are written apart from the library on purpose: a
 * bit-at-a-time CRC-32 and an ICRC pseudo-header assembled field by field
 * (the library: a table CRC and a masked copy), checksums summed in
 * 32-bit words.  The ICRC is also checked against bytes captured from
 * hardware, and in the guest the net tests prove prxe_roce_send's packets
 * (built by this library) against prxe and rdma_rxe.
 */
#define _GNU_SOURCE		/* setns() */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "roce/mutate.h"
#include "roce/pkt.h"
#include "roce/sock.h"

static unsigned long checks, failures;

__attribute__((format(printf, 2, 3)))
static bool check(bool ok, const char *fmt, ...)
{
	va_list ap;

	checks++;
	if (ok)
		return true;
	failures++;
	if (failures > 50)	/* the first ones say enough */
		return false;
	printf("FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	return false;
}

/* "ok: WHAT (N checks)" if no check failed since @failures_before. */
static void group_done(unsigned long failures_before,
		       unsigned long checks_before, const char *what)
{
	if (failures == failures_before)
		printf("ok: %s (%lu checks)\n", what, checks - checks_before);
	fflush(stdout);
}

#define GROUP_BEGIN()	unsigned long f0 = failures, c0 = checks
#define GROUP_END(what)	group_done(f0, c0, what)

/* The test's own random numbers (xorshift64), apart from the mutator's. */
static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t rnd64(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void rnd_bytes(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = rnd64();
}

static const char *hex(const uint8_t *p, size_t n)
{
	static char buf[3 * 64 + 1];
	size_t i;

	for (i = 0; i < n && i < 64; i++)
		sprintf(buf + 3 * i, "%02x ", p[i]);
	buf[i ? 3 * i - 1 : 0] = 0;
	return buf;
}

/* ------------------------------------------------------------------------
 * References, independent of the library.
 */
static uint32_t ref_crc32_bitwise(uint32_t crc, const uint8_t *p, size_t n)
{
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
	}
	return crc;
}

static uint16_t be16_at(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * The ICRC as IBTA Annex A17 words it, the pseudo-header written field by
 * field: 8 bytes of ones for the LRH; IPv4: version/IHL, TOS as ones,
 * total length, identification, flags/fragment, TTL as ones, protocol,
 * checksum as ones, addresses; IPv6: version and ones for traffic
 * class/flow label, payload length, next header, hop limit as ones,
 * addresses; UDP with the checksum as ones; the BTH with byte 4 as ones.
 */
static uint32_t ref_icrc(const uint8_t *pkt, size_t len, bool v6)
{
	uint8_t ph[8 + 40 + 8 + 12], *q = ph;
	size_t ip_len = v6 ? 40 : 20, i;

	memset(q, 0xff, 8);
	q += 8;
	if (!v6) {
		*q++ = pkt[0];
		*q++ = 0xff;
		for (i = 2; i < 8; i++)
			*q++ = pkt[i];		/* length, id, flags/fragment */
		*q++ = 0xff;
		*q++ = pkt[9];
		*q++ = 0xff;
		*q++ = 0xff;
		for (i = 12; i < 20; i++)
			*q++ = pkt[i];
	} else {
		*q++ = (pkt[0] & 0xf0) | 0x0f;
		*q++ = 0xff;
		*q++ = 0xff;
		*q++ = 0xff;
		*q++ = pkt[4];
		*q++ = pkt[5];
		*q++ = pkt[6];
		*q++ = 0xff;
		for (i = 8; i < 40; i++)
			*q++ = pkt[i];
	}
	for (i = 0; i < 6; i++)
		*q++ = pkt[ip_len + i];
	*q++ = 0xff;
	*q++ = 0xff;
	for (i = 0; i < 12; i++)
		*q++ = i == 4 ? 0xff : pkt[ip_len + 8 + i];
	return ~ref_crc32_bitwise(ref_crc32_bitwise(0xffffffffu, ph, q - ph),
				  pkt + ip_len + 8 + 12,
				  len - 4 - (ip_len + 8 + 12));
}

static uint32_t carried_icrc(const uint8_t *pkt, size_t len)
{
	const uint8_t *p = pkt + len - 4;

	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Sum of 16-bit words, folded: 0xffff over a block with a right checksum. */
static uint16_t ref_sum16(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += be16_at(p + i);
	if (n & 1)
		sum += p[n - 1] << 8;
	while (sum > 0xffff)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static bool ipv4_csum_ok(const uint8_t *ip)
{
	return ref_sum16(0, ip, 20) == 0xffff;
}

/* The UDP checksum of an IPv6 packet verifies (over the UDP length). */
static bool udp6_csum_ok(const uint8_t *ip, size_t len)
{
	const uint8_t *udp = ip + 40;
	size_t ulen = be16_at(udp + 4);
	uint32_t sum = 0;

	if (ulen > len - 40)
		ulen = len - 40;
	for (int i = 8; i < 40; i += 2)
		sum += be16_at(ip + i);
	sum += ulen + IPPROTO_UDP;
	return be16_at(udp + 6) && ref_sum16(sum, udp, ulen) == 0xffff;
}

/* ------------------------------------------------------------------------
 * Headers.
 */
static bool bth_eq(const struct roce_bth *a, const struct roce_bth *b)
{
	return a->opcode == b->opcode && a->se == b->se && a->mig == b->mig &&
	       a->pad == b->pad && a->tver == b->tver && a->pkey == b->pkey &&
	       a->fecn == b->fecn && a->becn == b->becn &&
	       a->resv6 == b->resv6 && a->dest_qpn == b->dest_qpn &&
	       a->ack_req == b->ack_req && a->resv7 == b->resv7 &&
	       a->psn == b->psn;
}

static bool hdrs_eq(const struct roce_hdrs *a, const struct roce_hdrs *b)
{
	unsigned int e = a->exts;

	return bth_eq(&a->bth, &b->bth) && a->exts == b->exts &&
	       (!(e & ROCE_HAS_DETH) ||
		(a->deth.qkey == b->deth.qkey && a->deth.resv == b->deth.resv &&
		 a->deth.src_qpn == b->deth.src_qpn)) &&
	       (!(e & ROCE_HAS_FETH) ||
		(a->feth.placement == b->feth.placement &&
		 a->feth.selectivity == b->feth.selectivity &&
		 a->feth.resv == b->feth.resv)) &&
	       (!(e & ROCE_HAS_RETH) ||
		(a->reth.va == b->reth.va && a->reth.rkey == b->reth.rkey &&
		 a->reth.dma_len == b->reth.dma_len)) &&
	       (!(e & ROCE_HAS_ATOMIC_ETH) ||
		(a->atomic_eth.va == b->atomic_eth.va &&
		 a->atomic_eth.rkey == b->atomic_eth.rkey &&
		 a->atomic_eth.swap_add == b->atomic_eth.swap_add &&
		 a->atomic_eth.compare == b->atomic_eth.compare)) &&
	       (!(e & ROCE_HAS_AETH) ||
		(a->aeth.syndrome == b->aeth.syndrome &&
		 a->aeth.msn == b->aeth.msn)) &&
	       (!(e & ROCE_HAS_ATOMIC_ACK_ETH) ||
		a->atomic_ack_eth.orig == b->atomic_ack_eth.orig) &&
	       (!(e & ROCE_HAS_IMMDT) || a->immdt.imm == b->immdt.imm) &&
	       (!(e & ROCE_HAS_IETH) || a->ieth.rkey == b->ieth.rkey) &&
	       a->payload_len == b->payload_len &&
	       (!a->payload_len ||
		!memcmp(a->payload, b->payload, a->payload_len));
}

/* Headers with every field random within its width. */
static void random_hdrs(struct roce_hdrs *h, unsigned int exts)
{
	uint64_t r = rnd64();

	memset(h, 0, sizeof(*h));
	h->bth.opcode = r;
	h->bth.se = r >> 8 & 1;
	h->bth.mig = r >> 9 & 1;
	h->bth.pad = r >> 10 & 3;
	h->bth.tver = r >> 12 & 15;
	h->bth.pkey = r >> 16;
	h->bth.fecn = r >> 32 & 1;
	h->bth.becn = r >> 33 & 1;
	h->bth.resv6 = r >> 34 & 0x3f;
	h->bth.ack_req = r >> 40 & 1;
	h->bth.resv7 = r >> 41 & 0x7f;
	r = rnd64();
	h->bth.dest_qpn = r & 0xffffff;
	h->bth.psn = r >> 24 & 0xffffff;
	h->exts = exts;
	h->deth.qkey = rnd64();
	r = rnd64();
	h->deth.resv = r;
	h->deth.src_qpn = r >> 8 & 0xffffff;
	h->feth.placement = r >> 32 & 15;
	h->feth.selectivity = r >> 36 & 3;
	h->feth.resv = rnd64() & 0x3ffffff;
	h->reth.va = rnd64();
	r = rnd64();
	h->reth.rkey = r;
	h->reth.dma_len = r >> 32;
	h->atomic_eth.va = rnd64();
	h->atomic_eth.rkey = rnd64();
	h->atomic_eth.swap_add = rnd64();
	h->atomic_eth.compare = rnd64();
	r = rnd64();
	h->aeth.syndrome = r;
	h->aeth.msn = r >> 8 & 0xffffff;
	h->atomic_ack_eth.orig = rnd64();
	h->immdt.imm = rnd64();
	h->ieth.rkey = rnd64();
}

/* A layout written out by hand from IBTA's header figures. */
static void expect_bytes(const char *what, const uint8_t *got,
			 const uint8_t *want, size_t n)
{
	char w[3 * 64 + 1];

	snprintf(w, sizeof(w), "%s", hex(want, n));
	check(!memcmp(got, want, n), "%s: encoded %s, expected %s", what,
	      hex(got, n), w);
}

static void test_header_layouts(void)
{
	GROUP_BEGIN();
	uint8_t out[64];

	{
		struct roce_bth bth = {
			.opcode = 0x0a, .se = true, .pad = 3, .pkey = 0xffff,
			.becn = true, .dest_qpn = 0x10a, .ack_req = true,
			.psn = 0x123456,
		};
		static const uint8_t want[] = {
			0x0a, 0xb0, 0xff, 0xff, 0x40, 0x00, 0x01, 0x0a,
			0x80, 0x12, 0x34, 0x56,
		};

		roce_bth_encode(&bth, out);
		expect_bytes("BTH", out, want, sizeof(want));
	}
	{
		/* Every reserved bit and the other flags. */
		struct roce_bth bth = {
			.opcode = 0x64, .mig = true, .pad = 1, .tver = 15,
			.pkey = 0x8001, .fecn = true, .resv6 = 0x2a,
			.dest_qpn = 0xabcdef, .resv7 = 0x55, .psn = 0xfedcba,
		};
		static const uint8_t want[] = {
			0x64, 0x5f, 0x80, 0x01, 0xaa, 0xab, 0xcd, 0xef,
			0x55, 0xfe, 0xdc, 0xba,
		};

		roce_bth_encode(&bth, out);
		expect_bytes("BTH with reserved bits", out, want, sizeof(want));
	}
	{
		struct roce_reth reth = {
			.va = 0x0102030405060708ull, .rkey = 0x11223344,
			.dma_len = 0x55667788,
		};
		static const uint8_t want[] = {
			1, 2, 3, 4, 5, 6, 7, 8, 0x11, 0x22, 0x33, 0x44,
			0x55, 0x66, 0x77, 0x88,
		};

		roce_reth_encode(&reth, out);
		expect_bytes("RETH", out, want, sizeof(want));
	}
	{
		struct roce_aeth aeth = { .syndrome = 0x61, .msn = 0x000305 };
		static const uint8_t want[] = { 0x61, 0x00, 0x03, 0x05 };

		roce_aeth_encode(&aeth, out);
		expect_bytes("AETH", out, want, sizeof(want));
	}
	{
		struct roce_atomic_eth a = {
			.va = 0x1000, .rkey = 0xabcd,
			.swap_add = 0x1111222233334444ull,
			.compare = 0x5555666677778888ull,
		};
		static const uint8_t want[] = {
			0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0xab, 0xcd,
			0x11, 0x11, 0x22, 0x22, 0x33, 0x33, 0x44, 0x44,
			0x55, 0x55, 0x66, 0x66, 0x77, 0x77, 0x88, 0x88,
		};

		roce_atomic_eth_encode(&a, out);
		expect_bytes("AtomicETH", out, want, sizeof(want));
	}
	{
		struct roce_atomic_ack_eth a = { .orig = 0x8877665544332211ull };
		static const uint8_t want[] = {
			0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
		};

		roce_atomic_ack_eth_encode(&a, out);
		expect_bytes("AtomicAckETH", out, want, sizeof(want));
	}
	{
		struct roce_deth deth = {
			.qkey = 0x80010000, .resv = 0x5a, .src_qpn = 0x000001,
		};
		static const uint8_t want[] = {
			0x80, 0x01, 0x00, 0x00, 0x5a, 0x00, 0x00, 0x01,
		};

		roce_deth_encode(&deth, out);
		expect_bytes("DETH", out, want, sizeof(want));
	}
	{
		struct roce_immdt immdt = { .imm = 0xdeadbeef };
		struct roce_ieth ieth = { .rkey = 0x12345678 };
		static const uint8_t want_imm[] = { 0xde, 0xad, 0xbe, 0xef };
		static const uint8_t want_ieth[] = { 0x12, 0x34, 0x56, 0x78 };

		roce_immdt_encode(&immdt, out);
		expect_bytes("ImmDt", out, want_imm, 4);
		roce_ieth_encode(&ieth, out);
		expect_bytes("IETH", out, want_ieth, 4);
	}
	{
		/* Placement type in bits 3:0, selectivity in 5:4. */
		struct roce_feth feth = {
			.placement = ROCE_FETH_PLT_PERSISTENCE,
			.selectivity = ROCE_FETH_SEL_WHOLE_MR, .resv = 1,
		};
		static const uint8_t want[] = { 0x00, 0x00, 0x00, 0x52 };

		roce_feth_encode(&feth, out);
		expect_bytes("FETH", out, want, sizeof(want));
	}
	GROUP_END("header layouts against hand-written IBTA bytes (BTH, RETH, AETH, AtomicETH, AtomicAckETH, DETH, ImmDt, IETH, FETH)");
}

static void test_header_round_trips(void)
{
	GROUP_BEGIN();
	const unsigned int iterations = 2000;

	for (unsigned int i = 0; i < iterations; i++) {
		struct roce_hdrs a, b;
		uint8_t wire[128], again[128];
		size_t n, m;

		/* struct -> bytes -> struct, all headers at once */
		random_hdrs(&a, ROCE_ALL_EXTS);
		n = roce_hdrs_encode(&a, wire);
		check(n == roce_exts_hdr_bytes(ROCE_ALL_EXTS),
		      "encode wrote %zu bytes", n);
		memset(&b, 0, sizeof(b));
		b.exts = ROCE_ALL_EXTS;
		roce_bth_decode(&b.bth, wire);
		roce_deth_decode(&b.deth, wire + roce_ext_offset(ROCE_ALL_EXTS, ROCE_EXT_DETH));
		roce_feth_decode(&b.feth, wire + roce_ext_offset(ROCE_ALL_EXTS, ROCE_EXT_FETH));
		roce_reth_decode(&b.reth, wire + roce_ext_offset(ROCE_ALL_EXTS, ROCE_EXT_RETH));
		roce_atomic_eth_decode(&b.atomic_eth, wire + roce_ext_offset(ROCE_ALL_EXTS, ROCE_EXT_ATOMIC_ETH));
		roce_aeth_decode(&b.aeth, wire + roce_ext_offset(ROCE_ALL_EXTS, ROCE_EXT_AETH));
		roce_atomic_ack_eth_decode(&b.atomic_ack_eth, wire + roce_ext_offset(ROCE_ALL_EXTS, ROCE_EXT_ATOMIC_ACK_ETH));
		roce_immdt_decode(&b.immdt, wire + roce_ext_offset(ROCE_ALL_EXTS, ROCE_EXT_IMMDT));
		roce_ieth_decode(&b.ieth, wire + roce_ext_offset(ROCE_ALL_EXTS, ROCE_EXT_IETH));
		if (!check(hdrs_eq(&a, &b), "round trip struct -> bytes -> struct differs: %s",
			   hex(wire, n)))
			break;

		/* bytes -> struct -> bytes: every bit belongs to a field */
		rnd_bytes(wire, n);
		roce_bth_decode(&b.bth, wire);
		roce_deth_decode(&b.deth, wire + 12);
		roce_feth_decode(&b.feth, wire + 20);
		roce_reth_decode(&b.reth, wire + 24);
		roce_atomic_eth_decode(&b.atomic_eth, wire + 40);
		roce_aeth_decode(&b.aeth, wire + 68);
		roce_atomic_ack_eth_decode(&b.atomic_ack_eth, wire + 72);
		roce_immdt_decode(&b.immdt, wire + 80);
		roce_ieth_decode(&b.ieth, wire + 84);
		m = roce_hdrs_encode(&b, again);
		if (!check(m == n && !memcmp(wire, again, n),
			   "round trip bytes -> struct -> bytes differs at %s",
			   hex(wire, n)))
			break;
	}
	/* The offsets used above are the wire order IBTA gives. */
	check(roce_ext_offset(ROCE_ALL_EXTS, ROCE_EXT_IETH) == 84 &&
	      roce_exts_hdr_bytes(ROCE_ALL_EXTS) == 88,
	      "extension header offsets");
	GROUP_END("encode/decode round trips of every header, 2000 random values each way");
}

/* ------------------------------------------------------------------------
 * The opcode table, against IBTA's list written out again here.
 */
static void test_opcode_table(void)
{
	GROUP_BEGIN();
	static const struct {
		uint8_t		opcode;
		unsigned int	exts;
		bool		payload;
		unsigned int	hdr_bytes;
	} want[] = {
		{ 0x00, 0, true, 12 }, { 0x01, 0, true, 12 },
		{ 0x02, 0, true, 12 }, { 0x03, ROCE_HAS_IMMDT, true, 16 },
		{ 0x04, 0, true, 12 }, { 0x05, ROCE_HAS_IMMDT, true, 16 },
		{ 0x06, ROCE_HAS_RETH, true, 28 }, { 0x07, 0, true, 12 },
		{ 0x08, 0, true, 12 }, { 0x09, ROCE_HAS_IMMDT, true, 16 },
		{ 0x0a, ROCE_HAS_RETH, true, 28 },
		{ 0x0b, ROCE_HAS_RETH | ROCE_HAS_IMMDT, true, 32 },
		{ 0x0c, ROCE_HAS_RETH, false, 28 },
		{ 0x0d, ROCE_HAS_AETH, true, 16 }, { 0x0e, 0, true, 12 },
		{ 0x0f, ROCE_HAS_AETH, true, 16 },
		{ 0x10, ROCE_HAS_AETH, true, 16 },
		{ 0x11, ROCE_HAS_AETH, false, 16 },
		{ 0x12, ROCE_HAS_AETH | ROCE_HAS_ATOMIC_ACK_ETH, false, 24 },
		{ 0x13, ROCE_HAS_ATOMIC_ETH, false, 40 },
		{ 0x14, ROCE_HAS_ATOMIC_ETH, false, 40 },
		{ 0x16, ROCE_HAS_IETH, true, 16 },
		{ 0x17, ROCE_HAS_IETH, true, 16 },
		{ 0x1c, ROCE_HAS_FETH | ROCE_HAS_RETH, false, 32 },
		{ 0x1d, ROCE_HAS_RETH, true, 28 },
		{ 0x20, 0, true, 12 }, { 0x21, 0, true, 12 },
		{ 0x22, 0, true, 12 }, { 0x23, ROCE_HAS_IMMDT, true, 16 },
		{ 0x24, 0, true, 12 }, { 0x25, ROCE_HAS_IMMDT, true, 16 },
		{ 0x26, ROCE_HAS_RETH, true, 28 }, { 0x27, 0, true, 12 },
		{ 0x28, 0, true, 12 }, { 0x29, ROCE_HAS_IMMDT, true, 16 },
		{ 0x2a, ROCE_HAS_RETH, true, 28 },
		{ 0x2b, ROCE_HAS_RETH | ROCE_HAS_IMMDT, true, 32 },
		{ 0x64, ROCE_HAS_DETH, true, 20 },
		{ 0x65, ROCE_HAS_DETH | ROCE_HAS_IMMDT, true, 24 },
	};
	const unsigned int nr_want = sizeof(want) / sizeof(want[0]);
	const struct roce_opcode_info *list[256];
	unsigned int n = roce_opcodes(list, 256), known = 0;

	check(n == nr_want, "%u opcodes in the table, expected %u", n, nr_want);
	for (unsigned int op = 0; op < 256; op++) {
		const struct roce_opcode_info *info = roce_opcode_info(op);
		unsigned int i;

		for (i = 0; i < nr_want && want[i].opcode != op; i++)
			;
		if (i == nr_want) {
			check(!info, "opcode 0x%02x should be unknown", op);
			check(!strncmp(roce_opcode_name(op), "opcode 0x", 9),
			      "name of unknown opcode 0x%02x", op);
			continue;
		}
		known++;
		if (!check(info, "opcode 0x%02x missing", op))
			continue;
		check(info->opcode == op && info->exts == want[i].exts &&
		      !!(info->flags & ROCE_OPF_PAYLOAD) == want[i].payload &&
		      info->hdr_bytes == want[i].hdr_bytes,
		      "opcode 0x%02x (%s): exts 0x%x payload %d hdr %u", op,
		      info->name, info->exts,
		      !!(info->flags & ROCE_OPF_PAYLOAD), info->hdr_bytes);
	}
	check(known == nr_want, "known opcodes");
	/* FLUSH: the FETH first, then the RETH (rdma_rxe's order). */
	check(roce_ext_offset(ROCE_HAS_FETH | ROCE_HAS_RETH, ROCE_EXT_FETH) == 12 &&
	      roce_ext_offset(ROCE_HAS_FETH | ROCE_HAS_RETH, ROCE_EXT_RETH) == 16,
	      "FLUSH header order");
	check(roce_ext_offset(ROCE_HAS_RETH | ROCE_HAS_IMMDT, ROCE_EXT_IMMDT) == 28,
	      "ImmDt after RETH");
	check(!strcmp(roce_opcode_name(0x12), "RC_ATOMIC_ACKNOWLEDGE") &&
	      !strcmp(roce_opcode_name(0x1d), "RC_ATOMIC_WRITE"),
	      "opcode names");
	check(roce_opcode_info(0x13)->flags & ROCE_OPF_REQUEST &&
	      roce_opcode_info(0x0e)->flags & ROCE_OPF_RESPONSE &&
	      roce_opcode_info(0x0e)->flags & ROCE_OPF_MIDDLE &&
	      (roce_opcode_info(0x04)->flags & ROCE_OPF_ONLY) == ROCE_OPF_ONLY,
	      "opcode kinds");
	GROUP_END("opcode table: RC, UC, UD opcodes, FLUSH, ATOMIC WRITE, SEND with invalidate; the rest unknown");
}

/* ------------------------------------------------------------------------
 * ICRC.
 */

/*
 * A RoCEv2 CNP captured from a ConnectX-4 Lx, IPv4 header to ICRC (the
 * Ethernet header left out); published in Scapy's RoCE tests
 * (test/contrib/roce.uts, "RoCE CNP captured on ConnectX-4 Lx").  Opcode
 * 0x81, BECN set (in the masked byte), TOS 0xc2 (masked), 16 zero bytes.
 */
static const uint8_t cx4_cnp[60] = {
	0x45, 0xc2, 0x00, 0x3c, 0x71, 0x8c, 0x40, 0x00,
	0x40, 0x11, 0x91, 0x61, 0x0a, 0x00, 0x11, 0x01,
	0x0a, 0x00, 0x12, 0x01,
	0x00, 0x00, 0x12, 0xb7, 0x00, 0x28, 0x00, 0x00,
	0x81, 0x00, 0xff, 0xff, 0x40, 0x00, 0x01, 0x18,
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x82, 0xfd, 0x00, 0x2a,
};

static void test_icrc_vectors(void)
{
	GROUP_BEGIN();
	uint8_t buf[60];
	struct roce_bth bth;

	/* The CRC-32 check value of "123456789" (IEEE 802.3). */
	check((roce_crc32(0xffffffffu, "123456789", 9) ^ 0xffffffffu) ==
	      0xcbf43926u, "CRC-32 check value");
	check((ref_crc32_bitwise(0xffffffffu, (const uint8_t *)"123456789", 9) ^
	       0xffffffffu) == 0xcbf43926u, "reference CRC-32 check value");

	check(roce_icrc(cx4_cnp, sizeof(cx4_cnp), 20) ==
	      carried_icrc(cx4_cnp, sizeof(cx4_cnp)),
	      "ICRC of the ConnectX-4 Lx capture: computed 0x%08x, carried 0x%08x",
	      roce_icrc(cx4_cnp, sizeof(cx4_cnp), 20),
	      carried_icrc(cx4_cnp, sizeof(cx4_cnp)));
	check(ref_icrc(cx4_cnp, sizeof(cx4_cnp), false) ==
	      carried_icrc(cx4_cnp, sizeof(cx4_cnp)),
	      "reference ICRC of the ConnectX-4 Lx capture");
	check(ipv4_csum_ok(cx4_cnp), "IPv4 checksum of the capture");
	roce_bth_decode(&bth, cx4_cnp + 28);
	check(bth.opcode == 0x81 && bth.becn && !bth.fecn &&
	      bth.dest_qpn == 0x118 && bth.pkey == 0xffff && bth.psn == 0,
	      "BTH of the capture decodes");
	/* A masked field changed: same ICRC; an unmasked one: another. */
	memcpy(buf, cx4_cnp, sizeof(buf));
	buf[1] = 0;		/* TOS */
	buf[8] = 1;		/* TTL */
	buf[32] = 0;		/* BECN */
	check(roce_icrc(buf, sizeof(buf), 20) == carried_icrc(cx4_cnp, 60),
	      "masked fields are masked");
	buf[4] ^= 1;		/* identification */
	check(roce_icrc(buf, sizeof(buf), 20) != carried_icrc(cx4_cnp, 60),
	      "the identification is covered");
	GROUP_END("ICRC against a ConnectX-4 Lx capture (82 fd 00 2a), CRC-32 check value");
}

/*
 * A UC SEND_ONLY built by Scapy's RoCE layer (test/contrib/roce.uts, "RoCE
 * layer"), whose ICRC code that file checks against the capture above:
 * Scapy gives IP checksum 0xb4d5 and ICRC 0x78f353f3 (the wire bytes
 * 78 f3 53 f3).  Built here with the library's builder.
 */
static void test_icrc_builder_vector(void)
{
	GROUP_BEGIN();
	static const uint8_t payload[18] = {
		'F', '0', 0x81, 0x8b, 0xe2, 0x89, '5', 0xd9, 0x0e,
		0x9a, 0x95, 'P', 'T', 0x01, 0xbe, 0x88, '^', 'P',
	};
	static const uint8_t want_icrc[4] = { 0x78, 0xf3, 0x53, 0xf3 };
	static struct roce_pkt pkt;
	struct roce_hdrs h;
	struct roce_ip ip;

	roce_ip_init(&ip, "192.168.0.7", "192.168.0.7");
	ip.tclass = 0x01;
	ip.ipv4_id = 1144;
	ip.sport = 49152;
	roce_hdrs_init(&h, ROCE_OP_UC_SEND_ONLY);
	h.bth.mig = true;
	h.bth.dest_qpn = 211;
	h.bth.psn = 13571856;
	h.payload = payload;
	h.payload_len = sizeof(payload);
	check(!roce_pkt_build(&pkt, &ip, &h, 0), "build");
	check(pkt.len == 64, "length %zu, expected 64", pkt.len);
	check(be16_at(pkt.data + 10) == 0xb4d5, "IPv4 checksum 0x%04x, Scapy's 0xb4d5",
	      be16_at(pkt.data + 10));
	check((pkt.data[29] >> 4 & 3) == 2, "pad count 2");
	check(!memcmp(pkt.data + 60, want_icrc, 4), "ICRC bytes %s, Scapy's 78 f3 53 f3",
	      hex(pkt.data + 60, 4));
	GROUP_END("builder's IPv4 checksum and ICRC against a Scapy-made UC SEND_ONLY");
}

static void random_packet(struct roce_pkt *pkt, bool v6, uint8_t *payload)
{
	const struct roce_opcode_info *list[64];
	unsigned int n = roce_opcodes(list, 64);
	const struct roce_opcode_info *info = list[rnd64() % n];
	struct roce_hdrs h;
	struct roce_ip ip;

	roce_ip_init(&ip, v6 ? "fd00::1" : "10.0.0.1",
		     v6 ? "fd00::2" : "10.0.0.2");
	rnd_bytes((uint8_t *)&ip.src, sizeof(ip.src));
	rnd_bytes((uint8_t *)&ip.dst, sizeof(ip.dst));
	ip.sport = rnd64();
	ip.ipv4_id = rnd64() | 1;
	ip.tclass = rnd64();
	ip.ttl = rnd64();
	ip.flow_label = rnd64();
	random_hdrs(&h, info->exts);
	h.bth.opcode = info->opcode;
	h.payload_len = info->flags & ROCE_OPF_PAYLOAD ? rnd64() % 2100 : 0;
	rnd_bytes(payload, h.payload_len);
	h.payload = payload;
	roce_pkt_build(pkt, &ip, &h, 0);
}

static void test_icrc_reference(void)
{
	GROUP_BEGIN();
	static struct roce_pkt pkt;
	static uint8_t payload[4096];

	for (int i = 0; i < 600; i++) {
		bool v6 = i & 1;
		uint32_t icrc;

		random_packet(&pkt, v6, payload);
		icrc = roce_icrc(pkt.data, pkt.len, pkt.ip_hdr_len);
		if (!check(icrc == ref_icrc(pkt.data, pkt.len, v6) &&
			   icrc == carried_icrc(pkt.data, pkt.len),
			   "IPv%d ICRC 0x%08x, reference 0x%08x, carried 0x%08x",
			   v6 ? 6 : 4, icrc, ref_icrc(pkt.data, pkt.len, v6),
			   carried_icrc(pkt.data, pkt.len)))
			break;
		/* Any byte not masked changes it. */
		{
			size_t at = rnd64() % (pkt.len - 4);
			/* IPv6 byte 0: only its low nibble is masked, and
			 * the flip is in the high one (the version). */
			bool masked = v6 ? (at >= 1 && at < 4) || at == 7 || at == 46 ||
					   at == 47 || at == 52 :
					   at == 1 || at == 8 || at == 10 ||
					   at == 11 || at == 26 || at == 27 ||
					   at == 32;

			pkt.data[at] ^= 0x10;
			check((roce_icrc(pkt.data, pkt.len, pkt.ip_hdr_len) ==
			       icrc) == masked,
			      "IPv%d byte %zu changed: ICRC %s", v6 ? 6 : 4, at,
			      masked ? "changed" : "unchanged");
		}
	}
	GROUP_END("ICRC against a bit-at-a-time, field-by-field reference: 600 random IPv4/IPv6 packets");
}

/* ------------------------------------------------------------------------
 * The builder.
 */
static void test_builder(void)
{
	GROUP_BEGIN();
	static const size_t lens[] = { 0, 1, 2, 3, 4, 5, 7, 8, 255, 256, 1024, 1027 };
	const struct roce_opcode_info *list[64];
	unsigned int n = roce_opcodes(list, 64);
	static struct roce_pkt pkt;
	static uint8_t payload[2048];
	struct roce_parsed p;

	rnd_bytes(payload, sizeof(payload));
	for (unsigned int o = 0; o < n; o++) {
		for (unsigned int li = 0; li < sizeof(lens) / sizeof(lens[0]); li++) {
			for (int fam = 0; fam < 3; fam++) {
				const struct roce_opcode_info *info = list[o];
				bool v6 = fam > 0, zero6 = fam == 2;
				size_t plen = info->flags & ROCE_OPF_PAYLOAD ? lens[li] : 0;
				size_t iphl = v6 ? 40 : 20, pad = (4 - plen % 4) % 4;
				size_t want = iphl + 8 + info->hdr_bytes + plen + pad + 4;
				struct roce_hdrs h;
				struct roce_ip ip;
				const uint8_t *udp = pkt.data + iphl;

				if (!(info->flags & ROCE_OPF_PAYLOAD) && li)
					continue;
				roce_ip_init(&ip, v6 ? "fd77::9" : "10.77.0.9",
					     v6 ? "fd77::1" : "10.77.0.1");
				ip.ipv4_id = 0x1234;
				ip.udp6_zero_csum = zero6;
				ip.sport = 0xc123;
				random_hdrs(&h, info->exts);
				h.bth.opcode = info->opcode;
				h.bth.pad = 0;
				h.payload = payload;
				h.payload_len = plen;
				if (!check(!roce_pkt_build(&pkt, &ip, &h, 0),
					   "build %s", info->name))
					continue;
				check(pkt.len == want, "%s payload %zu: length %zu, expected %zu",
				      info->name, plen, pkt.len, want);
				check(pkt.ip_hdr_len == iphl && pkt.family == ip.family,
				      "family");
				if (v6) {
					check(pkt.data[0] >> 4 == 6 && pkt.data[6] == 17 &&
					      pkt.data[7] == 64,
					      "IPv6 header");
					check(be16_at(pkt.data + 4) == want - 40,
					      "IPv6 payload length");
					check(zero6 ? be16_at(udp + 6) == 0 :
					      udp6_csum_ok(pkt.data, pkt.len),
					      "IPv6 UDP checksum (%s)",
					      zero6 ? "zero" : "real");
					check(!memcmp(pkt.data + 8, &ip.src, 16) &&
					      !memcmp(pkt.data + 24, &ip.dst, 16),
					      "IPv6 addresses");
				} else {
					check(pkt.data[0] == 0x45 && pkt.data[9] == 17 &&
					      pkt.data[8] == 64, "IPv4 header");
					check(be16_at(pkt.data + 2) == want,
					      "IPv4 total length");
					check(be16_at(pkt.data + 4) == 0x1234, "IPv4 id");
					check(be16_at(pkt.data + 6) == 0x4000, "IPv4 DF");
					check(ipv4_csum_ok(pkt.data), "IPv4 checksum");
					check(be16_at(udp + 6) == 0, "IPv4 UDP checksum 0");
					check(!memcmp(pkt.data + 12, &ip.src, 4) &&
					      !memcmp(pkt.data + 16, &ip.dst, 4),
					      "IPv4 addresses");
				}
				check(be16_at(udp) == 0xc123 &&
				      be16_at(udp + 2) == ROCE_UDP_PORT,
				      "UDP ports");
				check(be16_at(udp + 4) == want - iphl, "UDP length %u, expected %zu",
				      be16_at(udp + 4), want - iphl);
				check((udp[9] >> 4 & 3) == pad, "%s payload %zu: pad count %u",
				      info->name, plen, udp[9] >> 4 & 3);
				for (size_t i = 0; i < pad; i++)
					check(pkt.data[pkt.len - 5 - i] == 0, "pad byte zero");
				check(ref_icrc(pkt.data, pkt.len, v6) ==
				      carried_icrc(pkt.data, pkt.len), "ICRC");

				/* The parser gives the same back. */
				h.bth.pad = pad;
				check(!roce_pkt_parse(pkt.data, pkt.len, &p),
				      "%s: parse: %s", info->name, p.error);
				check(p.icrc_ok && p.info == info &&
				      hdrs_eq(&p.hdrs, &h), "%s payload %zu: parsed headers differ",
				      info->name, plen);
				check(p.sport == 0xc123 && p.dport == ROCE_UDP_PORT &&
				      p.family == ip.family &&
				      !memcmp(&p.src, &ip.src, v6 ? 16 : 4),
				      "parsed addresses and ports");
			}
		}
	}

	/* A wrong ICRC on request, and the pad count kept on request. */
	{
		struct roce_hdrs h;
		struct roce_ip ip;

		roce_ip_init(&ip, "10.0.0.1", "10.0.0.2");
		roce_hdrs_init(&h, ROCE_OP_RC_SEND_ONLY);
		h.payload = payload;
		h.payload_len = 5;
		roce_pkt_build(&pkt, &ip, &h, ROCE_BUILD_BAD_ICRC);
		check(roce_pkt_parse(pkt.data, pkt.len, &p) == 0 && !p.icrc_ok,
		      "ROCE_BUILD_BAD_ICRC");
		h.bth.pad = 1;
		roce_pkt_build(&pkt, &ip, &h, ROCE_BUILD_KEEP_PAD);
		check((pkt.data[29] >> 4 & 3) == 1 && pkt.len == 20 + 8 + 12 + 5 + 3 + 4,
		      "ROCE_BUILD_KEEP_PAD: count 1, 3 pad bytes");
		h.payload_len = 65535;
		check(roce_pkt_build(&pkt, &ip, &h, 0) == -EMSGSIZE,
		      "over 64 KiB: EMSGSIZE");
		ip.family = AF_UNIX;
		h.payload_len = 1;
		check(roce_pkt_build(&pkt, &ip, &h, 0) == -EAFNOSUPPORT,
		      "unknown family");
	}

	/* Fixing up after a change. */
	for (int v6 = 0; v6 < 2; v6++) {
		struct roce_hdrs h;
		struct roce_ip ip;
		uint8_t *ib;

		roce_ip_init(&ip, v6 ? "fd77::9" : "10.0.0.1",
			     v6 ? "fd77::1" : "10.0.0.2");
		roce_hdrs_init(&h, ROCE_OP_RC_RDMA_WRITE_ONLY);
		h.payload = payload;
		h.payload_len = 100;
		roce_pkt_build(&pkt, &ip, &h, 0);
		ib = roce_pkt_ib(&pkt);
		ib[11] ^= 1;					/* PSN */
		roce_pkt_parse(pkt.data, pkt.len, &p);
		check(!p.icrc_ok, "a changed PSN breaks the ICRC");
		roce_pkt_fixup(&pkt, ROCE_FIX_ICRC | ROCE_FIX_CHECKSUMS);
		roce_pkt_parse(pkt.data, pkt.len, &p);
		check(p.icrc_ok && p.hdrs.bth.psn == 1, "ROCE_FIX_ICRC mends it");
		check(!v6 || udp6_csum_ok(pkt.data, pkt.len), "IPv6 UDP checksum after fixup");
		roce_pkt_fixup(&pkt, ROCE_FIX_BAD_ICRC | ROCE_FIX_CHECKSUMS);
		roce_pkt_parse(pkt.data, pkt.len, &p);
		check(!p.icrc_ok, "ROCE_FIX_BAD_ICRC breaks it");
		/* 4 payload bytes less: lengths and ICRC follow. */
		pkt.len -= 4;
		roce_pkt_fixup(&pkt, ROCE_FIX_ALL);
		check(!roce_pkt_parse(pkt.data, pkt.len, &p) && p.icrc_ok &&
		      p.hdrs.payload_len == 96 &&
		      be16_at(roce_pkt_udp(&pkt) + 4) == pkt.len - pkt.ip_hdr_len,
		      "ROCE_FIX_ALL after cutting 4 bytes: %s", p.error);
		check(v6 ? udp6_csum_ok(pkt.data, pkt.len) : ipv4_csum_ok(pkt.data),
		      "checksum after cutting");
	}
	GROUP_END("builder: lengths, pad, IP/UDP headers and checksums, ICRC, parse back, for every opcode, IPv4 and IPv6");
}

/* ------------------------------------------------------------------------
 * The parser of answers.
 */
static void build_answer(struct roce_pkt *pkt, uint8_t opcode, uint32_t psn,
			 uint8_t syndrome, const uint8_t *payload, size_t len)
{
	struct roce_hdrs h;
	struct roce_ip ip;

	roce_ip_init(&ip, "10.77.0.1", "10.77.0.2");
	roce_hdrs_init(&h, opcode);
	h.bth.dest_qpn = 0x11;
	h.bth.psn = psn;
	h.aeth.syndrome = syndrome;
	h.aeth.msn = 7;
	h.atomic_ack_eth.orig = 0x1122334455667788ull;
	h.payload = payload;
	h.payload_len = len;
	roce_pkt_build(pkt, &ip, &h, 0);
}

static void test_parser(void)
{
	GROUP_BEGIN();
	static struct roce_pkt pkt;
	static uint8_t payload[1100];
	struct roce_parsed p;
	char buf[256];

	/* Syndromes. */
	for (unsigned int s = 0; s < 256; s++) {
		enum roce_aeth_type want =
			s < 0x20 ? ROCE_AETH_ACK :
			s < 0x40 ? ROCE_AETH_RNR_NAK :
			s >= 0x60 && s < 0x80 ? ROCE_AETH_NAK :
			ROCE_AETH_RESERVED;

		check(roce_aeth_type(s) == want, "syndrome 0x%02x type %d", s,
		      roce_aeth_type(s));
	}
	check(!strcmp(roce_syndrome_str(0x61, buf, sizeof(buf)),
		      "NAK invalid request"), "0x61: '%s'", buf);
	check(!strcmp(roce_syndrome_str(0x60, buf, sizeof(buf)),
		      "NAK PSN sequence error"), "0x60: '%s'", buf);
	check(!strcmp(roce_syndrome_str(0x62, buf, sizeof(buf)),
		      "NAK remote access error"), "0x62: '%s'", buf);
	check(!strcmp(roce_syndrome_str(0x63, buf, sizeof(buf)),
		      "NAK remote operational error"), "0x63: '%s'", buf);
	check(!strcmp(roce_syndrome_str(0x2e, buf, sizeof(buf)),
		      "RNR NAK timer 14 (1.28 ms)"), "0x2e: '%s'", buf);
	check(!strcmp(roce_syndrome_str(0x1f, buf, sizeof(buf)), "ACK"),
	      "0x1f: '%s'", buf);
	check(!strcmp(roce_syndrome_str(0x05, buf, sizeof(buf)),
		      "ACK credits 5"), "0x05: '%s'", buf);
	/* IBTA table 45: code 0 is the longest, the rest grow from 10 us. */
	check(roce_rnr_timer_usec(0) == 655360 && roce_rnr_timer_usec(1) == 10 &&
	      roce_rnr_timer_usec(14) == 1280 && roce_rnr_timer_usec(31) == 491520,
	      "RNR timer values");
	for (int c = 2; c < 32; c++)
		check(roce_rnr_timer_usec(c) > roce_rnr_timer_usec(c - 1),
		      "RNR timer %d grows", c);

	/* "The responder NAKed PSN X with invalid request". */
	build_answer(&pkt, ROCE_OP_RC_ACKNOWLEDGE, 0x123,
		     ROCE_SYN_NAK(ROCE_NAK_INVALID_REQ), NULL, 0);
	check(!roce_pkt_parse(pkt.data, pkt.len, &p) && p.icrc_ok, "NAK parses");
	check(roce_is_nak(&p, 0x123, ROCE_NAK_INVALID_REQ), "is_nak");
	check(!roce_is_nak(&p, 0x124, ROCE_NAK_INVALID_REQ), "is_nak: other PSN");
	check(!roce_is_nak(&p, 0x123, ROCE_NAK_REM_ACCESS_ERR), "is_nak: other code");
	check(!roce_is_ack(&p, 0x123) && !roce_is_rnr_nak(&p, 0x123), "not ACK/RNR");
	check(p.hdrs.aeth.msn == 7, "MSN");
	roce_describe(&p, buf, sizeof(buf));
	check(strstr(buf, "RC_ACKNOWLEDGE qpn 0x000011 psn 0x000123 NAK invalid request msn 7") != NULL,
	      "describe: '%s'", buf);

	build_answer(&pkt, ROCE_OP_RC_ACKNOWLEDGE, 0xffffff, ROCE_SYN_RNR_NAK(14),
		     NULL, 0);
	roce_pkt_parse(pkt.data, pkt.len, &p);
	check(roce_is_rnr_nak(&p, 0xffffff) && !roce_is_ack(&p, 0xffffff),
	      "RNR NAK");
	check(roce_aeth_value(p.hdrs.aeth.syndrome) == 14, "RNR NAK timer code");
	build_answer(&pkt, ROCE_OP_RC_ACKNOWLEDGE, 5, ROCE_SYN_ACK(31), NULL, 0);
	roce_pkt_parse(pkt.data, pkt.len, &p);
	check(roce_is_ack(&p, 5) && !roce_is_nak(&p, 5, ROCE_NAK_PSN_SEQ_ERR),
	      "ACK");

	/* READ response with its data, ATOMIC ACKNOWLEDGE with the original. */
	rnd_bytes(payload, sizeof(payload));
	build_answer(&pkt, ROCE_OP_RC_RDMA_READ_RESPONSE_ONLY, 9, ROCE_SYN_ACK(31),
		     payload, 1001);
	check(!roce_pkt_parse(pkt.data, pkt.len, &p) && roce_is_ack(&p, 9) &&
	      p.hdrs.payload_len == 1001 &&
	      !memcmp(p.hdrs.payload, payload, 1001), "READ response data");
	build_answer(&pkt, ROCE_OP_RC_RDMA_READ_RESPONSE_MIDDLE, 10, 0, payload, 1024);
	check(!roce_pkt_parse(pkt.data, pkt.len, &p) &&
	      !(p.hdrs.exts & ROCE_HAS_AETH) && p.hdrs.payload_len == 1024 &&
	      !roce_is_ack(&p, 10), "READ response MIDDLE has no AETH");
	build_answer(&pkt, ROCE_OP_RC_ATOMIC_ACKNOWLEDGE, 11, ROCE_SYN_ACK(31),
		     NULL, 0);
	check(!roce_pkt_parse(pkt.data, pkt.len, &p) && roce_is_ack(&p, 11) &&
	      p.hdrs.atomic_ack_eth.orig == 0x1122334455667788ull,
	      "ATOMIC ACKNOWLEDGE original data");

	/* Malformed: every cut of a READ response (payload 5, pad 3). */
	build_answer(&pkt, ROCE_OP_RC_RDMA_READ_RESPONSE_ONLY, 12, 0, payload, 5);
	for (size_t ib = 0; ib <= 16 + 5 + 3 + 4; ib++) {
		static struct roce_pkt cut;
		int ret;

		cut = pkt;
		cut.len = 28 + ib;
		roce_pkt_fixup(&cut, ROCE_FIX_ALL);
		ret = roce_pkt_parse(cut.data, cut.len, &p);
		/* BTH + AETH + pad 3 + ICRC = 23 bytes at least. */
		check((ret == 0) == (ib >= 23) && (ret == 0 || p.error),
		      "RoCE part of %zu bytes: %d (%s)", ib, ret,
		      p.error ? p.error : "no error");
		if (ret == 0)
			check(p.hdrs.payload_len == ib - 23, "payload of %zu bytes", ib);
	}
	/* Raw cuts, the IP length not mended: always an error. */
	for (size_t len = 0; len < pkt.len; len++)
		check(roce_pkt_parse(pkt.data, len, &p) == -EBADMSG && p.error,
		      "raw cut to %zu bytes", len);

	/* Unknown opcode, ACK with a payload, TVer kept, UDP length short. */
	build_answer(&pkt, 0x1f, 1, 0, payload, 4);
	check(roce_pkt_parse(pkt.data, pkt.len, &p) == -EBADMSG &&
	      !strcmp(p.error, "unknown opcode") && p.icrc_ok, "unknown opcode");
	{
		struct roce_hdrs h;
		struct roce_ip ip;

		roce_ip_init(&ip, "10.0.0.1", "10.0.0.2");
		roce_hdrs_init(&h, ROCE_OP_RC_ACKNOWLEDGE);
		h.payload = payload;
		h.payload_len = 4;
		roce_pkt_build(&pkt, &ip, &h, 0);
		check(roce_pkt_parse(pkt.data, pkt.len, &p) == -EBADMSG &&
		      strstr(p.error, "without payload"), "ACK with a payload");
		/* UDP length 4 short: the parser reads only that much. */
		h.payload_len = 0;
		roce_pkt_build(&pkt, &ip, &h, 0);
		roce_pkt_udp(&pkt)[5] -= 4;
		check(roce_pkt_parse(pkt.data, pkt.len, &p) == -EBADMSG,
		      "UDP length 4 short");
		roce_pkt_udp(&pkt)[5] += 8;
		check(roce_pkt_parse(pkt.data, pkt.len, &p) == -EBADMSG &&
		      !strcmp(p.error, "bad UDP length"), "UDP length 4 long");
	}
	GROUP_END("parser: AETH syndromes, RNR timers, ACK/NAK/READ response/ATOMIC ACK, malformed packets");
}

/* ------------------------------------------------------------------------
 * The mutator.
 */
static const struct roce_mut_qp mut_qps[] = {
	{ .qpn = 0x11, .psn = 0x000100 },
	{ .qpn = 0x12, .psn = 0xfffff0 },
	{ .qpn = 0x13, .qkey = 0x01234567, .ud = true },
};

static const struct roce_mut_mr mut_mrs[] = {
	{ .rkey = 0x155, .iova = 0x7f0000001000ull, .length = 0x10000 },
	{ .rkey = 0x2a7, .iova = 0x7f1000000000ull, .length = 1 << 20 },
};

static const struct roce_mut_targets mut_targets = {
	.qps = mut_qps, .nr_qps = 3, .mrs = mut_mrs, .nr_mrs = 2,
	.path_mtu = 1024, .max_ip_bytes = 9000,
};

static uint8_t tmpl_payload[128];
static struct roce_mut_template tmpls[6];

static void make_templates(void)
{
	static const uint8_t ops[6] = {
		ROCE_OP_RC_SEND_ONLY, ROCE_OP_RC_RDMA_WRITE_ONLY,
		ROCE_OP_RC_RDMA_READ_REQUEST, ROCE_OP_RC_FETCH_ADD,
		ROCE_OP_UD_SEND_ONLY, ROCE_OP_RC_ACKNOWLEDGE,
	};

	for (int i = 0; i < 128; i++)
		tmpl_payload[i] = i;
	for (int i = 0; i < 6; i++) {
		struct roce_mut_template *t = &tmpls[i];
		bool v6 = i == 4;

		roce_ip_init(&t->ip, v6 ? "fd77::2" : "10.77.0.2",
			     v6 ? "fd77::1" : "10.77.0.1");
		roce_hdrs_init(&t->hdrs, ops[i]);
		t->hdrs.bth.dest_qpn = v6 ? 0x13 : 0x11;
		t->hdrs.bth.psn = v6 ? 0 : 0x100;
		t->hdrs.payload = tmpl_payload;
		t->hdrs.payload_len = ops[i] == ROCE_OP_RC_SEND_ONLY ? 64 :
				      ops[i] == ROCE_OP_RC_RDMA_WRITE_ONLY ? 100 :
				      ops[i] == ROCE_OP_UD_SEND_ONLY ? 40 : 0;
		t->hdrs.reth.va = mut_mrs[0].iova;
		t->hdrs.reth.rkey = mut_mrs[0].rkey;
		t->hdrs.reth.dma_len = t->hdrs.payload_len ? t->hdrs.payload_len : 512;
		t->hdrs.atomic_eth.va = mut_mrs[0].iova + 8;
		t->hdrs.atomic_eth.rkey = mut_mrs[0].rkey;
		t->hdrs.deth.qkey = mut_qps[2].qkey;
		t->hdrs.deth.src_qpn = 0x22;
		t->hdrs.aeth.syndrome = ROCE_SYN_ACK(31);
	}
}

static struct roce_mut *new_mutator(uint64_t seed, const unsigned int *weights)
{
	struct roce_mut_config cfg = {
		.seed = seed, .bad_icrc_percent = 20, .weights = weights,
		.templates = tmpls, .nr_templates = 6, .targets = &mut_targets,
	};

	return roce_mut_new(&cfg);
}

static const struct roce_mut_mr *mr_of(uint32_t rkey)
{
	for (int i = 0; i < 2; i++)
		if (mut_mrs[i].rkey == rkey)
			return &mut_mrs[i];
	return NULL;
}

/* What must hold of every mutated packet. */
static void check_mutated(const struct roce_pkt *pkt,
			  const struct roce_mut_result *res)
{
	enum roce_mut_kind k = res->kind;
	unsigned int v = res->variant;
	const struct roce_hdrs *h;
	struct roce_parsed p;
	const uint8_t *udp = pkt->data + pkt->ip_hdr_len;
	size_t ib_len = pkt->len - pkt->ip_hdr_len - 8;
	bool v6 = pkt->family == AF_INET6;
	char want_prefix[32];
	int ret;

	snprintf(want_prefix, sizeof(want_prefix), "#%llu ",
		 (unsigned long long)res->index);
	check(!strncmp(res->desc, want_prefix, strlen(want_prefix)) &&
	      strlen(res->desc) > strlen(want_prefix) + 10,
	      "description '%s'", res->desc);
	check(pkt->len <= mut_targets.max_ip_bytes, "%s: %zu bytes, over the link's %u",
	      res->desc, pkt->len, mut_targets.max_ip_bytes);
	if (!v6)
		check(ipv4_csum_ok(pkt->data), "%s: IPv4 checksum", res->desc);
	else if (be16_at(udp + 4) >= 8)		/* below: dropped anyway */
		check(udp6_csum_ok(pkt->data, pkt->len), "%s: UDP checksum",
		      res->desc);
	check(be16_at(pkt->data + (v6 ? 4 : 2)) == pkt->len - (v6 ? 40 : 0),
	      "%s: IP length", res->desc);
	/* (A duplicate is a copy of any kind.) */
	if (k != ROCE_MUT_UDP_LEN && k != ROCE_MUT_DUPLICATE)
		check(be16_at(udp + 4) == pkt->len - pkt->ip_hdr_len,
		      "%s: UDP length %u", res->desc, be16_at(udp + 4));

	if (k == ROCE_MUT_TRUNCATE && v == 2)
		check(ib_len == 16, "%s: BTH + ICRC", res->desc);

	ret = roce_pkt_parse(pkt->data, pkt->len, &p);
	h = &p.hdrs;
	/* The ICRC is what was asked for, wherever the receiver looks. */
	if (k == ROCE_MUT_TRAILING && v == 3)
		check(!p.icrc_ok, "%s: bytes after the ICRC, yet it checks",
		      res->desc);
	else if (!(k == ROCE_MUT_TRUNCATE && v == 0) &&
		 !(k == ROCE_MUT_UDP_LEN && v >= 2) &&
		 !(k == ROCE_MUT_DUPLICATE))
		check(p.icrc_ok == !res->icrc_bad, "%s: ICRC %s", res->desc,
		      p.icrc_ok ? "right" : "wrong");
	if (res->icrc_bad || ret)
		return;

	/* Spot checks that the kinds do what they say. */
	switch (k) {
	case ROCE_MUT_PSN: {
		static const int32_t delta[] = {
			0, -1, 1, 127, 128, -128, (1 << 23) - 1, 1 << 23,
			-(1 << 23) + 1,
		};
		const struct roce_mut_qp *qp = NULL;

		for (int i = 0; i < 3; i++)
			if (mut_qps[i].qpn == h->bth.dest_qpn)
				qp = &mut_qps[i];
		if (qp && v < 9)
			check(h->bth.psn == roce_psn_add(qp->psn, delta[v]),
			      "%s: PSN 0x%06x", res->desc, h->bth.psn);
		break;
	}
	case ROCE_MUT_RETH_VA: {
		const struct roce_mut_mr *mr = mr_of(h->reth.rkey);

		if (!check(mr && (h->exts & ROCE_HAS_RETH), "%s: RETH, MR's rkey",
			   res->desc))
			break;
		if (v == 0)
			check(h->reth.va == mr->iova, "%s: MR start", res->desc);
		if (v == 2)
			check(h->reth.va + (h->reth.dma_len ? h->reth.dma_len : 1) ==
			      mr->iova + mr->length, "%s: end-len", res->desc);
		if (v == 4)
			check(h->reth.va == mr->iova + mr->length, "%s: end", res->desc);
		if (v == 6)
			check(h->reth.va == UINT64_MAX, "%s: 2^64-1", res->desc);
		break;
	}
	case ROCE_MUT_DMA_LEN:
		if (v == 4)
			check(h->reth.dma_len == 1u << 31, "%s: 2^31", res->desc);
		if (v == 3)
			check(h->reth.dma_len == 1025, "%s: MTU+1", res->desc);
		break;
	case ROCE_MUT_ATOMIC_VA:
		check(h->exts & ROCE_HAS_ATOMIC_ETH, "%s: AtomicETH", res->desc);
		if (v == 0)
			check(h->atomic_eth.va & 7, "%s: misaligned", res->desc);
		break;
	case ROCE_MUT_QKEY:
		check(h->exts & ROCE_HAS_DETH, "%s: DETH", res->desc);
		if (v == 1)
			check(h->deth.qkey == (mut_qps[2].qkey ^ 1), "%s: live^1",
			      res->desc);
		break;
	case ROCE_MUT_TVER:
		check(h->bth.tver != 0, "%s: TVer", res->desc);
		break;
	case ROCE_MUT_SEQUENCE:
		check(p.info && (p.info->operation == ROCE_OPER_SEND ||
				 p.info->operation == ROCE_OPER_WRITE),
		      "%s: a SEND or WRITE", res->desc);
		break;
	case ROCE_MUT_PAYLOAD_LEN:
		if (v <= 3 && p.info && (p.info->flags & ROCE_OPF_PAYLOAD) &&
		    p.info->operation != ROCE_OPER_ATOMIC_WRITE)
			check(h->payload_len == v, "%s: payload %zu", res->desc,
			      h->payload_len);
		break;
	default:
		break;
	}
}

/* The packets of one multi-packet message, as they went out. */
struct seq_seen {
	unsigned int	n;
	uint8_t		opcode[8];
	uint32_t	psn[8];
};

static unsigned int opcode_pos(uint8_t opcode)
{
	const struct roce_opcode_info *info = roce_opcode_info(opcode);

	return info ? info->flags & ROCE_OPF_ONLY : 0;	/* FIRST, LAST, both */
}

static bool is_middle(uint8_t opcode)
{
	const struct roce_opcode_info *info = roce_opcode_info(opcode);

	return info && (info->flags & ROCE_OPF_MIDDLE);
}

/* The message has the shape its variant says. */
static void check_sequence(const struct seq_seen *seq, unsigned int v,
			   const char *desc)
{
	unsigned int n = seq->n, steps[4] = { 0 }, other = 0, i;
	bool first_inside = false, only_inside = false, mixed = false;

	for (i = 0; i + 1 < n; i++) {
		int32_t d = roce_psn_diff(seq->psn[i + 1], seq->psn[i]);

		if (d == 1)
			steps[1]++;
		else if (d == 2)
			steps[2]++;
		else if (d == 0)
			steps[0]++;
		else if (d == -1)
			steps[3]++;
		else
			other++;
		if (roce_opcode_info(seq->opcode[i])->operation !=
		    roce_opcode_info(seq->opcode[i + 1])->operation)
			mixed = true;
	}
	for (i = 1; i + 1 < n; i++) {
		first_inside |= opcode_pos(seq->opcode[i]) == ROCE_OPF_FIRST;
		only_inside |= opcode_pos(seq->opcode[i]) == ROCE_OPF_ONLY;
	}
	switch (v) {
	case 0:		/* in order */
		check(steps[1] == n - 1 && !mixed &&
		      opcode_pos(seq->opcode[0]) == ROCE_OPF_FIRST &&
		      opcode_pos(seq->opcode[n - 1]) == ROCE_OPF_LAST,
		      "%s: not FIRST, MIDDLE.., LAST in PSN order", desc);
		break;
	case 1:		/* gap */
		check(steps[2] == 1 && steps[1] == n - 2, "%s: no single gap", desc);
		break;
	case 2:		/* two swapped */
		check(steps[3] == 1 && steps[1] + steps[2] == n - 2 && !other,
		      "%s: not one swap", desc);
		break;
	case 3:		/* one repeated */
		check(steps[0] == 1 && steps[1] == n - 2, "%s: no repeat", desc);
		break;
	case 4:		/* no FIRST */
		check(is_middle(seq->opcode[0]) && steps[1] == n - 1,
		      "%s: begins with no MIDDLE", desc);
		break;
	case 5:		/* no LAST */
		check(is_middle(seq->opcode[n - 1]) && steps[1] == n - 1,
		      "%s: ends with no MIDDLE", desc);
		break;
	case 6:
		check(first_inside, "%s: no FIRST inside", desc);
		break;
	case 7:
		check(mixed, "%s: one operation only", desc);
		break;
	case 8:		/* reversed */
		check(steps[3] == n - 1, "%s: not reversed", desc);
		break;
	default:
		check(only_inside, "%s: no ONLY inside", desc);
		break;
	}
}

static void test_mutator(unsigned long iterations, uint64_t seed)
{
	GROUP_BEGIN();
	static struct roce_pkt pkt, pkt2, prev;
	struct roce_mut_result res, res2;
	struct seq_seen seq = { 0 };
	struct roce_parsed p;
	struct roce_mut *m, *same, *other;
	const struct roce_mut_stats *s;
	uint32_t hash_a = 0, hash_b = 0;
	unsigned long differ = 0;
	unsigned int weights[ROCE_MUT_NR_KINDS];
	struct timespec t0, t1;
	double secs;

	make_templates();
	m = new_mutator(seed, NULL);
	same = new_mutator(seed, NULL);
	other = new_mutator(seed + 1, NULL);
	if (!check(m && same && other, "roce_mut_new: %s", strerror(errno)))
		return;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned long i = 0; i < iterations; i++) {
		if (!check(!roce_mut_next(m, &pkt, &res), "roce_mut_next"))
			break;
		check(res.index == i, "index %llu, expected %lu",
		      (unsigned long long)res.index, i);
		check_mutated(&pkt, &res);
		if (res.kind == ROCE_MUT_DUPLICATE && res.part != 1)
			check(pkt.len == prev.len &&
			      !memcmp(pkt.data, prev.data, pkt.len),
			      "%s: not a copy of the packet before", res.desc);
		if (res.kind == ROCE_MUT_SEQUENCE) {
			check(res.part == seq.n + 1 && res.parts >= 2 &&
			      res.parts <= 6, "%s: part %u of %u", res.desc,
			      res.part, res.parts);
			roce_pkt_parse(pkt.data, pkt.len, &p);
			if (seq.n < 8) {
				seq.opcode[seq.n] = p.hdrs.bth.opcode;
				seq.psn[seq.n++] = p.hdrs.bth.psn;
			}
			if (res.part == res.parts) {
				check_sequence(&seq, res.variant, res.desc);
				seq.n = 0;
			}
		}
		prev.len = pkt.len;
		memcpy(prev.data, pkt.data, pkt.len);
		hash_a = roce_crc32(hash_a, pkt.data, pkt.len);
		hash_a = roce_crc32(hash_a, res.desc, strlen(res.desc));
		/* The same seed again, the first 20000 compared byte by byte. */
		roce_mut_next(same, &pkt2, &res2);
		hash_b = roce_crc32(hash_b, pkt2.data, pkt2.len);
		hash_b = roce_crc32(hash_b, res2.desc, strlen(res2.desc));
		if (i < 20000)
			check(pkt.len == pkt2.len &&
			      !memcmp(pkt.data, pkt2.data, pkt.len) &&
			      !strcmp(res.desc, res2.desc),
			      "same seed, packet %lu differs", i);
		if (i < 1000) {
			roce_mut_next(other, &pkt2, &res2);
			differ += pkt.len != pkt2.len ||
				  memcmp(pkt.data, pkt2.data, pkt.len);
		}
		if (failures > 50)
			break;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;

	s = roce_mut_stats(m);
	printf("mutator: %lu packets, seed %llu, %.1f s (two mutators)\n",
	       iterations, (unsigned long long)seed, secs);
	roce_mut_print_stats(m, stdout);
	check(hash_a == hash_b, "same seed: hash 0x%08x against 0x%08x", hash_a,
	      hash_b);
	check(differ > 900, "another seed: only %lu of 1000 packets differ", differ);
	check(s->packets == iterations, "stats count %llu packets",
	      (unsigned long long)s->packets);
	for (int k = 0; k < ROCE_MUT_NR_KINDS; k++) {
		check(s->kind[k] > 0, "kind %s never made", roce_mut_kind_name(k));
		for (unsigned int v = 0; v < roce_mut_nr_variants(k); v++)
			check(s->variant[k][v] > 0, "%s/%s never made",
			      roce_mut_kind_name(k), roce_mut_variant_name(k, v));
	}
	for (int v = 0; v < ROCE_MUT_NR_ICRC; v++)
		check(s->icrc_variant[v] > 0, "bad ICRC '%s' never made",
		      roce_mut_icrc_name(v));
	/* 20% +- 1.5% of the packets (each decided apart, duplicates
	 * inherit the decision). */
	check(s->icrc_bad * 1000 > s->packets * 185 &&
	      s->icrc_bad * 1000 < s->packets * 215,
	      "bad ICRCs: %llu of %llu", (unsigned long long)s->icrc_bad,
	      (unsigned long long)s->packets);
	roce_mut_free(m);
	roce_mut_free(same);
	roce_mut_free(other);

	/* The mix is the caller's. */
	roce_mut_default_weights(weights);
	check(!roce_mut_parse_weights("all=0,truncate=3", weights),
	      "parse weights");
	m = new_mutator(seed, weights);
	for (int i = 0; m && i < 2000; i++) {
		roce_mut_next(m, &pkt, &res);
		check(res.kind == ROCE_MUT_TRUNCATE, "all=0,truncate=3 made %s",
		      roce_mut_kind_name(res.kind));
	}
	roce_mut_free(m);
	roce_mut_default_weights(weights);
	roce_mut_parse_weights("sequence=0,duplicate=0,psn=40", weights);
	m = new_mutator(seed, weights);
	for (int i = 0; m && i < 2000; i++) {
		roce_mut_next(m, &pkt, &res);
		check(res.kind != ROCE_MUT_SEQUENCE && res.kind != ROCE_MUT_DUPLICATE,
		      "sequence=0,duplicate=0 made %s", roce_mut_kind_name(res.kind));
	}
	check(roce_mut_stats(m)->kind[ROCE_MUT_PSN] > 2000 * 30 / 100,
	      "psn=40 makes PSN mutations the most common");
	roce_mut_free(m);
	check(roce_mut_parse_weights("nonsense=1", weights) == -EINVAL &&
	      roce_mut_parse_weights("psn", weights) == -EINVAL,
	      "bad weight specs refused");
	roce_mut_parse_weights("all=0", weights);
	check(!new_mutator(seed, weights) && errno == EINVAL,
	      "all weights 0 refused");
	GROUP_END("mutator: deterministic for a seed, every kind and variant made, ICRC right or wrong as told, mix configurable");
}

/* ------------------------------------------------------------------------
 * --wire: raw sending with a chosen source, and the listener.
 */
static int enter_netns(const char *name)
{
	char path[256];
	int fd, ret;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = setns(fd, CLONE_NEWNET) ? -errno : 0;
	close(fd);
	return ret;
}

static int wire_send(struct roce_tx *tx, const struct roce_ip *ip,
		     uint8_t opcode, uint32_t psn, uint8_t syndrome,
		     const uint8_t *payload, size_t len, unsigned int flags)
{
	static struct roce_pkt pkt;
	struct roce_hdrs h;

	roce_hdrs_init(&h, opcode);
	h.bth.dest_qpn = 0x11;
	h.bth.psn = psn;
	h.aeth.syndrome = syndrome;
	h.aeth.msn = 3;
	h.atomic_ack_eth.orig = 0x1122334455667788ull;
	h.payload = payload;
	h.payload_len = len;
	if (roce_pkt_build(&pkt, ip, &h, flags))
		return -EINVAL;
	return roce_tx_send(tx, &pkt);
}

static int test_wire(const char *tx_ns, const char *rx_ns, const char *src,
		     const char *dst)
{
	GROUP_BEGIN();
	static struct roce_rx_pkt in;
	static uint8_t payload[2000];
	struct roce_tx tx;
	struct roce_rx rx;
	struct roce_ip ip;
	char desc[256];
	bool v6;
	int ret;

	if (roce_ip_init(&ip, src, dst)) {
		fprintf(stderr, "prxe_roce_selftest: bad addresses %s %s\n", src, dst);
		return 2;
	}
	v6 = ip.family == AF_INET6;
	ip.ipv4_id = 0x4242;
	ip.sport = 0xc0de;
	rnd_bytes(payload, sizeof(payload));

	/* Each socket belongs to the namespace it is made in. */
	ret = enter_netns(rx_ns);
	if (!check(!ret, "enter %s: %s", rx_ns, strerror(-ret)))
		return 1;
	ret = roce_rx_open_str(&rx, dst);
	if (!check(!ret, "listener on %s:4791 in %s: %s", dst, rx_ns, strerror(-ret)))
		return 1;
	ret = enter_netns(tx_ns);
	if (!check(!ret, "enter %s: %s", tx_ns, strerror(-ret)))
		return 1;
	ret = roce_tx_open(&tx);
	if (!check(!ret, "raw sockets: %s", strerror(-ret)))
		return 1;

	/* A NAK, from an address that is nobody's. */
	ret = wire_send(&tx, &ip, ROCE_OP_RC_ACKNOWLEDGE, 0x123,
			ROCE_SYN_NAK(ROCE_NAK_INVALID_REQ), NULL, 0, 0);
	check(!ret, "send NAK: %s", strerror(-ret));
	ret = roce_rx_recv(&rx, &in, 5000);
	if (check(!ret, "receive NAK: %s", strerror(-ret))) {
		printf("received: %s\n", roce_describe(&in.parsed, desc, sizeof(desc)));
		check(!in.parsed.error && in.parsed.icrc_ok, "NAK parses, ICRC right");
		check(roce_is_nak(&in.parsed, 0x123, ROCE_NAK_INVALID_REQ),
		      "NAK PSN 0x123 invalid request");
		check(!memcmp(&in.parsed.src, &ip.src, v6 ? 16 : 4),
		      "source address %s kept", src);
		check(in.parsed.sport == 0xc0de, "UDP source port kept");
		check(v6 ? in.ip_hdr_rebuilt : in.parsed.ipv4_id == 0x4242,
		      "IPv4 identification kept (or IPv6 header rebuilt)");
	}

	/* A READ response with 1001 bytes (3 pad bytes). */
	wire_send(&tx, &ip, ROCE_OP_RC_RDMA_READ_RESPONSE_ONLY, 0x124,
		  ROCE_SYN_ACK(31), payload, 1001, 0);
	ret = roce_rx_recv(&rx, &in, 5000);
	check(!ret && !in.parsed.error && in.parsed.icrc_ok &&
	      roce_is_ack(&in.parsed, 0x124) && in.parsed.hdrs.payload_len == 1001 &&
	      !memcmp(in.parsed.hdrs.payload, payload, 1001),
	      "READ response of 1001 bytes: %d %s", ret, in.parsed.error);

	/* An ATOMIC ACKNOWLEDGE. */
	wire_send(&tx, &ip, ROCE_OP_RC_ATOMIC_ACKNOWLEDGE, 0x125,
		  ROCE_SYN_ACK(31), NULL, 0, 0);
	ret = roce_rx_recv(&rx, &in, 5000);
	check(!ret && in.parsed.icrc_ok &&
	      in.parsed.hdrs.atomic_ack_eth.orig == 0x1122334455667788ull,
	      "ATOMIC ACKNOWLEDGE: %d", ret);

	/* A wrong ICRC arrives, and is seen to be wrong. */
	wire_send(&tx, &ip, ROCE_OP_RC_ACKNOWLEDGE, 0x126, ROCE_SYN_ACK(31),
		  NULL, 0, ROCE_BUILD_BAD_ICRC);
	ret = roce_rx_recv(&rx, &in, 5000);
	check(!ret && !in.parsed.error && !in.parsed.icrc_ok &&
	      in.parsed.hdrs.bth.psn == 0x126, "bad ICRC seen: %d", ret);

	if (v6) {
		/* rdma_rxe's zero UDP checksum is accepted. */
		ip.udp6_zero_csum = true;
		wire_send(&tx, &ip, ROCE_OP_RC_ACKNOWLEDGE, 0x127,
			  ROCE_SYN_ACK(31), NULL, 0, 0);
		ret = roce_rx_recv(&rx, &in, 5000);
		check(!ret && in.parsed.icrc_ok && roce_is_ack(&in.parsed, 0x127),
		      "IPv6 with UDP checksum 0: %d", ret);
		ip.udp6_zero_csum = false;
	}

	/* Larger than the link: EMSGSIZE, nothing sent. */
	ret = wire_send(&tx, &ip, ROCE_OP_RC_RDMA_READ_RESPONSE_ONLY, 0x128,
			ROCE_SYN_ACK(31), payload, 2000, 0);
	check(ret == -EMSGSIZE, "2000-byte payload on a 1500 link: %s",
	      strerror(-ret));

	/* Another port is not ours; then nothing comes. */
	ip.dport = ROCE_UDP_PORT + 1;
	wire_send(&tx, &ip, ROCE_OP_RC_ACKNOWLEDGE, 0x129, ROCE_SYN_ACK(31),
		  NULL, 0, 0);
	ret = roce_rx_recv(&rx, &in, 500);
	check(ret == -ETIMEDOUT, "port 4792 not received, then a timeout: %d (%s)",
	      ret, ret ? "" : roce_describe(&in.parsed, desc, sizeof(desc)));

	roce_tx_close(&tx);
	roce_rx_close(&rx);
	GROUP_END(v6 ? "wire: IPv6 raw packets with a chosen source to the listener, ICRC checked on receipt"
		     : "wire: IPv4 raw packets with a chosen source to the listener, ICRC checked on receipt");
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: prxe_roce_selftest [-n ITERATIONS] [-s SEED]\n"
		"       prxe_roce_selftest --wire TX_NETNS RX_NETNS SRC DST\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long iterations = 100000;
	uint64_t seed = 1;
	int opt;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "--wire")) {
		if (argc != 6)
			usage();
		if (test_wire(argv[2], argv[3], argv[4], argv[5]) == 2)
			return 2;
	} else {
		while ((opt = getopt(argc, argv, "n:s:")) != -1) {
			switch (opt) {
			case 'n':
				iterations = strtoul(optarg, NULL, 0);
				break;
			case 's':
				seed = strtoull(optarg, NULL, 0);
				break;
			default:
				usage();
			}
		}
		if (optind != argc)
			usage();
		test_header_layouts();
		test_header_round_trips();
		test_opcode_table();
		test_icrc_vectors();
		test_icrc_builder_vector();
		test_icrc_reference();
		test_builder();
		test_parser();
		test_mutator(iterations, seed);
	}
	if (failures) {
		printf("prxe_roce_selftest: FAIL (%lu of %lu checks failed)\n",
		       failures, checks);
		return 1;
	}
	printf("prxe_roce_selftest: PASS (%lu checks)\n", checks);
	return 0;
}
