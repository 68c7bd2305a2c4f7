// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe libibverbs provider: the extended send API (ibv_wr_start, the
 * ibv_wr_<operation>() builders and ibv_wr_set_*() setters,
 * ibv_wr_complete / ibv_wr_abort) of QPs created with
 * IBV_QP_INIT_ATTR_SEND_OPS_FLAGS.
 *
 * It writes the same struct prxe_send_wqe entries as ibv_post_send()
 * (qp.c), into the same send ring:
 *  - ibv_wr_start() takes the send queue lock and notes the producer index;
 *  - each builder starts a WQE at the next index (wr_id and wr_flags from
 *    struct ibv_qp_ex), the setters that follow fill in its data (SGEs or
 *    inline bytes) or, on UD, its destination;
 *  - ibv_wr_complete() publishes the producer index, drops the lock and
 *    rings the doorbell (a POST_SEND command with no work requests);
 *  - ibv_wr_abort() drops the lock: nothing written is published.
 *
 * Builders and setters cannot fail; the first error (queue full: ENOMEM;
 * bad argument: EINVAL) is kept, the rest of the batch ignored, and
 * ibv_wr_complete() returns it having posted nothing of the batch.
 *
 * Arguments refused with EINVAL:
 *  - ibv_wr_flush() (rdma-core 45 and later): a length over 2^31 (the
 *    most a RETH may ask for), a range whose end wraps past 2^64, a
 *    placement type with no known bit (IBV_FLUSH_GLOBAL,
 *    IBV_FLUSH_PERSISTENT) or with any other bit, a selectivity level
 *    other than IBV_FLUSH_RANGE and IBV_FLUSH_MR.  The checks apply to
 *    both levels: the responder ignores the range of an IBV_FLUSH_MR
 *    flush, the completion still reports the length as byte_len.
 *  - ibv_wr_set_sge*() and ibv_wr_set_inline_data*() after
 *    ibv_wr_flush() or ibv_wr_atomic_write(): neither carries local data
 *    (ibv_wr_atomic_write() copies its 8 bytes into the work request).
 */
#include <errno.h>
#include <string.h>

#include "prxe.h"

static void prxe_wr_start(struct ibv_qp_ex *ibqp)
{
	struct prxe_qp *qp = to_prxe_qp_ex(ibqp);

	pthread_spin_lock(&qp->sq.lock);
	qp->wr_producer = prxe_uring_producer(&qp->sq.ring);
	qp->wr_cur = NULL;
	qp->wr_err = prxe_qp_can_send(qp) ? 0 : EINVAL;
}

static int prxe_wr_complete(struct ibv_qp_ex *ibqp)
{
	struct prxe_qp *qp = to_prxe_qp_ex(ibqp);
	int ret = qp->wr_err;
	bool posted;

	/* Nothing was published since ibv_wr_start(): we hold the lock. */
	posted = !ret &&
		 qp->wr_producer != prxe_uring_producer(&qp->sq.ring);
	if (posted)
		prxe_uring_publish_producer(&qp->sq.ring, qp->wr_producer);
	qp->wr_cur = NULL;
	pthread_spin_unlock(&qp->sq.lock);

	if (posted)
		ret = prxe_ring_send_doorbell(qp);
	return ret;
}

static void prxe_wr_abort(struct ibv_qp_ex *ibqp)
{
	struct prxe_qp *qp = to_prxe_qp_ex(ibqp);

	qp->wr_cur = NULL;
	pthread_spin_unlock(&qp->sq.lock);
}

static void prxe_wr_fail(struct prxe_qp *qp, int err)
{
	if (!qp->wr_err)
		qp->wr_err = err;
	qp->wr_cur = NULL;
}

/* A builder's new WQE, or NULL if the batch has failed. */
static struct prxe_send_wqe *prxe_wr_new(struct ibv_qp_ex *ibqp,
					 enum ibv_wr_opcode opcode)
{
	struct prxe_qp *qp = to_prxe_qp_ex(ibqp);
	struct prxe_send_wqe *wqe;

	if (qp->wr_err)
		return NULL;
	if (!prxe_sq_has_room(qp, qp->wr_producer)) {
		prxe_wr_fail(qp, ENOMEM);
		return NULL;
	}

