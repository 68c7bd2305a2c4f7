// SPDX-License-Identifier: GPL-2.0-only
/*
 * The verbs of kernel consumers: posting work requests to a kernel QP's
 * rings and polling a kernel CQ.  Kernel QPs and CQs use the same rings as
 * user ones (prxe-abi.h), without a user mapping: here the kernel is the
 * producer of the work queues and the consumer of the completion queue,
 * in place of the provider.  Today's kernel consumer is ib_core's MAD
 * layer, whose GSI QP carries rdma_cm's connection management; kernel QPs
 * are datagram QPs (UD, GSI), their memory the kernel PD's DMA region
 * (prxe_get_dma_mr()).
 *
 * ib_core's MAD layer posts with a spinlock held and interrupts off, so
 * posting never sleeps: it fills the ring and schedules the QP's task.
 *
 * Locking: qp->kpost_lock guards the producer side of a kernel QP's send
 * and receive rings, cq->poll_lock the consumer side of a kernel CQ's
 * ring; both irq-safe and taken alone.
 */
#include "prxe.h"
#include "prxe_cq.h"
#include "prxe_qp.h"
#include "prxe_ud.h"

static_assert((int)PRXE_NETWORK_IPV4 == (int)RDMA_NETWORK_IPV4);
static_assert((int)PRXE_NETWORK_IPV6 == (int)RDMA_NETWORK_IPV6);

/* Entry @ring's producer index points at, if the ring has room for it. */
static void *prxe_kring_next(struct prxe_ring *ring)
{
	u32 producer = ring->hdr->producer;	/* ours alone */

	if (producer - smp_load_acquire(&ring->hdr->consumer) >=
	    ring->num_entries)
		return NULL;
	return prxe_ring_entry(ring, producer);
}

static void prxe_kring_produce(struct prxe_ring *ring)
{
	smp_store_release(&ring->hdr->producer, ring->hdr->producer + 1);
}

/* A kernel work request's SGEs in ring form. */
static void prxe_kpost_sges(struct prxe_sge *dst, const struct ib_sge *src,
			    int n)
{
	int i;

	for (i = 0; i < n; i++) {
		dst[i].addr = src[i].addr;
		dst[i].length = src[i].length;
		dst[i].lkey = src[i].lkey;
	}
}

/* Inline data of a kernel work request: gathered from its SGEs' addresses. */
static int prxe_kpost_inline(struct prxe_qp *qp, const struct ib_send_wr *wr,
			     struct prxe_send_wqe *wqe)
{
	u8 *data = (u8 *)(wqe + 1);
	u32 len = 0;
	int i;

	for (i = 0; i < wr->num_sge; i++) {
		const struct ib_sge *sge = &wr->sg_list[i];

		if (sge->length > qp->max_inline - len)
			return -EINVAL;
		memcpy(data + len, (void *)(uintptr_t)sge->addr, sge->length);
		len += sge->length;
	}
	wqe->inline_len = len;
	return 0;
}

static int prxe_kpost_one_send(struct prxe_qp *qp, const struct ib_send_wr *wr)
{
	struct prxe_send_wqe *wqe;

	if (wr->opcode != IB_WR_SEND && wr->opcode != IB_WR_SEND_WITH_IMM)
		return -EINVAL;		/* a datagram QP: SENDs only */
	if (wr->num_sge < 0 || wr->num_sge > qp->max_send_sge)
		return -EINVAL;
	wqe = prxe_kring_next(&qp->sq);
	if (!wqe)
		return -ENOMEM;

	memset(wqe, 0, sizeof(*wqe));
	wqe->wr_id = wr->wr_id;
	wqe->opcode = wr->opcode;
	wqe->send_flags = wr->send_flags;
	if (wr->opcode == IB_WR_SEND_WITH_IMM)
		wqe->ex.imm_data = wr->ex.imm_data;
	wqe->wr.ud.ah_num = to_prxe_ah(ud_wr(wr)->ah)->ah_num;
	wqe->wr.ud.remote_qpn = ud_wr(wr)->remote_qpn;
	wqe->wr.ud.remote_qkey = ud_wr(wr)->remote_qkey;

	if (wr->send_flags & IB_SEND_INLINE) {
		int err = prxe_kpost_inline(qp, wr, wqe);

		if (err)
			return err;
	} else {
		prxe_kpost_sges((struct prxe_sge *)(wqe + 1), wr->sg_list,
				wr->num_sge);
		wqe->num_sge = wr->num_sge;
	}
	prxe_kring_produce(&qp->sq);
	return 0;
}

