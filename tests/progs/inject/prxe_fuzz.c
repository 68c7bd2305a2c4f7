// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe_fuzz: the packet-layer fuzzer (issue 10, "Prove the packet layer").
 *
 * Usage: prxe_fuzz [OPTIONS] DEVICE PEER_NS PEER_IP
 *
 * Runs in the device's network namespace, as prxe_inject does: the
 * device's RC QPs are connected to a QP at PEER_IP that does not exist,
 * which the program plays from namespace PEER_NS.  The target: RC QPs,
 * a UD QP, and regions with guard memory of known contents around them
 * (pinned and ODP, a page and 64 KiB; ODP of 4 MiB; with --pmem an ODP
 * region of 2 MiB on a file there, its guards in the same file).  Each RC
 * QP is also a requester with work outstanding (a SEND, a READ of 2500
 * bytes, a FETCH_ADD to the phantom, which never answers), so that ACKs,
 * READ responses and atomic ACKs meet a completer with something to
 * complete; the QPs never retransmit (timeout 0).
 *
 * The mutator (roce/mutate.h) makes packets from templates of what the
 * device would accept - per RC QP: SEND_ONLY, WRITE_ONLY, WRITE_FIRST and
 * a READ request into the regions, CMP_SWAP and FETCH_ADD on aligned
 * words, an ACK of the SEND, the READ's three responses, the FETCH_ADD's
 * ATOMIC ACKNOWLEDGE; two UD SENDs with the right Q_Key - and aims at the
 * QPs and their expected PSNs, the regions (rkey, iova, length), MTU 1024,
 * IP packets of 1500 bytes.  The peer sends each packet from PEER_NS.
 *
 * Fuzzing drives the QPs to the error state: every --revive packets they
 * are brought back (RESET, INIT, RTR, RTS, with PSNs chosen from the seed,
 * some near the 24-bit wrap), their receives and outstanding work posted
 * again.  After every --batch packets the program waits until the device's
 * counters account for every packet sent (so nothing is lost below prxe
 * for want of backlog), then drains the CQ, posts receives for those
 * consumed, and reads the device's answers.
 *
 * The checks: every packet sent ends in exactly one counter of the receive
 * path (docs/ARCHITECTURE.md, "What the receive path checks, in order"):
 * the sum of rcvd_pkts, rcvd_icrc_err, rcvd_bad_hdr, rcvd_nomem,
 * rcvd_unknown_qp, rcvd_qp_not_ready, rcvd_queue_full, rcvd_bad_pkey and
 * rcvd_wrong_src grows by the packets sent, but for those the IP/UDP stack
 * drops before prxe sees them (a UDP length longer than the datagram or
 * shorter than its header): those are counted from the namespace's
 * /proc/net/snmp (Udp InErrors, Ip In*Errors and InDiscards) and must be
 * the packets whose UDP length lies so.  Checked after every batch; a
 * batch that does not add up ends the fuzzing with its packets listed.
 * Then: every answer of the device parses, with a right ICRC; the guards
 * of every region are unchanged; a revived QP takes a WRITE from the peer;
 * two fresh QPs in loopback pass SEND, WRITE and READ, every byte checked.
 * The mutator's counts per kind and variant are printed.
 *
 * The packets depend only on the options (seed, counts, weights, the
 * share of bad ICRCs, --qps, --revive, whether --pmem is given) and,
 * where they name a QP, a key or an address, on the run's QPNs, rkeys
 * and iovas; not on what the device does, nor on --batch.  A run is
 * replayed with the seed it
 * printed, and `--batch 1 --trace` names the counter each packet ended
 * in.  Progress marks ("prxe_fuzz: seed S: N packets", every 10^4) go to
 * the kernel log and the console, so that a kernel problem can be placed
 * in the run.
 *
 * Options:
 *   --packets N            packets to send (100000)
 *   --seed S               the mutator's seed (default: from the time)
 *   --pmem DIR             also an ODP region on a file in DIR (fsdax)
 *   --bad-icrc-percent P   packets with a wrong ICRC (10)
 *   --weights SPEC         the mix of kinds: roce_mut_parse_weights()
 *   --qps N                RC QPs (8)
 *   --revive K             packets between revivals of the RC QPs (50)
 *   --batch N              packets between waits for the counters (256)
 *   --trace                a line per packet
 *
 * Output and exit status: the test library's convention (check.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "check.h"
#include "mem.h"
#include "peer.h"
#include "qp.h"
#include "roce/mutate.h"
#include "target.h"
#include "wc.h"

#define PAGE		4096u
#define GUARD		(4 * PAGE)
#define MTU		1024u
#define MAX_IP_BYTES	1500u		/* the veth's MTU */
#define READ_LEN	2500u		/* the requesters' READ: 3 responses */
#define SYNC_MS		30000		/* for the counters to catch up */
#define PROGRESS_EVERY	10000
#define MAX_QPS		64
#define MAX_REGIONS	8
#define MAX_TEMPLATES	(MAX_QPS * 11 + 2)

struct opts {
	unsigned long packets;
	uint64_t seed;
	const char *pmem;
	unsigned int bad_icrc_percent;
	unsigned int weights[ROCE_MUT_NR_KINDS];
	unsigned int qps;
	unsigned int revive;
	unsigned int batch;
	bool trace;
};

static struct opts o = {
	.packets = 100000, .bad_icrc_percent = 10, .qps = 8, .revive = 50,
	.batch = 256,
};
static struct target t;
static struct peer p;

