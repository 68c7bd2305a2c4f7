/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared receive queues: one ring of receive WQEs (struct prxe_recv_wqe +
 * SGEs) the provider produces, from which every QP created on the SRQ
 * takes the WQE for its next incoming message.
 *
 * Unlike a QP's own receive ring, whose consumer index passes an entry
 * only when its receive has completed, an SRQ's consumer index passes an
 * entry as soon as a QP has taken it (copied it into the QP's struct
 * prxe_rwqe): the QPs complete their WQEs in no common order, so the
 * slot is free for reuse at once and the WQE belongs to that QP until it
 * completes.  See PRXE_RING_F_QP_ERR and the SRQ part of prxe-abi.h.
 */
#ifndef PRXE_SRQ_H
#define PRXE_SRQ_H

#include <linux/list.h>
#include <linux/spinlock.h>

#include "prxe_ring.h"

struct prxe_qp;
struct prxe_rwqe;

struct prxe_srq {
	struct ib_srq		ibsrq;
	/*
	 * Taken by the tasks of the QPs on the SRQ (each under its own
	 * qp->mutex) and by modify/query: the consumer side of the ring, the
	 * limit, and the WQEs given back.
	 */
	spinlock_t		lock;
	struct prxe_ring	ring;
	u32			max_wr;		/* the ring's size */
	u32			max_sge;
	u32			limit;		/* armed limit; 0: disarmed */
	/*
	 * WQEs a QP took and then had to give back unfinished (the QP was
	 * reset or destroyed in the middle of a message, without going
	 * through ERR).  Handed out again before the ring's.
	 */
	struct list_head	given_back;
	u32			num_given_back;
};

static inline struct prxe_srq *to_prxe_srq(struct ib_srq *ibsrq)
{
	return container_of(ibsrq, struct prxe_srq, ibsrq);
}

int prxe_create_srq(struct ib_srq *ibsrq, struct ib_srq_init_attr *init,
		    struct ib_udata *udata);
int prxe_modify_srq(struct ib_srq *ibsrq, struct ib_srq_attr *attr,
		    enum ib_srq_attr_mask mask, struct ib_udata *udata);
int prxe_query_srq(struct ib_srq *ibsrq, struct ib_srq_attr *attr);
int prxe_destroy_srq(struct ib_srq *ibsrq, struct ib_udata *udata);

bool prxe_srq_take(struct prxe_srq *srq, struct prxe_rwqe *rwqe);
void prxe_srq_give_back(struct prxe_srq *srq, const struct prxe_rwqe *rwqe);

#endif /* PRXE_SRQ_H */