int prxe_kpost_send(struct prxe_qp *qp, const struct ib_send_wr *wr,
		    const struct ib_send_wr **bad_wr)
{
	unsigned long flags;
	int err = 0;

	spin_lock_irqsave(&qp->kpost_lock, flags);
	for (; wr; wr = wr->next) {
		err = prxe_kpost_one_send(qp, wr);
		if (err) {
			*bad_wr = wr;
			break;
		}
	}
	spin_unlock_irqrestore(&qp->kpost_lock, flags);
	prxe_qp_schedule(qp);
	return err;
}

static int prxe_kpost_one_recv(struct prxe_qp *qp, const struct ib_recv_wr *wr)
{
	struct prxe_recv_wqe *wqe;

	if (wr->num_sge < 0 || wr->num_sge > qp->max_recv_sge)
		return -EINVAL;
	wqe = prxe_kring_next(&qp->rq);
	if (!wqe)
		return -ENOMEM;
	wqe->wr_id = wr->wr_id;
	wqe->num_sge = wr->num_sge;
	wqe->reserved = 0;
	prxe_kpost_sges((struct prxe_sge *)(wqe + 1), wr->sg_list, wr->num_sge);
	prxe_kring_produce(&qp->rq);
	return 0;
}

int prxe_kpost_recv(struct prxe_qp *qp, const struct ib_recv_wr *wr,
		    const struct ib_recv_wr **bad_wr)
{
	unsigned long flags;
	int err = 0;

	spin_lock_irqsave(&qp->kpost_lock, flags);
	for (; wr; wr = wr->next) {
		err = prxe_kpost_one_recv(qp, wr);
		if (err) {
			*bad_wr = wr;
			break;
		}
	}
	spin_unlock_irqrestore(&qp->kpost_lock, flags);
	/* Only a QP in the error state needs to hear of it (to flush). */
	if (READ_ONCE(qp->state) == IB_QPS_ERR)
		prxe_qp_schedule(qp);
	return err;
}

/* The struct ib_wc of a CQE of a kernel CQ. */
static void prxe_cqe_to_wc(struct prxe_dev *prxe, const struct prxe_cqe *cqe,
			   struct ib_wc *wc)
{
	struct prxe_qp *qp;

	memset(wc, 0, sizeof(*wc));
	wc->wr_id = cqe->wr_id;
	wc->status = cqe->status;
	wc->opcode = cqe->opcode;
	wc->vendor_err = cqe->vendor_err;
	wc->byte_len = cqe->byte_len;
	wc->src_qp = cqe->src_qp;
	wc->pkey_index = cqe->pkey_index;
	wc->slid = cqe->slid;
	wc->sl = cqe->sl;
	wc->dlid_path_bits = cqe->dlid_path_bits;
	wc->port_num = cqe->port_num;
	if (cqe->flags & PRXE_CQE_WITH_IMM) {
		wc->ex.imm_data = cqe->ex.imm_data;
		wc->wc_flags |= IB_WC_WITH_IMM;
	}
	if (cqe->flags & PRXE_CQE_WITH_INV) {
		wc->ex.invalidate_rkey = cqe->ex.invalidated_rkey;
		wc->wc_flags |= IB_WC_WITH_INVALIDATE;
	}
	if (cqe->flags & PRXE_CQE_GRH) {
		wc->wc_flags |= IB_WC_GRH | IB_WC_WITH_NETWORK_HDR_TYPE;
		wc->network_hdr_type = cqe->network_hdr_type;
	}
	/* Consumers poll a QP's completions before they destroy it. */
	rcu_read_lock();
	qp = xa_load(&prxe->qps, cqe->qp_num);
	wc->qp = qp ? &qp->ibqp : NULL;
	rcu_read_unlock();
}

int prxe_poll_cq(struct ib_cq *ibcq, int num_entries, struct ib_wc *wc)
{
	struct prxe_dev *prxe = to_prxe_dev(ibcq->device);
	struct prxe_cq *cq = to_prxe_cq(ibcq);
	struct prxe_ring *ring = &cq->ring;
	unsigned long flags;
	u32 consumer, producer;
	int n = 0;

	spin_lock_irqsave(&cq->poll_lock, flags);
	consumer = ring->hdr->consumer;		/* ours alone */
	producer = smp_load_acquire(&ring->hdr->producer);
	for (; n < num_entries && consumer != producer; n++, consumer++)
		prxe_cqe_to_wc(prxe, prxe_ring_entry(ring, consumer), &wc[n]);
	smp_store_release(&ring->hdr->consumer, consumer);
	spin_unlock_irqrestore(&cq->poll_lock, flags);
	return n;
}