	wqe = prxe_uring_entry(&qp->sq.ring, qp->wr_producer++);
	memset(wqe, 0, sizeof(*wqe));
	wqe->wr_id = ibqp->wr_id;
	wqe->opcode = opcode;	/* the IB_UVERBS_WR_* value (qp.c) */
	/* Inline data is chosen by the setter, not by the flag. */
	wqe->send_flags = ibqp->wr_flags & ~(unsigned int)IBV_SEND_INLINE;
	qp->wr_cur = wqe;
	return wqe;
}

/* The WQE a setter applies to, or NULL if the batch has failed. */
static struct prxe_send_wqe *prxe_wr_cur(struct prxe_qp *qp)
{
	if (qp->wr_err)
		return NULL;
	if (!qp->wr_cur)
		prxe_wr_fail(qp, EINVAL);	/* setter before any builder */
	return qp->wr_cur;
}

/* --- builders ---------------------------------------------------------- */

static void prxe_wr_send(struct ibv_qp_ex *ibqp)
{
	prxe_wr_new(ibqp, IBV_WR_SEND);
}

static void prxe_wr_send_imm(struct ibv_qp_ex *ibqp, __be32 imm_data)
{
	struct prxe_send_wqe *wqe = prxe_wr_new(ibqp, IBV_WR_SEND_WITH_IMM);

	if (wqe)
		wqe->ex.imm_data = imm_data;
}

static void prxe_wr_rdma(struct ibv_qp_ex *ibqp, enum ibv_wr_opcode opcode,
			 uint32_t rkey, uint64_t remote_addr, __be32 imm_data)
{
	struct prxe_send_wqe *wqe = prxe_wr_new(ibqp, opcode);

	if (!wqe)
		return;
	wqe->wr.rdma.remote_addr = remote_addr;
	wqe->wr.rdma.rkey = rkey;
	if (opcode == IBV_WR_RDMA_WRITE_WITH_IMM)
		wqe->ex.imm_data = imm_data;
}

static void prxe_wr_rdma_write(struct ibv_qp_ex *ibqp, uint32_t rkey,
			       uint64_t remote_addr)
{
	prxe_wr_rdma(ibqp, IBV_WR_RDMA_WRITE, rkey, remote_addr, 0);
}

static void prxe_wr_rdma_write_imm(struct ibv_qp_ex *ibqp, uint32_t rkey,
				   uint64_t remote_addr, __be32 imm_data)
{
	prxe_wr_rdma(ibqp, IBV_WR_RDMA_WRITE_WITH_IMM, rkey, remote_addr,
		     imm_data);
}

static void prxe_wr_rdma_read(struct ibv_qp_ex *ibqp, uint32_t rkey,
			      uint64_t remote_addr)
{
	prxe_wr_rdma(ibqp, IBV_WR_RDMA_READ, rkey, remote_addr, 0);
}

static void prxe_wr_atomic(struct ibv_qp_ex *ibqp, enum ibv_wr_opcode opcode,
			   uint32_t rkey, uint64_t remote_addr,
			   uint64_t compare_add, uint64_t swap)
{
	struct prxe_send_wqe *wqe = prxe_wr_new(ibqp, opcode);

	if (!wqe)
		return;
	wqe->wr.atomic.remote_addr = remote_addr;
	wqe->wr.atomic.compare_add = compare_add;
	wqe->wr.atomic.swap = swap;
	wqe->wr.atomic.rkey = rkey;
}

static void prxe_wr_atomic_cmp_swp(struct ibv_qp_ex *ibqp, uint32_t rkey,
				   uint64_t remote_addr, uint64_t compare,
				   uint64_t swap)
{
	prxe_wr_atomic(ibqp, IBV_WR_ATOMIC_CMP_AND_SWP, rkey, remote_addr,
		       compare, swap);
}

static void prxe_wr_atomic_fetch_add(struct ibv_qp_ex *ibqp, uint32_t rkey,
				     uint64_t remote_addr, uint64_t add)
{
	prxe_wr_atomic(ibqp, IBV_WR_ATOMIC_FETCH_AND_ADD, rkey, remote_addr,
		       add, 0);
}

/*
 * ATOMIC WRITE: the 8 bytes at @atomic_wr, copied now, land at the
 * responder's @remote_addr as they are (no byte order); the completion's
 * byte_len is 8.
 */
static void prxe_wr_atomic_write(struct ibv_qp_ex *ibqp, uint32_t rkey,
				 uint64_t remote_addr, const void *atomic_wr)
{
	struct prxe_send_wqe *wqe = prxe_wr_new(ibqp, IBV_WR_ATOMIC_WRITE);

	if (!wqe)
		return;
	wqe->wr.atomic_write.remote_addr = remote_addr;
	memcpy(wqe->wr.atomic_write.data, atomic_wr,
	       sizeof(wqe->wr.atomic_write.data));
	wqe->wr.atomic_write.rkey = rkey;
}

