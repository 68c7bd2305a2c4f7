// SPDX-License-Identifier: GPL-2.0-only
/*
 * Per-device counters (see prxe_counters.h) and their ib_core hw stats
 * interface: ib_core asks for a struct rdma_hw_stats naming the counters
 * once per port, then calls get_hw_stats to refresh the values (at most
 * every lifespan, under its own hw stats mutex).
 *
 * No locks of its own.
 */
#include <linux/cpumask.h>

#include "prxe_counters.h"

static const struct rdma_stat_desc prxe_counter_descs[] = {
	[PRXE_CNT_SENT_PKTS].name		= "sent_pkts",
	[PRXE_CNT_SEND_ERR].name		= "send_err",
	[PRXE_CNT_RCVD_PKTS].name		= "rcvd_pkts",
	[PRXE_CNT_RCVD_ICRC_ERR].name		= "rcvd_icrc_err",
	[PRXE_CNT_RCVD_BAD_HDR].name		= "rcvd_bad_hdr",
	[PRXE_CNT_RCVD_NOMEM].name		= "rcvd_nomem",
	[PRXE_CNT_RCVD_UNKNOWN_QP].name		= "rcvd_unknown_qp",
	[PRXE_CNT_RCVD_QP_NOT_READY].name	= "rcvd_qp_not_ready",
	[PRXE_CNT_RCVD_QUEUE_FULL].name		= "rcvd_queue_full",
	[PRXE_CNT_RCVD_BAD_PKEY].name		= "rcvd_bad_pkey",
	[PRXE_CNT_RCVD_WRONG_SRC].name		= "rcvd_wrong_src",
	[PRXE_CNT_RETRANSMITS].name		= "retransmits",
	[PRXE_CNT_RNR_NAKS_RCVD].name		= "rnr_naks_rcvd",
	[PRXE_CNT_RNR_NAKS_SENT].name		= "rnr_naks_sent",
	[PRXE_CNT_SEQ_NAKS_RCVD].name		= "seq_naks_rcvd",
	[PRXE_CNT_SEQ_NAKS_SENT].name		= "seq_naks_sent",
	[PRXE_CNT_DUP_REQ].name			= "dup_req",
	[PRXE_CNT_ACK_TIMEOUTS].name		= "ack_timeouts",
	[PRXE_CNT_COMP_RETRY_EXCEEDED].name	= "completer_retry_exceeded",
	[PRXE_CNT_RCVD_BAD_QKEY].name		= "rcvd_bad_qkey",
	[PRXE_CNT_RCVD_UD_DROPPED].name		= "rcvd_ud_dropped",
	[PRXE_CNT_ODP_PAGE_FAULTS].name		= "odp_page_faults",
	[PRXE_CNT_ODP_INVALIDATIONS].name	= "odp_invalidations",
	[PRXE_CNT_ODP_PMD_MAPPINGS].name	= "odp_pmd_mappings",
	[PRXE_CNT_ODP_FAULT_WORKS].name		= "odp_fault_works",
	[PRXE_CNT_ODP_FAULT_WAITS].name		= "odp_fault_waits",
	[PRXE_CNT_ODP_FAULT_RNR_NAKS].name	= "odp_fault_rnr_naks",
	[PRXE_CNT_FLUSHES].name			= "flushes",
	[PRXE_CNT_FLUSH_WB_BYTES].name		= "flush_wb_bytes",
	[PRXE_CNT_FLUSH_SYNCS].name		= "flush_syncs",
	[PRXE_CNT_ATOMIC_WRITES].name		= "atomic_writes",
};

static_assert(ARRAY_SIZE(prxe_counter_descs) == PRXE_NUM_COUNTERS);

int prxe_counters_alloc(struct prxe_dev *prxe)
{
	prxe->counters = alloc_percpu(struct prxe_counters);
	return prxe->counters ? 0 : -ENOMEM;
}

void prxe_counters_free(struct prxe_dev *prxe)
{
	free_percpu(prxe->counters);
	prxe->counters = NULL;
}

u64 prxe_counter_read(struct prxe_dev *prxe, enum prxe_counter counter)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu_ptr(prxe->counters, cpu)->cnt[counter];
	return sum;
}

static struct rdma_hw_stats *prxe_alloc_hw_port_stats(struct ib_device *ibdev,
						      u32 port)
{
	return rdma_alloc_hw_stats_struct(prxe_counter_descs,
					  ARRAY_SIZE(prxe_counter_descs),
					  RDMA_HW_STATS_DEFAULT_LIFESPAN);
}

static int prxe_get_hw_stats(struct ib_device *ibdev,
			     struct rdma_hw_stats *stats, u32 port, int index)
{
	struct prxe_dev *prxe = to_prxe_dev(ibdev);
	int i;

	for (i = 0; i < PRXE_NUM_COUNTERS; i++)
		stats->value[i] = prxe_counter_read(prxe, i);
	return PRXE_NUM_COUNTERS;
}

const struct ib_device_ops prxe_counters_ops = {
	.alloc_hw_port_stats = prxe_alloc_hw_port_stats,
	.get_hw_stats = prxe_get_hw_stats,
};
