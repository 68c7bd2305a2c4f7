// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe libibverbs provider: shared receive queues.
 *
 * CREATE_SRQ answers with the capabilities the kernel granted (libibverbs
 * copies them into the caller's attr) and with the SRQ's ring (struct
 * prxe_create_srq_resp), which the provider maps.  ibv_post_srq_recv()
 * writes struct prxe_recv_wqe (+ SGEs) entries into it and publishes the
 * producer index; the kernel takes them as messages arrive on any QP of
 * the SRQ, so there is no doorbell.  The kernel's consumer index passes an
 * entry when a QP takes it (prxe-abi.h), so the ring holds up to
 * num_entries posted WQEs, which is the max_wr the kernel returned.
 *
 * Modify (arming the limit), query and destroy are the plain uverbs
 * commands.
 *
 * Locks: srq->rq.lock guards the producer side of the ring; no other lock
 * is taken under it, and no system call is made with it held.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "prxe.h"

/* CREATE_SRQ response: the core part, then prxe's. */
struct prxe_create_srq_resp_buf {
	struct ib_uverbs_create_srq_resp ibv_resp;
	struct prxe_create_srq_resp drv;
};
static_assert(sizeof(struct prxe_create_srq_resp_buf) ==
	      sizeof(struct ib_uverbs_create_srq_resp) +
	      sizeof(struct prxe_create_srq_resp),
	      "CREATE_SRQ response has no padding");

struct ibv_srq *prxe_create_srq(struct ibv_pd *pd,
				struct ibv_srq_init_attr *attr)
{
	struct prxe_create_srq_resp_buf resp;
	struct ibv_create_srq cmd;
	struct prxe_srq *srq;
	int ret;

	srq = calloc(1, sizeof(*srq));
	if (!srq)
		return NULL;

	memset(&cmd, 0, sizeof(cmd));
	memset(&resp, 0, sizeof(resp));
	/* On success attr->attr holds max_wr and max_sge as granted. */
	ret = ibv_cmd_create_srq(pd, &srq->ibv_srq, attr, &cmd, sizeof(cmd),
				 &resp.ibv_resp, sizeof(resp));
	if (ret)
		goto err_free;

	ret = prxe_map_ring(pd->context, &resp.drv.rq,
			    sizeof(struct prxe_recv_wqe) +
			    (size_t)attr->attr.max_sge * sizeof(struct prxe_sge),
			    &srq->rq.ring);
	if (ret)
		goto err_destroy;
	srq->rq.max_wr = attr->attr.max_wr < resp.drv.rq.num_entries ?
			 attr->attr.max_wr : resp.drv.rq.num_entries;
	srq->rq.max_sge = attr->attr.max_sge;
	pthread_spin_init(&srq->rq.lock, PTHREAD_PROCESS_PRIVATE);
	return &srq->ibv_srq;

err_destroy:
	ibv_cmd_destroy_srq(&srq->ibv_srq);
err_free:
	free(srq);
	errno = ret;
	return NULL;
}

int prxe_modify_srq(struct ibv_srq *ibsrq, struct ibv_srq_attr *attr,
		    int attr_mask)
{
	struct ibv_modify_srq cmd;

	memset(&cmd, 0, sizeof(cmd));
	return ibv_cmd_modify_srq(ibsrq, attr, attr_mask, &cmd, sizeof(cmd));
}

int prxe_query_srq(struct ibv_srq *ibsrq, struct ibv_srq_attr *attr)
{
	struct ibv_query_srq cmd;

	memset(&cmd, 0, sizeof(cmd));
	return ibv_cmd_query_srq(ibsrq, attr, &cmd, sizeof(cmd));
}

int prxe_destroy_srq(struct ibv_srq *ibsrq)
{
	struct prxe_srq *srq = to_prxe_srq(ibsrq);
	int ret;

	ret = ibv_cmd_destroy_srq(ibsrq);
	if (ret)
		return ret;
	prxe_unmap_ring(&srq->rq.ring);
	pthread_spin_destroy(&srq->rq.lock);
	free(srq);
	return 0;
}

/*
 * Stops at the first work request it cannot post, sets *bad_wr to it and
 * returns EINVAL (too many SGEs) or ENOMEM (the ring is full); the ones
 * before it are posted.
 */
int prxe_post_srq_recv(struct ibv_srq *ibsrq, struct ibv_recv_wr *wr,
		       struct ibv_recv_wr **bad_wr)
{
	struct prxe_wq *rq = &to_prxe_srq(ibsrq)->rq;
	uint32_t start, producer;
	int ret = 0;

	pthread_spin_lock(&rq->lock);
	start = producer = prxe_uring_producer(&rq->ring);
	for (; wr; wr = wr->next) {
		if (wr->num_sge < 0 || (uint32_t)wr->num_sge > rq->max_sge) {
			ret = EINVAL;
			break;
		}
		if (prxe_uring_used(&rq->ring, producer) >= rq->max_wr) {
			ret = ENOMEM;
			break;
		}
		prxe_write_recv_wqe(prxe_uring_entry(&rq->ring, producer), wr);
		producer++;
	}
	if (producer != start)
		prxe_uring_publish_producer(&rq->ring, producer);
	pthread_spin_unlock(&rq->lock);

	if (ret)
		*bad_wr = wr;
	return ret;
}
