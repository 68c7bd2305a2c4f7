// SPDX-License-Identifier: GPL-2.0-only
/*
 * Shared receive queues: create, modify (arming the limit), query,
 * destroy, and the taking of WQEs by the responders of the QPs on an SRQ.
 *
 * The limit: modify_srq(IB_SRQ_LIMIT) arms it; when a QP takes a WQE and
 * fewer than the limit are left posted, IB_EVENT_SRQ_LIMIT_REACHED goes to
 * the SRQ's event handler once and the limit disarms (reads back 0).  As in
 * rdma_rxe, arming below the current level fires at the next WQE taken,
 * not at once.
 *
 * Locking: srq->lock (spinlock) guards the consumer side of the ring, the
 * limit and the given-back WQEs; taken in the tasks of the QPs on the SRQ
 * (lock order: docs/ARCHITECTURE.md).  Nothing else is taken under it, and
 * the event handler is called without it.
 */
#include <linux/log2.h>
#include <linux/slab.h>

#include "prxe.h"
#include "prxe_params.h"
#include "prxe_qp.h"
#include "prxe_srq.h"

/* A WQE given back to the SRQ: the QP's copy of it. */
struct prxe_srq_given_back {
	struct list_head	list;
	struct prxe_recv_wqe	wr;
	struct prxe_sge		sge[];
};

static u32 prxe_srq_wqe_size(u32 max_sge)
{
	return sizeof(struct prxe_recv_wqe) + max_sge * sizeof(struct prxe_sge);
}

int prxe_create_srq(struct ib_srq *ibsrq, struct ib_srq_init_attr *init,
		    struct ib_udata *udata)
{
	struct prxe_dev *prxe = to_prxe_dev(ibsrq->device);
	struct prxe_srq *srq = to_prxe_srq(ibsrq);
	struct prxe_create_srq_resp resp = {};
	struct ib_srq_attr *attr = &init->attr;
	struct ib_ucontext *uctx;
	u32 max_sge;
	int err;

	if (init->srq_type != IB_SRQT_BASIC)
		return -EOPNOTSUPP;
	/* Kernel consumers post through post_srq_recv, which is not there. */
	if (!udata)
		return -EOPNOTSUPP;
	if (attr->max_wr < 1 || attr->max_wr > PRXE_MAX_SRQ_WR ||
	    attr->max_sge > PRXE_MAX_SRQ_SGE) {
		ibdev_dbg(ibsrq->device,
			  "create_srq: %u WRs of %u SGEs, allowed 1..%u of 0..%u\n",
			  attr->max_wr, attr->max_sge, PRXE_MAX_SRQ_WR,
			  PRXE_MAX_SRQ_SGE);
		return -EINVAL;
	}
	if (udata->outlen < sizeof(resp))
		return -EINVAL;
	uctx = &rdma_udata_to_drv_context(udata, struct prxe_ucontext,
					  ibuc)->ibuc;

	if (atomic_inc_return(&prxe->num_srqs) > PRXE_MAX_SRQ) {
		err = -ENOMEM;
		goto err_count;
	}
	spin_lock_init(&srq->lock);
	INIT_LIST_HEAD(&srq->given_back);
	max_sge = max_t(u32, attr->max_sge, 1);
	err = prxe_ring_init(&srq->ring, uctx, roundup_pow_of_two(attr->max_wr),
			     prxe_srq_wqe_size(max_sge), &resp.rq);
	if (err)
		goto err_count;
	srq->max_wr = srq->ring.num_entries;
	srq->max_sge = max_sge;

	/*
	 * The limit given at creation is not armed (ibv_create_srq(3):
	 * "srq_limit is ignored"); modify_srq arms it.
	 */
	attr->max_wr = srq->max_wr;
	attr->max_sge = srq->max_sge;
	attr->srq_limit = 0;

	err = ib_copy_to_udata(udata, &resp, sizeof(resp));
	if (err)
		goto err_ring;
	return 0;

err_ring:
	prxe_ring_cleanup(&srq->ring);
err_count:
	atomic_dec(&prxe->num_srqs);
	return err;
}

int prxe_modify_srq(struct ib_srq *ibsrq, struct ib_srq_attr *attr,
		    enum ib_srq_attr_mask mask, struct ib_udata *udata)
{
	struct prxe_srq *srq = to_prxe_srq(ibsrq);

