/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * InfiniBand transport headers as RoCEv2 carries them (IBTA Vol. 1 ch. 9 and
 * Annex A17): their wire layout, typed accessors, the opcode numbers, the
 * AETH syndromes and 24-bit PSN arithmetic.
 *
 * A RoCEv2 packet after the UDP header:
 *
 *   BTH | extension headers (per opcode) | payload | pad (0-3) | ICRC (4)
 *
 * Which extension headers an opcode carries, and where, is described by the
 * opcode table (prxe_opcode.h); the accessors here work on a pointer to one
 * header, wherever it sits.  Headers are declared __packed: after Ethernet,
 * IP and UDP they are only 4-byte aligned, so 64-bit fields may be
 * misaligned and must be read through the packed structs (or
 * get_unaligned_*), never through a plain u64 pointer.
 *
 * No locks: pure functions on packet bytes.
 */
#ifndef PRXE_HDR_H
#define PRXE_HDR_H

#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/types.h>
#include <asm/byteorder.h>

/* UDP destination port of RoCEv2 (IANA). */
#define PRXE_ROCE_V2_UDP_DPORT		4791

/* ICRC: the 4 bytes at the end of every packet. */
#define PRXE_ICRC_SIZE			4

/*
 * Opcodes: the top 3 bits name the transport service, the low 5 bits the
 * operation.  RD (0x40) and CNP (0x80) are not implemented.
 */
#define PRXE_OP_TRANSPORT_MASK		0xe0
#define PRXE_OP_RC			0x00
#define PRXE_OP_UC			0x20
#define PRXE_OP_UD			0x60

enum prxe_ib_opcode {
	/* Reliable Connected */
	PRXE_OP_RC_SEND_FIRST			= 0x00,
	PRXE_OP_RC_SEND_MIDDLE			= 0x01,
	PRXE_OP_RC_SEND_LAST			= 0x02,
	PRXE_OP_RC_SEND_LAST_WITH_IMM		= 0x03,
	PRXE_OP_RC_SEND_ONLY			= 0x04,
	PRXE_OP_RC_SEND_ONLY_WITH_IMM		= 0x05,
	PRXE_OP_RC_RDMA_WRITE_FIRST		= 0x06,
	PRXE_OP_RC_RDMA_WRITE_MIDDLE		= 0x07,
	PRXE_OP_RC_RDMA_WRITE_LAST		= 0x08,
	PRXE_OP_RC_RDMA_WRITE_LAST_WITH_IMM	= 0x09,
	PRXE_OP_RC_RDMA_WRITE_ONLY		= 0x0a,
	PRXE_OP_RC_RDMA_WRITE_ONLY_WITH_IMM	= 0x0b,
	PRXE_OP_RC_RDMA_READ_REQUEST		= 0x0c,
	PRXE_OP_RC_RDMA_READ_RESPONSE_FIRST	= 0x0d,
	PRXE_OP_RC_RDMA_READ_RESPONSE_MIDDLE	= 0x0e,
	PRXE_OP_RC_RDMA_READ_RESPONSE_LAST	= 0x0f,
	PRXE_OP_RC_RDMA_READ_RESPONSE_ONLY	= 0x10,
	PRXE_OP_RC_ACKNOWLEDGE			= 0x11,
	PRXE_OP_RC_ATOMIC_ACKNOWLEDGE		= 0x12,
	PRXE_OP_RC_COMPARE_SWAP			= 0x13,
	PRXE_OP_RC_FETCH_ADD			= 0x14,
	PRXE_OP_RC_SEND_LAST_WITH_INVALIDATE	= 0x16,
	PRXE_OP_RC_SEND_ONLY_WITH_INVALIDATE	= 0x17,
	PRXE_OP_RC_FLUSH			= 0x1c,
	PRXE_OP_RC_ATOMIC_WRITE			= 0x1d,

