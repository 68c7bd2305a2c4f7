// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe libibverbs provider: queue pairs and the classic posting verbs.
 *
 * CREATE_QP (the extended command, for ibv_create_qp and ibv_create_qp_ex
 * alike) answers with the capabilities the kernel granted, which libibverbs
 * copies into the caller's attr->cap, and with the send and receive rings
 * (struct prxe_create_qp_resp), which the provider maps.
 *
 * ibv_post_send() writes one struct prxe_send_wqe (+ SGEs or inline data)
 * per work request into the send ring, publishes the producer index once,
 * and rings the doorbell: a POST_SEND write command with no work requests,
 * once per call, after dropping the lock.  ibv_post_recv() writes struct
 * prxe_recv_wqe (+ SGEs) into the receive ring and publishes; the kernel
 * reads the receive ring when a message arrives, so there is no doorbell
 * (except in ERR, where receives are flushed instead).
 *
 * Both stop at the first work request they cannot post, set *bad_wr to it
 * and return EINVAL (bad request) or ENOMEM (queue full); the requests
 * before it are posted.  IBV_WR_ATOMIC_WRITE and IBV_WR_FLUSH are bad
 * requests for ibv_post_send(): struct ibv_send_wr cannot carry their
 * parameters (the ibv_wr_* API can: qp_ex.c).
 *
 * Send operations by QP type (ibv_create_qp_ex() send_ops_flags, and
 * ibv_post_send() opcodes): RC all of SEND(_WITH_IMM), RDMA_WRITE(_WITH_IMM),
 * RDMA_READ, both atomics, ATOMIC_WRITE and (rdma-core 45 and later) FLUSH;
 * UD SEND(_WITH_IMM).  Asking for others at creation is EOPNOTSUPP.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "prxe.h"

/* Extended CREATE_QP response: the core part, then prxe's. */
struct prxe_create_qp_resp_buf {
	struct ib_uverbs_ex_create_qp_resp ibv_resp;
	struct prxe_create_qp_resp drv;
};
static_assert(sizeof(struct prxe_create_qp_resp_buf) ==
	      sizeof(struct ib_uverbs_ex_create_qp_resp) +
	      sizeof(struct prxe_create_qp_resp),
	      "CREATE_QP response has no padding");

static_assert(sizeof(struct prxe_send_wqe) == 64 &&
	      sizeof(struct prxe_recv_wqe) == 16 &&
	      sizeof(struct prxe_sge) == 16, "WQE layout");
static_assert(sizeof(struct prxe_sge) == sizeof(struct ibv_sge) &&
	      offsetof(struct prxe_sge, length) ==
	      offsetof(struct ibv_sge, length) &&
	      offsetof(struct prxe_sge, lkey) == offsetof(struct ibv_sge, lkey),
	      "prxe_sge has the layout of ibv_sge");