/* ------------------------------------------------------------------------
 * The regions: the ones the templates aim at, then the requesters' own
 * buffers (registered with remote access too, so also fair targets).
 */
struct region {
	char name[64];
	struct target_mr m;
};

static struct region regions[MAX_REGIONS];
static unsigned int nr_regions, nr_remote;
static struct target_mr *read_dest, *atomic_dest;

static struct region *region_add(const char *fmt, const char *arg)
{
	struct region *r = &regions[nr_regions++];

	snprintf(r->name, sizeof(r->name), fmt, arg);
	return r;
}

static void regions_open(void)
{
	static const struct {
		size_t len;
		bool odp;
		const char *name;
	} anon[] = {
		{ PAGE, false, "pinned, a page" },
		{ 64 << 10, false, "pinned, 64 KiB" },
		{ PAGE, true, "ODP, a page" },
		{ 64 << 10, true, "ODP, 64 KiB" },
		{ 4 << 20, true, "ODP, 4 MiB" },
	};
	struct region *r;
	unsigned int i;

	for (i = 0; i < sizeof(anon) / sizeof(anon[0]); i++) {
		r = region_add("%s", anon[i].name);
		target_mr_open(&t, &r->m, anon[i].len, GUARD, anon[i].odp);
	}
	if (o.pmem) {
		r = region_add("ODP, 2 MiB of a file in %s", o.pmem);
		target_mr_open_file(&t, &r->m, o.pmem, 2 << 20, GUARD);
	}
	nr_remote = nr_regions;
	r = region_add("%s", "the requesters' READ destination");
	target_mr_open(&t, &r->m, READ_LEN, GUARD, false);
	read_dest = &r->m;
	r = region_add("%s", "the requesters' atomic result");
	target_mr_open(&t, &r->m, 8, GUARD, false);
	atomic_dest = &r->m;
	for (i = 0; i < nr_regions; i++)
		note("region %u: %s: iova 0x%" PRIx64 ", %zu bytes, rkey 0x%x, %u guard bytes each side",
		     i, regions[i].name, (uint64_t)(uintptr_t)regions[i].m.mem.addr,
		     regions[i].m.mem.len, regions[i].m.mr->rkey, GUARD);
}

static void regions_close(void)
{
	unsigned int i;

	for (i = 0; i < nr_regions; i++)
		target_mr_close(&regions[i].m);
}

static uint64_t iova_of(const struct target_mr *m)
{
	return (uintptr_t)m->mem.addr;
}

/* ------------------------------------------------------------------------
 * What the mutator works from.  Its packets are a function of the seed
 * and of these, which change only when the QPs are revived, at packet
 * indexes fixed by --revive.
 */
static struct roce_mut_template tmpl[MAX_TEMPLATES];
static unsigned int nr_tmpl;
/* Of each template: its RC QP (or -1: UD), and its PSN's offset from the
 * QP's first PSN as a requester (or -1: the PSN it expects). */
static struct {
	int qp;
	int sq_offset;
} tmpl_psn[MAX_TEMPLATES];
static struct roce_mut_qp mut_qps[MAX_QPS + 1];
static struct roce_mut_mr mut_mrs[MAX_REGIONS];
static struct roce_mut_targets mut_targets;
static uint8_t payload[MTU];

/* The PSNs of the current revival of each RC QP. */
static uint32_t rq_psn[MAX_QPS], sq_psn[MAX_QPS];

static struct roce_hdrs *tmpl_add(int qp, int sq_offset, uint8_t opcode)
{
	struct roce_mut_template *m = &tmpl[nr_tmpl];

	tmpl_psn[nr_tmpl].qp = qp;
	tmpl_psn[nr_tmpl].sq_offset = sq_offset;
	nr_tmpl++;
	m->ip = p.ip;
	if (qp >= 0) {
		target_rc_hdrs(&t, qp, &m->hdrs, opcode);
		/* An answer asks for none. */
		m->hdrs.bth.ack_req = sq_offset < 0;
	} else {
		roce_hdrs_init(&m->hdrs, opcode);
		m->hdrs.bth.dest_qpn = t.ud->qp_num;
	}
	return &m->hdrs;
}

static void with_payload(struct roce_hdrs *h, size_t len)
{
	h->payload = payload;
	h->payload_len = len;
}

static void reth_at(struct roce_hdrs *h, const struct target_mr *m,
		    uint64_t offset, uint32_t len)
{
	h->reth = (struct roce_reth) {
		.va = iova_of(m) + offset, .rkey = m->mr->rkey, .dma_len = len,
	};
}

static void atomic_at(struct roce_hdrs *h, const struct target_mr *m,
		      uint64_t offset)
{
	h->atomic_eth = (struct roce_atomic_eth) {
		.va = iova_of(m) + offset, .rkey = m->mr->rkey,
		.swap_add = 0x0101010101010101ull, .compare = 0,
	};
}

static void ack(struct roce_hdrs *h, uint32_t msn)
{
	h->aeth.syndrome = ROCE_SYN_ACK(ROCE_AETH_CREDITS_INVALID);
	h->aeth.msn = msn;
}

/* The requests of RC QP @i into two regions (SEND, WRITE, READ, atomics,
 * FLUSH, ATOMIC WRITE), and the answers to its own requests (SEND at
 * sq_psn, READ at +1..+3, FETCH_ADD at +4). */
