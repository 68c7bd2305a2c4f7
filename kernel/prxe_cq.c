// SPDX-License-Identifier: GPL-2.0-only
/*
 * Completion queues: creation, arming (ibv_req_notify_cq), and posting
 * completions from the QP engine.
 *
 * Locking: cq->lock (spinlock, taken with bottom halves disabled) guards
 * the producer side of the ring and the armed flags; the completion
 * handler is called without it (lock order: docs/ARCHITECTURE.md).
 */
#include <linux/log2.h>

#include "prxe.h"
#include "prxe_cq.h"
#include "prxe_params.h"

int prxe_create_cq(struct ib_cq *ibcq, const struct ib_cq_init_attr *attr,
		   PRXE_CREATE_CQ_ARG)
{
	struct ib_udata *udata = PRXE_CREATE_CQ_UDATA;
	struct prxe_cq *cq = to_prxe_cq(ibcq);
	struct prxe_create_cq_resp resp = {};
	struct ib_ucontext *uctx = NULL;
	u32 num;
	int err;

	if (attr->flags)
		return -EOPNOTSUPP;
	if (attr->cqe < 1 || attr->cqe > PRXE_MAX_CQE) {
		ibdev_dbg(ibcq->device, "create_cq: %d entries, allowed 1..%d\n",
			  attr->cqe, PRXE_MAX_CQE);
		return -EINVAL;
	}
	if (attr->comp_vector >= ibcq->device->num_comp_vectors)
		return -EINVAL;
	if (udata) {
		if (udata->outlen < sizeof(resp))
			return -EINVAL;
		uctx = &rdma_udata_to_drv_context(udata, struct prxe_ucontext,
						  ibuc)->ibuc;
	}

	num = roundup_pow_of_two(attr->cqe);
	spin_lock_init(&cq->lock);
	spin_lock_init(&cq->poll_lock);
	err = prxe_ring_init(&cq->ring, uctx, num, sizeof(struct prxe_cqe),
			     &resp.cq);
	if (err)
		return err;
	ibcq->cqe = num;

	if (udata) {
		err = ib_copy_to_udata(udata, &resp, sizeof(resp));
		if (err) {
			prxe_ring_cleanup(&cq->ring);
			return err;
		}
	}
	return 0;
}

int prxe_destroy_cq(struct ib_cq *ibcq, struct ib_udata *udata)
{
	struct prxe_cq *cq = to_prxe_cq(ibcq);

	/* ib_core refuses while QPs use the CQ, so nothing posts anymore. */
	prxe_ring_cleanup(&cq->ring);
	return 0;
}

int prxe_req_notify_cq(struct ib_cq *ibcq, enum ib_cq_notify_flags flags)
{
	struct prxe_cq *cq = to_prxe_cq(ibcq);
	int missed = 0;

	spin_lock_bh(&cq->lock);
	cq->notify |= flags & IB_CQ_SOLICITED_MASK;
	if ((flags & IB_CQ_REPORT_MISSED_EVENTS) &&
	    cq->ring.kidx != smp_load_acquire(&cq->ring.hdr->consumer))
		missed = 1;
	spin_unlock_bh(&cq->lock);
	return missed;
}

/*
 * Add a completion.  A full CQ is an overrun: the completion is lost, the
 * CQ's consumers get IB_EVENT_CQ_ERR, and the caller moves the QP to the
 * error state (-ENOSPC).
 */
int prxe_cq_post(struct prxe_cq *cq, const struct prxe_cqe *cqe,
		 bool solicited)
{
	bool notify = false;

	spin_lock_bh(&cq->lock);
	if (unlikely(prxe_ring_full(&cq->ring))) {
		bool first = !cq->overflowed;

		cq->overflowed = true;
		spin_unlock_bh(&cq->lock);
		if (first && cq->ibcq.event_handler) {
			struct ib_event ev = {
				.device = cq->ibcq.device,
				.element.cq = &cq->ibcq,
				.event = IB_EVENT_CQ_ERR,
			};

			ibdev_warn_ratelimited(cq->ibcq.device,
					       "CQ overrun: a completion was lost\n");
			cq->ibcq.event_handler(&ev, cq->ibcq.cq_context);
		}
		return -ENOSPC;
	}
	memcpy(prxe_ring_entry(&cq->ring, cq->ring.kidx), cqe, sizeof(*cqe));
	prxe_ring_produce(&cq->ring);
	/*
	 * Armed for the next completion, or for the next solicited one: bits,
	 * as both may be armed (SOLICITED, then NEXT_COMP before the event),
	 * and then any completion fires.
	 */
	if ((cq->notify & IB_CQ_NEXT_COMP) ||
	    ((cq->notify & IB_CQ_SOLICITED) && solicited)) {
		cq->notify = 0;
		notify = true;
	}
	spin_unlock_bh(&cq->lock);

	if (notify && cq->ibcq.comp_handler)
		cq->ibcq.comp_handler(&cq->ibcq, cq->ibcq.cq_context);
	return 0;
}