/* The WQE carries libibverbs' opcode values unchanged. */
#define PRXE_SAME_OPCODE(op) \
	static_assert((int)IBV_WR_##op == (int)IB_UVERBS_WR_##op, \
		      "IBV_WR_" #op " is IB_UVERBS_WR_" #op)
PRXE_SAME_OPCODE(RDMA_WRITE);
PRXE_SAME_OPCODE(RDMA_WRITE_WITH_IMM);
PRXE_SAME_OPCODE(SEND);
PRXE_SAME_OPCODE(SEND_WITH_IMM);
PRXE_SAME_OPCODE(RDMA_READ);
PRXE_SAME_OPCODE(ATOMIC_CMP_AND_SWP);
PRXE_SAME_OPCODE(ATOMIC_FETCH_AND_ADD);
static_assert((int)IBV_WR_ATOMIC_WRITE == PRXE_WQE_OP_ATOMIC_WRITE,
	      "IBV_WR_ATOMIC_WRITE is the WQE's");
#if PRXE_RDMA_CORE_MAJOR >= 45
static_assert((int)IBV_WR_FLUSH == PRXE_WQE_OP_FLUSH, "IBV_WR_FLUSH is the WQE's");
#endif
#ifdef PRXE_HAVE_UAPI_FLUSH	/* Linux 6.2 and later uapi headers */
PRXE_SAME_OPCODE(ATOMIC_WRITE);
static_assert((int)IB_UVERBS_WR_FLUSH == PRXE_WQE_OP_FLUSH,
	      "IB_UVERBS_WR_FLUSH is the WQE's");
#endif

/* --- creation and control --------------------------------------------- */

static int prxe_check_qp_init_attr(const struct ibv_qp_init_attr_ex *attr)
{
	const uint32_t comp_mask = IBV_QP_INIT_ATTR_PD |
				   IBV_QP_INIT_ATTR_CREATE_FLAGS |
				   IBV_QP_INIT_ATTR_SEND_OPS_FLAGS;

	if (attr->qp_type != IBV_QPT_RC && attr->qp_type != IBV_QPT_UD)
		return EOPNOTSUPP;
	if (attr->comp_mask & ~comp_mask)
		return EOPNOTSUPP;
	if ((attr->comp_mask & IBV_QP_INIT_ATTR_CREATE_FLAGS) &&
	    attr->create_flags)
		return EOPNOTSUPP;
	if ((attr->comp_mask & IBV_QP_INIT_ATTR_SEND_OPS_FLAGS) &&
	    (attr->send_ops_flags & ~prxe_supported_send_ops(attr->qp_type)))
		return EOPNOTSUPP;
	return 0;
}

static uint32_t prxe_min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/*
 * Map one work queue.  The entries must hold what the kernel granted
 * (@max_sge SGEs, or @max_inline bytes on the send queue), and the queue
 * never holds more than @max_wr entries, however large the ring.
 */
static int prxe_wq_map(struct ibv_context *ibctx, struct prxe_wq *wq,
		       const struct prxe_ring_map *map, size_t wqe_size,
		       uint32_t max_wr, uint32_t max_sge, uint32_t max_inline)
{
	size_t data = (size_t)max_sge * sizeof(struct prxe_sge);
	int ret;

	if (max_inline > data)
		data = max_inline;
	ret = prxe_map_ring(ibctx, map, wqe_size + data, &wq->ring);
	if (ret)
		return ret;
	wq->max_wr = prxe_min_u32(max_wr, map->num_entries);
	wq->max_sge = max_sge;
	wq->max_inline = max_inline;
	pthread_spin_init(&wq->lock, PTHREAD_PROCESS_PRIVATE);
	return 0;
}

static bool prxe_ring_map_is_empty(const struct prxe_ring_map *map)
{
	return !map->mmap_offset && !map->map_size && !map->num_entries &&
	       !map->entry_size;
}

/* Map the rings of a QP the kernel has just created. */
static int prxe_qp_map(struct ibv_context *ibctx, struct prxe_qp *qp,
		       const struct ibv_qp_cap *cap,
		       const struct prxe_create_qp_resp *resp)
{
	int ret;

	ret = prxe_wq_map(ibctx, &qp->sq, &resp->sq,
			  sizeof(struct prxe_send_wqe), cap->max_send_wr,
			  cap->max_send_sge, cap->max_inline_data);
	if (ret)
		return ret;

	/* No receive queue of its own (SRQ): nothing to map. */
	if (prxe_ring_map_is_empty(&resp->rq))
		return 0;
	ret = prxe_wq_map(ibctx, &qp->rq, &resp->rq,
			  sizeof(struct prxe_recv_wqe), cap->max_recv_wr,
			  cap->max_recv_sge, 0);
	if (ret) {
		prxe_unmap_ring(&qp->sq.ring);
		pthread_spin_destroy(&qp->sq.lock);
	}
	return ret;
}

static struct prxe_qp *prxe_create_qp_common(struct ibv_context *ibctx,
					     struct ibv_qp_init_attr_ex *attr)
{
	struct prxe_create_qp_resp_buf resp;
	struct ibv_create_qp_ex cmd;
	struct prxe_qp *qp;
	int ret;

	ret = prxe_check_qp_init_attr(attr);
	if (ret) {
		errno = ret;
		return NULL;
	}

	qp = calloc(1, sizeof(*qp));
	if (!qp)
		return NULL;

	memset(&cmd, 0, sizeof(cmd));
	memset(&resp, 0, sizeof(resp));
	/* On success attr->cap holds what the kernel granted. */
	ret = ibv_cmd_create_qp_ex2(ibctx, &qp->vqp, attr, &cmd, sizeof(cmd),
				    &resp.ibv_resp, sizeof(resp));
	if (ret)
		goto err_free;

	ret = prxe_qp_map(ibctx, qp, &attr->cap, &resp.drv);
	if (ret)
		goto err_destroy;

	if (attr->comp_mask & IBV_QP_INIT_ATTR_SEND_OPS_FLAGS) {
		prxe_qp_ex_init(qp, attr->send_ops_flags);
		qp->vqp.comp_mask |= VERBS_QP_EX;
	}
	return qp;

err_destroy:
	ibv_cmd_destroy_qp(&qp->vqp.qp);
err_free:
	free(qp);
	errno = ret;
	return NULL;
}

struct ibv_qp *prxe_create_qp_ex(struct ibv_context *ibctx,
				 struct ibv_qp_init_attr_ex *attr)
{
	struct prxe_qp *qp = prxe_create_qp_common(ibctx, attr);

	return qp ? &qp->vqp.qp : NULL;
}

struct ibv_qp *prxe_create_qp(struct ibv_pd *pd, struct ibv_qp_init_attr *attr)
{
	struct ibv_qp_init_attr_ex attr_ex;
	struct prxe_qp *qp;

	memset(&attr_ex, 0, sizeof(attr_ex));
	attr_ex.qp_context = attr->qp_context;
	attr_ex.send_cq = attr->send_cq;
	attr_ex.recv_cq = attr->recv_cq;
	attr_ex.srq = attr->srq;
	attr_ex.cap = attr->cap;
	attr_ex.qp_type = attr->qp_type;
	attr_ex.sq_sig_all = attr->sq_sig_all;
	attr_ex.comp_mask = IBV_QP_INIT_ATTR_PD;
	attr_ex.pd = pd;

	qp = prxe_create_qp_common(pd->context, &attr_ex);
	if (!qp)
		return NULL;
	attr->cap = attr_ex.cap;
	return &qp->vqp.qp;
}

/*
 * The kernel empties the rings on the transition to RESET (both indices
 * back to 0); the provider reads its own index from the ring, so it needs
 * to do nothing here.
 */
int prxe_modify_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr,
		   int attr_mask)
{
	struct ibv_modify_qp cmd;

	memset(&cmd, 0, sizeof(cmd));
	return ibv_cmd_modify_qp(ibqp, attr, attr_mask, &cmd, sizeof(cmd));
}

