/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * prxe libibverbs provider: the provider's objects and the functions its
 * source files share.
 *
 *   prxe.c    registration, device matching, device contexts, ops table
 *   verbs.c   control path: device/port queries, PDs, MRs, AHs
 *   cq.c      completion queues: creation, polling (plain and extended)
 *   qp.c      queue pairs: creation, modify/query/destroy, post_send,
 *             post_recv, the send doorbell
 *   qp_ex.c   the extended send API (ibv_wr_*) on the same send queue
 *   srq.c     shared receive queues: creation, post_srq_recv, modify
 *             (arming the limit), query, destroy
 *   ring.h    index arithmetic of the rings shared with prxe.ko
 *
 * Locks: one pthread spinlock per send queue, receive queue, shared
 * receive queue and completion queue, each guarding its side of one ring.  None is held while another is
 * taken, and none across a system call.
 */
#ifndef PRXE_PROVIDER_H
#define PRXE_PROVIDER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pabi/pabi.h"
#include <rdma/prxe-abi.h>

#include "ring.h"

/* Name under which the provider registers (ops->name, "driver prxe"). */
#define PRXE_PROVIDER_NAME	"prxe"
/* File libibverbs loads for "driver prxe": libprxe-rdmav<PABI>.so */
#define PRXE_PROVIDER_FILE	"lib" PRXE_PROVIDER_NAME PABI_PROVIDER_SUFFIX

#define prxe_container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

/* One prxe ib_device, as seen by libibverbs. */
struct prxe_device {
	struct verbs_device vdev;
};

/* One open device context (ibv_open_device). */
struct prxe_context {
	struct verbs_context vctx;
	uint32_t abi_version;	/* from the ALLOC_UCONTEXT response */
};

/* A completion queue: the kernel produces CQEs, poll_cq consumes them. */
struct prxe_cq {
	struct verbs_cq vcq;
	struct prxe_uring ring;		/* of struct prxe_cqe */
	pthread_spinlock_t lock;	/* the consumer side */
	/*
	 * Extended polling, between ibv_start_poll() and ibv_end_poll()
	 * (lock held): the CQE read last and the consumer index after it.
	 */
	const struct prxe_cqe *cur;
	uint32_t poll_next;
};

/* A work queue of a QP: the provider produces WQEs, the kernel consumes. */
struct prxe_wq {
	struct prxe_uring ring;		/* hdr NULL: the QP has no such queue */
	pthread_spinlock_t lock;	/* the producer side */
	uint32_t max_wr;		/* entries allowed in the ring at once */
	uint32_t max_sge;
	uint32_t max_inline;		/* send queue: bytes of inline data */
};

/* A queue pair. */
struct prxe_qp {
	struct verbs_qp vqp;
	struct prxe_wq sq;		/* of struct prxe_send_wqe + data */
	struct prxe_wq rq;		/* of struct prxe_recv_wqe + SGEs */
	/*
	 * The ibv_wr_*() batch between ibv_wr_start() and
	 * ibv_wr_complete() / ibv_wr_abort() (sq.lock held): the WQE the last
	 * builder started, the producer index after it, and the first error.
	 */
	struct prxe_send_wqe *wr_cur;
	uint32_t wr_producer;
	int wr_err;
};

/* A shared receive queue: the provider produces WQEs, QPs take them. */
struct prxe_srq {
	struct ibv_srq ibv_srq;
	struct prxe_wq rq;		/* of struct prxe_recv_wqe + SGEs */
};

/* An address handle, named in UD send WQEs by the kernel's number. */
struct prxe_ah {
	struct ibv_ah ibv_ah;
	uint32_t ah_num;		/* struct prxe_create_ah_resp */
};

static inline struct prxe_device *to_prxe_dev(struct ibv_device *ibdev)
{
	return prxe_container_of(ibdev, struct prxe_device, vdev.device);
}

static inline struct prxe_context *to_prxe_ctx(struct ibv_context *ibctx)
{
	return prxe_container_of(ibctx, struct prxe_context, vctx.context);
}

static inline struct prxe_cq *to_prxe_cq(struct ibv_cq *ibcq)
{
	return prxe_container_of(ibcq, struct prxe_cq, vcq.cq);
}

static inline struct prxe_cq *to_prxe_cq_ex(struct ibv_cq_ex *ibcq)
{
	return prxe_container_of(ibcq, struct prxe_cq, vcq.cq_ex);
}

static inline struct prxe_qp *to_prxe_qp(struct ibv_qp *ibqp)
{
	return prxe_container_of(ibqp, struct prxe_qp, vqp.qp);
}

static inline struct prxe_qp *to_prxe_qp_ex(struct ibv_qp_ex *ibqp)
{
	return prxe_container_of(ibqp, struct prxe_qp, vqp.qp_ex);
}

static inline struct prxe_srq *to_prxe_srq(struct ibv_srq *ibsrq)
{
	return prxe_container_of(ibsrq, struct prxe_srq, ibv_srq);
}

static inline struct prxe_ah *to_prxe_ah(struct ibv_ah *ibah)
{
	return prxe_container_of(ibah, struct prxe_ah, ibv_ah);
}

/*
 * Map the ring the kernel described in @map (entries at least
 * @min_entry_size bytes) into @ring.  0 or an errno.
 */