	if (udata && udata->inlen &&
	    !ib_is_udata_cleared(udata, 0, udata->inlen))
		return -EOPNOTSUPP;
	if (mask & ~(IB_SRQ_MAX_WR | IB_SRQ_LIMIT))
		return -EINVAL;
	/* The ring is mapped by the process: it is not resized. */
	if (mask & IB_SRQ_MAX_WR)
		return -EOPNOTSUPP;
	if (!(mask & IB_SRQ_LIMIT))
		return 0;
	if (attr->srq_limit > srq->max_wr) {
		ibdev_dbg(ibsrq->device, "modify_srq: limit %u beyond %u WRs\n",
			  attr->srq_limit, srq->max_wr);
		return -EINVAL;
	}
	spin_lock(&srq->lock);
	srq->limit = attr->srq_limit;
	spin_unlock(&srq->lock);
	return 0;
}

int prxe_query_srq(struct ib_srq *ibsrq, struct ib_srq_attr *attr)
{
	struct prxe_srq *srq = to_prxe_srq(ibsrq);

	attr->max_wr = srq->max_wr;
	attr->max_sge = srq->max_sge;
	spin_lock(&srq->lock);
	attr->srq_limit = srq->limit;
	spin_unlock(&srq->lock);
	return 0;
}

int prxe_destroy_srq(struct ib_srq *ibsrq, struct ib_udata *udata)
{
	struct prxe_srq *srq = to_prxe_srq(ibsrq);
	struct prxe_srq_given_back *gb, *next;

	/* ib_core refuses while QPs use the SRQ: no one takes any more. */
	list_for_each_entry_safe(gb, next, &srq->given_back, list)
		kfree(gb);
	prxe_ring_cleanup(&srq->ring);
	atomic_dec(&to_prxe_dev(ibsrq->device)->num_srqs);
	return 0;
}

static void prxe_srq_limit_event(struct prxe_srq *srq)
{
	struct ib_event ev = {
		.device = srq->ibsrq.device,
		.element.srq = &srq->ibsrq,
		.event = IB_EVENT_SRQ_LIMIT_REACHED,
	};

	if (srq->ibsrq.event_handler)
		srq->ibsrq.event_handler(&ev, srq->ibsrq.srq_context);
}

/*
 * Take the next WQE for a QP's incoming message into @rwqe (room for
 * srq->max_sge SGEs); false if none is posted.  The ring entry is read
 * once, and a malformed one (too many SGEs) gets none: nothing fits in it.
 */
bool prxe_srq_take(struct prxe_srq *srq, struct prxe_rwqe *rwqe)
{
	struct prxe_srq_given_back *gb;
	bool limit_reached = false;
	u32 posted;

	spin_lock(&srq->lock);
	gb = list_first_entry_or_null(&srq->given_back,
				      struct prxe_srq_given_back, list);
	if (gb) {
		list_del(&gb->list);
		srq->num_given_back--;
		rwqe->wr = gb->wr;
		memcpy(rwqe->sge, gb->sge, gb->wr.num_sge * sizeof(gb->sge[0]));
		kfree(gb);
		posted = srq->num_given_back + prxe_ring_avail(&srq->ring);
	} else {
		posted = prxe_ring_avail(&srq->ring);
		if (!posted) {
			spin_unlock(&srq->lock);
			return false;
		}
		posted--;
		prxe_rwqe_read(rwqe, prxe_ring_entry(&srq->ring, srq->ring.kidx),
			       srq->max_sge);
		/* The slot is the provider's again: the WQE is copied. */
		prxe_ring_consume(&srq->ring, 1);
	}
	if (srq->limit && posted < srq->limit) {
		srq->limit = 0;
		limit_reached = true;
	}
	spin_unlock(&srq->lock);

	if (limit_reached)
		prxe_srq_limit_event(srq);
	return true;
}

/*
 * A QP that took @rwqe leaves without finishing it (reset or destroyed
 * outside the error state, where it would have been flushed): the WQE is
 * the SRQ's, so it goes back for the next QP to take.
 */
void prxe_srq_give_back(struct prxe_srq *srq, const struct prxe_rwqe *rwqe)
{
	struct prxe_srq_given_back *gb;

	gb = kmalloc(struct_size(gb, sge, rwqe->wr.num_sge), GFP_KERNEL);
	if (!gb) {
		ibdev_warn_ratelimited(srq->ibsrq.device,
				       "SRQ WQE %#llx lost: no memory to give it back\n",
				       rwqe->wr.wr_id);
		return;
	}
	gb->wr = rwqe->wr;
	memcpy(gb->sge, rwqe->sge, rwqe->wr.num_sge * sizeof(gb->sge[0]));
	spin_lock(&srq->lock);
	list_add(&gb->list, &srq->given_back);
	srq->num_given_back++;
	spin_unlock(&srq->lock);
}