static void templates_rc(unsigned int i)
{
	const struct target_mr *a = &regions[i % nr_remote].m;
	const struct target_mr *b = &regions[(i + 1) % nr_remote].m;
	uint64_t mid = a->mem.len > 64 * 1024 ? a->mem.len / 2 : 0;
	struct roce_hdrs *h;

	with_payload(tmpl_add(i, -1, ROCE_OP_RC_SEND_ONLY), 64);
	h = tmpl_add(i, -1, ROCE_OP_RC_RDMA_WRITE_ONLY);
	reth_at(h, a, mid, 256);
	with_payload(h, 256);
	h = tmpl_add(i, -1, ROCE_OP_RC_RDMA_WRITE_FIRST);
	reth_at(h, b, 0, 3 * MTU);
	with_payload(h, MTU);
	h = tmpl_add(i, -1, ROCE_OP_RC_RDMA_READ_REQUEST);
	reth_at(h, b, 0, 2048);
	atomic_at(tmpl_add(i, -1, ROCE_OP_RC_COMPARE_SWAP), a, 8);
	atomic_at(tmpl_add(i, -1, ROCE_OP_RC_FETCH_ADD), b, 16);
	/* Both placement types (persistence NAKed where it cannot be had). */
	h = tmpl_add(i, -1, ROCE_OP_RC_FLUSH);
	reth_at(h, a, mid, 4096);
	h->feth.placement = ROCE_FETH_PLT_GLOBAL_VISIBILITY |
			    ROCE_FETH_PLT_PERSISTENCE;
	h = tmpl_add(i, -1, ROCE_OP_RC_ATOMIC_WRITE);
	reth_at(h, b, 24, 8);
	with_payload(h, 8);

	ack(tmpl_add(i, 0, ROCE_OP_RC_ACKNOWLEDGE), 1);
	h = tmpl_add(i, 1, ROCE_OP_RC_RDMA_READ_RESPONSE_FIRST);
	ack(h, 1);
	with_payload(h, MTU);
	with_payload(tmpl_add(i, 2, ROCE_OP_RC_RDMA_READ_RESPONSE_MIDDLE), MTU);
	h = tmpl_add(i, 3, ROCE_OP_RC_RDMA_READ_RESPONSE_LAST);
	ack(h, 2);
	with_payload(h, READ_LEN - 2 * MTU);
	h = tmpl_add(i, 4, ROCE_OP_RC_ATOMIC_ACKNOWLEDGE);
	ack(h, 3);
	h->atomic_ack_eth.orig = 0x1122334455667788ull;
}

static void templates_open(void)
{
	struct roce_hdrs *h;
	unsigned int i;

	for (i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + 1);
	for (i = 0; i < t.nr_rc; i++) {
		templates_rc(i);
		mut_qps[i] = (struct roce_mut_qp) { .qpn = t.rc[i].qp->qp_num };
	}
	for (i = 0; i < 2; i++) {
		h = tmpl_add(-1, -1, i ? ROCE_OP_UD_SEND_ONLY_WITH_IMM :
					 ROCE_OP_UD_SEND_ONLY);
		h->deth.qkey = TARGET_QKEY;
		h->deth.src_qpn = PHANTOM_QPN;
		with_payload(h, 64);
	}
	mut_qps[t.nr_rc] = (struct roce_mut_qp) {
		.qpn = t.ud->qp_num, .qkey = TARGET_QKEY, .ud = true,
	};
	for (i = 0; i < nr_regions; i++)
		mut_mrs[i] = (struct roce_mut_mr) {
			.rkey = regions[i].m.mr->rkey,
			.iova = iova_of(&regions[i].m),
			.length = regions[i].m.mem.len,
		};
	mut_targets = (struct roce_mut_targets) {
		.qps = mut_qps, .nr_qps = t.nr_rc + 1,
		.mrs = mut_mrs, .nr_mrs = nr_regions,
		.path_mtu = MTU, .max_ip_bytes = MAX_IP_BYTES,
	};
	note("%u templates: 11 for each of %u RC QPs, 2 UD SENDs", nr_tmpl,
	     t.nr_rc);
}

/* The templates and targets after the QPs were revived with new PSNs. */
static void templates_psns(void)
{
	unsigned int i;

	for (i = 0; i < t.nr_rc; i++)
		mut_qps[i].psn = rq_psn[i];
	for (i = 0; i < nr_tmpl; i++) {
		int qp = tmpl_psn[i].qp;

		if (qp < 0)
			continue;
		tmpl[i].hdrs.bth.psn = tmpl_psn[i].sq_offset < 0 ? rq_psn[qp] :
			roce_psn_add(sq_psn[qp], tmpl_psn[i].sq_offset);
	}
}

/* ------------------------------------------------------------------------
 * Reviving the RC QPs.
 */
static uint64_t psn_rng;

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A first PSN: mostly any, often one where the 24 bits wrap soon. */
static uint32_t psn_pick(void)
{
	static const uint32_t edges[] = {
		0x000000, 0x000100, 0x7fffff, 0x800000, 0xfffffc, 0xfffffe,
		0xffffff,
	};
	uint64_t x = splitmix(&psn_rng);

	if (x % 3 == 0)
		return edges[(x >> 8) % (sizeof(edges) / sizeof(edges[0]))];
	return (uint32_t)(x >> 32) & ROCE_PSN_MASK;
}

/* Work the phantom never answers but the fuzzer may: a SEND, a READ and a
 * FETCH_ADD, at sq_psn, +1 (3 responses) and +4. */