	/* Unreliable Connected: the SEND and RDMA WRITE subset of RC */
	PRXE_OP_UC_SEND_FIRST			= 0x20,
	PRXE_OP_UC_SEND_MIDDLE			= 0x21,
	PRXE_OP_UC_SEND_LAST			= 0x22,
	PRXE_OP_UC_SEND_LAST_WITH_IMM		= 0x23,
	PRXE_OP_UC_SEND_ONLY			= 0x24,
	PRXE_OP_UC_SEND_ONLY_WITH_IMM		= 0x25,
	PRXE_OP_UC_RDMA_WRITE_FIRST		= 0x26,
	PRXE_OP_UC_RDMA_WRITE_MIDDLE		= 0x27,
	PRXE_OP_UC_RDMA_WRITE_LAST		= 0x28,
	PRXE_OP_UC_RDMA_WRITE_LAST_WITH_IMM	= 0x29,
	PRXE_OP_UC_RDMA_WRITE_ONLY		= 0x2a,
	PRXE_OP_UC_RDMA_WRITE_ONLY_WITH_IMM	= 0x2b,

	/* Unreliable Datagram */
	PRXE_OP_UD_SEND_ONLY			= 0x64,
	PRXE_OP_UD_SEND_ONLY_WITH_IMM		= 0x65,
};

/* The operation of an opcode without its transport (RC_x == x). */
static inline u8 prxe_op_operation(u8 opcode)
{
	return opcode & ~PRXE_OP_TRANSPORT_MASK;
}

/* ------------------------------------------------------------------------
 * PSNs are 24-bit sequence numbers that wrap.
 */
#define PRXE_PSN_MASK			0x00ffffff

/*
 * Sign of (a - b) in 24-bit serial arithmetic: < 0 if @a is before @b,
 * 0 if equal, > 0 if after (for distances below 2^23).
 */
static inline int prxe_psn_compare(u32 a, u32 b)
{
	return (s32)((a - b) << 8);
}

/* Signed distance from @b to @a, in -2^23 .. 2^23 - 1. */
static inline s32 prxe_psn_diff(u32 a, u32 b)
{
	return (s32)((a - b) << 8) >> 8;
}

static inline u32 prxe_psn_add(u32 psn, u32 n)
{
	return (psn + n) & PRXE_PSN_MASK;
}

/* ------------------------------------------------------------------------
 * BTH: Base Transport Header, 12 bytes, first in every packet.
 *
 *   byte 0      opcode
 *   byte 1      SE (7) | M (6) | PadCnt (5:4) | TVer (3:0)
 *   bytes 2-3   P_Key
 *   byte 4      FECN (7) | BECN (6) | reserved (5:0)  -- "resv8a": variant,
 *               masked to all 1s in the ICRC
 *   bytes 5-7   destination QP
 *   byte 8      AckReq (7) | reserved (6:0)
 *   bytes 9-11  PSN
 */
struct prxe_bth {
	u8	opcode;
	u8	flags;
	__be16	pkey;
	__be32	qpn;		/* resv8a in the top byte */
	__be32	apsn;		/* AckReq and reserved in the top byte */
} __packed;

#define PRXE_BTH_SE			0x80
#define PRXE_BTH_MIG			0x40
#define PRXE_BTH_PAD_MASK		0x30
#define PRXE_BTH_PAD_SHIFT		4
#define PRXE_BTH_TVER_MASK		0x0f
#define PRXE_BTH_TVER			0	/* the only transport version */
#define PRXE_BTH_FECN			0x80000000u
#define PRXE_BTH_BECN			0x40000000u
#define PRXE_BTH_RESV8A_MASK		0xff000000u
#define PRXE_BTH_QPN_MASK		0x00ffffffu
#define PRXE_BTH_ACK_REQ		0x80000000u
#define PRXE_BTH_PSN_MASK		PRXE_PSN_MASK

#define PRXE_DEFAULT_PKEY		0xffff
#define PRXE_MULTICAST_QPN		0x00ffffff
#define PRXE_GSI_QKEY			0x80010000u

static inline u8 prxe_bth_opcode(const struct prxe_bth *bth)
{
	return bth->opcode;
}

static inline void prxe_bth_set_opcode(struct prxe_bth *bth, u8 opcode)
{
	bth->opcode = opcode;
}