int prxe_map_ring(struct ibv_context *ibctx, const struct prxe_ring_map *map,
		  size_t min_entry_size, struct prxe_uring *ring);
void prxe_unmap_ring(struct prxe_uring *ring);

/* verbs.c: control path. */
int prxe_query_device_ex(struct ibv_context *ibctx,
			 const struct ibv_query_device_ex_input *input,
			 struct ibv_device_attr_ex *attr, size_t attr_size);
int prxe_query_port(struct ibv_context *ibctx, uint8_t port_num,
		    struct ibv_port_attr *port_attr);
struct ibv_pd *prxe_alloc_pd(struct ibv_context *ibctx);
int prxe_dealloc_pd(struct ibv_pd *pd);
struct ibv_mr *prxe_reg_mr(struct ibv_pd *pd, void *addr, size_t length,
			   uint64_t hca_va, int access);
int prxe_dereg_mr(struct verbs_mr *vmr);
struct ibv_ah *prxe_create_ah(struct ibv_pd *pd, struct ibv_ah_attr *attr);
int prxe_destroy_ah(struct ibv_ah *ah);

/* cq.c */
struct ibv_cq *prxe_create_cq(struct ibv_context *ibctx, int cqe,
			      struct ibv_comp_channel *channel,
			      int comp_vector);
struct ibv_cq_ex *prxe_create_cq_ex(struct ibv_context *ibctx,
				    struct ibv_cq_init_attr_ex *attr);
int prxe_destroy_cq(struct ibv_cq *ibcq);
int prxe_poll_cq(struct ibv_cq *ibcq, int num_entries, struct ibv_wc *wc);
int prxe_req_notify_cq(struct ibv_cq *ibcq, int solicited_only);

/* qp.c */
struct ibv_qp *prxe_create_qp(struct ibv_pd *pd, struct ibv_qp_init_attr *attr);
struct ibv_qp *prxe_create_qp_ex(struct ibv_context *ibctx,
				 struct ibv_qp_init_attr_ex *attr);
int prxe_modify_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr,
		   int attr_mask);
int prxe_query_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr,
		  int attr_mask, struct ibv_qp_init_attr *init_attr);
int prxe_destroy_qp(struct ibv_qp *ibqp);
int prxe_post_send(struct ibv_qp *ibqp, struct ibv_send_wr *wr,
		   struct ibv_send_wr **bad_wr);
int prxe_post_recv(struct ibv_qp *ibqp, struct ibv_recv_wr *wr,
		   struct ibv_recv_wr **bad_wr);

/* qp.c, for qp_ex.c: the send queue both posting APIs write. */
bool prxe_qp_can_send(const struct prxe_qp *qp);
bool prxe_sq_has_room(struct prxe_qp *qp, uint32_t producer);
int prxe_send_opcode(const struct prxe_qp *qp, enum ibv_wr_opcode opcode,
		     uint32_t *wqe_opcode);
int prxe_ring_send_doorbell(struct prxe_qp *qp);

/*
 * WQE opcodes of FLUSH and ATOMIC WRITE: IB_UVERBS_WR_FLUSH and
 * IB_UVERBS_WR_ATOMIC_WRITE, equal to IBV_WR_FLUSH / IBV_WR_ATOMIC_WRITE
 * (asserted in qp.c where the headers name them: rdma-core 44 has no
 * IBV_WR_FLUSH, Linux 6.1's uapi neither IB_UVERBS_WR_* of the two).
 */
#define PRXE_WQE_OP_FLUSH		14
#define PRXE_WQE_OP_ATOMIC_WRITE	15

static inline struct prxe_sge *prxe_send_wqe_sge(struct prxe_send_wqe *wqe)
{
	return (struct prxe_sge *)(wqe + 1);
}

static inline uint8_t *prxe_send_wqe_inline(struct prxe_send_wqe *wqe)
{
	return (uint8_t *)(wqe + 1);
}

/* A receive work request into its ring entry (receive queue or SRQ). */
static inline void prxe_write_recv_wqe(struct prxe_recv_wqe *wqe,
				       const struct ibv_recv_wr *wr)
{
	wqe->wr_id = wr->wr_id;
	wqe->num_sge = wr->num_sge;
	wqe->reserved = 0;
	if (wr->num_sge)
		memcpy(wqe + 1, wr->sg_list,
		       (size_t)wr->num_sge * sizeof(struct prxe_sge));
}

/* srq.c */
struct ibv_srq *prxe_create_srq(struct ibv_pd *pd,
				struct ibv_srq_init_attr *attr);
int prxe_modify_srq(struct ibv_srq *ibsrq, struct ibv_srq_attr *attr,
		    int attr_mask);
int prxe_query_srq(struct ibv_srq *ibsrq, struct ibv_srq_attr *attr);
int prxe_destroy_srq(struct ibv_srq *ibsrq);
int prxe_post_srq_recv(struct ibv_srq *ibsrq, struct ibv_recv_wr *wr,
		       struct ibv_recv_wr **bad_wr);

/* qp_ex.c */
void prxe_qp_ex_init(struct prxe_qp *qp, uint64_t send_ops_flags);
uint64_t prxe_supported_send_ops(enum ibv_qp_type qp_type);

#endif /* PRXE_PROVIDER_H */