static void post_requester_work(unsigned int i)
{
	struct ibv_qp *qp = t.rc[i].qp;
	struct ibv_sge send = {
		.addr = iova_of(read_dest), .length = 64,
		.lkey = read_dest->mr->lkey,
	};
	struct ibv_sge read = {
		.addr = iova_of(read_dest), .length = READ_LEN,
		.lkey = read_dest->mr->lkey,
	};
	struct ibv_sge atomic = {
		.addr = iova_of(atomic_dest), .length = 8,
		.lkey = atomic_dest->mr->lkey,
	};
	int err;

	err = post_send_one(qp, i << 8 | 1, IBV_WR_SEND, &send, 0, 0);
	err = err ?: post_send_one(qp, i << 8 | 2, IBV_WR_RDMA_READ, &read,
				   0x10000, 0x1234);
	err = err ?: post_send_one(qp, i << 8 | 3, IBV_WR_ATOMIC_FETCH_AND_ADD,
				   &atomic, 0x20000, 0x1234);
	if (err)
		fail_exit("success", errno_name(err),
			  "posting the requester's work on QP 0x%x", qp->qp_num);
}

static unsigned long revivals;

static void revive_all(void)
{
	unsigned int i;

	for (i = 0; i < t.nr_rc; i++) {
		rq_psn[i] = psn_pick();
		sq_psn[i] = psn_pick();
		must(target_rc_revive(&t, i, rq_psn[i], sq_psn[i]));
		post_requester_work(i);
	}
	templates_psns();
	revivals++;
}

/* ------------------------------------------------------------------------
 * Accounting.
 */
static const char *const ends[] = {
	"rcvd_pkts", "rcvd_icrc_err", "rcvd_bad_hdr", "rcvd_nomem",
	"rcvd_unknown_qp", "rcvd_qp_not_ready", "rcvd_queue_full",
	"rcvd_bad_pkey", "rcvd_wrong_src",
};
#define NR_ENDS		(sizeof(ends) / sizeof(ends[0]))

/* Counters that say what the engines did, printed for the record. */
static const char *const others[] = {
	"sent_pkts", "send_err", "seq_naks_sent", "rnr_naks_sent", "dup_req",
	"rcvd_bad_qkey", "rcvd_ud_dropped", "seq_naks_rcvd", "rnr_naks_rcvd",
	"retransmits", "ack_timeouts", "odp_page_faults", "odp_fault_works",
	"odp_fault_waits", "odp_fault_rnr_naks",
};
#define NR_OTHERS	(sizeof(others) / sizeof(others[0]))

/* The IP and UDP layers' drops, from this namespace's /proc/net/snmp. */
struct stack {
	uint64_t ip;	/* InHdrErrors + InAddrErrors + InUnknownProtos + InDiscards */
	uint64_t udp;	/* InErrors */
};

/* Field @name of the "@proto:" lines of /proc/net/snmp. */
static uint64_t snmp_field(const char *text, const char *proto,
			   const char *name)
{
	char head[1024], vals[1024], *hs, *vs, *h, *v;
	const char *line = text;
	size_t plen = strlen(proto);

	/* A header line, then the values line. */
	while ((line = strstr(line, proto)) &&
	       (line[plen] != ':' || (line != text && line[-1] != '\n')))
		line++;
	if (!line || sscanf(line, "%1023[^\n]\n%1023[^\n]", head, vals) != 2)
		die("/proc/net/snmp: no %s lines", proto);
	h = strtok_r(head, " ", &hs);
	v = strtok_r(vals, " ", &vs);
	while ((h = strtok_r(NULL, " ", &hs)) && (v = strtok_r(NULL, " ", &vs)))
		if (!strcmp(h, name))
			return strtoull(v, NULL, 10);
	die("/proc/net/snmp: no %s %s", proto, name);
}

static void stack_read(struct stack *s)
{
	char text[8192];
	ssize_t n;
	int fd = open("/proc/self/net/snmp", O_RDONLY);

	if (fd < 0)
		die("/proc/self/net/snmp: %s", strerror(errno));
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		die("/proc/self/net/snmp: %s", n ? strerror(errno) : "empty");
	text[n] = 0;
	s->ip = snmp_field(text, "Ip", "InHdrErrors") +
		snmp_field(text, "Ip", "InAddrErrors") +
		snmp_field(text, "Ip", "InUnknownProtos") +
		snmp_field(text, "Ip", "InDiscards");
	s->udp = snmp_field(text, "Udp", "InErrors");
}

/* Whether the UDP layer drops @pkt: its UDP length is longer than the
 * datagram, or shorter than the UDP header. */
static bool stack_drops(struct roce_pkt *pkt)
{
	const uint8_t *udp = roce_pkt_udp(pkt);
	size_t len = (size_t)udp[4] << 8 | udp[5];

	return len > pkt->len - pkt->ip_hdr_len || len < ROCE_UDP_HDR_BYTES;
}

static struct {
	uint64_t base[NR_ENDS];		/* when the fuzzing began */
	uint64_t last[NR_ENDS];		/* at the last sync */
	struct stack stack_base, stack_last;
	uint64_t sent;			/* packets sent */
	uint64_t stack_expected;	/* of them, ones the UDP layer drops */
	uint64_t synced;		/* packets accounted for */
	uint64_t stack_synced;		/* ... the stack's */
	uint64_t send_errors;
	char first_send_error[400];
	bool broken;			/* a batch did not add up */
	/* What the pacing costs. */
	uint64_t syncs, reads, read_us, sync_us, revive_us;
} ledger;

/* The packets of the batch under way, for the report of one that does
 * not add up. */
static struct roce_mut_result *batch_res;
static unsigned int batch_len;