static inline bool prxe_bth_se(const struct prxe_bth *bth)
{
	return bth->flags & PRXE_BTH_SE;
}

static inline void prxe_bth_set_se(struct prxe_bth *bth, bool se)
{
	bth->flags = (bth->flags & ~PRXE_BTH_SE) | (se ? PRXE_BTH_SE : 0);
}

static inline bool prxe_bth_mig(const struct prxe_bth *bth)
{
	return bth->flags & PRXE_BTH_MIG;
}

static inline void prxe_bth_set_mig(struct prxe_bth *bth, bool mig)
{
	bth->flags = (bth->flags & ~PRXE_BTH_MIG) | (mig ? PRXE_BTH_MIG : 0);
}

static inline u8 prxe_bth_pad(const struct prxe_bth *bth)
{
	return (bth->flags & PRXE_BTH_PAD_MASK) >> PRXE_BTH_PAD_SHIFT;
}

static inline void prxe_bth_set_pad(struct prxe_bth *bth, u8 pad)
{
	bth->flags = (bth->flags & ~PRXE_BTH_PAD_MASK) |
		     ((pad << PRXE_BTH_PAD_SHIFT) & PRXE_BTH_PAD_MASK);
}

static inline u8 prxe_bth_tver(const struct prxe_bth *bth)
{
	return bth->flags & PRXE_BTH_TVER_MASK;
}

static inline void prxe_bth_set_tver(struct prxe_bth *bth, u8 tver)
{
	bth->flags = (bth->flags & ~PRXE_BTH_TVER_MASK) |
		     (tver & PRXE_BTH_TVER_MASK);
}

static inline u16 prxe_bth_pkey(const struct prxe_bth *bth)
{
	return be16_to_cpu(bth->pkey);
}

static inline void prxe_bth_set_pkey(struct prxe_bth *bth, u16 pkey)
{
	bth->pkey = cpu_to_be16(pkey);
}

static inline bool prxe_bth_fecn(const struct prxe_bth *bth)
{
	return bth->qpn & cpu_to_be32(PRXE_BTH_FECN);
}

static inline void prxe_bth_set_fecn(struct prxe_bth *bth, bool fecn)
{
	if (fecn)
		bth->qpn |= cpu_to_be32(PRXE_BTH_FECN);
	else
		bth->qpn &= ~cpu_to_be32(PRXE_BTH_FECN);
}

static inline bool prxe_bth_becn(const struct prxe_bth *bth)
{
	return bth->qpn & cpu_to_be32(PRXE_BTH_BECN);
}

static inline void prxe_bth_set_becn(struct prxe_bth *bth, bool becn)
{
	if (becn)
		bth->qpn |= cpu_to_be32(PRXE_BTH_BECN);
	else
		bth->qpn &= ~cpu_to_be32(PRXE_BTH_BECN);
}

static inline u32 prxe_bth_qpn(const struct prxe_bth *bth)
{
	return be32_to_cpu(bth->qpn) & PRXE_BTH_QPN_MASK;
}

static inline void prxe_bth_set_qpn(struct prxe_bth *bth, u32 qpn)
{
	u32 v = be32_to_cpu(bth->qpn);

	bth->qpn = cpu_to_be32((v & ~PRXE_BTH_QPN_MASK) |
			       (qpn & PRXE_BTH_QPN_MASK));
}

static inline bool prxe_bth_ack_req(const struct prxe_bth *bth)
{
	return bth->apsn & cpu_to_be32(PRXE_BTH_ACK_REQ);
}

static inline void prxe_bth_set_ack_req(struct prxe_bth *bth, bool ack_req)
{
	if (ack_req)
		bth->apsn |= cpu_to_be32(PRXE_BTH_ACK_REQ);
	else
		bth->apsn &= ~cpu_to_be32(PRXE_BTH_ACK_REQ);
}

static inline u32 prxe_bth_psn(const struct prxe_bth *bth)
{
	return be32_to_cpu(bth->apsn) & PRXE_BTH_PSN_MASK;
}

