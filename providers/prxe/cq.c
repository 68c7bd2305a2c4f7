// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe libibverbs provider: completion queues.
 *
 * CREATE_CQ answers with the CQ's ring (struct prxe_create_cq_resp), which
 * the provider maps.  prxe.ko produces struct prxe_cqe entries into it;
 * ibv_poll_cq() and the extended ibv_start_poll() / ibv_next_poll() /
 * ibv_end_poll() consume them without any system call, under the CQ's
 * spinlock, and give the entries back by publishing the consumer index.
 * Arming (ibv_req_notify_cq) is the REQ_NOTIFY_CQ command.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "prxe.h"

/* The CQE fields are libibverbs' values, so they are copied unchanged. */
static_assert((int)PRXE_CQE_GRH == (int)IBV_WC_GRH &&
	      (int)PRXE_CQE_WITH_IMM == (int)IBV_WC_WITH_IMM &&
	      (int)PRXE_CQE_WITH_INV == (int)IBV_WC_WITH_INV,
	      "PRXE_CQE_* flags are the IBV_WC_* flags");
static_assert(sizeof(struct prxe_cqe) == 64, "prxe_cqe is 64 bytes");
/*
 * So are the opcodes, the kernel's IB_WC_* (ib_uverbs' IB_UVERBS_WC_*),
 * FLUSH (8) and ATOMIC_WRITE (9) among them, where the headers name them.
 */
static_assert((int)IBV_WC_ATOMIC_WRITE == 9, "IBV_WC_ATOMIC_WRITE is 9");
#if PRXE_RDMA_CORE_MAJOR >= 45
static_assert((int)IBV_WC_FLUSH == 8, "IBV_WC_FLUSH is 8");
#endif
#ifdef PRXE_HAVE_UAPI_FLUSH
static_assert((int)IB_UVERBS_WC_FLUSH == 8 &&
	      (int)IB_UVERBS_WC_ATOMIC_WRITE == (int)IBV_WC_ATOMIC_WRITE,
	      "IB_UVERBS_WC_FLUSH / _ATOMIC_WRITE are libibverbs' values");
#endif

/* Extended CQs offer the standard completion fields. */
#define PRXE_CQ_WC_FLAGS	IBV_WC_STANDARD_FLAGS

/* CREATE_CQ response: the core part, then prxe's (the core struct ends in
 * a driver_data array, hence the union). */
union prxe_create_cq_resp_buf {
	struct ib_uverbs_create_cq_resp ibv_resp;
	struct {
		__u8 core[sizeof(struct ib_uverbs_create_cq_resp)];
		struct prxe_create_cq_resp drv;
	};
};
static_assert(sizeof(union prxe_create_cq_resp_buf) ==
	      sizeof(struct ib_uverbs_create_cq_resp) +
	      sizeof(struct prxe_create_cq_resp),
	      "CREATE_CQ response has no padding");

/* Extended CREATE_CQ response. */
struct prxe_create_cq_ex_resp_buf {
	struct ib_uverbs_ex_create_cq_resp ibv_resp;
	struct prxe_create_cq_resp drv;
};
static_assert(sizeof(struct prxe_create_cq_ex_resp_buf) ==
	      sizeof(struct ib_uverbs_ex_create_cq_resp) +
	      sizeof(struct prxe_create_cq_resp),
	      "extended CREATE_CQ response has no padding");

/* Map the ring of a CQ the kernel has just created; destroys it on error. */
static int prxe_cq_map(struct ibv_context *ibctx, struct prxe_cq *cq,
		       const struct prxe_create_cq_resp *resp)
{
	int ret;

	ret = prxe_map_ring(ibctx, &resp->cq, sizeof(struct prxe_cqe),
			    &cq->ring);
	if (ret) {
		ibv_cmd_destroy_cq(&cq->vcq.cq);
		return ret;
	}
	pthread_spin_init(&cq->lock, PTHREAD_PROCESS_PRIVATE);
	return 0;
}

struct ibv_cq *prxe_create_cq(struct ibv_context *ibctx, int cqe,
			      struct ibv_comp_channel *channel,
			      int comp_vector)
{
	union prxe_create_cq_resp_buf resp;
	struct ibv_create_cq cmd;
	struct prxe_cq *cq;
	int ret;

	cq = calloc(1, sizeof(*cq));
	if (!cq)
		return NULL;

	memset(&cmd, 0, sizeof(cmd));
	memset(&resp, 0, sizeof(resp));
	ret = ibv_cmd_create_cq(ibctx, cqe, channel, comp_vector, &cq->vcq.cq,
				&cmd, sizeof(cmd), &resp.ibv_resp,
				sizeof(resp));
	if (!ret)
		ret = prxe_cq_map(ibctx, cq, &resp.drv);
	if (ret) {
		free(cq);
		errno = ret;
		return NULL;
	}
	return &cq->vcq.cq;
}

