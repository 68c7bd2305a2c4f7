/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Device limits and identity reported by query_device / query_port.
 *
 * Limits of verbs objects prxe does not implement yet are 0, so that
 * applications see exactly what the device can do.  (SRQs are user SRQs
 * of RC QPs only; SRQ resize is refused, so IB_DEVICE_SRQ_RESIZE is not
 * reported.)
 */
#ifndef PRXE_PARAMS_H
#define PRXE_PARAMS_H

#define PRXE_VENDOR_ID			0xffffff	/* no IEEE OUI: software device */
#define PRXE_VENDOR_PART_ID		0x7072		/* "pr" */
#define PRXE_HW_VER			1
#define PRXE_FW_VER_MAJOR		0
#define PRXE_FW_VER_MINOR		1

#define PRXE_MAX_PKEYS			1
#define PRXE_GID_TABLE_LEN		1024
#define PRXE_PAGE_SIZE_CAP		0xfffff000ULL	/* 4 KiB .. 2 GiB pages */
#define PRXE_LOCAL_CA_ACK_DELAY		15

/* Verbs object limits. */
#define PRXE_MAX_QP			0x10000
#define PRXE_MAX_QP_WR			0x4000
#define PRXE_MAX_SGE			32
#define PRXE_MAX_INLINE_DATA		256
#define PRXE_MAX_CQ			0x10000
#define PRXE_MAX_CQE			0x8000
#define PRXE_MAX_MR			0x10000
#define PRXE_MAX_PD			0x10000
#define PRXE_MAX_AH			0x10000
#define PRXE_MAX_MR_SIZE		(1ULL << 40)
#define PRXE_MAX_MSG_SIZE		(1U << 31)
#define PRXE_MAX_RD_ATOMIC		128
/*
 * Shared receive queues (prxe_srq.c): an SRQ's ring holds max_wr WQEs
 * (rounded up to a power of two) of up to max_sge SGEs.
 */
#define PRXE_MAX_SRQ			0x10000
#define PRXE_MAX_SRQ_WR			0x4000
#define PRXE_MAX_SRQ_SGE		32
#define PRXE_MIN_QPN			16	/* 0, 1: special QPs */
#define PRXE_MAX_QPN			0xffffff

/*
 * Largest RoCEv2 header stack in front of a payload, used to pick the port's
 * active IB MTU from the netdev MTU: IPv6 (40) + UDP (8) + BTH (12) +
 * RETH (16) + ImmDt (4) + ICRC (4).
 */
#define PRXE_MAX_HDR_LEN		84

#endif /* PRXE_PARAMS_H */
