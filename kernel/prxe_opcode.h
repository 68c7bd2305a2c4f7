/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The opcode table: for each of the 256 BTH opcodes, whether prxe knows it,
 * which extension headers follow the BTH and where, and what kind of
 * packet it is.  Parsing and building packets read this table instead of
 * switching on opcodes field by field.
 *
 *   const struct prxe_opcode_info *info = prxe_opcode_info(opcode);
 *   if (!info)                                  -> unknown opcode
 *   info->length                                -> BTH + extension headers
 *   info->mask & PRXE_MASK_RETH                 -> carries a RETH ...
 *   prxe_reth(info, bth)                        -> ... here
 *
 * No locks: a constant table.
 */
#ifndef PRXE_OPCODE_H
#define PRXE_OPCODE_H

#include <linux/bits.h>
#include <linux/types.h>

#include "prxe_hdr.h"

/*
 * Extension headers, in the order in which they follow the BTH on the wire
 * (IBTA 9.2: DETH, then FETH, RETH or AtomicETH, then AETH, AtomicAckETH,
 * ImmDt, IETH).  No opcode carries two headers of one row:
 *
 *   UD SEND_ONLY_WITH_IMM      BTH DETH ImmDt
 *   RDMA_WRITE_ONLY_WITH_IMM   BTH RETH ImmDt
 *   FLUSH                      BTH FETH RETH
 *   ATOMIC_ACKNOWLEDGE         BTH AETH AtomicAckETH
 */
enum prxe_ext_hdr {
	PRXE_EXT_DETH,
	PRXE_EXT_FETH,
	PRXE_EXT_RETH,
	PRXE_EXT_ATMETH,
	PRXE_EXT_AETH,
	PRXE_EXT_ATMACK,
	PRXE_EXT_IMMDT,
	PRXE_EXT_IETH,
	PRXE_NUM_EXT
};

/* struct prxe_opcode_info.mask */
enum prxe_opcode_mask {
	/* Extension headers carried. */
	PRXE_MASK_DETH		= BIT(PRXE_EXT_DETH),
	PRXE_MASK_FETH		= BIT(PRXE_EXT_FETH),
	PRXE_MASK_RETH		= BIT(PRXE_EXT_RETH),
	PRXE_MASK_ATMETH	= BIT(PRXE_EXT_ATMETH),
	PRXE_MASK_AETH		= BIT(PRXE_EXT_AETH),
	PRXE_MASK_ATMACK	= BIT(PRXE_EXT_ATMACK),
	PRXE_MASK_IMMDT		= BIT(PRXE_EXT_IMMDT),	/* carries immediate data */
	PRXE_MASK_IETH		= BIT(PRXE_EXT_IETH),	/* SEND with invalidate */

	/* May carry a payload; opcodes without this bit carry none. */
	PRXE_MASK_PAYLOAD	= BIT(8),

	/* Direction: a request, or a response (ACK, READ response, atomic ACK). */
	PRXE_MASK_REQ		= BIT(9),
	PRXE_MASK_RESP		= BIT(10),

	/* Operation; a READ response is READ | RESP, an atomic ACK ATOMIC | RESP. */
	PRXE_MASK_SEND		= BIT(11),
	PRXE_MASK_WRITE		= BIT(12),
	PRXE_MASK_READ		= BIT(13),
	PRXE_MASK_ATOMIC	= BIT(14),	/* CMP_SWAP, FETCH_ADD */
	PRXE_MASK_FLUSH		= BIT(15),
	PRXE_MASK_ATOMIC_WRITE	= BIT(16),

	/* Place in the message; an ONLY packet is both FIRST and LAST. */
	PRXE_MASK_FIRST		= BIT(17),
	PRXE_MASK_MIDDLE	= BIT(18),
	PRXE_MASK_LAST		= BIT(19),
	PRXE_MASK_ONLY		= PRXE_MASK_FIRST | PRXE_MASK_LAST,

	/*
	 * The responder needs a receive WQE at this packet (first packet of a
	 * SEND, RDMA WRITE carrying immediate data) ...
	 */
	PRXE_MASK_RECV_WQE	= BIT(20),
	/* ... and completes it with this one (last packet of those). */
	PRXE_MASK_COMPLETE	= BIT(21),

	PRXE_MASK_EXT_HDRS	= BIT(PRXE_NUM_EXT) - 1,
	PRXE_MASK_RDMA_OP	= PRXE_MASK_WRITE | PRXE_MASK_READ |
				  PRXE_MASK_ATOMIC | PRXE_MASK_FLUSH |
				  PRXE_MASK_ATOMIC_WRITE,
};

struct prxe_opcode_info {
	const char	*name;		/* "RC_SEND_FIRST" */
	u32		mask;		/* enum prxe_opcode_mask; 0: unknown */
	u8		opcode;
	u8		length;		/* BTH + extension headers, bytes */
	/* From the start of the BTH; 0 for headers the opcode lacks. */
	u8		offset[PRXE_NUM_EXT];
};

extern const struct prxe_opcode_info prxe_opcode_table[256];

/* The description of @opcode, or NULL if prxe does not know it. */
static inline const struct prxe_opcode_info *prxe_opcode_info(u8 opcode)
{
	const struct prxe_opcode_info *info = &prxe_opcode_table[opcode];

	return info->mask ? info : NULL;
}

/* Extension header @ext of a packet whose BTH is at @bth, or NULL. */
static inline void *prxe_ext_hdr(const struct prxe_opcode_info *info,
				 void *bth, enum prxe_ext_hdr ext)
{
	return info->mask & BIT(ext) ? (u8 *)bth + info->offset[ext] : NULL;
}

static inline struct prxe_deth *prxe_deth(const struct prxe_opcode_info *info,
					  void *bth)
{
	return prxe_ext_hdr(info, bth, PRXE_EXT_DETH);
}

static inline struct prxe_feth *prxe_feth(const struct prxe_opcode_info *info,
					  void *bth)
{
	return prxe_ext_hdr(info, bth, PRXE_EXT_FETH);
}

static inline struct prxe_reth *prxe_reth(const struct prxe_opcode_info *info,
					  void *bth)
{
	return prxe_ext_hdr(info, bth, PRXE_EXT_RETH);
}

static inline struct prxe_atmeth *
prxe_atmeth(const struct prxe_opcode_info *info, void *bth)
{
	return prxe_ext_hdr(info, bth, PRXE_EXT_ATMETH);
}

static inline struct prxe_aeth *prxe_aeth(const struct prxe_opcode_info *info,
					  void *bth)
{
	return prxe_ext_hdr(info, bth, PRXE_EXT_AETH);
}

static inline struct prxe_atmack *
prxe_atmack(const struct prxe_opcode_info *info, void *bth)
{
	return prxe_ext_hdr(info, bth, PRXE_EXT_ATMACK);
}

static inline struct prxe_immdt *
prxe_immdt(const struct prxe_opcode_info *info, void *bth)
{
	return prxe_ext_hdr(info, bth, PRXE_EXT_IMMDT);
}

static inline struct prxe_ieth *prxe_ieth(const struct prxe_opcode_info *info,
					  void *bth)
{
	return prxe_ext_hdr(info, bth, PRXE_EXT_IETH);
}

/* Where the payload of a packet of this opcode starts, from the BTH. */
static inline void *prxe_payload(const struct prxe_opcode_info *info,
				 void *bth)
{
	return (u8 *)bth + info->length;
}

#endif /* PRXE_OPCODE_H */