int prxe_query_qp(struct ibv_qp *ibqp, struct ibv_qp_attr *attr,
		  int attr_mask, struct ibv_qp_init_attr *init_attr)
{
	struct ibv_query_qp cmd;

	memset(&cmd, 0, sizeof(cmd));
	return ibv_cmd_query_qp(ibqp, attr, attr_mask, init_attr,
				&cmd, sizeof(cmd));
}

int prxe_destroy_qp(struct ibv_qp *ibqp)
{
	struct prxe_qp *qp = to_prxe_qp(ibqp);
	int ret;

	ret = ibv_cmd_destroy_qp(ibqp);
	if (ret)
		return ret;

	prxe_unmap_ring(&qp->sq.ring);
	pthread_spin_destroy(&qp->sq.lock);
	if (qp->rq.ring.hdr) {
		prxe_unmap_ring(&qp->rq.ring);
		pthread_spin_destroy(&qp->rq.lock);
	}
	free(qp);
	return 0;
}

/* --- the send queue, shared with qp_ex.c ------------------------------ */

/*
 * Posting sends is an immediate error in RESET, INIT and RTR (IBTA
 * 10.8.2); in SQD the requests wait, in SQE and ERR they are flushed.
 * qp->state is what libibverbs recorded at the last ibv_modify_qp().
 */
bool prxe_qp_can_send(const struct prxe_qp *qp)
{
	switch (qp->vqp.qp.state) {
	case IBV_QPS_RESET:
	case IBV_QPS_INIT:
	case IBV_QPS_RTR:
		return false;
	default:
		return true;
	}
}

static bool prxe_wq_has_room(struct prxe_wq *wq, uint32_t producer)
{
	return prxe_uring_used(&wq->ring, producer) < wq->max_wr;
}

bool prxe_sq_has_room(struct prxe_qp *qp, uint32_t producer)
{
	return prxe_wq_has_room(&qp->sq, producer);
}