static uint64_t sum(const uint64_t *v, const uint64_t *from)
{
	uint64_t s = 0;
	unsigned int i;

	for (i = 0; i < NR_ENDS; i++)
		s += v[i] - from[i];
	return s;
}

static const char *deltas(const uint64_t *v, const uint64_t *from)
{
	char s[512];
	unsigned int i;
	int n = 0;

	s[0] = 0;
	for (i = 0; i < NR_ENDS; i++)
		if (v[i] != from[i])
			n += snprintf(s + n, sizeof(s) - n, "%s%s +%" PRIu64,
				      n ? ", " : "", ends[i], v[i] - from[i]);
	return strf("%s", n ? s : "none");
}

static uint64_t stack_delta(const struct stack *a, const struct stack *b)
{
	return a->ip - b->ip + a->udp - b->udp;
}

/* The mutator's numbers of the packets of the batch, "#A .. #B". */
static const char *batch_range(void)
{
	if (!batch_len)
		return "the warm-up packet";
	return strf("packets #%" PRIu64 " .. #%" PRIu64, batch_res[0].index,
		    batch_res[batch_len - 1].index);
}

/* The packets of the batch that did not add up, and how to replay it. */
static void report_batch(void)
{
	unsigned int i;

	if (!batch_len)
		return;
	note("the %u packets of the batch:", batch_len);
	for (i = 0; i < batch_len; i++)
		note("  %s", batch_res[i].desc);
	note("replay: prxe_fuzz --seed %" PRIu64 " --packets %" PRIu64
	     " --qps %u --revive %u --bad-icrc-percent %u%s%s --batch 1 --trace (and the same --weights)",
	     o.seed, batch_res[batch_len - 1].index + 1, o.qps, o.revive,
	     o.bad_icrc_percent, o.pmem ? " --pmem " : "",
	     o.pmem ? o.pmem : "");
}

/*
 * Waits until the counters account for every packet sent (a check only
 * when they do not: a fuzzing run makes thousands of these).  Then the
 * CQ is drained, receives posted again and the answers read.
 */
static bool sync_counters(void)
{
	uint64_t cur[NR_ENDS], start = now_ms(), prxe, stack;
	unsigned int wait_us = 1000;
	struct stack s;
	bool ok;

	ledger.syncs++;
	for (;;) {
		uint64_t r0 = now_ns();

		target_counters(&t, ends, NR_ENDS, cur);
		stack_read(&s);
		ledger.reads++;
		ledger.read_us += (now_ns() - r0) / 1000;
		prxe = sum(cur, ledger.last);
		stack = stack_delta(&s, &ledger.stack_last);
		if (prxe + stack >= ledger.sent - ledger.synced ||
		    now_ms() - start > SYNC_MS)
			break;
		usleep(wait_us);
		if (wait_us < 50000)
			wait_us *= 2;
	}
	ok = prxe + stack == ledger.sent - ledger.synced &&
	     stack == ledger.stack_expected - ledger.stack_synced;
	if (o.trace && ledger.sent > ledger.synced)
		note("  -> %s%s", deltas(cur, ledger.last),
		     stack ? strf(", IP/UDP stack +%" PRIu64, stack) : "");
	if (!ok) {
		check_fail(strf("%" PRIu64 " in prxe's counters and %" PRIu64 " dropped by the IP/UDP stack",
				ledger.sent - ledger.synced - (ledger.stack_expected - ledger.stack_synced),
				ledger.stack_expected - ledger.stack_synced),
			   strf("%" PRIu64 " in prxe's (%s) and %" PRIu64 " by the stack, after %" PRIu64 " ms",
				prxe, deltas(cur, ledger.last), stack,
				now_ms() - start),
			   "%s: where they ended", batch_range());
		report_batch();
		ledger.broken = true;
	}
	memcpy(ledger.last, cur, sizeof(cur));
	ledger.stack_last = s;
	ledger.synced = ledger.sent;
	ledger.stack_synced = ledger.stack_expected;
	batch_len = 0;

	target_drain_cq(&t);
	target_refill_recvs(&t);
	{
		static struct roce_rx_pkt answer;

		while (peer_recv(&p, &answer, 0))
			;
	}
	ledger.sync_us += (now_ms() - start) * 1000;
	return ok;
}

/* ------------------------------------------------------------------------
 * The fuzzing.
 */
/* A mark in the kernel log, at the default level as run-tests' marks
 * are: on the console, between the kernel's messages. */
CHECK_FMT(1, 2) static void kmsg(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int fd, n;

	n = snprintf(line, sizeof(line), "%s: ", check_prog());
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, line, strlen(line)) < 0)
		(void)0;	/* only a mark */
	close(fd);
}

static struct roce_mut *fuzz_open(void)
{
	struct roce_mut_config cfg = {
		.seed = o.seed, .bad_icrc_percent = o.bad_icrc_percent,
		.weights = o.weights, .templates = tmpl,
		.nr_templates = nr_tmpl, .targets = &mut_targets,
	};
	struct roce_mut *m = roce_mut_new(&cfg);

	if (!m)
		die("roce_mut_new: %s", strerror(errno));
	return m;
}

/*
 * One packet before the fuzzing, to a QPN that does not exist
 * (rcvd_unknown_qp), waited for: the peer's first packet waits for ARP,
 * which keeps only a few while it does.
 */
static void warm_up(void)
{
	struct roce_hdrs h;

	roce_hdrs_init(&h, ROCE_OP_RC_ACKNOWLEDGE);
	h.bth.dest_qpn = 0xfffff0;
	if (o.trace)
		note("warm-up: RC_ACKNOWLEDGE to QP 0x%06x", h.bth.dest_qpn);
	peer_send(&p, &h, NULL, false);
	ledger.sent++;
	must(sync_counters());
}

