// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The fuzz mutator (see mutate.h).
 *
 * One packet per call.  A kind is drawn by weight, then one of its
 * variants uniformly; the template is copied, changed in its structured
 * form (struct roce_hdrs) or, for the byte-level kinds, after it is built;
 * then the ICRC is written right or wrong.  Kinds that make several
 * packets (a duplicate pair, a multi-packet message) queue the rest for
 * the next calls.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "mutate.h"

#define QUEUE_SLOTS	8	/* longest sequence (6) + room */
#define SEQ_MAX		7

struct kind_desc {
	const char		*name;
	unsigned int		default_weight;
	const char *const	*variants;
};

#define VARIANTS(...)	(const char *const[]){ __VA_ARGS__, NULL }

static const struct kind_desc kinds[ROCE_MUT_NR_KINDS] = {
	[ROCE_MUT_NONE] = { "none", 2, VARIANTS("template as is") },
	[ROCE_MUT_OPCODE] = { "opcode", 8, VARIANTS(
		"known opcode, its headers", "known opcode, headers kept",
		"any of 256", "other transport", "reserved RC opcode") },
	[ROCE_MUT_PAD] = { "pad", 3, VARIANTS(
		"claims 0", "claims 1", "claims 2", "claims 3",
		"non-zero pad bytes") },
	[ROCE_MUT_TVER] = { "tver", 2, VARIANTS("1", "2-14", "15") },
	[ROCE_MUT_PKEY] = { "pkey", 3, VARIANTS(
		"0x7fff limited member", "0x0000", "0x8000", "0xfffe",
		"random") },
	[ROCE_MUT_QPN] = { "qpn", 5, VARIANTS(
		"live", "live+1", "live-1", "0", "1 (GSI)",
		"0xffffff (multicast)", "live QP of the other type",
		"random") },
	[ROCE_MUT_PSN] = { "psn", 8, VARIANTS(
		"expected", "expected-1 (duplicate)", "expected+1 (gap)",
		"expected+127", "expected+128", "expected-128",
		"expected+2^23-1", "expected+2^23 (half the space)",
		"expected-2^23+1", "0", "0xffffff", "random") },
	[ROCE_MUT_ACK_REQ] = { "ackreq", 2, VARIANTS("set", "clear") },
	[ROCE_MUT_SE] = { "se", 2, VARIANTS("set", "clear") },
	[ROCE_MUT_BTH_RESV] = { "bth_resv", 2, VARIANTS(
		"MigReq", "FECN", "BECN", "resv6", "resv7") },
	[ROCE_MUT_RETH_VA] = { "reth_va", 6, VARIANTS(
		"MR start", "start-1", "end-len (last fit)",
		"end-len+1 (one byte over)", "end (one past)", "end-1",
		"2^64-1", "2^64-len+1 (wraps)", "across a page boundary",
		"va 0", "random") },
	[ROCE_MUT_RKEY] = { "rkey", 5, VARIANTS(
		"live", "live with another tag byte", "another MR's", "0",
		"0xffffffff", "random") },
	[ROCE_MUT_DMA_LEN] = { "dma_len", 5, VARIANTS(
		"0", "1", "MTU", "MTU+1", "2^31", "2^31+1", "2^32-1",
		"2^32-4096", "MR length", "MR length+1", "random") },
	[ROCE_MUT_ATOMIC_VA] = { "atomic_va", 4, VARIANTS(
		"misaligned", "MR start", "end-8 (last word)",
		"end-4 (across the end)", "end (one past)", "start-8",
		"2^64-8", "2^64-4 (wraps)", "va 0") },
	[ROCE_MUT_QKEY] = { "qkey", 3, VARIANTS(
		"live", "live^1", "0", "0xffffffff", "GSI 0x80010000",
		"live with bit 31", "random") },
	[ROCE_MUT_SRC_QPN] = { "src_qpn", 2, VARIANTS(
		"0", "1", "0xffffff", "random", "reserved byte") },
	[ROCE_MUT_AETH] = { "aeth", 3, VARIANTS(
		"ACK no credits", "ACK credits", "RNR NAK",
		"NAK PSN sequence error", "NAK invalid request",
		"NAK remote access error", "NAK remote operational error",
		"NAK invalid RD request", "NAK reserved code",
		"reserved type", "random MSN") },
	[ROCE_MUT_FETH] = { "feth", 2, VARIANTS(
		"placement 0", "placement 1-3", "placement 4-15",
		"selectivity 2-3", "reserved bits") },
	[ROCE_MUT_PAYLOAD_LEN] = { "payload_len", 6, VARIANTS(
		"0", "1", "2", "3", "MTU-1", "MTU", "MTU+1", "MTU+4",
		"2*MTU", "what the link takes", "random") },
	[ROCE_MUT_EXT_MISMATCH] = { "ext_mismatch", 3, VARIANTS(
		"another opcode's headers", "one header missing",
		"one header extra") },
	[ROCE_MUT_BIT_FLIP] = { "bit_flip", 4, VARIANTS(
		"one bit", "2-8 bits", "one byte") },
	[ROCE_MUT_TRUNCATE] = { "truncate", 6, VARIANTS(
		"0-3 bytes (no room for an ICRC)", "inside the BTH",
		"after the BTH", "inside an extension header",
		"after an extension header", "inside the payload",
		"before the pad") },
	[ROCE_MUT_TRAILING] = { "trailing", 3, VARIANTS(
		"1-3 bytes (not whole words)", "4 bytes", "8-64 bytes",
		"after the ICRC") },
	[ROCE_MUT_UDP_LEN] = { "udp_len", 2, VARIANTS(
		"4 short", "1 short", "1 long", "4 long",
		"header only (8)", "below the header (0)") },
	[ROCE_MUT_DUPLICATE] = { "duplicate", 3, VARIANTS(
		"previous packet again", "a packet twice") },
	[ROCE_MUT_SEQUENCE] = { "sequence", 3, VARIANTS(
		"in order", "one missing (gap)", "two swapped",
		"one repeated", "no FIRST", "no LAST",
		"FIRST in the middle", "MIDDLE of the other operation",
		"reversed", "ONLY in the middle") },
};

static const char *const icrc_names[ROCE_MUT_NR_ICRC] = {
	[ROCE_MUT_ICRC_BIT_FLIP]	= "one bit flipped",
	[ROCE_MUT_ICRC_ZERO]		= "zero",
	[ROCE_MUT_ICRC_BYTE_SWAPPED]	= "byte-swapped",
	[ROCE_MUT_ICRC_UNMASKED]	= "unmasked",
	[ROCE_MUT_ICRC_STALE]		= "stale (template's)",
	[ROCE_MUT_ICRC_RANDOM]		= "random",
};

/* A packet made ahead, for a later call. */
struct queued {
	struct roce_pkt		pkt;
	struct roce_mut_result	res;
};

struct roce_mut {
	struct roce_mut_config		cfg;
	unsigned int			weights[ROCE_MUT_NR_KINDS];
	uint64_t			total_weight;
	uint64_t			rng;
	uint64_t			index;
	struct roce_mut_stats		stats;

	/* The packet being made. */
	const struct roce_mut_template	*tmpl;
	struct roce_ip			ip;
	struct roce_hdrs		hdrs;
	unsigned int			build_flags;
	char				detail[256];
	size_t				detail_len;
	uint8_t				payload[65536];

	struct queued			*queue;		/* QUEUE_SLOTS */
	unsigned int			queue_head;
	unsigned int			queue_len;
	struct queued			*last;		/* the packet returned last */
	bool				have_last;
	struct roce_pkt			*scratch;
};

/* ------------------------------------------------------------------------
 * Names and weights.
 */
const char *roce_mut_kind_name(enum roce_mut_kind kind)
{
	return kind < ROCE_MUT_NR_KINDS ? kinds[kind].name : "?";
}

