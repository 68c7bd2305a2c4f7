/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR Linux-OpenIB) */
/*
 * ABI between prxe.ko and the prxe libibverbs provider (providers/prxe).
 *
 * This is the only header both sides include.  It holds the driver-private
 * parts of the uverbs commands (the "udata" the provider appends to the
 * standard ib_user_verbs.h structures) and the names through which the
 * provider recognises a prxe device.
 *
 * Changing the layout of anything here needs PRXE_UVERBS_ABI_VERSION bumped.
 */
#ifndef PRXE_ABI_H
#define PRXE_ABI_H

#include <linux/types.h>

/*
 * Driver ABI version: reported by the kernel in
 * /sys/class/infiniband_verbs/uverbsN/abi_version and checked by libibverbs
 * against the provider's accepted range.
 */
#define PRXE_UVERBS_ABI_VERSION		1

/*
 * Every prxe ib_device carries this sysfs attribute
 * (/sys/class/infiniband/<name>/prxe_abi_version, holding the ABI version in
 * decimal).  prxe has no driver id of its own in rdma-core and the user picks
 * the device name, so the provider claims devices by this attribute.
 */
#define PRXE_SYSFS_ABI_ATTR		"prxe_abi_version"

/* Response of ALLOC_UCONTEXT (after struct ib_uverbs_get_context_resp). */
struct prxe_alloc_ucontext_resp {
	__u32 abi_version;	/* PRXE_UVERBS_ABI_VERSION */
	__u32 reserved;
};

/*
 * Rings shared by the provider and prxe.ko
 * ========================================
 *
 * Work queues and completion queues live in memory both sides map: the
 * kernel allocates each ring and returns a struct prxe_ring_map telling the
 * provider where to mmap() it (on the uverbs command fd) and its geometry.
 *
 * A ring is a struct prxe_ring_hdr followed by num_entries entries of
 * entry_size bytes each, starting at PRXE_RING_HDR_SIZE.  num_entries is a
 * power of two; producer and consumer are free-running indices (entry =
 * index & (num_entries - 1)); the ring is empty when they are equal and full
 * when they differ by num_entries.  Each side writes only its own index and
 * publishes it with a release store after writing (producer) or reading
 * (consumer) the entries; the other side reads it with an acquire load.
 *
 *   ring         producer   consumer   doorbell
 *   send queue   provider   kernel     POST_SEND command with no WRs
 *   recv queue   provider   kernel     none: read when a message arrives
 *   shared RQ    provider   kernel     none: read when a message arrives
 *   compl queue  kernel     provider   none: poll; events via REQ_NOTIFY_CQ
 *
 * The kernel never trusts the ring: it reads an entry once into its own
 * memory and checks it before use, and reads indices once per batch.
 *
 * A work queue's consumer index passes an entry when its work request is
 * finished (its completion is in the CQ, or it completed unsignaled, or it
 * was flushed), not when the kernel has read it: the provider lets a queue
 * hold at most min(num_entries, max_send_wr / max_recv_wr) entries, which
 * is what keeps the work requests outstanding within the QP's capabilities
 * (and an application's CQ, sized by them, from overrunning).
 *
 * A shared receive queue (SRQ) is the exception: the QPs on it finish
 * their receives in no common order, so its consumer index passes an
 * entry as soon as one of them has taken it (copied it) for an incoming
 * message.  The provider may fill the slot again at once; the WQE taken
 * stays with that QP until its completion (or flush) is in the CQ.  An SRQ
 * ring has no kflags and no doorbell: its WQEs are never flushed, as they
 * belong to no QP until taken.
 */
struct prxe_ring_hdr {
	__u32 producer;
	__u32 reserved0[15];	/* producer and consumer on own cache lines */
	__u32 consumer;
	__u32 kflags;		/* PRXE_RING_F_*, written by the kernel */
	__u32 reserved1[14];
};

/*
 * kflags of a QP's send and receive rings: the QP is in the error state
 * (whoever put it there).  Work requests posted now are only flushed, and
 * only after a doorbell, also on the receive ring: a provider that
 * publishes a new producer index and then (after a full barrier) sees this
 * flag rings the doorbell.  The kernel sets it, issues a full barrier and
 * then reads the producer index to flush.  Cleared on the way to RESET.
 */
#define PRXE_RING_F_QP_ERR	(1U << 0)

#define PRXE_RING_HDR_SIZE	128

struct prxe_ring_map {
	__aligned_u64 mmap_offset;	/* mmap() offset on the command fd */
	__aligned_u64 map_size;		/* bytes to map (whole pages) */
	__u32 num_entries;		/* power of two */
	__u32 entry_size;		/* bytes, multiple of 16 */
};

/* Scatter/gather element of a work request. */
struct prxe_sge {
	__aligned_u64 addr;
	__u32 length;
	__u32 lkey;
};

/*
 * Send queue entry: one work request.  opcode is an enum ib_uverbs_wr_opcode
 * (IB_UVERBS_WR_*), send_flags are IBV_SEND_* bits (the values of the
 * kernel's IB_SEND_*).  num_sge SGEs follow the fixed part (at
 * sizeof(struct prxe_send_wqe)), or, with IBV_SEND_INLINE, inline_len bytes
 * of data and num_sge is 0.
 */
