/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Completion queues: a ring of struct prxe_cqe the kernel produces and the
 * provider polls without system calls.
 */
#ifndef PRXE_CQ_H
#define PRXE_CQ_H

#include "prxe_ring.h"

struct prxe_cq {
	struct ib_cq		ibcq;
	spinlock_t		lock;		/* producer side of ring */
	spinlock_t		poll_lock;	/* kernel CQ: consumer side */
	struct prxe_ring	ring;
	u8			notify;		/* IB_CQ_SOLICITED / NEXT_COMP armed */
	bool			overflowed;
};

static inline struct prxe_cq *to_prxe_cq(struct ib_cq *ibcq)
{
	return container_of(ibcq, struct prxe_cq, ibcq);
}

int prxe_create_cq(struct ib_cq *ibcq, const struct ib_cq_init_attr *attr,
		   PRXE_CREATE_CQ_ARG);
int prxe_destroy_cq(struct ib_cq *ibcq, struct ib_udata *udata);
int prxe_req_notify_cq(struct ib_cq *ibcq, enum ib_cq_notify_flags flags);
int prxe_poll_cq(struct ib_cq *ibcq, int num_entries, struct ib_wc *wc);
int prxe_cq_post(struct prxe_cq *cq, const struct prxe_cqe *cqe,
		 bool solicited);

#endif /* PRXE_CQ_H */