static inline void prxe_bth_set_psn(struct prxe_bth *bth, u32 psn)
{
	u32 v = be32_to_cpu(bth->apsn);

	bth->apsn = cpu_to_be32((v & ~PRXE_BTH_PSN_MASK) |
				(psn & PRXE_BTH_PSN_MASK));
}

/*
 * Fill a whole BTH: transport version 0; M (MigReq), FECN, BECN and the
 * reserved bits zero, as rdma_rxe sends them (prxe has no APM).
 */
static inline void prxe_bth_init(struct prxe_bth *bth, u8 opcode, bool se,
				 u8 pad, u16 pkey, u32 qpn, bool ack_req,
				 u32 psn)
{
	bth->opcode = opcode;
	bth->flags = (se ? PRXE_BTH_SE : 0) |
		     ((pad << PRXE_BTH_PAD_SHIFT) & PRXE_BTH_PAD_MASK) |
		     PRXE_BTH_TVER;
	bth->pkey = cpu_to_be16(pkey);
	bth->qpn = cpu_to_be32(qpn & PRXE_BTH_QPN_MASK);
	bth->apsn = cpu_to_be32((ack_req ? PRXE_BTH_ACK_REQ : 0) |
				(psn & PRXE_BTH_PSN_MASK));
}

/* ------------------------------------------------------------------------
 * RETH: RDMA Extended Transport Header, 16 bytes (RDMA WRITE first/only,
 * RDMA READ request, FLUSH, ATOMIC WRITE).
 */
struct prxe_reth {
	__be64	va;
	__be32	rkey;
	__be32	len;		/* DMA length of the whole message */
} __packed;

static inline u64 prxe_reth_va(const struct prxe_reth *reth)
{
	return be64_to_cpu(reth->va);
}

static inline u32 prxe_reth_rkey(const struct prxe_reth *reth)
{
	return be32_to_cpu(reth->rkey);
}

static inline u32 prxe_reth_len(const struct prxe_reth *reth)
{
	return be32_to_cpu(reth->len);
}

static inline void prxe_reth_set(struct prxe_reth *reth, u64 va, u32 rkey,
				 u32 len)
{
	reth->va = cpu_to_be64(va);
	reth->rkey = cpu_to_be32(rkey);
	reth->len = cpu_to_be32(len);
}

/* ------------------------------------------------------------------------
 * AETH: ACK Extended Transport Header, 4 bytes: syndrome (8) | MSN (24).
 *
 * Syndrome: bits 7:5 the type, bits 4:0 a value whose meaning depends on it.
 *   ACK      000xxxxx  credit count (0x1f: no credits advertised)
 *   RNR NAK  001ttttt  minimum RNR NAK timer code
 *   NAK      011ccccc  NAK code
 */
struct prxe_aeth {
	__be32	smsn;
} __packed;

#define PRXE_AETH_SYN_SHIFT		24
#define PRXE_AETH_MSN_MASK		0x00ffffffu

enum prxe_aeth_syndrome {
	PRXE_AETH_TYPE_MASK		= 0xe0,
	PRXE_AETH_VALUE_MASK		= 0x1f,

	PRXE_AETH_ACK			= 0x00,
	PRXE_AETH_RNR_NAK		= 0x20,
	PRXE_AETH_NAK			= 0x60,

	PRXE_AETH_ACK_NO_CREDITS	= 0x1f,	/* credit count invalid */

	PRXE_AETH_NAK_PSN_SEQ_ERR	= 0x60,
	PRXE_AETH_NAK_INVALID_REQ	= 0x61,
	PRXE_AETH_NAK_REM_ACCESS_ERR	= 0x62,
	PRXE_AETH_NAK_REM_OP_ERR	= 0x63,
	PRXE_AETH_NAK_INVALID_RD_REQ	= 0x64,
};

static inline u8 prxe_aeth_syn(const struct prxe_aeth *aeth)
{
	return be32_to_cpu(aeth->smsn) >> PRXE_AETH_SYN_SHIFT;
}