#if PRXE_RDMA_CORE_MAJOR >= 45
static_assert((int)IBV_FLUSH_GLOBAL == (int)PRXE_FLUSH_GLOBAL &&
	      (int)IBV_FLUSH_PERSISTENT == (int)PRXE_FLUSH_PERSISTENT &&
	      (int)IBV_FLUSH_RANGE == (int)PRXE_FLUSH_RANGE &&
	      (int)IBV_FLUSH_MR == (int)PRXE_FLUSH_MR,
	      "the WQE carries libibverbs' placement types and levels");

/* The most a RETH's DMA length may be (IBTA: 2^31). */
#define PRXE_FLUSH_MAX_LEN	(1ULL << 31)

static bool prxe_flush_args_ok(uint64_t remote_addr, size_t len,
			       uint8_t type, uint8_t level)
{
	const uint8_t known = PRXE_FLUSH_GLOBAL | PRXE_FLUSH_PERSISTENT;

	if ((uint64_t)len > PRXE_FLUSH_MAX_LEN ||
	    remote_addr + (uint64_t)len < remote_addr)
		return false;
	if (!(type & known) || (type & ~known))
		return false;
	return level == PRXE_FLUSH_RANGE || level == PRXE_FLUSH_MR;
}

/*
 * FLUSH of @len bytes at @remote_addr (the whole region with
 * IBV_FLUSH_MR); the completion's byte_len is @len.
 */
static void prxe_wr_flush(struct ibv_qp_ex *ibqp, uint32_t rkey,
			  uint64_t remote_addr, size_t len, uint8_t type,
			  uint8_t level)
{
	struct prxe_qp *qp = to_prxe_qp_ex(ibqp);
	struct prxe_send_wqe *wqe;

	if (!qp->wr_err && !prxe_flush_args_ok(remote_addr, len, type, level)) {
		prxe_wr_fail(qp, EINVAL);
		return;
	}
	wqe = prxe_wr_new(ibqp, IBV_WR_FLUSH);
	if (!wqe)
		return;
	wqe->wr.flush.remote_addr = remote_addr;
	wqe->wr.flush.length = len;
	wqe->wr.flush.rkey = rkey;
	wqe->wr.flush.type = type;
	wqe->wr.flush.level = level;
}
#endif

/* --- setters ----------------------------------------------------------- */

/* FLUSH and ATOMIC WRITE take no SGEs and no inline data. */
static bool prxe_wqe_has_local_data(const struct prxe_send_wqe *wqe)
{
	return wqe->opcode != PRXE_WQE_OP_FLUSH &&
	       wqe->opcode != PRXE_WQE_OP_ATOMIC_WRITE;
}

static void prxe_wr_set_sge_list(struct ibv_qp_ex *ibqp, size_t num_sge,
				 const struct ibv_sge *sg_list)
{
	struct prxe_qp *qp = to_prxe_qp_ex(ibqp);
	struct prxe_send_wqe *wqe = prxe_wr_cur(qp);

	if (!wqe)
		return;
	if (num_sge > qp->sq.max_sge || !prxe_wqe_has_local_data(wqe)) {
		prxe_wr_fail(qp, EINVAL);
		return;
	}
	if (num_sge)
		memcpy(prxe_send_wqe_sge(wqe), sg_list,
		       num_sge * sizeof(struct prxe_sge));
	wqe->num_sge = num_sge;
	wqe->inline_len = 0;
	wqe->send_flags &= ~(uint32_t)IBV_SEND_INLINE;
}

static void prxe_wr_set_sge(struct ibv_qp_ex *ibqp, uint32_t lkey,
			    uint64_t addr, uint32_t length)
{
	struct ibv_sge sge = { .addr = addr, .length = length, .lkey = lkey };

	prxe_wr_set_sge_list(ibqp, 1, &sge);
}