static void fuzz(struct roce_mut *m)
{
	static struct roce_pkt pkt;
	struct roce_mut_result res;
	uint64_t i, t0 = now_ms();
	int err;

	kmsg("seed %" PRIu64 ": sending %lu packets", o.seed, o.packets);
	for (i = 0; i < o.packets && !ledger.broken; i++) {
		if (i && i % o.revive == 0) {
			uint64_t r0;

			if (ledger.sent > ledger.synced && !sync_counters())
				break;
			r0 = now_ns();
			revive_all();
			ledger.revive_us += (now_ns() - r0) / 1000;
		}
		err = roce_mut_next(m, &pkt, &res);
		if (err)
			die("roce_mut_next of packet #%" PRIu64 ": %s", i,
			    strerror(-err));
		if (o.trace)
			note("%s", res.desc);
		err = peer_send_pkt(&p, &pkt);
		if (err) {
			if (!ledger.send_errors++)
				snprintf(ledger.first_send_error,
					 sizeof(ledger.first_send_error), "%s: %s",
					 strerror(-err), res.desc);
		} else {
			batch_res[batch_len++] = res;
			ledger.sent++;
			ledger.stack_expected += stack_drops(&pkt);
		}
		if (batch_len == o.batch)
			sync_counters();
		if ((i + 1) % PROGRESS_EVERY == 0) {
			uint64_t ms = now_ms() - t0;

			note("%" PRIu64 " packets in %" PRIu64 " s (%.0f/s)",
			     i + 1, ms / 1000, (i + 1) * 1000.0 / (ms ? ms : 1));
			kmsg("seed %" PRIu64 ": %" PRIu64 " packets", o.seed,
			     i + 1);
		}
	}
	if (ledger.sent > ledger.synced)
		sync_counters();
	kmsg("seed %" PRIu64 ": done, %" PRIu64 " packets sent", o.seed,
	     ledger.sent);
	note("%" PRIu64 " packets sent (the warm-up packet and %" PRIu64 " of the mutator's) in %.1f s, %lu revivals of the %u RC QPs",
	     ledger.sent, ledger.sent - 1, (now_ms() - t0) / 1000.0, revivals,
	     t.nr_rc);
	note("pacing: %" PRIu64 " waits for the counters, %.1f s; %" PRIu64 " reads of the counters, %.1f s; revivals %.1f s",
	     ledger.syncs, ledger.sync_us / 1e6, ledger.reads,
	     ledger.read_us / 1e6, ledger.revive_us / 1e6);
}

/* ------------------------------------------------------------------------
 * What is checked afterwards.
 */
static void check_accounting(const uint64_t *others_before)
{
	uint64_t others_now[NR_OTHERS], prxe = sum(ledger.last, ledger.base);
	uint64_t stack = stack_delta(&ledger.stack_last, &ledger.stack_base);
	unsigned int i;

	part_begin("accounting: every packet sent ends in one counter");
	note("packets sent: %" PRIu64 "; prxe's counters grew by %" PRIu64 ":",
	     ledger.sent, prxe);
	for (i = 0; i < NR_ENDS; i++)
		note("  %-18s +%" PRIu64, ends[i], ledger.last[i] - ledger.base[i]);
	note("dropped by the IP/UDP stack before prxe (UDP lengths that lie; this namespace's /proc/net/snmp): Udp InErrors +%" PRIu64 ", Ip In*Errors and InDiscards +%" PRIu64,
	     ledger.stack_last.udp - ledger.stack_base.udp,
	     ledger.stack_last.ip - ledger.stack_base.ip);
	check(prxe + stack == ledger.sent, strf("%" PRIu64, ledger.sent),
	      strf("%" PRIu64 " + %" PRIu64 " = %" PRIu64, prxe, stack,
		   prxe + stack),
	      "prxe's receive counters + the stack's drops = packets sent");
	check(stack == ledger.stack_expected,
	      strf("%" PRIu64 " (the packets whose UDP length is longer than the datagram or under 8)",
		   ledger.stack_expected),
	      strf("%" PRIu64, stack), "packets the IP/UDP stack dropped");
	check(!ledger.send_errors, "every packet sent",
	      ledger.send_errors ?
	      strf("%" PRIu64 " not sent, the first: %s", ledger.send_errors,
		   ledger.first_send_error) : "every packet sent",
	      "the peer's raw socket took every packet the mutator made");
	target_counters(&t, others, NR_OTHERS, others_now);
	for (i = 0; i < NR_OTHERS; i++)
		note("  %-18s +%" PRIu64, others[i],
		     others_now[i] - others_before[i]);
	part_end();
}

static void check_answers(void)
{
	const struct peer_rcvd *r = &p.rcvd;

	part_begin("the device's answers");
	note("%lu packets from the device: %lu requests of its own, %lu ACKs, %lu RNR NAKs, NAKs %lu PSN sequence, %lu invalid request, %lu remote access, %lu remote operational, %lu other; %lu READ responses, %lu atomic ACKs, %lu reserved AETH types",
	     r->pkts, r->requests, r->acks, r->rnr_naks, r->naks[0], r->naks[1],
	     r->naks[2], r->naks[3], r->naks[4] + r->naks[5],
	     r->read_responses, r->atomic_acks, r->other);
	note("completions: %" PRIu64 " receives (%" PRIu64 " with an error), %" PRIu64 " of the requesters' work (%" PRIu64 " with an error)",
	     t.wcs.recv_ok + t.wcs.recv_err, t.wcs.recv_err,
	     t.wcs.other_ok + t.wcs.other_err, t.wcs.other_err);
	check(!r->malformed, "every one well formed with a right ICRC",
	      r->malformed ? strf("%lu malformed, the first: %s",
				  r->malformed, p.first_malformed) :
	      strf("all %lu", r->pkts), "the device's answers to the peer");
	check(qp_state(t.ud) == IBV_QPS_RTS, "RTS",
	      qp_state_name(qp_state(t.ud)), "the UD QP's state");
	part_end();
}

