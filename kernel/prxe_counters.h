/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Per-device packet and protocol counters, shown by
 * `rdma statistic show link DEV/1` and in
 * /sys/class/infiniband/DEV/ports/1/hw_counters/.
 *
 * Per-CPU u64s: prxe_counter_inc() is one this_cpu_inc(), callable in any
 * context without locks; readers sum the CPUs (a snapshot, not atomic
 * across counters).
 */
#ifndef PRXE_COUNTERS_H
#define PRXE_COUNTERS_H

#include <linux/percpu.h>
#include <rdma/ib_verbs.h>

#include "prxe.h"

enum prxe_counter {
	/* The packet layer (prxe_net.c). */
	PRXE_CNT_SENT_PKTS,		/* handed to the IP stack */
	PRXE_CNT_SEND_ERR,		/* not sent: no route, stack refused */
	PRXE_CNT_RCVD_PKTS,		/* passed all checks, to the QP engines */
	PRXE_CNT_RCVD_ICRC_ERR,		/* dropped: wrong ICRC */
	PRXE_CNT_RCVD_BAD_HDR,		/* dropped: malformed or unknown opcode */
	PRXE_CNT_RCVD_NOMEM,		/* dropped: no memory to take it */
	/* From the packet layer to a QP (prxe_recv.c), dropped: */
	PRXE_CNT_RCVD_UNKNOWN_QP,	/* no such QP, or not one for this packet */
	PRXE_CNT_RCVD_QP_NOT_READY,	/* its QP takes none in its state */
	PRXE_CNT_RCVD_QUEUE_FULL,	/* its QP's queue is full */
	PRXE_CNT_RCVD_BAD_PKEY,		/* P_Key not the port's */
	PRXE_CNT_RCVD_WRONG_SRC,	/* RC: not from the QP's peer to its address */
	/* The QP engines. */
	PRXE_CNT_RETRANSMITS,
	PRXE_CNT_RNR_NAKS_RCVD,
	PRXE_CNT_RNR_NAKS_SENT,
	PRXE_CNT_SEQ_NAKS_RCVD,
	PRXE_CNT_SEQ_NAKS_SENT,
	PRXE_CNT_DUP_REQ,
	PRXE_CNT_ACK_TIMEOUTS,
	PRXE_CNT_COMP_RETRY_EXCEEDED,
	PRXE_CNT_RCVD_BAD_QKEY,		/* datagram: Q_Key not the QP's */
	PRXE_CNT_RCVD_UD_DROPPED,	/* datagram: no receive WQE */
	/* ODP memory regions (prxe_odp.c). */
	PRXE_CNT_ODP_PAGE_FAULTS,	/* pages mirrored by a fault */
	PRXE_CNT_ODP_INVALIDATIONS,	/* invalidations that dropped pages */
	PRXE_CNT_ODP_PMD_MAPPINGS,	/* 2 MiB blocks mirrored as one entry */
	PRXE_CNT_ODP_FAULT_WORKS,	/* faults handed to the fault worker */
	PRXE_CNT_ODP_FAULT_WAITS,	/* an engine left waiting for one */
	PRXE_CNT_ODP_FAULT_RNR_NAKS,	/* SEND / WRITE / FLUSH RNR NAKed for one */
	/* Persistence (prxe_persist.c), as a responder. */
	PRXE_CNT_FLUSHES,		/* FLUSH requests carried out */
	PRXE_CNT_FLUSH_WB_BYTES,	/* CPU cache written back to pmem */
	PRXE_CNT_FLUSH_SYNCS,		/* file syncs made for FLUSHes */
	PRXE_CNT_ATOMIC_WRITES,		/* ATOMIC WRITEs carried out */
	PRXE_NUM_COUNTERS
};

struct prxe_counters {
	u64	cnt[PRXE_NUM_COUNTERS];
};

static inline void prxe_counter_inc(struct prxe_dev *prxe,
				    enum prxe_counter counter)
{
	this_cpu_inc(prxe->counters->cnt[counter]);
}

static inline void prxe_counter_add(struct prxe_dev *prxe,
				    enum prxe_counter counter, u64 n)
{
	this_cpu_add(prxe->counters->cnt[counter], n);
}

int prxe_counters_alloc(struct prxe_dev *prxe);
void prxe_counters_free(struct prxe_dev *prxe);
u64 prxe_counter_read(struct prxe_dev *prxe, enum prxe_counter counter);

/* alloc_hw_port_stats / get_hw_stats, set by prxe_dev_alloc(). */
extern const struct ib_device_ops prxe_counters_ops;

#endif /* PRXE_COUNTERS_H */