struct prxe_send_wqe {
	__aligned_u64 wr_id;
	__u32 opcode;
	__u32 send_flags;
	union {
		__be32 imm_data;	/* as on the wire */
		__u32 invalidate_rkey;
	} ex;
	__u32 num_sge;
	__u32 inline_len;
	__u32 reserved;
	union {
		struct {
			__aligned_u64 remote_addr;
			__u32 rkey;
			__u32 reserved;
		} rdma;
		struct {
			__aligned_u64 remote_addr;
			__aligned_u64 compare_add;
			__aligned_u64 swap;
			__u32 rkey;
			__u32 reserved;
		} atomic;
		/*
		 * IB_UVERBS_WR_FLUSH: @length bytes at @remote_addr (ignored
		 * by the responder with @level PRXE_FLUSH_MR, which flushes
		 * the whole region), @type the placement types asked for.
		 */
		struct {
			__aligned_u64 remote_addr;
			__aligned_u64 length;
			__u32 rkey;
			__u8 type;		/* PRXE_FLUSH_GLOBAL | _PERSISTENT */
			__u8 level;		/* PRXE_FLUSH_RANGE / _MR */
			__u16 reserved;
		} flush;
		/*
		 * IB_UVERBS_WR_ATOMIC_WRITE: the 8 bytes of @data, stored as
		 * they are (no byte order is implied), at @remote_addr.
		 */
		struct {
			__aligned_u64 remote_addr;
			__u8 data[8];
			__u32 rkey;
			__u32 reserved;
		} atomic_write;
		struct {
			__u32 ah_num;		/* struct prxe_create_ah_resp */
			__u32 remote_qpn;
			__u32 remote_qkey;
			__u32 reserved;
		} ud;
	} wr;
	/* then: struct prxe_sge sge[num_sge], or __u8 inline_data[inline_len] */
};

/*
 * prxe_send_wqe.wr.flush: placement types (the FETH's, IBTA 1.5 and
 * IBV_FLUSH_GLOBAL / IBV_FLUSH_PERSISTENT of libibverbs) and selectivity
 * levels (IBV_FLUSH_RANGE / IBV_FLUSH_MR).
 */
enum prxe_flush_type {
	PRXE_FLUSH_GLOBAL	= 1 << 0,
	PRXE_FLUSH_PERSISTENT	= 1 << 1,
};

enum prxe_flush_level {
	PRXE_FLUSH_RANGE	= 0,
	PRXE_FLUSH_MR		= 1,
};

/* Receive queue entry: struct prxe_sge sge[num_sge] follows. */
struct prxe_recv_wqe {
	__aligned_u64 wr_id;
	__u32 num_sge;
	__u32 reserved;
};

/* struct prxe_cqe.flags: the IBV_WC_* flag values of libibverbs. */
enum prxe_cqe_flags {
	PRXE_CQE_GRH		= 1 << 0,	/* IBV_WC_GRH */
	PRXE_CQE_WITH_IMM	= 1 << 1,	/* IBV_WC_WITH_IMM */
	PRXE_CQE_WITH_INV	= 1 << 3,	/* IBV_WC_WITH_INV */
};

/*
 * prxe_cqe.network_hdr_type of a datagram received with its GRH: the
 * values of the kernel's enum rdma_network_type.
 */
enum prxe_network_type {
	PRXE_NETWORK_IPV4	= 2,
	PRXE_NETWORK_IPV6	= 3,
};

/*
 * Completion queue entry.  status and opcode use the values of enum
 * ibv_wc_status / enum ibv_wc_opcode (the same as the kernel's IB_WC_*).
 */
struct prxe_cqe {
	__aligned_u64 wr_id;
	__u32 status;
	__u32 opcode;
	__u32 vendor_err;
	__u32 byte_len;
	union {
		__be32 imm_data;	/* as on the wire */
		__u32 invalidated_rkey;
	} ex;
	__u32 qp_num;
	__u32 src_qp;
	__u32 flags;		/* enum prxe_cqe_flags */
	__u16 pkey_index;
	__u16 slid;
	__u8 sl;
	__u8 dlid_path_bits;
	__u8 port_num;
	__u8 network_hdr_type;	/* with PRXE_CQE_GRH: PRXE_NETWORK_IPV4 / _IPV6 */
	__u8 reserved[16];	/* 64 bytes in all */
};

/* CREATE_CQ: response after struct ib_uverbs_create_cq_resp. */
struct prxe_create_cq_resp {
	struct prxe_ring_map cq;
};

/*
 * CREATE_QP: response after struct ib_uverbs_create_qp_resp.  The send
 * queue's entries hold max_send_sge SGEs or max_inline_data bytes, the
 * receive queue's max_recv_sge SGEs (the capabilities the kernel returned).
 * A QP without a receive queue of its own (one on an SRQ) has an all-zero
 * rq.
 */
struct prxe_create_qp_resp {
	struct prxe_ring_map sq;
	struct prxe_ring_map rq;
};

/*
 * CREATE_SRQ: response after struct ib_uverbs_create_srq_resp.  The ring's
 * entries hold a struct prxe_recv_wqe and max_sge SGEs (the capabilities
 * the kernel returned), and its num_entries is the max_wr returned.
 */
struct prxe_create_srq_resp {
	struct prxe_ring_map rq;
};

/*
 * CREATE_AH: response after struct ib_uverbs_create_ah_resp.  ah_num (never
 * 0) names the address handle in UD send queue entries: the uverbs handle
 * cannot be used there, as the kernel can resolve it only inside a uverbs
 * command.
 */
struct prxe_create_ah_resp {
	__u32 ah_num;
	__u32 reserved;
};

#endif /* PRXE_ABI_H */