/* Inline data: only for the operations that send local data. */
static void prxe_wr_set_inline_data_list(struct ibv_qp_ex *ibqp,
					 size_t num_buf,
					 const struct ibv_data_buf *buf_list)
{
	struct prxe_qp *qp = to_prxe_qp_ex(ibqp);
	struct prxe_send_wqe *wqe = prxe_wr_cur(qp);
	size_t total = 0, i;
	uint8_t *data;

	if (!wqe)
		return;
	switch (wqe->opcode) {
	case IBV_WR_SEND:
	case IBV_WR_SEND_WITH_IMM:
	case IBV_WR_RDMA_WRITE:
	case IBV_WR_RDMA_WRITE_WITH_IMM:
		break;
	default:
		prxe_wr_fail(qp, EINVAL);
		return;
	}

	for (i = 0; i < num_buf; i++) {
		if (buf_list[i].length > qp->sq.max_inline - total) {
			prxe_wr_fail(qp, EINVAL);
			return;
		}
		total += buf_list[i].length;
	}

	data = prxe_send_wqe_inline(wqe);
	for (i = 0; i < num_buf; i++) {
		memcpy(data, buf_list[i].addr, buf_list[i].length);
		data += buf_list[i].length;
	}
	wqe->inline_len = total;
	wqe->num_sge = 0;
	wqe->send_flags |= IBV_SEND_INLINE;
}

static void prxe_wr_set_inline_data(struct ibv_qp_ex *ibqp, void *addr,
				    size_t length)
{
	struct ibv_data_buf buf = { .addr = addr, .length = length };

	prxe_wr_set_inline_data_list(ibqp, 1, &buf);
}

static void prxe_wr_set_ud_addr(struct ibv_qp_ex *ibqp, struct ibv_ah *ah,
				uint32_t remote_qpn, uint32_t remote_qkey)
{
	struct prxe_qp *qp = to_prxe_qp_ex(ibqp);
	struct prxe_send_wqe *wqe = prxe_wr_cur(qp);

	if (!wqe)
		return;
	if (!ah) {
		prxe_wr_fail(qp, EINVAL);
		return;
	}
	wqe->wr.ud.ah_num = to_prxe_ah(ah)->ah_num;
	wqe->wr.ud.remote_qpn = remote_qpn;
	wqe->wr.ud.remote_qkey = remote_qkey;
}

/*
 * Install the builders the application asked for (send_ops_flags, already
 * checked against prxe_supported_send_ops()) and the setters of the QP type.
 */
void prxe_qp_ex_init(struct prxe_qp *qp, uint64_t send_ops_flags)
{
	struct ibv_qp_ex *qpx = &qp->vqp.qp_ex;

	if (send_ops_flags & IBV_QP_EX_WITH_SEND)
		qpx->wr_send = prxe_wr_send;
	if (send_ops_flags & IBV_QP_EX_WITH_SEND_WITH_IMM)
		qpx->wr_send_imm = prxe_wr_send_imm;
	if (send_ops_flags & IBV_QP_EX_WITH_RDMA_WRITE)
		qpx->wr_rdma_write = prxe_wr_rdma_write;
	if (send_ops_flags & IBV_QP_EX_WITH_RDMA_WRITE_WITH_IMM)
		qpx->wr_rdma_write_imm = prxe_wr_rdma_write_imm;
	if (send_ops_flags & IBV_QP_EX_WITH_RDMA_READ)
		qpx->wr_rdma_read = prxe_wr_rdma_read;
	if (send_ops_flags & IBV_QP_EX_WITH_ATOMIC_CMP_AND_SWP)
		qpx->wr_atomic_cmp_swp = prxe_wr_atomic_cmp_swp;
	if (send_ops_flags & IBV_QP_EX_WITH_ATOMIC_FETCH_AND_ADD)
		qpx->wr_atomic_fetch_add = prxe_wr_atomic_fetch_add;
	if (send_ops_flags & IBV_QP_EX_WITH_ATOMIC_WRITE)
		qpx->wr_atomic_write = prxe_wr_atomic_write;
#if PRXE_RDMA_CORE_MAJOR >= 45
	if (send_ops_flags & IBV_QP_EX_WITH_FLUSH)
		qpx->wr_flush = prxe_wr_flush;
#endif

	qpx->wr_set_sge = prxe_wr_set_sge;
	qpx->wr_set_sge_list = prxe_wr_set_sge_list;
	qpx->wr_set_inline_data = prxe_wr_set_inline_data;
	qpx->wr_set_inline_data_list = prxe_wr_set_inline_data_list;
	if (qp->vqp.qp.qp_type == IBV_QPT_UD)
		qpx->wr_set_ud_addr = prxe_wr_set_ud_addr;

	qpx->wr_start = prxe_wr_start;
	qpx->wr_complete = prxe_wr_complete;
	qpx->wr_abort = prxe_wr_abort;
}