/* Work requests by QP type. */
uint64_t prxe_supported_send_ops(enum ibv_qp_type qp_type)
{
	switch (qp_type) {
	case IBV_QPT_RC:
		return IBV_QP_EX_WITH_SEND | IBV_QP_EX_WITH_SEND_WITH_IMM |
		       IBV_QP_EX_WITH_RDMA_WRITE |
		       IBV_QP_EX_WITH_RDMA_WRITE_WITH_IMM |
		       IBV_QP_EX_WITH_RDMA_READ |
		       IBV_QP_EX_WITH_ATOMIC_CMP_AND_SWP |
		       IBV_QP_EX_WITH_ATOMIC_FETCH_AND_ADD |
#if PRXE_RDMA_CORE_MAJOR >= 45
		       IBV_QP_EX_WITH_FLUSH |
#endif
		       IBV_QP_EX_WITH_ATOMIC_WRITE;
	case IBV_QPT_UD:
		return IBV_QP_EX_WITH_SEND | IBV_QP_EX_WITH_SEND_WITH_IMM;
	default:
		return 0;
	}
}

/*
 * The WQE opcode of @opcode on this QP, or EINVAL if it cannot post it.
 * ATOMIC WRITE and FLUSH are refused here: struct ibv_send_wr has no
 * field for their parameters (the 8 bytes; the length, placement type and
 * level), so only ibv_wr_atomic_write() / ibv_wr_flush() can post them.
 */
int prxe_send_opcode(const struct prxe_qp *qp, enum ibv_wr_opcode opcode,
		     uint32_t *wqe_opcode)
{
	uint64_t op;

	switch (opcode) {
	case IBV_WR_SEND:
		op = IBV_QP_EX_WITH_SEND;
		break;
	case IBV_WR_SEND_WITH_IMM:
		op = IBV_QP_EX_WITH_SEND_WITH_IMM;
		break;
	case IBV_WR_RDMA_WRITE:
		op = IBV_QP_EX_WITH_RDMA_WRITE;
		break;
	case IBV_WR_RDMA_WRITE_WITH_IMM:
		op = IBV_QP_EX_WITH_RDMA_WRITE_WITH_IMM;
		break;
	case IBV_WR_RDMA_READ:
		op = IBV_QP_EX_WITH_RDMA_READ;
		break;
	case IBV_WR_ATOMIC_CMP_AND_SWP:
		op = IBV_QP_EX_WITH_ATOMIC_CMP_AND_SWP;
		break;
	case IBV_WR_ATOMIC_FETCH_AND_ADD:
		op = IBV_QP_EX_WITH_ATOMIC_FETCH_AND_ADD;
		break;
	default:	/* ATOMIC_WRITE, FLUSH (see above) and the rest */
		return EINVAL;
	}
	if (!(prxe_supported_send_ops(qp->vqp.qp.qp_type) & op))
		return EINVAL;
	*wqe_opcode = opcode;	/* same values (asserted above) */
	return 0;
}

/*
 * Doorbells: POST_SEND (or POST_RECV) with no work requests.  ib_uverbs
 * calls prxe.ko's post_send (post_recv) with a NULL list, which makes it
 * look at the ring.  The layout is the kernel's write command: header,
 * then struct ib_uverbs_post_send (or the identical ib_uverbs_post_recv)
 * without its trailing work requests.
 */
