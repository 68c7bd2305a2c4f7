/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * A deterministic fuzz mutator for RoCEv2 packets.
 *
 * The caller gives templates (addresses and transport headers of packets
 * that would be accepted: a SEND to a live RC QP at its expected PSN, a
 * WRITE into a registered MR, a UD SEND with the right Q_Key, ...) and the
 * values worth aiming at (live QPNs and their expected PSNs, MRs' rkeys
 * and iova ranges, Q_Keys, the path MTU).  Each roce_mut_next() returns
 * one packet: a template with one thing changed (a header field set to an
 * edge value, a length that lies, a truncation, garbage after the pad, a
 * duplicate, one packet of a multi-packet message sent out of order ...),
 * its ICRC either recomputed so the packet gets past the ICRC check to the
 * QP engines, or deliberately wrong, and a one-line description for the
 * log of a failing run.  The mutator only makes bytes; where they go is
 * the caller's business.
 *
 * Same seed, same templates and targets: same packets, byte for byte
 * (splitmix64; nothing else is random).  One mutator per thread.
 */
#ifndef PRXE_ROCE_MUTATE_H
#define PRXE_ROCE_MUTATE_H

#include <stdio.h>

#include "pkt.h"

struct roce_mut_qp {
	uint32_t	qpn;
	uint32_t	psn;		/* the PSN it expects next */
	uint32_t	qkey;		/* UD */
	bool		ud;
};

struct roce_mut_mr {
	uint32_t	rkey;
	uint64_t	iova;		/* first byte */
	uint64_t	length;
};

/* Read at every call: a caller may move PSNs on between calls. */
struct roce_mut_targets {
	const struct roce_mut_qp	*qps;
	unsigned int			nr_qps;
	const struct roce_mut_mr	*mrs;
	unsigned int			nr_mrs;
	uint32_t			path_mtu;	/* 0: 1024 */
	/* The largest IP packet the link carries (raw sockets do not
	 * fragment); 0: 1500. */
	uint32_t			max_ip_bytes;
};

struct roce_mut_template {
	struct roce_ip		ip;
	struct roce_hdrs	hdrs;	/* hdrs.payload: the template's bytes */
};

enum roce_mut_kind {
	ROCE_MUT_NONE,		/* the template as it is */
	ROCE_MUT_OPCODE,	/* all 256, weighted toward the known ones */
	ROCE_MUT_PAD,		/* pad count that lies, non-zero pad bytes */
	ROCE_MUT_TVER,
	ROCE_MUT_PKEY,
	ROCE_MUT_QPN,		/* near the live ones */
	ROCE_MUT_PSN,		/* near the expected one, window edges */
	ROCE_MUT_ACK_REQ,
	ROCE_MUT_SE,
	ROCE_MUT_BTH_RESV,	/* MigReq, FECN, BECN, reserved bits */
	ROCE_MUT_RETH_VA,	/* near the ends of an MR, wrapping */
	ROCE_MUT_RKEY,		/* RETH, AtomicETH or IETH */
	ROCE_MUT_DMA_LEN,
	ROCE_MUT_ATOMIC_VA,	/* misaligned, near the ends */
	ROCE_MUT_QKEY,
	ROCE_MUT_SRC_QPN,	/* DETH source QP */
	ROCE_MUT_AETH,		/* syndromes and MSNs (to a requester) */
	ROCE_MUT_FETH,
	ROCE_MUT_PAYLOAD_LEN,	/* 0 .. MTU + 4 .. what the link takes */
	ROCE_MUT_EXT_MISMATCH,	/* extension headers not the opcode's */
	ROCE_MUT_BIT_FLIP,	/* random bits of the transport headers */
	ROCE_MUT_TRUNCATE,	/* at and inside every header */
	ROCE_MUT_TRAILING,	/* garbage after the pad, after the ICRC */
	ROCE_MUT_UDP_LEN,	/* a UDP length that lies */
	ROCE_MUT_DUPLICATE,	/* a packet again */
	ROCE_MUT_SEQUENCE,	/* FIRST/MIDDLE/LAST with gaps, wrong order */
	ROCE_MUT_NR_KINDS
};

#define ROCE_MUT_MAX_VARIANTS	16

/* How a bad ICRC is wrong. */
enum roce_mut_icrc {
	ROCE_MUT_ICRC_BIT_FLIP,		/* one bit */
	ROCE_MUT_ICRC_ZERO,
	ROCE_MUT_ICRC_BYTE_SWAPPED,	/* big-endian on the wire */
	ROCE_MUT_ICRC_UNMASKED,		/* variant fields not masked */
	ROCE_MUT_ICRC_STALE,		/* the unmutated template's */
	ROCE_MUT_ICRC_RANDOM,
	ROCE_MUT_NR_ICRC
};

struct roce_mut_config {
	uint64_t			seed;
	/* Packets whose ICRC is wrong, 0-100. */
	unsigned int			bad_icrc_percent;
	/* Relative weight of each kind (0: never); NULL: the defaults. */
	const unsigned int		*weights;
	/* Both used in place, not copied: they must outlive the mutator. */
	const struct roce_mut_template	*templates;
	unsigned int			nr_templates;
	const struct roce_mut_targets	*targets;
};

/* What roce_mut_next() made. */
struct roce_mut_result {
	uint64_t		index;		/* 0 for the first packet */
	enum roce_mut_kind	kind;
	unsigned int		variant;
	bool			icrc_bad;
	enum roce_mut_icrc	icrc_variant;	/* when icrc_bad */
	/* Of a multi-packet kind (a sequence, a packet twice): this is
	 * packet @part (1..@parts) of them; 0 and 0 otherwise. */
	unsigned int		part;
	unsigned int		parts;
	char			desc[384];
};

struct roce_mut_stats {
	uint64_t	packets;
	uint64_t	kind[ROCE_MUT_NR_KINDS];
	uint64_t	variant[ROCE_MUT_NR_KINDS][ROCE_MUT_MAX_VARIANTS];
	uint64_t	icrc_bad;
	uint64_t	icrc_variant[ROCE_MUT_NR_ICRC];
};

struct roce_mut;

/* NULL with errno EINVAL: no template, no weight, a percentage over 100;
 * ENOMEM. */
struct roce_mut *roce_mut_new(const struct roce_mut_config *cfg);
void roce_mut_free(struct roce_mut *m);

/* The next packet into @out, what it is into @res.  0, or -errno (a
 * template that cannot be built). */
int roce_mut_next(struct roce_mut *m, struct roce_pkt *out,
		  struct roce_mut_result *res);

const struct roce_mut_stats *roce_mut_stats(const struct roce_mut *m);
/* Counts per kind and variant, one kind a line. */
void roce_mut_print_stats(const struct roce_mut *m, FILE *f);

const char *roce_mut_kind_name(enum roce_mut_kind kind);
unsigned int roce_mut_nr_variants(enum roce_mut_kind kind);
const char *roce_mut_variant_name(enum roce_mut_kind kind,
				  unsigned int variant);
const char *roce_mut_icrc_name(enum roce_mut_icrc variant);

void roce_mut_default_weights(unsigned int weights[ROCE_MUT_NR_KINDS]);
/*
 * Change @weights by a spec "KIND=N,KIND=N,...", KIND a kind's name or
 * "all" (e.g. "all=0,psn=1,truncate=3": PSNs and truncations only).
 * 0, or -EINVAL naming nothing known.
 */
int roce_mut_parse_weights(const char *spec,
			   unsigned int weights[ROCE_MUT_NR_KINDS]);

#endif /* PRXE_ROCE_MUTATE_H */