unsigned int roce_mut_nr_variants(enum roce_mut_kind kind)
{
	unsigned int n = 0;

	if (kind >= ROCE_MUT_NR_KINDS)
		return 0;
	while (kinds[kind].variants[n])
		n++;
	return n;
}

const char *roce_mut_variant_name(enum roce_mut_kind kind,
				  unsigned int variant)
{
	if (variant >= roce_mut_nr_variants(kind))
		return "?";
	return kinds[kind].variants[variant];
}

const char *roce_mut_icrc_name(enum roce_mut_icrc variant)
{
	return variant < ROCE_MUT_NR_ICRC ? icrc_names[variant] : "?";
}

void roce_mut_default_weights(unsigned int weights[ROCE_MUT_NR_KINDS])
{
	for (int k = 0; k < ROCE_MUT_NR_KINDS; k++)
		weights[k] = kinds[k].default_weight;
}

int roce_mut_parse_weights(const char *spec,
			   unsigned int weights[ROCE_MUT_NR_KINDS])
{
	char *copy = strdup(spec), *item, *save = NULL;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	for (item = strtok_r(copy, ",", &save); item && !ret;
	     item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '='), *end;
		unsigned long n;
		int k;

		if (!eq) {
			ret = -EINVAL;
			break;
		}
		*eq = 0;
		n = strtoul(eq + 1, &end, 0);
		if (*end || end == eq + 1 || n > 1000000) {
			ret = -EINVAL;
			break;
		}
		if (!strcmp(item, "all")) {
			for (k = 0; k < ROCE_MUT_NR_KINDS; k++)
				weights[k] = n;
			continue;
		}
		for (k = 0; k < ROCE_MUT_NR_KINDS; k++)
			if (!strcmp(item, kinds[k].name))
				break;
		if (k == ROCE_MUT_NR_KINDS)
			ret = -EINVAL;
		else
			weights[k] = n;
	}
	free(copy);
	return ret;
}

/* ------------------------------------------------------------------------
 * Randomness: splitmix64, which is its own seeding function.
 */