static inline u32 prxe_aeth_msn(const struct prxe_aeth *aeth)
{
	return be32_to_cpu(aeth->smsn) & PRXE_AETH_MSN_MASK;
}

static inline void prxe_aeth_set(struct prxe_aeth *aeth, u8 syn, u32 msn)
{
	aeth->smsn = cpu_to_be32((u32)syn << PRXE_AETH_SYN_SHIFT |
				 (msn & PRXE_AETH_MSN_MASK));
}

static inline u8 prxe_aeth_type(u8 syn)
{
	return syn & PRXE_AETH_TYPE_MASK;
}

/* Credit count (ACK), timer code (RNR NAK) or NAK code (NAK). */
static inline u8 prxe_aeth_value(u8 syn)
{
	return syn & PRXE_AETH_VALUE_MASK;
}

static inline u8 prxe_aeth_rnr_nak(u8 timer_code)
{
	return PRXE_AETH_RNR_NAK | (timer_code & PRXE_AETH_VALUE_MASK);
}

/* ------------------------------------------------------------------------
 * AtomicETH: Atomic Extended Transport Header, 28 bytes (CMP_SWAP,
 * FETCH_ADD).
 */
struct prxe_atmeth {
	__be64	va;
	__be32	rkey;
	__be64	swap_add;	/* swap data, or the value to add */
	__be64	compare;	/* compare data (CMP_SWAP only) */
} __packed;

static inline u64 prxe_atmeth_va(const struct prxe_atmeth *a)
{
	return be64_to_cpu(a->va);
}

static inline u32 prxe_atmeth_rkey(const struct prxe_atmeth *a)
{
	return be32_to_cpu(a->rkey);
}

static inline u64 prxe_atmeth_swap_add(const struct prxe_atmeth *a)
{
	return be64_to_cpu(a->swap_add);
}

static inline u64 prxe_atmeth_compare(const struct prxe_atmeth *a)
{
	return be64_to_cpu(a->compare);
}

static inline void prxe_atmeth_set(struct prxe_atmeth *a, u64 va, u32 rkey,
				   u64 swap_add, u64 compare)
{
	a->va = cpu_to_be64(va);
	a->rkey = cpu_to_be32(rkey);
	a->swap_add = cpu_to_be64(swap_add);
	a->compare = cpu_to_be64(compare);
}

/* ------------------------------------------------------------------------
 * AtomicAckETH: 8 bytes, the original remote data (ATOMIC_ACKNOWLEDGE).
 */
struct prxe_atmack {
	__be64	orig;
} __packed;

static inline u64 prxe_atmack_orig(const struct prxe_atmack *a)
{
	return be64_to_cpu(a->orig);
}

static inline void prxe_atmack_set_orig(struct prxe_atmack *a, u64 orig)
{
	a->orig = cpu_to_be64(orig);
}

/* ------------------------------------------------------------------------
 * DETH: Datagram Extended Transport Header, 8 bytes (UD):
 * Q_Key (32) | reserved (8) | source QP (24).
 */
struct prxe_deth {
	__be32	qkey;
	__be32	sqp;
} __packed;

#define PRXE_DETH_SQP_MASK		0x00ffffffu

static inline u32 prxe_deth_qkey(const struct prxe_deth *deth)
{
	return be32_to_cpu(deth->qkey);
}

static inline u32 prxe_deth_sqp(const struct prxe_deth *deth)
{
	return be32_to_cpu(deth->sqp) & PRXE_DETH_SQP_MASK;
}

static inline void prxe_deth_set(struct prxe_deth *deth, u32 qkey, u32 sqp)
{
	deth->qkey = cpu_to_be32(qkey);
	deth->sqp = cpu_to_be32(sqp & PRXE_DETH_SQP_MASK);
}

/* ------------------------------------------------------------------------
 * ImmDt: immediate data, 4 bytes, kept in wire (big-endian) order as
 * verbs hand it over (ib_send_wr.ex.imm_data, ib_wc.ex.imm_data are __be32).
 */
struct prxe_immdt {
	__be32	imm;
} __packed;

