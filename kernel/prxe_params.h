/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Device limits and identity reported by query_device / query_port.
 *
 * Limits of verbs objects prxe does not implement yet are 0, so that
 * applications see exactly what the device can do.
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

/*
 * Largest RoCEv2 header stack in front of a payload, used to pick the port's
 * active IB MTU from the netdev MTU: IPv6 (40) + UDP (8) + BTH (12) +
 * RETH (16) + ImmDt (4) + ICRC (4).
 */
#define PRXE_MAX_HDR_LEN		84

#endif /* PRXE_PARAMS_H */