static void check_guards(void)
{
	unsigned int i;

	part_begin("nothing written outside the regions");
	for (i = 0; i < nr_regions; i++)
		guarded_check(&regions[i].m.mem, "around region %u (%s)", i,
			      regions[i].name);
	part_end();
}

/* @seen holds @want's @n bytes (a check): if not, where they differ. */
CHECK_FMT(4, 5) static bool same(const uint8_t *seen, const uint8_t *want,
				 size_t n, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	for (i = 0; i < n && seen[i] == want[i]; i++)
		;
	return check(i == n, strf("the %zu bytes sent", n),
		     i == n ? strf("the %zu bytes sent", n) :
		     strf("byte %zu 0x%02x, not 0x%02x", i, seen[i], want[i]),
		     "%s", what);
}

/* A revived QP takes a valid WRITE from the peer. */
static void check_peer_write(void)
{
	const struct target_mr *m = &regions[0].m;
	struct roce_hdrs h;

	part_begin("a WRITE from the peer after the fuzzing");
	must(target_rc_revive(&t, 0, TARGET_RQ_PSN, TARGET_SQ_PSN));
	peer_drain(&p, 100);
	memset(m->mem.addr, 0, 512);
	target_rc_hdrs(&t, 0, &h, ROCE_OP_RC_RDMA_WRITE_ONLY);
	reth_at(&h, m, 0, 512);
	with_payload(&h, 512);
	peer_send(&p, &h, NULL, false);
	expect_answer(&p, h.bth.psn, ROCE_SYN_ACK(0),
		      "a WRITE of 512 bytes into %s", regions[0].name);
	same(m->mem.addr, payload, 512, "the region after the WRITE");
	part_end();
}

static void pattern(uint8_t *b, size_t n, unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = (uint8_t)(i * 31 + seed * 17 + (i >> 8));
}

static struct ibv_mr *reg(struct guarded *g, size_t len)
{
	struct ibv_mr *mr;

	if (guarded_map(g, len, PAGE))
		die("guarded_map: %s", strerror(errno));
	mr = ibv_reg_mr(t.dev.pd, g->addr, len, IBV_ACCESS_LOCAL_WRITE |
			IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ);
	if (!mr)
		die("ibv_reg_mr: %s", strerror(errno));
	return mr;
}

/* Two fresh QPs of the device in loopback: SEND, WRITE, READ. */
static void check_loopback(void)
{
	enum { LEN = 3 * MTU + 333 };
	struct ibv_cq *cq_a = cq_create(&t.dev, 8), *cq_b = cq_create(&t.dev, 8);
	struct ibv_qp_init_attr init;
	struct wc_want want;
	struct ibv_qp *a, *b;
	struct guarded ga, gb;
	struct ibv_mr *mra, *mrb;
	struct ibv_sge sa, sb;
	struct rc_attr r;

	part_begin("verified traffic in loopback after the fuzzing");
	must(cq_a && cq_b);
	qp_init_attr_fill(&init, IBV_QPT_RC, cq_a, cq_a, NULL, 4, 4);
	a = qp_create(&t.dev, &init);
	qp_init_attr_fill(&init, IBV_QPT_RC, cq_b, cq_b, NULL, 4, 4);
	b = qp_create(&t.dev, &init);
	must(a && b);
	rc_attr_default(&r, &t.dev, b->qp_num);
	must(rc_connect(a, &r));
	r.dest_qpn = a->qp_num;
	must(rc_connect(b, &r));
	mra = reg(&ga, LEN);
	mrb = reg(&gb, LEN);
	sa = (struct ibv_sge) {
		.addr = (uintptr_t)ga.addr, .length = LEN, .lkey = mra->lkey,
	};
	sb = (struct ibv_sge) {
		.addr = (uintptr_t)gb.addr, .length = LEN, .lkey = mrb->lkey,
	};

	pattern(ga.addr, LEN, 1);
	must_succeed(post_recv_one(b, 1, &sb), "post_recv on QP 0x%x", b->qp_num);
	must_succeed(post_send_one(a, 2, IBV_WR_SEND, &sa, 0, 0), "post SEND");
	want = (struct wc_want) {
		.wr_id = 2, .status = IBV_WC_SUCCESS, .check_opcode = true,
		.opcode = IBV_WC_SEND,
	};
	expect_wc(cq_a, &want, NULL, "SEND of %u bytes", LEN);
	want = (struct wc_want) {
		.wr_id = 1, .status = IBV_WC_SUCCESS, .check_opcode = true,
		.opcode = IBV_WC_RECV, .check_len = true, .byte_len = LEN,
	};
	expect_wc(cq_b, &want, NULL, "its receive");
	same(gb.addr, ga.addr, LEN, "what the SEND placed");

	pattern(ga.addr, LEN, 2);
	must_succeed(post_send_one(a, 3, IBV_WR_RDMA_WRITE, &sa,
				   (uintptr_t)gb.addr, mrb->rkey), "post WRITE");
	want = (struct wc_want) {
		.wr_id = 3, .status = IBV_WC_SUCCESS, .check_opcode = true,
		.opcode = IBV_WC_RDMA_WRITE,
	};
	expect_wc(cq_a, &want, NULL, "WRITE of %u bytes", LEN);
	same(gb.addr, ga.addr, LEN, "what the WRITE placed");

	pattern(gb.addr, LEN, 3);
	memset(ga.addr, 0, LEN);
	must_succeed(post_send_one(a, 4, IBV_WR_RDMA_READ, &sa,
				   (uintptr_t)gb.addr, mrb->rkey), "post READ");
	want.wr_id = 4;
	want.opcode = IBV_WC_RDMA_READ;
	expect_wc(cq_a, &want, NULL, "READ of %u bytes", LEN);
	same(gb.addr, ga.addr, LEN, "what the READ placed");
	guarded_check(&ga, "around the requester's buffer");
	guarded_check(&gb, "around the responder's buffer");

	ibv_destroy_qp(a);
	ibv_destroy_qp(b);
	ibv_dereg_mr(mra);
	ibv_dereg_mr(mrb);
	guarded_unmap(&ga);
	guarded_unmap(&gb);
	ibv_destroy_cq(cq_a);
	ibv_destroy_cq(cq_b);
	part_end();
}