int prxe_destroy_cq(struct ibv_cq *ibcq)
{
	struct prxe_cq *cq = to_prxe_cq(ibcq);
	int ret;

	ret = ibv_cmd_destroy_cq(ibcq);
	if (ret)
		return ret;
	prxe_unmap_ring(&cq->ring);
	pthread_spin_destroy(&cq->lock);
	free(cq);
	return 0;
}

int prxe_req_notify_cq(struct ibv_cq *ibcq, int solicited_only)
{
	return ibv_cmd_req_notify_cq(ibcq, solicited_only);
}

static void prxe_cqe_to_wc(const struct prxe_cqe *cqe, struct ibv_wc *wc)
{
	wc->wr_id = cqe->wr_id;
	wc->status = (enum ibv_wc_status)cqe->status;
	wc->opcode = (enum ibv_wc_opcode)cqe->opcode;
	wc->vendor_err = cqe->vendor_err;
	wc->byte_len = cqe->byte_len;
	wc->imm_data = cqe->ex.imm_data;	/* or invalidated_rkey */
	wc->qp_num = cqe->qp_num;
	wc->src_qp = cqe->src_qp;
	wc->wc_flags = cqe->flags;
	wc->pkey_index = cqe->pkey_index;
	wc->slid = cqe->slid;
	wc->sl = cqe->sl;
	wc->dlid_path_bits = cqe->dlid_path_bits;
}

int prxe_poll_cq(struct ibv_cq *ibcq, int num_entries, struct ibv_wc *wc)
{
	struct prxe_cq *cq = to_prxe_cq(ibcq);
	uint32_t consumer, avail, i;

	if (num_entries <= 0)
		return 0;

	pthread_spin_lock(&cq->lock);
	consumer = prxe_uring_consumer(&cq->ring);
	avail = prxe_uring_avail(&cq->ring, consumer);
	if (avail > (uint32_t)num_entries)
		avail = num_entries;
	for (i = 0; i < avail; i++)
		prxe_cqe_to_wc(prxe_uring_entry(&cq->ring, consumer + i),
			       &wc[i]);
	if (avail)
		prxe_uring_publish_consumer(&cq->ring, consumer + avail);
	pthread_spin_unlock(&cq->lock);

	return avail;
}

/*
 * Extended polling.  ibv_start_poll() takes the CQ lock and keeps it until
 * ibv_end_poll(), which gives back every entry read; ENOENT from
 * ibv_start_poll() means the CQ is empty and the lock is not held.
 */
static void prxe_cq_ex_set_cur(struct prxe_cq *cq, uint32_t index)
{
	cq->cur = prxe_uring_entry(&cq->ring, index);
	cq->poll_next = index + 1;
	cq->vcq.cq_ex.wr_id = cq->cur->wr_id;
	cq->vcq.cq_ex.status = (enum ibv_wc_status)cq->cur->status;
}

static int prxe_cq_start_poll(struct ibv_cq_ex *ibcq,
			      struct ibv_poll_cq_attr *attr)
{
	struct prxe_cq *cq = to_prxe_cq_ex(ibcq);
	uint32_t consumer;

	if (attr->comp_mask)
		return EINVAL;

	pthread_spin_lock(&cq->lock);
	consumer = prxe_uring_consumer(&cq->ring);
	if (!prxe_uring_avail(&cq->ring, consumer)) {
		pthread_spin_unlock(&cq->lock);
		return ENOENT;
	}
	prxe_cq_ex_set_cur(cq, consumer);
	return 0;
}

static int prxe_cq_next_poll(struct ibv_cq_ex *ibcq)
{
	struct prxe_cq *cq = to_prxe_cq_ex(ibcq);

	if (!prxe_uring_avail(&cq->ring, cq->poll_next))
		return ENOENT;
	prxe_cq_ex_set_cur(cq, cq->poll_next);
	return 0;
}

static void prxe_cq_end_poll(struct ibv_cq_ex *ibcq)
{
	struct prxe_cq *cq = to_prxe_cq_ex(ibcq);

	prxe_uring_publish_consumer(&cq->ring, cq->poll_next);
	cq->cur = NULL;
	pthread_spin_unlock(&cq->lock);
}