static uint64_t rnd(struct roce_mut *m)
{
	uint64_t z = (m->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t below(struct roce_mut *m, uint64_t n)
{
	return n ? rnd(m) % n : 0;
}

/* An integer in [lo, hi]. */
static uint64_t between(struct roce_mut *m, uint64_t lo, uint64_t hi)
{
	return lo + below(m, hi - lo + 1);
}

static bool chance(struct roce_mut *m, unsigned int percent)
{
	return below(m, 100) < percent;
}

/* ------------------------------------------------------------------------
 * Targets.
 */
static const struct roce_mut_targets no_targets;

static const struct roce_mut_targets *targets(struct roce_mut *m)
{
	return m->cfg.targets ? m->cfg.targets : &no_targets;
}

static uint32_t path_mtu(struct roce_mut *m)
{
	uint32_t mtu = targets(m)->path_mtu;

	return mtu ? mtu : 1024;
}

static size_t max_ip_bytes(struct roce_mut *m)
{
	size_t max = targets(m)->max_ip_bytes;

	if (!max)
		max = 1500;
	/* The largest IP packet the builder makes. */
	if (max > 65535 + (m->ip.family == AF_INET6 ? ROCE_IPV6_HDR_BYTES : 0))
		max = 65535 + (m->ip.family == AF_INET6 ? ROCE_IPV6_HDR_BYTES : 0);
	return max;
}

/* The most payload a packet with @exts can carry on this link. */
static size_t max_payload(struct roce_mut *m, unsigned int exts)
{
	size_t ip_len = m->ip.family == AF_INET6 ? ROCE_IPV6_HDR_BYTES :
						   ROCE_IPV4_HDR_BYTES;
	size_t fixed = ip_len + ROCE_UDP_HDR_BYTES + roce_exts_hdr_bytes(exts) +
		       3 + ROCE_ICRC_BYTES;
	size_t max = max_ip_bytes(m);

	if (max <= fixed)
		return 0;
	max -= fixed;
	return max < sizeof(m->payload) ? max : sizeof(m->payload);
}

/* A live QP: @want 0 RC, 1 UD, -1 either; NULL if there is none. */
static const struct roce_mut_qp *pick_qp(struct roce_mut *m, int want)
{
	const struct roce_mut_targets *t = targets(m);
	unsigned int n = 0, i, pick;

	for (i = 0; i < t->nr_qps; i++)
		if (want < 0 || t->qps[i].ud == want)
			n++;
	if (!n)
		return NULL;
	pick = below(m, n);
	for (i = 0; i < t->nr_qps; i++)
		if ((want < 0 || t->qps[i].ud == want) && !pick--)
			return &t->qps[i];
	return NULL;
}

static const struct roce_mut_qp *find_qp(struct roce_mut *m, uint32_t qpn)
{
	const struct roce_mut_targets *t = targets(m);

	for (unsigned int i = 0; i < t->nr_qps; i++)
		if (t->qps[i].qpn == qpn)
			return &t->qps[i];
	return NULL;
}

/* An MR; without any, a made-up one (the values still exercise the
 * checks, as an unknown rkey). */
static struct roce_mut_mr pick_mr(struct roce_mut *m)
{
	const struct roce_mut_targets *t = targets(m);
	struct roce_mut_mr mr = {
		.rkey = 0x1234, .iova = 0x10000, .length = 0x10000,
	};

	if (t->nr_mrs)
		mr = t->mrs[below(m, t->nr_mrs)];
	return mr;
}

/* ------------------------------------------------------------------------
 * The description.
 */
__attribute__((format(printf, 2, 3)))
static void note(struct roce_mut *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (m->detail_len >= sizeof(m->detail))
		return;
	va_start(ap, fmt);
	n = vsnprintf(m->detail + m->detail_len,
		      sizeof(m->detail) - m->detail_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		m->detail_len += n;
}

/* ------------------------------------------------------------------------
 * Structured changes.
 */
static bool is_ud(uint8_t opcode)
{
	return (opcode & ROCE_OP_TRANSPORT_MASK) == ROCE_OP_UD;
}

/* Fill in extension header @ext with values that would be accepted. */
static void fill_ext(struct roce_mut *m, struct roce_hdrs *h, enum roce_ext ext)
{
	const struct roce_mut_qp *qp;
	struct roce_mut_mr mr;

	switch (ext) {
	case ROCE_EXT_DETH:
		qp = find_qp(m, h->bth.dest_qpn);
		if (!qp || !qp->ud)
			qp = pick_qp(m, 1);
		h->deth.qkey = qp ? qp->qkey : 0x11111111;
		h->deth.resv = 0;
		h->deth.src_qpn = between(m, 0x100, 0x1ff);
		break;
	case ROCE_EXT_FETH:
		h->feth.placement = between(m, 1, 2);
		h->feth.selectivity = ROCE_FETH_SEL_MR_RANGE;
		h->feth.resv = 0;
		break;
	case ROCE_EXT_RETH:
		mr = pick_mr(m);
		h->reth.va = mr.iova;
		h->reth.rkey = mr.rkey;
		h->reth.dma_len = h->payload_len ? h->payload_len : 8;
		break;
	case ROCE_EXT_ATOMIC_ETH:
		mr = pick_mr(m);
		h->atomic_eth.va = (mr.iova + 7) & ~7ull;
		h->atomic_eth.rkey = mr.rkey;
		h->atomic_eth.swap_add = rnd(m);
		h->atomic_eth.compare = rnd(m);
		break;
	case ROCE_EXT_AETH:
		h->aeth.syndrome = ROCE_SYN_ACK(ROCE_AETH_CREDITS_INVALID);
		h->aeth.msn = below(m, 1u << 24);
		break;
	case ROCE_EXT_ATOMIC_ACK_ETH:
		h->atomic_ack_eth.orig = rnd(m);
		break;
	case ROCE_EXT_IMMDT:
		h->immdt.imm = rnd(m);
		break;
	case ROCE_EXT_IETH:
		h->ieth.rkey = pick_mr(m).rkey;
		break;
	default:
		break;
	}
}

static void set_exts(struct roce_mut *m, struct roce_hdrs *h,
		     unsigned int exts)
{
	for (int ext = 0; ext < ROCE_NR_EXTS; ext++)
		if ((exts & (1u << ext)) && !(h->exts & (1u << ext)))
			fill_ext(m, h, ext);
	h->exts = exts;
}

/* Deterministic payload bytes from @from up to h->payload_len. */
static void fill_payload(struct roce_mut *m, size_t from)
{
	uint8_t x = rnd(m);

	for (size_t i = from; i < m->hdrs.payload_len; i++)
		m->payload[i] = x + (uint8_t)(i * 0x9d);
}

static void set_payload_len(struct roce_mut *m, size_t len)
{
	size_t old = m->hdrs.payload_len;
	size_t max = max_payload(m, m->hdrs.exts);

	if (len > max) {
		note(m, " (clamped from %zu)", len);
		len = max;
	}
	m->hdrs.payload_len = len;
	if (len > old)
		fill_payload(m, old);
}

/*
 * Make the packet one of @opcode, with the headers and a payload that
 * opcode takes, to a QP of its transport where there is one.
 */
static void set_opcode(struct roce_mut *m, uint8_t opcode)
{
	const struct roce_opcode_info *info = roce_opcode_info(opcode);
	struct roce_hdrs *h = &m->hdrs;
	const struct roce_mut_qp *qp = find_qp(m, h->bth.dest_qpn);

	h->bth.opcode = opcode;
	if (!info)
		return;
	if (!qp || qp->ud != is_ud(opcode)) {
		qp = pick_qp(m, is_ud(opcode));
		if (qp) {
			h->bth.dest_qpn = qp->qpn;
			if (!qp->ud)
				h->bth.psn = qp->psn;
		}
	}
	if (!(info->flags & ROCE_OPF_PAYLOAD))
		h->payload_len = 0;
	else if (info->operation == ROCE_OPER_ATOMIC_WRITE)
		set_payload_len(m, 8);
	set_exts(m, h, info->exts);
	if (h->exts & ROCE_HAS_RETH)
		h->reth.dma_len = info->operation == ROCE_OPER_READ ||
				  info->operation == ROCE_OPER_FLUSH ?
				  between(m, 1, 4096) : h->payload_len;
}

/* A random known opcode; @need: one carrying all these headers. */
static uint8_t random_opcode(struct roce_mut *m, unsigned int need)
{
	const struct roce_opcode_info *list[64];
	unsigned int n = roce_opcodes(list, 64), fit = 0, pick;

	for (unsigned int i = 0; i < n; i++)
		if ((list[i]->exts & need) == need)
			fit++;
	pick = below(m, fit);
	for (unsigned int i = 0; i < n; i++)
		if ((list[i]->exts & need) == need && !pick--)
			return list[i]->opcode;
	return ROCE_OP_RC_SEND_ONLY;
}

/* Have extension header @ext, switching to an opcode that carries it. */
static void need_ext(struct roce_mut *m, unsigned int ext_bit)
{
	uint8_t old = m->hdrs.bth.opcode;

	if (m->hdrs.exts & ext_bit)
		return;
	set_opcode(m, random_opcode(m, ext_bit));
	note(m, "%s -> %s, ", roce_opcode_name(old),
	     roce_opcode_name(m->hdrs.bth.opcode));
}

static const uint8_t transports[] = { 0x00, 0x20, 0x40, 0x60, 0x80, 0xa0,
				      0xc0, 0xe0 };
/* RC operations IBTA leaves unassigned (0x15 is RESYNC, RD only). */
static const uint8_t reserved_rc[] = { 0x15, 0x18, 0x19, 0x1a, 0x1b, 0x1e,
				       0x1f };

static void mutate_opcode(struct roce_mut *m, unsigned int v)
{
	struct roce_hdrs *h = &m->hdrs;
	uint8_t old = h->bth.opcode, op;

	switch (v) {
	case 0:
		set_opcode(m, random_opcode(m, 0));
		break;
	case 1:
		h->bth.opcode = random_opcode(m, 0);
		break;
	case 2:
		h->bth.opcode = below(m, 256);
		break;
	case 3:
		do
			op = transports[below(m, 8)] | (old & 0x1f);
		while (op == old);
		h->bth.opcode = op;
		break;
	default:
		h->bth.opcode = reserved_rc[below(m, sizeof(reserved_rc))];
		break;
	}
	note(m, "%s -> %s", roce_opcode_name(old),
	     roce_opcode_name(h->bth.opcode));
}

static const char *op_name(uint8_t opcode)
{
	return roce_opcode_name(opcode);
}

static void mutate_psn(struct roce_mut *m, unsigned int v)
{
	static const int32_t delta[] = {
		0, -1, 1, 127, 128, -128, (1 << 23) - 1, 1 << 23,
		-(1 << 23) + 1,
	};
	struct roce_bth *bth = &m->hdrs.bth;
	const struct roce_mut_qp *qp = find_qp(m, bth->dest_qpn);
	uint32_t expected = qp ? qp->psn : bth->psn;

	if (v < sizeof(delta) / sizeof(delta[0]))
		bth->psn = roce_psn_add(expected, delta[v]);
	else if (v == 9)
		bth->psn = 0;
	else if (v == 10)
		bth->psn = ROCE_PSN_MASK;
	else
		bth->psn = below(m, 1u << 24);
	note(m, "psn 0x%06x (expected 0x%06x)", bth->psn, expected);
}

static void mutate_qpn(struct roce_mut *m, unsigned int v)
{
	struct roce_bth *bth = &m->hdrs.bth;
	const struct roce_mut_qp *qp = pick_qp(m, -1);
	uint32_t live = qp ? qp->qpn : bth->dest_qpn;

	switch (v) {
	case 0:
		bth->dest_qpn = live;
		break;
	case 1:
		bth->dest_qpn = (live + 1) & 0xffffff;
		break;
	case 2:
		bth->dest_qpn = (live - 1) & 0xffffff;
		break;
	case 3:
		bth->dest_qpn = 0;
		break;
	case 4:
		bth->dest_qpn = 1;
		break;
	case 5:
		bth->dest_qpn = 0xffffff;
		break;
	case 6:
		qp = pick_qp(m, !is_ud(bth->opcode));
		bth->dest_qpn = qp ? qp->qpn : live;
		break;
	default:
		bth->dest_qpn = below(m, 1u << 24);
		break;
	}
	note(m, "dest qpn 0x%06x", bth->dest_qpn);
}

static void mutate_pad(struct roce_mut *m, unsigned int v)
{
	struct roce_hdrs *h = &m->hdrs;
	size_t len = h->payload_len;

	if (v < 4) {
		/* A count other than the one the payload needs. */
		if ((-len & 3) == v)
			set_payload_len(m, len + 1 <= max_payload(m, h->exts) ?
					   len + 1 : len - 1);
		h->bth.pad = v;
		m->build_flags |= ROCE_BUILD_KEEP_PAD;
		note(m, "pad count %u, payload %zu", v, h->payload_len);
	} else {
		/* Pad bytes written after the build. */
		if (!(-len & 3))
			set_payload_len(m, len + between(m, 1, 3));
		note(m, "payload %zu, pad bytes non-zero", h->payload_len);
	}
}

static void mutate_reth_va(struct roce_mut *m, unsigned int v)
{
	struct roce_hdrs *h = &m->hdrs;
	struct roce_mut_mr mr;
	uint64_t len, end;

	need_ext(m, ROCE_HAS_RETH);
	mr = pick_mr(m);
	len = h->reth.dma_len ? h->reth.dma_len : 1;
	end = mr.iova + mr.length;
	h->reth.rkey = mr.rkey;
	switch (v) {
	case 0:
		h->reth.va = mr.iova;
		break;
	case 1:
		h->reth.va = mr.iova - 1;
		break;
	case 2:
		h->reth.va = end - len;
		break;
	case 3:
		h->reth.va = end - len + 1;
		break;
	case 4:
		h->reth.va = end;
		break;
	case 5:
		h->reth.va = end - 1;
		break;
	case 6:
		h->reth.va = UINT64_MAX;
		break;
	case 7:
		h->reth.va = UINT64_MAX - len + 2;
		break;
	case 8:
		/* Half the bytes on each side of the first page boundary
		 * inside the MR (ODP faults page by page). */
		h->reth.va = ((mr.iova + 4096) & ~4095ull) - len / 2;
		break;
	case 9:
		h->reth.va = 0;
		break;
	default:
		h->reth.va = rnd(m);
		break;
	}
	note(m, "va 0x%llx len %u (MR 0x%llx+0x%llx rkey 0x%x)",
	     (unsigned long long)h->reth.va, h->reth.dma_len,
	     (unsigned long long)mr.iova, (unsigned long long)mr.length,
	     mr.rkey);
}

static void mutate_rkey(struct roce_mut *m, unsigned int v)
{
	struct roce_hdrs *h = &m->hdrs;
	struct roce_mut_mr mr = pick_mr(m), other = pick_mr(m);
	uint32_t rkey, *field;
	const char *where;

	if (!(h->exts & (ROCE_HAS_RETH | ROCE_HAS_ATOMIC_ETH | ROCE_HAS_IETH)))
		need_ext(m, ROCE_HAS_RETH);
	if (h->exts & ROCE_HAS_RETH) {
		field = &h->reth.rkey;
		where = "RETH";
		h->reth.va = mr.iova;
	} else if (h->exts & ROCE_HAS_ATOMIC_ETH) {
		field = &h->atomic_eth.rkey;
		where = "AtomicETH";
		h->atomic_eth.va = (mr.iova + 7) & ~7ull;
	} else {
		field = &h->ieth.rkey;
		where = "IETH";
	}
	switch (v) {
	case 0:
		rkey = mr.rkey;
		break;
	case 1:
		/* The low byte is the key's tag, the rest its index. */
		rkey = mr.rkey ^ between(m, 1, 255);
		break;
	case 2:
		rkey = other.rkey;
		break;
	case 3:
		rkey = 0;
		break;
	case 4:
		rkey = UINT32_MAX;
		break;
	default:
		rkey = rnd(m);
		break;
	}
	*field = rkey;
	note(m, "%s rkey 0x%x (MR rkey 0x%x)", where, rkey, mr.rkey);
}

static void mutate_dma_len(struct roce_mut *m, unsigned int v)
{
	struct roce_hdrs *h = &m->hdrs;
	uint32_t mtu = path_mtu(m);
	struct roce_mut_mr mr;
	uint32_t len;

	need_ext(m, ROCE_HAS_RETH);
	mr = pick_mr(m);
	h->reth.va = mr.iova;
	h->reth.rkey = mr.rkey;
	switch (v) {
	case 0:
		len = 0;
		break;
	case 1:
		len = 1;
		break;
	case 2:
		len = mtu;
		break;
	case 3:
		len = mtu + 1;
		break;
	case 4:
		len = 1u << 31;
		break;
	case 5:
		len = (1u << 31) + 1;
		break;
	case 6:
		len = UINT32_MAX;
		break;
	case 7:
		len = UINT32_MAX - 4095;
		break;
	case 8:
		len = mr.length;
		break;
	case 9:
		len = mr.length + 1;
		break;
	default:
		len = rnd(m);
		break;
	}
	h->reth.dma_len = len;
	note(m, "dma len %u (payload %zu, MR length 0x%llx)", len,
	     h->payload_len, (unsigned long long)mr.length);
}

static void mutate_atomic_va(struct roce_mut *m, unsigned int v)
{
	struct roce_atomic_eth *a = &m->hdrs.atomic_eth;
	struct roce_mut_mr mr;
	uint64_t start, end;

	need_ext(m, ROCE_HAS_ATOMIC_ETH);
	mr = pick_mr(m);
	a->rkey = mr.rkey;
	start = (mr.iova + 7) & ~7ull;
	end = (mr.iova + mr.length) & ~7ull;
	switch (v) {
	case 0:
		a->va = start + between(m, 1, 7);
		break;
	case 1:
		a->va = start;
		break;
	case 2:
		a->va = end - 8;
		break;
	case 3:
		a->va = end - 4;
		break;
	case 4:
		a->va = end;
		break;
	case 5:
		a->va = start - 8;
		break;
	case 6:
		a->va = UINT64_MAX - 7;
		break;
	case 7:
		a->va = UINT64_MAX - 3;
		break;
	default:
		a->va = 0;
		break;
	}
	note(m, "atomic va 0x%llx (MR 0x%llx+0x%llx)",
	     (unsigned long long)a->va, (unsigned long long)mr.iova,
	     (unsigned long long)mr.length);
}

/* Make the packet a UD SEND to a UD QP, if it is not one already. */
static void need_ud(struct roce_mut *m)
{
	if (!is_ud(m->hdrs.bth.opcode) || !(m->hdrs.exts & ROCE_HAS_DETH)) {
		uint8_t old = m->hdrs.bth.opcode;

		set_opcode(m, chance(m, 50) ? ROCE_OP_UD_SEND_ONLY :
					      ROCE_OP_UD_SEND_ONLY_WITH_IMM);
		note(m, "%s -> %s, ", op_name(old),
		     op_name(m->hdrs.bth.opcode));
	}
}

static void mutate_qkey(struct roce_mut *m, unsigned int v)
{
	struct roce_deth *deth = &m->hdrs.deth;
	const struct roce_mut_qp *qp;
	uint32_t live;

	need_ud(m);
	qp = find_qp(m, m->hdrs.bth.dest_qpn);
	live = qp ? qp->qkey : deth->qkey;
	switch (v) {
	case 0:
		deth->qkey = live;
		break;
	case 1:
		deth->qkey = live ^ 1;
		break;
	case 2:
		deth->qkey = 0;
		break;
	case 3:
		deth->qkey = UINT32_MAX;
		break;
	case 4:
		deth->qkey = 0x80010000;
		break;
	case 5:
		/* Bit 31 in a work request means "the QP's Q_Key"; on the
		 * wire it is just a value. */
		deth->qkey = live | 0x80000000u;
		break;
	default:
		deth->qkey = rnd(m);
		break;
	}
	note(m, "qkey 0x%08x (QP's 0x%08x)", deth->qkey, live);
}

static void mutate_src_qpn(struct roce_mut *m, unsigned int v)
{
	struct roce_deth *deth = &m->hdrs.deth;

	need_ud(m);
	switch (v) {
	case 0:
		deth->src_qpn = 0;
		break;
	case 1:
		deth->src_qpn = 1;
		break;
	case 2:
		deth->src_qpn = 0xffffff;
		break;
	case 3:
		deth->src_qpn = below(m, 1u << 24);
		break;
	default:
		deth->resv = between(m, 1, 255);
		break;
	}
	note(m, "src qpn 0x%06x resv 0x%02x", deth->src_qpn, deth->resv);
}

static void mutate_aeth(struct roce_mut *m, unsigned int v)
{
	struct roce_aeth *aeth = &m->hdrs.aeth;
	char syn[48];

	need_ext(m, ROCE_HAS_AETH);
	switch (v) {
	case 0:
		aeth->syndrome = ROCE_SYN_ACK(ROCE_AETH_CREDITS_INVALID);
		break;
	case 1:
		aeth->syndrome = ROCE_SYN_ACK(below(m, 31));
		break;
	case 2:
		aeth->syndrome = ROCE_SYN_RNR_NAK(below(m, 32));
		break;
	case 3 ... 7:
		aeth->syndrome = ROCE_SYN_NAK(v - 3);
		break;
	case 8:
		aeth->syndrome = ROCE_SYN_NAK(between(m, 5, 31));
		break;
	case 9:
		/* 010xxxxx, or bit 7 set */
		aeth->syndrome = chance(m, 25) ? 0x40 | below(m, 32) :
						 0x80 | below(m, 128);
		break;
	default:
		aeth->msn = below(m, 1u << 24);
		break;
	}
	note(m, "AETH %s msn %u",
	     roce_syndrome_str(aeth->syndrome, syn, sizeof(syn)), aeth->msn);
}

static void mutate_feth(struct roce_mut *m, unsigned int v)
{
	struct roce_feth *feth = &m->hdrs.feth;

	need_ext(m, ROCE_HAS_FETH);
	switch (v) {
	case 0:
		feth->placement = 0;
		break;
	case 1:
		feth->placement = between(m, 1, 3);
		break;
	case 2:
		feth->placement = between(m, 4, 15);
		break;
	case 3:
		feth->selectivity = between(m, 2, 3);
		break;
	default:
		feth->resv = between(m, 1, (1u << 26) - 1);
		break;
	}
	note(m, "FETH placement %u selectivity %u resv 0x%x",
	     feth->placement, feth->selectivity, feth->resv);
}

static void mutate_payload_len(struct roce_mut *m, unsigned int v)
{
	struct roce_hdrs *h = &m->hdrs;
	const struct roce_opcode_info *info = roce_opcode_info(h->bth.opcode);
	uint32_t mtu = path_mtu(m);
	size_t len;

	/* Mostly an opcode that takes a payload, where sizes matter. */
	if ((!info || !(info->flags & ROCE_OPF_PAYLOAD)) && chance(m, 75)) {
		uint8_t old = h->bth.opcode;
		uint8_t op;

		do
			op = random_opcode(m, 0);
		while (!(roce_opcode_info(op)->flags & ROCE_OPF_PAYLOAD));
		set_opcode(m, op);
		note(m, "%s -> %s, ", op_name(old), op_name(op));
	}
	switch (v) {
	case 0 ... 3:
		len = v;
		break;
	case 4:
		len = mtu - 1;
		break;
	case 5:
		len = mtu;
		break;
	case 6:
		len = mtu + 1;
		break;
	case 7:
		len = mtu + 4;
		break;
	case 8:
		len = 2 * mtu;
		break;
	case 9:
		len = max_payload(m, h->exts);
		break;
	default:
		len = below(m, max_payload(m, h->exts) + 1);
		break;
	}
	note(m, "payload %zu (MTU %u)", len, mtu);
	set_payload_len(m, len);
	/* A WRITE's length agrees, so that the size is what is tested. */
	info = roce_opcode_info(h->bth.opcode);
	if ((h->exts & ROCE_HAS_RETH) && info &&
	    info->operation == ROCE_OPER_WRITE)
		h->reth.dma_len = h->payload_len;
}

static void mutate_exts(struct roce_mut *m, unsigned int v)
{
	struct roce_hdrs *h = &m->hdrs;
	unsigned int old = h->exts, exts = old;
	int ext;

	switch (v) {
	case 0:
		while (exts == old)
			exts = roce_opcode_info(random_opcode(m, 0))->exts;
		break;
	case 1:
		/* An opcode with headers, one of them left out. */
		while (!old) {
			set_opcode(m, random_opcode(m, 0));
			old = h->exts;
		}
		do
			ext = below(m, ROCE_NR_EXTS);
		while (!(old & (1u << ext)));
		exts = old & ~(1u << ext);
		break;
	default:
		do
			ext = below(m, ROCE_NR_EXTS);
		while (old & (1u << ext));
		exts = old | 1u << ext;
		break;
	}
	set_exts(m, h, exts);
	note(m, "%s with headers", op_name(h->bth.opcode));
	for (ext = 0; ext < ROCE_NR_EXTS; ext++)
		if (exts & (1u << ext))
			note(m, " %s", roce_ext_name(ext));
	if (!exts)
		note(m, " none");
}

/* The structured part of a kind's change, before the packet is built. */
static void mutate_hdrs(struct roce_mut *m, enum roce_mut_kind kind,
			unsigned int v)
{
	struct roce_bth *bth = &m->hdrs.bth;

	switch (kind) {
	case ROCE_MUT_OPCODE:
		mutate_opcode(m, v);
		break;
	case ROCE_MUT_PAD:
		mutate_pad(m, v);
		break;
	case ROCE_MUT_TVER:
		bth->tver = v == 0 ? 1 : v == 1 ? between(m, 2, 14) : 15;
		note(m, "tver %u", bth->tver);
		break;
	case ROCE_MUT_PKEY: {
		static const uint16_t pkeys[] = { 0x7fff, 0, 0x8000, 0xfffe };

		bth->pkey = v < 4 ? pkeys[v] : rnd(m);
		note(m, "pkey 0x%04x", bth->pkey);
		break;
	}
	case ROCE_MUT_QPN:
		mutate_qpn(m, v);
		break;
	case ROCE_MUT_PSN:
		mutate_psn(m, v);
		break;
	case ROCE_MUT_ACK_REQ:
		bth->ack_req = v == 0;
		note(m, "ackreq %d", bth->ack_req);
		break;
	case ROCE_MUT_SE:
		bth->se = v == 0;
		note(m, "se %d", bth->se);
		break;
	case ROCE_MUT_BTH_RESV:
		if (v == 0)
			bth->mig = true;
		else if (v == 1)
			bth->fecn = true;
		else if (v == 2)
			bth->becn = true;
		else if (v == 3)
			bth->resv6 = between(m, 1, 0x3f);
		else
			bth->resv7 = between(m, 1, 0x7f);
		note(m, "mig %d fecn %d becn %d resv6 0x%x resv7 0x%x",
		     bth->mig, bth->fecn, bth->becn, bth->resv6, bth->resv7);
		break;
	case ROCE_MUT_RETH_VA:
		mutate_reth_va(m, v);
		break;
	case ROCE_MUT_RKEY:
		mutate_rkey(m, v);
		break;
	case ROCE_MUT_DMA_LEN:
		mutate_dma_len(m, v);
		break;
	case ROCE_MUT_ATOMIC_VA:
		mutate_atomic_va(m, v);
		break;
	case ROCE_MUT_QKEY:
		mutate_qkey(m, v);
		break;
	case ROCE_MUT_SRC_QPN:
		mutate_src_qpn(m, v);
		break;
	case ROCE_MUT_AETH:
		mutate_aeth(m, v);
		break;
	case ROCE_MUT_FETH:
		mutate_feth(m, v);
		break;
	case ROCE_MUT_PAYLOAD_LEN:
		mutate_payload_len(m, v);
		break;
	case ROCE_MUT_EXT_MISMATCH:
		mutate_exts(m, v);
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------------------
 * Byte-level changes, after the build.  Return the fixes still to do.
 */
static size_t ip_hdr(const struct roce_pkt *pkt)
{
	return pkt->ip_hdr_len + ROCE_UDP_HDR_BYTES;
}

static void fill_garbage(struct roce_mut *m, uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = rnd(m);
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void bit_flip(struct roce_mut *m, struct roce_pkt *pkt, unsigned int v)
{
	uint8_t *ib = roce_pkt_ib(pkt);
	size_t hdr = roce_exts_hdr_bytes(m->hdrs.exts);
	unsigned int flips = v == 0 ? 1 : between(m, 2, 8);

	if (v == 2) {
		size_t at = below(m, hdr);

		ib[at] = rnd(m);
		note(m, "byte %zu = 0x%02x", at, ib[at]);
		return;
	}
	note(m, "bits");
	for (unsigned int i = 0; i < flips; i++) {
		size_t bit = below(m, hdr * 8);

		ib[bit / 8] ^= 0x80 >> (bit % 8);
		note(m, " %zu", bit);
	}
}

/* Cut the RoCE part to @keep bytes, and leave room for an ICRC. */
static void cut(struct roce_pkt *pkt, size_t keep, bool icrc_room)
{
	pkt->len = ip_hdr(pkt) + keep + (icrc_room ? ROCE_ICRC_BYTES : 0);
}

static void truncate_pkt(struct roce_mut *m, struct roce_pkt *pkt,
			 unsigned int v)
{
	struct roce_hdrs *h = &m->hdrs;
	size_t hdr = roce_exts_hdr_bytes(h->exts), keep;
	size_t paylen = h->payload_len, pad = -paylen & 3;
	unsigned int exts[ROCE_NR_EXTS], n = 0;
	enum roce_ext ext;

	for (int e = 0; e < ROCE_NR_EXTS; e++)
		if (h->exts & (1u << e))
			exts[n++] = e;
	switch (v) {
	case 0:
		keep = below(m, 4);
		cut(pkt, keep, false);
		note(m, "RoCE part of %zu bytes", keep);
		return;
	case 1:
		keep = between(m, 1, ROCE_BTH_BYTES - 1);
		break;
	case 2:
		keep = ROCE_BTH_BYTES;
		break;
	case 3:
	case 4:
		if (!n) {
			keep = v == 3 ? between(m, 1, ROCE_BTH_BYTES - 1) :
					ROCE_BTH_BYTES;
			break;
		}
		ext = exts[below(m, n)];
		keep = roce_ext_offset(h->exts, ext);
		keep += v == 3 ? between(m, 1, roce_ext_bytes(ext) - 1) :
				 roce_ext_bytes(ext);
		note(m, "%s ", roce_ext_name(ext));
		break;
	case 5:
		keep = hdr + (paylen > 1 ? between(m, 1, paylen - 1) : 0);
		break;
	default:
		/* Without the pad (or, with none, the last payload byte,
		 * or without a payload the last header byte). */
		keep = hdr + paylen - (pad ? 0 : 1);
		break;
	}
	cut(pkt, keep, true);
	note(m, "cut after %zu bytes of %zu (headers %zu, payload %zu, pad %zu)",
	     keep, hdr + paylen + pad, hdr, paylen, pad);
}

/* ------------------------------------------------------------------------
 * The ICRC.
 */
static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[1] << 8 | p[0];
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

/* The ICRC as a sender that forgot the masks would compute it. */
static uint32_t unmasked_icrc(const struct roce_pkt *pkt)
{
	static const uint8_t ones[8] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};
	uint32_t crc = roce_crc32(0xffffffffu, ones, sizeof(ones));

	return ~roce_crc32(crc, pkt->data, pkt->len - ROCE_ICRC_BYTES);
}

/* The unmutated template's ICRC. */
static uint32_t template_icrc(struct roce_mut *m)
{
	struct roce_pkt *t = m->scratch;

	if (roce_pkt_build(t, &m->tmpl->ip, &m->tmpl->hdrs, 0))
		return 0;
	return get_le32(t->data + t->len - ROCE_ICRC_BYTES);
}

/* Write the right ICRC, or the wrong one @res asks for. */
static void write_icrc(struct roce_mut *m, struct roce_pkt *pkt,
		       const struct roce_mut_result *res)
{
	uint32_t right, icrc;

	if (roce_pkt_ib_len(pkt) < ROCE_ICRC_BYTES)
		return;
	right = roce_icrc(pkt->data, pkt->len, pkt->ip_hdr_len);
	icrc = right;
	if (res->icrc_bad) {
		switch (res->icrc_variant) {
		case ROCE_MUT_ICRC_BIT_FLIP:
			icrc ^= 1u << below(m, 32);
			break;
		case ROCE_MUT_ICRC_ZERO:
			icrc = 0;
			break;
		case ROCE_MUT_ICRC_BYTE_SWAPPED:
			icrc = __builtin_bswap32(right);
			break;
		case ROCE_MUT_ICRC_UNMASKED:
			icrc = unmasked_icrc(pkt);
			break;
		case ROCE_MUT_ICRC_STALE:
			icrc = template_icrc(m);
			break;
		default:
			icrc = rnd(m);
			break;
		}
		if (icrc == right)	/* it happens: still make it wrong */
			icrc ^= 0x80000000u;
	}
	put_le32(pkt->data + pkt->len - ROCE_ICRC_BYTES, icrc);
}

/* ------------------------------------------------------------------------
 * One packet.
 */
static void decide_icrc(struct roce_mut *m, struct roce_mut_result *res)
{
	res->icrc_bad = chance(m, m->cfg.bad_icrc_percent);
	res->icrc_variant = res->icrc_bad ? below(m, ROCE_MUT_NR_ICRC) : 0;
}

/* Start a packet from template m->tmpl. */
static void reset_packet(struct roce_mut *m)
{
	const struct roce_mut_template *t = m->tmpl;
	size_t len = t->hdrs.payload_len;

	m->ip = t->ip;
	m->hdrs = t->hdrs;
	if (len > sizeof(m->payload))
		len = sizeof(m->payload);
	if (len)
		memcpy(m->payload, t->hdrs.payload, len);
	m->hdrs.payload = m->payload;
	m->hdrs.payload_len = len;
	m->build_flags = 0;
	m->detail_len = 0;
	m->detail[0] = 0;
}

/* Start a packet from a template drawn at random. */
static void start_packet(struct roce_mut *m)
{
	m->tmpl = &m->cfg.templates[below(m, m->cfg.nr_templates)];
	reset_packet(m);
}

/* Build m->hdrs into @pkt, apply the byte-level part of @kind and the
 * ICRC @res asks for. */
static int finish_packet(struct roce_mut *m, struct roce_pkt *pkt,
			 struct roce_mut_result *res)
{
	enum roce_mut_kind kind = res->kind;
	unsigned int v = res->variant;
	size_t len, max = max_ip_bytes(m);
	uint8_t *udp;
	int ret;

	ret = roce_pkt_build(pkt, &m->ip, &m->hdrs, m->build_flags);
	if (ret)
		return ret;
	udp = roce_pkt_udp(pkt);

	switch (kind) {
	case ROCE_MUT_PAD:
		if (v == 4) {
			size_t pad = -m->hdrs.payload_len & 3;

			fill_garbage(m, pkt->data + pkt->len - ROCE_ICRC_BYTES - pad,
				     pad);
			for (size_t i = 0; i < pad; i++)
				pkt->data[pkt->len - ROCE_ICRC_BYTES - 1 - i] |= 1;
		}
		break;
	case ROCE_MUT_BIT_FLIP:
		bit_flip(m, pkt, v);
		break;
	case ROCE_MUT_TRUNCATE:
		truncate_pkt(m, pkt, v);
		roce_pkt_fixup(pkt, ROCE_FIX_LENGTHS);
		break;
	case ROCE_MUT_TRAILING:
		len = v == 0 ? between(m, 1, 3) : v == 1 ? 4 :
		      v == 2 ? between(m, 8, 64) : between(m, 1, 8);
		if (pkt->len + len > max)
			len = max > pkt->len ? max - pkt->len : 0;
		if (v == 3) {
			/* The right (or wrong) ICRC, then bytes after it:
			 * the receiver reads them as the ICRC. */
			write_icrc(m, pkt, res);
			fill_garbage(m, pkt->data + pkt->len, len);
			pkt->len += len;
			roce_pkt_fixup(pkt, ROCE_FIX_LENGTHS | ROCE_FIX_CHECKSUMS);
			note(m, "%zu bytes after the ICRC", len);
			return 0;
		}
		/* Between the pad and the ICRC. */
		pkt->len += len;
		fill_garbage(m, pkt->data + pkt->len - ROCE_ICRC_BYTES - len,
			     len);
		roce_pkt_fixup(pkt, ROCE_FIX_LENGTHS);
		note(m, "%zu bytes after the pad", len);
		break;
	case ROCE_MUT_UDP_LEN: {
		static const int delta[] = { -4, -1, 1, 4 };
		size_t real = pkt->len - pkt->ip_hdr_len, claimed;

		claimed = v < 4 ? real + delta[v] : v == 4 ? ROCE_UDP_HDR_BYTES : 0;
		put_be16(udp + 4, claimed);		/* covered by the ICRC */
		if (claimed < real) {
			/* The receiver trims to the UDP length, and checks
			 * the ICRC of what is left: write it for that. */
			size_t whole = pkt->len;

			pkt->len = pkt->ip_hdr_len + claimed;
			write_icrc(m, pkt, res);
			pkt->len = whole;
		} else {
			write_icrc(m, pkt, res);
		}
		roce_pkt_fixup(pkt, ROCE_FIX_CHECKSUMS);
		note(m, "UDP length %zu for %zu bytes", claimed, real);
		return 0;
	}
	default:
		break;
	}
	write_icrc(m, pkt, res);
	roce_pkt_fixup(pkt, ROCE_FIX_CHECKSUMS);
	return 0;
}

/* "#INDEX KIND/VARIANT[ PART]: what changed | what the packet is". */
static void describe(struct roce_mut *m, struct roce_mut_result *res,
		     const struct roce_pkt *pkt, const char *part)
{
	snprintf(res->desc, sizeof(res->desc),
		 "#%llu %s/%s%s: %s | %s qpn 0x%06x psn 0x%06x, %zu bytes, icrc %s",
		 (unsigned long long)res->index, roce_mut_kind_name(res->kind),
		 roce_mut_variant_name(res->kind, res->variant), part,
		 m->detail,
		 op_name(m->hdrs.bth.opcode), m->hdrs.bth.dest_qpn,
		 m->hdrs.bth.psn, pkt->len,
		 res->icrc_bad ? roce_mut_icrc_name(res->icrc_variant) : "ok");
}

/* A single-packet kind into @pkt. */
static int make_one(struct roce_mut *m, enum roce_mut_kind kind,
		    struct roce_pkt *pkt, struct roce_mut_result *res)
{
	int ret;

	start_packet(m);
	res->index = m->index;
	res->part = res->parts = 0;
	res->kind = kind;
	res->variant = below(m, roce_mut_nr_variants(kind));
	decide_icrc(m, res);
	mutate_hdrs(m, kind, res->variant);
	ret = finish_packet(m, pkt, res);
	if (ret)
		return ret;
	describe(m, res, pkt, "");
	return 0;
}

static void pkt_copy(struct roce_pkt *to, const struct roce_pkt *from)
{
	to->family = from->family;
	to->ip_hdr_len = from->ip_hdr_len;
	to->len = from->len;
	to->udp6_zero_csum = from->udp6_zero_csum;
	memcpy(to->data, from->data, from->len);
}

static struct queued *queue_add(struct roce_mut *m)
{
	unsigned int slot = (m->queue_head + m->queue_len++) % QUEUE_SLOTS;

	return &m->queue[slot];
}

/* ------------------------------------------------------------------------
 * Multi-packet messages.
 */
struct seq_pkt {
	uint8_t		opcode;
	uint32_t	psn;
	size_t		payload_len;
};

static uint8_t seq_opcode(uint8_t transport, bool write, unsigned int flags)
{
	uint8_t op;

	if (flags == ROCE_OPF_FIRST)
		op = write ? ROCE_OP_RC_RDMA_WRITE_FIRST : ROCE_OP_RC_SEND_FIRST;
	else if (flags == ROCE_OPF_MIDDLE)
		op = write ? ROCE_OP_RC_RDMA_WRITE_MIDDLE : ROCE_OP_RC_SEND_MIDDLE;
	else if (flags == ROCE_OPF_LAST)
		op = write ? ROCE_OP_RC_RDMA_WRITE_LAST : ROCE_OP_RC_SEND_LAST;
	else
		op = write ? ROCE_OP_RC_RDMA_WRITE_ONLY : ROCE_OP_RC_SEND_ONLY;
	return transport | op;
}

static int make_sequence(struct roce_mut *m)
{
	struct seq_pkt seq[SEQ_MAX], tmp;
	unsigned int v, n, i, j;
	const struct roce_mut_qp *qp;
	uint8_t transport;
	size_t mtu, total = 0;
	struct roce_mut_mr mr;
	uint32_t psn;
	bool write;
	char tag[48];
	int ret;

	start_packet(m);
	v = below(m, roce_mut_nr_variants(ROCE_MUT_SEQUENCE));
	/* An RC (or the template's UC) QP; UD has no multi-packet messages. */
	transport = m->hdrs.bth.opcode & ROCE_OP_TRANSPORT_MASK;
	if (transport != ROCE_OP_UC)
		transport = ROCE_OP_RC;
	qp = find_qp(m, m->hdrs.bth.dest_qpn);
	if (!qp || qp->ud)
		qp = pick_qp(m, 0);
	if (qp)
		m->hdrs.bth.dest_qpn = qp->qpn;
	psn = qp ? qp->psn : m->hdrs.bth.psn;
	write = chance(m, 50);
	mr = pick_mr(m);

	/* The payload sizes IBTA wants: MTU each but the last. */
	mtu = path_mtu(m);
	if (mtu > max_payload(m, ROCE_HAS_RETH))
		mtu = max_payload(m, ROCE_HAS_RETH);
	if (!mtu)
		mtu = 1;
	n = between(m, 3, 5);
	for (i = 0; i < n; i++) {
		seq[i].opcode = seq_opcode(transport, write,
					   i == 0 ? ROCE_OPF_FIRST :
					   i == n - 1 ? ROCE_OPF_LAST :
					   ROCE_OPF_MIDDLE);
		seq[i].psn = roce_psn_add(psn, i);
		seq[i].payload_len = i == n - 1 ? between(m, 1, mtu) : mtu;
		total += seq[i].payload_len;
	}

	i = between(m, 1, n - 2);		/* a middle one */
	switch (v) {
	case 1:					/* one missing */
		memmove(&seq[i], &seq[i + 1], (n - i - 1) * sizeof(seq[0]));
		n--;
		break;
	case 2:					/* two swapped */
		tmp = seq[i];
		seq[i] = seq[i + 1];
		seq[i + 1] = tmp;
		break;
	case 3:					/* one repeated */
		memmove(&seq[i + 1], &seq[i], (n - i) * sizeof(seq[0]));
		n++;
		break;
	case 4:					/* no FIRST */
		memmove(&seq[0], &seq[1], (n - 1) * sizeof(seq[0]));
		n--;
		break;
	case 5:					/* no LAST */
		n--;
		break;
	case 6:					/* a new message begins */
		seq[i].opcode = seq_opcode(transport, write, ROCE_OPF_FIRST);
		break;
	case 7:					/* the other operation */
		seq[i].opcode = seq_opcode(transport, !write, ROCE_OPF_MIDDLE);
		break;
	case 8:					/* reversed */
		for (j = 0; j < n / 2; j++) {
			tmp = seq[j];
			seq[j] = seq[n - 1 - j];
			seq[n - 1 - j] = tmp;
		}
		break;
	case 9:					/* ONLY in the middle */
		seq[i].opcode = seq_opcode(transport, write, ROCE_OPF_ONLY);
		break;
	default:
		break;
	}

	for (i = 0; i < n; i++) {
		struct queued *q = queue_add(m);
		const struct roce_opcode_info *info =
			roce_opcode_info(seq[i].opcode);
		uint32_t qpn = m->hdrs.bth.dest_qpn;

		/* Same template, so same addresses, for the whole message. */
		reset_packet(m);
		roce_hdrs_init(&m->hdrs, seq[i].opcode);
		m->hdrs.payload = m->payload;
		m->hdrs.bth.dest_qpn = qpn;
		m->hdrs.bth.psn = seq[i].psn;
		m->hdrs.bth.ack_req = info->flags & ROCE_OPF_LAST;
		m->hdrs.payload_len = 0;
		set_payload_len(m, seq[i].payload_len);
		if (m->hdrs.exts & ROCE_HAS_RETH) {
			m->hdrs.reth.va = mr.iova;
			m->hdrs.reth.rkey = mr.rkey;
			m->hdrs.reth.dma_len = info->flags & ROCE_OPF_LAST ?
					       seq[i].payload_len : total;
		}
		if (m->hdrs.exts & ROCE_HAS_IMMDT)
			m->hdrs.immdt.imm = rnd(m);
		q->res.index = m->index + i;	/* the queue was empty */
		q->res.part = i + 1;
		q->res.parts = n;
		q->res.kind = ROCE_MUT_SEQUENCE;
		q->res.variant = v;
		decide_icrc(m, &q->res);
		ret = finish_packet(m, &q->pkt, &q->res);
		if (ret)
			return ret;
		note(m, "%s message of %zu bytes, MTU %zu", write ? "WRITE" : "SEND",
		     total, mtu);
		snprintf(tag, sizeof(tag), " %u/%u", i + 1, n);
		describe(m, &q->res, &q->pkt, tag);
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * The interface.
 */
struct roce_mut *roce_mut_new(const struct roce_mut_config *cfg)
{
	struct roce_mut *m;

	if (!cfg->templates || !cfg->nr_templates ||
	    cfg->bad_icrc_percent > 100) {
		errno = EINVAL;
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->cfg = *cfg;
	if (cfg->weights)
		memcpy(m->weights, cfg->weights, sizeof(m->weights));
	else
		roce_mut_default_weights(m->weights);
	for (int k = 0; k < ROCE_MUT_NR_KINDS; k++)
		m->total_weight += m->weights[k];
	m->rng = cfg->seed;
	m->queue = calloc(QUEUE_SLOTS, sizeof(*m->queue));
	m->last = calloc(1, sizeof(*m->last));
	m->scratch = calloc(1, sizeof(*m->scratch));
	if (!m->total_weight || !m->queue || !m->last || !m->scratch) {
		int err = m->total_weight ? ENOMEM : EINVAL;

		roce_mut_free(m);
		errno = err;
		return NULL;
	}
	return m;
}

void roce_mut_free(struct roce_mut *m)
{
	if (!m)
		return;
	free(m->queue);
	free(m->last);
	free(m->scratch);
	free(m);
}

static enum roce_mut_kind pick_kind(struct roce_mut *m)
{
	uint64_t x = below(m, m->total_weight);
	int k;

	for (k = 0; k < ROCE_MUT_NR_KINDS - 1; k++) {
		if (x < m->weights[k])
			break;
		x -= m->weights[k];
	}
	return k;
}

/* Hand out the first queued packet. */
static void queue_pop(struct roce_mut *m, struct roce_pkt *out,
		      struct roce_mut_result *res)
{
	struct queued *q = &m->queue[m->queue_head];

	pkt_copy(out, &q->pkt);
	*res = q->res;
	m->queue_head = (m->queue_head + 1) % QUEUE_SLOTS;
	m->queue_len--;
}

static int make_next(struct roce_mut *m, struct roce_pkt *out,
		     struct roce_mut_result *res)
{
	enum roce_mut_kind kind;
	struct queued *q;
	int ret;

	if (m->queue_len) {
		queue_pop(m, out, res);
		return 0;
	}
	kind = pick_kind(m);
	if (kind == ROCE_MUT_SEQUENCE) {
		ret = make_sequence(m);
		if (ret)
			return ret;
		queue_pop(m, out, res);
		return 0;
	}
	if (kind != ROCE_MUT_DUPLICATE)
		return make_one(m, kind, out, res);

	if (m->have_last && chance(m, 50)) {
		/* Variant 0: what went out last, again. */
		pkt_copy(out, &m->last->pkt);
		*res = m->last->res;
		res->index = m->index;
		res->part = res->parts = 0;
		res->kind = ROCE_MUT_DUPLICATE;
		res->variant = 0;
		snprintf(res->desc, sizeof(res->desc), "#%llu duplicate of %.*s",
			 (unsigned long long)res->index,
			 (int)sizeof(res->desc) - 40, m->last->res.desc);
		return 0;
	}
	/* Variant 1: a packet of another single-packet kind, twice. */
	do
		kind = below(m, ROCE_MUT_DUPLICATE);
	while (!m->weights[kind] && kind != ROCE_MUT_NONE);
	ret = make_one(m, kind, out, res);
	if (ret)
		return ret;
	res->kind = ROCE_MUT_DUPLICATE;
	res->variant = 1;
	res->part = 1;
	res->parts = 2;
	q = queue_add(m);
	pkt_copy(&q->pkt, out);
	q->res = *res;
	q->res.index = res->index + 1;
	q->res.part = 2;
	snprintf(q->res.desc, sizeof(q->res.desc), "#%llu again: %.*s",
		 (unsigned long long)q->res.index,
		 (int)sizeof(q->res.desc) - 40, res->desc);
	return 0;
}

int roce_mut_next(struct roce_mut *m, struct roce_pkt *out,
		  struct roce_mut_result *res)
{
	int ret;

	ret = make_next(m, out, res);
	if (ret)
		return ret;
	/* Every maker numbered its packets in the order they go out. */
	m->index++;

	m->stats.packets++;
	m->stats.kind[res->kind]++;
	m->stats.variant[res->kind][res->variant]++;
	if (res->icrc_bad) {
		m->stats.icrc_bad++;
		m->stats.icrc_variant[res->icrc_variant]++;
	}
	pkt_copy(&m->last->pkt, out);
	m->last->res = *res;
	m->have_last = true;
	return 0;
}

const struct roce_mut_stats *roce_mut_stats(const struct roce_mut *m)
{
	return &m->stats;
}

void roce_mut_print_stats(const struct roce_mut *m, FILE *f)
{
	const struct roce_mut_stats *s = &m->stats;

	fprintf(f, "%llu packets, %llu with a bad ICRC\n",
		(unsigned long long)s->packets,
		(unsigned long long)s->icrc_bad);
	for (int k = 0; k < ROCE_MUT_NR_KINDS; k++) {
		fprintf(f, "  %-13s %7llu:", kinds[k].name,
			(unsigned long long)s->kind[k]);
		for (unsigned int v = 0; v < roce_mut_nr_variants(k); v++)
			fprintf(f, " %llu", (unsigned long long)s->variant[k][v]);
		fprintf(f, "\n");
	}
	fprintf(f, "  %-13s %7llu:", "bad icrc", (unsigned long long)s->icrc_bad);
	for (int v = 0; v < ROCE_MUT_NR_ICRC; v++)
		fprintf(f, " %llu", (unsigned long long)s->icrc_variant[v]);
	fprintf(f, "\n");
}