/* The mutator's counts, as notes. */
static void print_stats(const struct roce_mut *m)
{
	char *text = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		die("open_memstream: %s", strerror(errno));
	roce_mut_print_stats(m, f);
	fclose(f);
	note("the mutator's packets by kind (then per variant):");
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		note("%s", line);
	free(text);
}

/* ------------------------------------------------------------------------
 * Options.
 */
static void usage(void)
{
	die("usage: prxe_fuzz [--packets N] [--seed S] [--pmem DIR] [--bad-icrc-percent P] [--weights SPEC] [--qps N] [--revive K] [--batch N] [--trace] DEVICE PEER_NS PEER_IP");
}

static unsigned long number(const char *s, unsigned long min,
			    unsigned long max)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(s, &end, 0);
	if (errno || *end || end == s || n < min || n > max)
		die("not a number in %lu..%lu: %s", min, max, s);
	return n;
}

static void parse(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "packets", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "pmem", required_argument, NULL, 'p' },
		{ "bad-icrc-percent", required_argument, NULL, 'i' },
		{ "weights", required_argument, NULL, 'w' },
		{ "qps", required_argument, NULL, 'q' },
		{ "revive", required_argument, NULL, 'r' },
		{ "batch", required_argument, NULL, 'b' },
		{ "trace", no_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	bool seeded = false;
	int c;

	roce_mut_default_weights(o.weights);
	while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (c) {
		case 'n':
			o.packets = number(optarg, 1, 1ul << 40);
			break;
		case 's':
			errno = 0;
			o.seed = strtoull(optarg, NULL, 0);
			if (errno)
				die("--seed %s: %s", optarg, strerror(errno));
			seeded = true;
			break;
		case 'p':
			o.pmem = optarg;
			break;
		case 'i':
			o.bad_icrc_percent = number(optarg, 0, 100);
			break;
		case 'w':
			if (roce_mut_parse_weights(optarg, o.weights))
				die("--weights %s: not KIND=N,... of known kinds",
				    optarg);
			break;
		case 'q':
			o.qps = number(optarg, 1, MAX_QPS);
			break;
		case 'r':
			o.revive = number(optarg, 1, 1ul << 30);
			break;
		case 'b':
			o.batch = number(optarg, 1, 2048);
			break;
		case 't':
			o.trace = true;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 3)
		usage();
	if (!seeded) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		o.seed = (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	}
	psn_rng = o.seed ^ 0x5eed05eed05eedull;
}

int main(int argc, char **argv)
{
	uint64_t others_before[NR_OTHERS];
	struct roce_mut *m;

	check_init("prxe_fuzz");
	parse(argc, argv);
	target_open(&t, argv[optind], argv[optind + 2], o.qps);
	peer_open(&p, argv[optind + 1], argv[optind + 2], t.addr);
	note("seed %" PRIu64 ", %lu packets, %u%% with a bad ICRC, %u RC QPs revived every %u packets, counters checked every %u",
	     o.seed, o.packets, o.bad_icrc_percent, o.qps, o.revive, o.batch);
	regions_open();
	templates_open();
	m = fuzz_open();

	batch_res = calloc(o.batch, sizeof(*batch_res));
	if (!batch_res)
		die("out of memory");
	part_begin("fuzzing");
	revive_all();
	target_counters(&t, ends, NR_ENDS, ledger.base);
	target_counters(&t, others, NR_OTHERS, others_before);
	stack_read(&ledger.stack_base);
	memcpy(ledger.last, ledger.base, sizeof(ledger.base));
	ledger.stack_last = ledger.stack_base;
	warm_up();
	fuzz(m);
	check(!ledger.broken, "every batch accounted for",
	      ledger.broken ? "a batch that was not (above)" :
	      "every batch accounted for",
	      "%" PRIu64 " packets sent, in batches of up to %u", ledger.sent,
	      o.batch);
	part_end();

	check_accounting(others_before);
	check_answers();
	check_guards();
	check_peer_write();
	check_loopback();
	print_stats(m);

	roce_mut_free(m);
	free(batch_res);
	regions_close();
	peer_close(&p);
	target_close(&t);
	return check_summary();
}