struct prxe_doorbell_cmd {
	struct ib_uverbs_cmd_hdr hdr;
	__aligned_u64 response;
	__u32 qp_handle;
	__u32 wr_count;
	__u32 sge_count;
	__u32 wqe_size;
};
#define PRXE_DOORBELL_LAYOUT(kreq) \
	static_assert(sizeof(struct prxe_doorbell_cmd) == \
		      sizeof(struct ib_uverbs_cmd_hdr) + sizeof(struct kreq) && \
		      offsetof(struct prxe_doorbell_cmd, wqe_size) == \
		      sizeof(struct ib_uverbs_cmd_hdr) + \
		      offsetof(struct kreq, wqe_size), #kreq " layout")
PRXE_DOORBELL_LAYOUT(ib_uverbs_post_send);
PRXE_DOORBELL_LAYOUT(ib_uverbs_post_recv);
static_assert(sizeof(struct ib_uverbs_post_send_resp) ==
	      sizeof(struct ib_uverbs_post_recv_resp), "POST_* responses");

static int prxe_doorbell(struct prxe_qp *qp, __u32 command, __u32 wqe_size)
{
	struct ib_uverbs_post_send_resp resp;
	struct prxe_doorbell_cmd cmd;
	ssize_t n;

	memset(&cmd, 0, sizeof(cmd));
	cmd.hdr.command = command;
	cmd.hdr.in_words = sizeof(cmd) / 4;
	cmd.hdr.out_words = sizeof(resp) / 4;
	cmd.response = (uintptr_t)&resp;
	cmd.qp_handle = qp->vqp.qp.handle;
	cmd.wr_count = 0;
	cmd.sge_count = 0;
	/* Checked by the kernel even when no work request follows. */
	cmd.wqe_size = wqe_size;

	n = write(qp->vqp.qp.context->cmd_fd, &cmd, sizeof(cmd));
	if (n == (ssize_t)sizeof(cmd))
		return 0;
	return n < 0 ? errno : EIO;
}

int prxe_ring_send_doorbell(struct prxe_qp *qp)
{
	return prxe_doorbell(qp, IB_USER_VERBS_CMD_POST_SEND,
			     sizeof(struct ib_uverbs_send_wr));
}

/*
 * The receive ring needs no doorbell while the QP works: the kernel reads
 * it when a message arrives.  In ERR nothing arrives, and receives posted
 * then must still complete (flushed), so they are rung for.
 */
static int prxe_ring_recv_doorbell(struct prxe_qp *qp)
{
	return prxe_doorbell(qp, IB_USER_VERBS_CMD_POST_RECV,
			     sizeof(struct ib_uverbs_recv_wr));
}

/* --- ibv_post_send ----------------------------------------------------- */

/* IBV_SEND_INLINE applies to the operations that send local data. */
static bool prxe_opcode_sends_data(enum ibv_wr_opcode opcode)
{
	return opcode == IBV_WR_SEND || opcode == IBV_WR_SEND_WITH_IMM ||
	       opcode == IBV_WR_RDMA_WRITE ||
	       opcode == IBV_WR_RDMA_WRITE_WITH_IMM;
}

/*
 * Check @wr against the QP; on success the WQE opcode, the send flags to
 * write (IBV_SEND_INLINE dropped where it does not apply) and the number
 * of inline bytes.
 */
static int prxe_check_send_wr(const struct prxe_qp *qp,
			      const struct ibv_send_wr *wr, uint32_t *opcode,
			      uint32_t *flags, uint32_t *inline_len)
{
	uint32_t total = 0;
	int ret, i;

	ret = prxe_send_opcode(qp, wr->opcode, opcode);
	if (ret)
		return ret;
	if (wr->num_sge < 0)
		return EINVAL;

	*flags = wr->send_flags;
	if (!prxe_opcode_sends_data(wr->opcode))
		*flags &= ~(uint32_t)IBV_SEND_INLINE;

	if (*flags & IBV_SEND_INLINE) {
		for (i = 0; i < wr->num_sge; i++) {
			if (wr->sg_list[i].length > qp->sq.max_inline - total)
				return EINVAL;
			total += wr->sg_list[i].length;
		}
	} else if ((uint32_t)wr->num_sge > qp->sq.max_sge) {
		return EINVAL;
	}
	if (qp->vqp.qp.qp_type == IBV_QPT_UD && !wr->wr.ud.ah)
		return EINVAL;

	*inline_len = total;
	return 0;
}

static void prxe_write_send_wqe(const struct prxe_qp *qp,
				const struct ibv_send_wr *wr,
				struct prxe_send_wqe *wqe, uint32_t opcode,
				uint32_t flags, uint32_t inline_len)
{
	int i;

	memset(wqe, 0, sizeof(*wqe));
	wqe->wr_id = wr->wr_id;
	wqe->opcode = opcode;
	wqe->send_flags = flags;

	switch (wr->opcode) {
	case IBV_WR_SEND_WITH_IMM:
	case IBV_WR_RDMA_WRITE_WITH_IMM:
		wqe->ex.imm_data = wr->imm_data;
		break;
	default:
		break;
	}

	switch (wr->opcode) {
	case IBV_WR_RDMA_WRITE:
	case IBV_WR_RDMA_WRITE_WITH_IMM:
	case IBV_WR_RDMA_READ:
		wqe->wr.rdma.remote_addr = wr->wr.rdma.remote_addr;
		wqe->wr.rdma.rkey = wr->wr.rdma.rkey;
		break;
	case IBV_WR_ATOMIC_CMP_AND_SWP:
	case IBV_WR_ATOMIC_FETCH_AND_ADD:
		wqe->wr.atomic.remote_addr = wr->wr.atomic.remote_addr;
		wqe->wr.atomic.compare_add = wr->wr.atomic.compare_add;
		wqe->wr.atomic.swap = wr->wr.atomic.swap;
		wqe->wr.atomic.rkey = wr->wr.atomic.rkey;
		break;
	default:
		if (qp->vqp.qp.qp_type == IBV_QPT_UD) {
			wqe->wr.ud.ah_num = to_prxe_ah(wr->wr.ud.ah)->ah_num;
			wqe->wr.ud.remote_qpn = wr->wr.ud.remote_qpn;
			wqe->wr.ud.remote_qkey = wr->wr.ud.remote_qkey;
		}
		break;
	}

	if (flags & IBV_SEND_INLINE) {
		uint8_t *data = prxe_send_wqe_inline(wqe);

		for (i = 0; i < wr->num_sge; i++) {
			memcpy(data, (const void *)(uintptr_t)wr->sg_list[i].addr,
			       wr->sg_list[i].length);
			data += wr->sg_list[i].length;
		}
		wqe->inline_len = inline_len;
		wqe->num_sge = 0;
	} else {
		if (wr->num_sge)
			memcpy(prxe_send_wqe_sge(wqe), wr->sg_list,
			       (size_t)wr->num_sge * sizeof(struct prxe_sge));
		wqe->num_sge = wr->num_sge;
	}
}

int prxe_post_send(struct ibv_qp *ibqp, struct ibv_send_wr *wr,
		   struct ibv_send_wr **bad_wr)
{
	struct prxe_qp *qp = to_prxe_qp(ibqp);
	struct ibv_send_wr *first = wr;
	uint32_t start, producer;
	int ret = 0, db;

	if (!prxe_qp_can_send(qp)) {
		*bad_wr = wr;
		return EINVAL;
	}

	pthread_spin_lock(&qp->sq.lock);
	start = producer = prxe_uring_producer(&qp->sq.ring);
	for (; wr; wr = wr->next) {
		uint32_t opcode, flags, inline_len;

		ret = prxe_check_send_wr(qp, wr, &opcode, &flags, &inline_len);
		if (ret)
			break;
		if (!prxe_wq_has_room(&qp->sq, producer)) {
			ret = ENOMEM;
			break;
		}
		prxe_write_send_wqe(qp, wr,
				    prxe_uring_entry(&qp->sq.ring, producer),
				    opcode, flags, inline_len);
		producer++;
	}
	if (producer != start)
		prxe_uring_publish_producer(&qp->sq.ring, producer);
	pthread_spin_unlock(&qp->sq.lock);

	if (ret)
		*bad_wr = wr;
	if (producer == start)
		return ret;

	/*
	 * The requests are in the ring already; if the doorbell fails (the
	 * device is gone, or the kernel refused), say so on the first one.
	 */
	db = prxe_ring_send_doorbell(qp);
	if (db && !ret) {
		*bad_wr = first;
		ret = db;
	}
	return ret;
}

/* --- ibv_post_recv ----------------------------------------------------- */

int prxe_post_recv(struct ibv_qp *ibqp, struct ibv_recv_wr *wr,
		   struct ibv_recv_wr **bad_wr)
{
	struct prxe_qp *qp = to_prxe_qp(ibqp);
	struct prxe_wq *rq = &qp->rq;
	uint32_t start, producer;
	int ret = 0;

	/* No receive queue of its own, or RESET (IBTA 10.8.2). */
	if (!rq->ring.hdr || qp->vqp.qp.state == IBV_QPS_RESET) {
		*bad_wr = wr;
		return EINVAL;
	}

	pthread_spin_lock(&rq->lock);
	start = producer = prxe_uring_producer(&rq->ring);
	for (; wr; wr = wr->next) {
		struct prxe_recv_wqe *wqe;

		if (wr->num_sge < 0 || (uint32_t)wr->num_sge > rq->max_sge) {
			ret = EINVAL;
			break;
		}
		if (!prxe_wq_has_room(rq, producer)) {
			ret = ENOMEM;
			break;
		}
		wqe = prxe_uring_entry(&rq->ring, producer);
		prxe_write_recv_wqe(wqe, wr);
		producer++;
	}
	if (producer != start)
		prxe_uring_publish_producer(&rq->ring, producer);
	pthread_spin_unlock(&rq->lock);

	if (ret)
		*bad_wr = wr;
	/* In the error state (the kernel's or the application's doing). */
	if (producer != start && prxe_uring_qp_in_error(&rq->ring))
		prxe_ring_recv_doorbell(qp);
	return ret;
}