static inline __be32 prxe_immdt_imm(const struct prxe_immdt *immdt)
{
	return immdt->imm;
}

static inline void prxe_immdt_set_imm(struct prxe_immdt *immdt, __be32 imm)
{
	immdt->imm = imm;
}

/* ------------------------------------------------------------------------
 * IETH: Invalidate Extended Transport Header, 4 bytes: the R_Key to
 * invalidate (SEND_*_WITH_INVALIDATE).
 */
struct prxe_ieth {
	__be32	rkey;
} __packed;

static inline u32 prxe_ieth_rkey(const struct prxe_ieth *ieth)
{
	return be32_to_cpu(ieth->rkey);
}

static inline void prxe_ieth_set_rkey(struct prxe_ieth *ieth, u32 rkey)
{
	ieth->rkey = cpu_to_be32(rkey);
}

/* ------------------------------------------------------------------------
 * FETH: Flush Extended Transport Header, 4 bytes (RDMA FLUSH, IBTA
 * Memory Placement Extensions): bits 5:4 the selectivity level, bits 3:0
 * the placement type; the rest reserved.
 */
struct prxe_feth {
	__be32	bits;
} __packed;

#define PRXE_FETH_PLT_MASK		0x0000000fu
#define PRXE_FETH_SEL_MASK		0x00000030u
#define PRXE_FETH_SEL_SHIFT		4

/* Placement types (a bit mask: both may be requested). */
#define PRXE_FETH_PLT_GLOBAL_VISIBILITY	0x1
#define PRXE_FETH_PLT_PERSISTENCE	0x2

/* Selectivity levels. */
#define PRXE_FETH_SEL_MR_RANGE		0	/* the RETH's range of the MR */
#define PRXE_FETH_SEL_WHOLE_MR		1

static inline u8 prxe_feth_plt(const struct prxe_feth *feth)
{
	return be32_to_cpu(feth->bits) & PRXE_FETH_PLT_MASK;
}

static inline u8 prxe_feth_sel(const struct prxe_feth *feth)
{
	return (be32_to_cpu(feth->bits) & PRXE_FETH_SEL_MASK) >>
	       PRXE_FETH_SEL_SHIFT;
}

static inline void prxe_feth_set(struct prxe_feth *feth, u8 plt, u8 sel)
{
	feth->bits = cpu_to_be32(((u32)sel << PRXE_FETH_SEL_SHIFT &
				  PRXE_FETH_SEL_MASK) |
				 (plt & PRXE_FETH_PLT_MASK));
}

/* ------------------------------------------------------------------------
 * Header sizes.
 */
enum {
	PRXE_BTH_BYTES		= 12,
	PRXE_RETH_BYTES		= 16,
	PRXE_AETH_BYTES		= 4,
	PRXE_ATMETH_BYTES	= 28,
	PRXE_ATMACK_BYTES	= 8,
	PRXE_DETH_BYTES		= 8,
	PRXE_IMMDT_BYTES	= 4,
	PRXE_IETH_BYTES		= 4,
	PRXE_FETH_BYTES		= 4,
};

static_assert(sizeof(struct prxe_bth) == PRXE_BTH_BYTES);
static_assert(sizeof(struct prxe_reth) == PRXE_RETH_BYTES);
static_assert(sizeof(struct prxe_aeth) == PRXE_AETH_BYTES);
static_assert(sizeof(struct prxe_atmeth) == PRXE_ATMETH_BYTES);
static_assert(sizeof(struct prxe_atmack) == PRXE_ATMACK_BYTES);
static_assert(sizeof(struct prxe_deth) == PRXE_DETH_BYTES);
static_assert(sizeof(struct prxe_immdt) == PRXE_IMMDT_BYTES);
static_assert(sizeof(struct prxe_ieth) == PRXE_IETH_BYTES);
static_assert(sizeof(struct prxe_feth) == PRXE_FETH_BYTES);

/* Pad bytes that make a payload of @len bytes end on a 4-byte boundary. */
static inline u8 prxe_pad_for(u32 len)
{
	return -len & 3;
}

#endif /* PRXE_HDR_H */