static enum ibv_wc_opcode prxe_cq_read_opcode(struct ibv_cq_ex *ibcq)
{
	return (enum ibv_wc_opcode)to_prxe_cq_ex(ibcq)->cur->opcode;
}

static uint32_t prxe_cq_read_vendor_err(struct ibv_cq_ex *ibcq)
{
	return to_prxe_cq_ex(ibcq)->cur->vendor_err;
}

static uint32_t prxe_cq_read_byte_len(struct ibv_cq_ex *ibcq)
{
	return to_prxe_cq_ex(ibcq)->cur->byte_len;
}

static __be32 prxe_cq_read_imm_data(struct ibv_cq_ex *ibcq)
{
	return to_prxe_cq_ex(ibcq)->cur->ex.imm_data;
}

static uint32_t prxe_cq_read_qp_num(struct ibv_cq_ex *ibcq)
{
	return to_prxe_cq_ex(ibcq)->cur->qp_num;
}

static uint32_t prxe_cq_read_src_qp(struct ibv_cq_ex *ibcq)
{
	return to_prxe_cq_ex(ibcq)->cur->src_qp;
}

static unsigned int prxe_cq_read_wc_flags(struct ibv_cq_ex *ibcq)
{
	return to_prxe_cq_ex(ibcq)->cur->flags;
}

static uint32_t prxe_cq_read_slid(struct ibv_cq_ex *ibcq)
{
	return to_prxe_cq_ex(ibcq)->cur->slid;
}

static uint8_t prxe_cq_read_sl(struct ibv_cq_ex *ibcq)
{
	return to_prxe_cq_ex(ibcq)->cur->sl;
}

static uint8_t prxe_cq_read_dlid_path_bits(struct ibv_cq_ex *ibcq)
{
	return to_prxe_cq_ex(ibcq)->cur->dlid_path_bits;
}

static void prxe_cq_ex_init(struct prxe_cq *cq)
{
	struct ibv_cq_ex *cqx = &cq->vcq.cq_ex;

	cqx->start_poll = prxe_cq_start_poll;
	cqx->next_poll = prxe_cq_next_poll;
	cqx->end_poll = prxe_cq_end_poll;
	cqx->read_opcode = prxe_cq_read_opcode;
	cqx->read_vendor_err = prxe_cq_read_vendor_err;
	cqx->read_wc_flags = prxe_cq_read_wc_flags;
	/* All of IBV_WC_STANDARD_FLAGS, whether asked for or not. */
	cqx->read_byte_len = prxe_cq_read_byte_len;
	cqx->read_imm_data = prxe_cq_read_imm_data;
	cqx->read_qp_num = prxe_cq_read_qp_num;
	cqx->read_src_qp = prxe_cq_read_src_qp;
	cqx->read_slid = prxe_cq_read_slid;
	cqx->read_sl = prxe_cq_read_sl;
	cqx->read_dlid_path_bits = prxe_cq_read_dlid_path_bits;
}

struct ibv_cq_ex *prxe_create_cq_ex(struct ibv_context *ibctx,
				    struct ibv_cq_init_attr_ex *attr)
{
	struct prxe_create_cq_ex_resp_buf resp;
	struct ibv_create_cq_ex cmd;
	struct prxe_cq *cq;
	int ret;

	/*
	 * Only the standard completion fields; no parent domain; of the
	 * flags only the single-threaded hint (which changes nothing).
	 */
	if ((attr->wc_flags & ~(uint64_t)PRXE_CQ_WC_FLAGS) ||
	    (attr->comp_mask & ~(uint32_t)IBV_CQ_INIT_ATTR_MASK_FLAGS) ||
	    ((attr->comp_mask & IBV_CQ_INIT_ATTR_MASK_FLAGS) &&
	     (attr->flags & ~(uint32_t)IBV_CREATE_CQ_ATTR_SINGLE_THREADED))) {
		errno = EOPNOTSUPP;
		return NULL;
	}

	cq = calloc(1, sizeof(*cq));
	if (!cq)
		return NULL;

	memset(&cmd, 0, sizeof(cmd));
	memset(&resp, 0, sizeof(resp));
	ret = ibv_cmd_create_cq_ex(ibctx, attr, &cq->vcq, &cmd, sizeof(cmd),
				   &resp.ibv_resp, sizeof(resp), 0);
	if (!ret)
		ret = prxe_cq_map(ibctx, cq, &resp.drv);
	if (ret) {
		free(cq);
		errno = ret;
		return NULL;
	}
	prxe_cq_ex_init(cq);
	return &cq->vcq.cq_ex;
}
