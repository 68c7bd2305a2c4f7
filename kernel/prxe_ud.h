/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unreliable datagrams: address handles (prxe_ah.c) and the datagram
 * engines of UD QPs and of the GSI QP, QP 1 (prxe_ud.c).
 */
#ifndef PRXE_UD_H
#define PRXE_UD_H

#include <rdma/ib_verbs.h>

#include "prxe_net.h"

struct prxe_dev;
struct prxe_qp;

/*
 * An address handle.  ah_num names it in UD send WQEs (user and kernel):
 * the requester copies its address vector out when it takes the WQE.
 */
struct prxe_ah {
	struct ib_ah		ibah;
	struct prxe_av		av;
	u32			ah_num;		/* index in prxe->ahs, never 0 */
};

static inline struct prxe_ah *to_prxe_ah(struct ib_ah *ibah)
{
	return container_of(ibah, struct prxe_ah, ibah);
}

/* The Q_Key of the GSI QP (IBTA 13.4.6.1.3); its DETH source QP is 1. */
#define PRXE_GSI_QKEY		0x80010000u
#define PRXE_GSI_QPN		1

/* prxe_ah.c */
void prxe_ah_table_init(struct prxe_dev *prxe);
int prxe_create_ah(struct ib_ah *ibah, struct rdma_ah_init_attr *init,
		   struct ib_udata *udata);
int prxe_query_ah(struct ib_ah *ibah, struct rdma_ah_attr *attr);
int prxe_destroy_ah(struct ib_ah *ibah, u32 flags);
int prxe_ah_av(struct prxe_dev *prxe, u32 ah_num, struct ib_pd *pd,
	       struct prxe_av *av);

/* prxe_ud.c: one step of a datagram QP's engines (in its task) */
bool prxe_ud_send_run(struct prxe_qp *qp);
bool prxe_ud_recv_run(struct prxe_qp *qp);

#endif /* PRXE_UD_H */
