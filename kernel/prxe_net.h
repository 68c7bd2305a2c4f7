/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The RoCEv2 packet layer: UDP port 4791 in the network namespaces that have
 * prxe devices, address vectors, sending a packet (UDP/IP headers, ICRC,
 * route) and receiving one (checks, ICRC, the device it is for).
 *
 * What it offers to the QP engines:
 *
 *   send:    skb = prxe_pkt_alloc(prxe, av, len, gfp);
 *            fill skb->data: BTH, extension headers, payload, zero pad;
 *            prxe_pkt_xmit(prxe, av, route, skb, src_qpn, dst_qpn);
 *
 *   receive: prxe_rcv_pkt(prxe, skb) (prxe_recv.c) is called for every
 *            packet that passed the checks below, with prxe_pkt(skb)
 *            filled in.
 *
 * Locking is described in prxe_net.c.
 */
#ifndef PRXE_NET_H
#define PRXE_NET_H

#include <linux/build_bug.h>
#include <linux/if_ether.h>
#include <linux/in6.h>
#include <linux/skbuff.h>
#include <rdma/ib_verbs.h>

#include "prxe_hdr.h"
#include "prxe_opcode.h"

struct dst_cache;
struct prxe_dev;

/*
 * Address vector: where a QP's (or a UD work request's) packets go, in the
 * form the transmit path uses.  Built from an rdma_ah_attr by
 * prxe_av_from_ah_attr(); plain data, no references held.
 */
struct prxe_av {
	enum rdma_network_type	network_type;	/* RDMA_NETWORK_IPV4 / _IPV6 */
	/* Source and destination GIDs: IPv4-mapped IPv6 for IPv4. */
	struct in6_addr		saddr;
	struct in6_addr		daddr;
	u32			flow_label;	/* 20 bits; 0: from the QPNs */
	u8			traffic_class;	/* IPv4 TOS / IPv6 traffic class */
	u8			hop_limit;	/* TTL / hop limit; 0: the route's */
	u8			sgid_index;
	u8			dmac[ETH_ALEN];	/* as resolved by ib_core */
	/* The netdev of the source GID (the device's netdev or a VLAN on it). */
	int			ifindex;
};

int prxe_av_from_ah_attr(struct prxe_av *av, const struct rdma_ah_attr *attr);
void prxe_av_to_ah_attr(const struct prxe_av *av, struct ib_device *ibdev,
			struct rdma_ah_attr *attr);

/*
 * A received packet, in skb->cb, as prxe_rcv_pkt() gets it:
 *
 *   skb->data  the BTH (== bth): the UDP header is pulled, and the ICRC
 *              trimmed off, so skb->len is BTH + extension headers +
 *              payload + pad.  ip_hdr() / ipv6_hdr() / udp_hdr() still
 *              point at the packet's headers.
 *   skb->dev   the netdev it came in on, as the IP stack says: the prxe
 *              device's netdev, a VLAN on it, or "lo" for a packet a device
 *              sent to an address of its own.
 *
 * The pointers stay valid while the skb's head is not reallocated (no
 * skb_linearize, pskb_expand_head ... on it).
 */
struct prxe_pkt {
	struct prxe_bth			*bth;
	const struct prxe_opcode_info	*info;	/* never NULL */
	struct in6_addr			saddr;	/* source IP, IPv4-mapped */
	u32				mask;	/* info->mask */
	u32				psn:24;
	u32				opcode:8;
	u32				qpn:24;	/* destination QP */
	u32				pad:2;
	u32				ack_req:1;
	u32				se:1;	/* solicited event */
	u32				ipv6:1;	/* else IPv4 */
	u32				accepted:1; /* passed the task's checks (prxe_recv.c) */
	u32				icrc_rxe:1; /* to send: rdma_rxe's FLUSH ICRC */
	u16				paylen;	/* payload bytes, pad excluded */
	u16				sport;	/* source UDP port */
};

static_assert(sizeof(struct prxe_pkt) <= sizeof_field(struct sk_buff, cb));

static inline struct prxe_pkt *prxe_pkt(struct sk_buff *skb)
{
	return (struct prxe_pkt *)skb->cb;
}

/* The payload of a received packet. */
static inline void *prxe_pkt_payload(const struct prxe_pkt *pkt)
{
	return prxe_payload(pkt->info, pkt->bth);
}

/* prxe_net.c */
int prxe_net_init(void);
void prxe_net_exit(void);
int prxe_net_dev_add(struct prxe_dev *prxe);
void prxe_net_dev_remove(struct prxe_dev *prxe);
struct sk_buff *prxe_pkt_alloc(struct prxe_dev *prxe, const struct prxe_av *av,
			       unsigned int len, gfp_t gfp);
int prxe_pkt_xmit(struct prxe_dev *prxe, const struct prxe_av *av,
		  struct dst_cache *route, struct sk_buff *skb, u32 src_qpn,
		  u32 dst_qpn);

/* prxe_icrc.c */
void prxe_icrc_generate(struct sk_buff *skb, bool rxe_flush);
int prxe_icrc_check(const struct sk_buff *skb);

/* prxe_recv.c: the QP engines' receive entry (softirq context) */
void prxe_rcv_pkt(struct prxe_dev *prxe, struct sk_buff *skb);

/* prxe_debugfs.c: test hooks under /sys/kernel/debug/prxe */
void prxe_debugfs_init(void);
void prxe_debugfs_exit(void);

#endif /* PRXE_NET_H */
