// SPDX-License-Identifier: GPL-2.0-only
/*
 * The RoCEv2 Invariant CRC (IBTA Annex A17, "RoCEv2"; rules of Vol. 1
 * 7.8.1 applied to IP/UDP instead of LRH/GRH).
 *
 * The ICRC is a CRC-32 (the Ethernet polynomial, reflected, initial value
 * all ones, result inverted) over a pseudo-packet in which every field a
 * router or switch may change is replaced by ones:
 *
 *   8 bytes of 0xff         the LRH RoCE does not have
 *   IPv4 header             TOS (DSCP + ECN), TTL, header checksum -> 1s
 *   or IPv6 header          traffic class, flow label, hop limit   -> 1s
 *   UDP header              checksum -> 1s
 *   BTH                     byte 4 (FECN, BECN, reserved: "resv8a") -> 1s
 *   extension headers, payload, pad   as sent
 *
 * The 4 ICRC bytes on the wire are the inverted CRC in little-endian byte
 * order.  This is what rdma_rxe (drivers/infiniband/sw/rxe/rxe_icrc.c, on
 * little-endian machines) and RoCE NICs send and check; prxe writes and
 * reads it with explicit little-endian accessors so that it is also right on
 * big-endian machines.
 *
 * Both functions need a linear skb whose network and transport headers are
 * set, holding exactly one packet from the IP header on; the ICRC ends at
 * the skb's tail when it is generated, and has been trimmed off (it is
 * just past the tail) when it is checked.  IPv4 options and IPv6 extension headers are not
 * supported (prxe never sends them; the receive path drops such packets
 * before calling here).
 *
 * No locks; callable in any context.
 */
#include <linux/crc32.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/skbuff.h>
#include <linux/udp.h>
#include <net/checksum.h>

#include "prxe_hdr.h"
#include "prxe_net.h"

/* crc32_le(~0, 8 bytes of 0xff): the CRC state after the masked LRH. */
#define PRXE_ICRC_SEED_AFTER_LRH	0xdebb20e3u

/* The ICRC field; __packed: the packet need not be 4-byte aligned. */
struct prxe_icrc {
	__le32	icrc;
} __packed;

static struct prxe_icrc *prxe_icrc_field(const struct sk_buff *skb)
{
	return (struct prxe_icrc *)(skb_tail_pointer(skb) - PRXE_ICRC_SIZE);
}

/*
 * CRC of the pseudo-packet up to the ICRC at @end, not yet inverted.  The
 * invariant IP, UDP and BTH headers are copied into @pseudo and masked
 * there; the packet itself is not modified.
 */
static u32 prxe_icrc_compute(const struct sk_buff *skb, const u8 *end)
{
	u8 pseudo[sizeof(struct ipv6hdr) + sizeof(struct udphdr) +
		  PRXE_BTH_BYTES];
	const u8 *net = skb_network_header(skb);
	unsigned int ip_len, hdr_len;
	struct prxe_bth *bth;
	struct udphdr *udph;
	u32 crc;

	ip_len = skb_network_header_len(skb);
	hdr_len = ip_len + sizeof(*udph) + PRXE_BTH_BYTES;
	memcpy(pseudo, net, hdr_len);

	if (ip_len == sizeof(struct iphdr)) {
		struct iphdr *iph = (struct iphdr *)pseudo;

		iph->tos = 0xff;
		iph->ttl = 0xff;
		iph->check = CSUM_MANGLED_0;	/* 0xffff */
	} else {
		struct ipv6hdr *ip6h = (struct ipv6hdr *)pseudo;

		/* Version stays; traffic class and flow label are bits 27:0. */
		ip6h->priority = 0xf;
		memset(ip6h->flow_lbl, 0xff, sizeof(ip6h->flow_lbl));
		ip6h->hop_limit = 0xff;
	}
	udph = (struct udphdr *)(pseudo + ip_len);
	udph->check = CSUM_MANGLED_0;
	bth = (struct prxe_bth *)(udph + 1);
	bth->qpn |= cpu_to_be32(PRXE_BTH_RESV8A_MASK);

	crc = crc32_le(PRXE_ICRC_SEED_AFTER_LRH, pseudo, hdr_len);
	return crc32_le(crc, net + hdr_len, end - (net + hdr_len));
}

/*
 * rdma_rxe's ICRC of an RC FLUSH (Linux 6.2 and later): its opcode table
 * gives FLUSH no payload offset, so what it takes for the payload is the
 * packet from the BTH on, and its CRC goes on, after the ICRC's own
 * coverage, over the BTH, FETH and RETH once more, as sent (32 bytes).
 * prxe accepts that ICRC on a FLUSH, and sends it to a peer that answers
 * no other (prxe_req.c).  @crc: the CRC of the packet proper (@end: its
 * end, where the ICRC starts); 0 (no such variant) if the packet is not
 * a FLUSH of that size.
 */
#define PRXE_FLUSH_HDRS_BYTES	(PRXE_BTH_BYTES + PRXE_FETH_BYTES + \
				 PRXE_RETH_BYTES)

static bool prxe_icrc_rxe_flush(const struct sk_buff *skb, const u8 *end,
				u32 *crc)
{
	const u8 *bth = skb_transport_header(skb) + sizeof(struct udphdr);

	if (end - bth != PRXE_FLUSH_HDRS_BYTES ||
	    ((const struct prxe_bth *)bth)->opcode != PRXE_OP_RC_FLUSH)
		return false;
	*crc = crc32_le(*crc, bth, PRXE_FLUSH_HDRS_BYTES);
	return true;
}

/**
 * prxe_icrc_generate() - write the ICRC of a packet to be sent
 * @skb: the packet, IP header to ICRC; the last 4 bytes receive the ICRC
 * @rxe_flush: a FLUSH: rdma_rxe's ICRC (prxe_icrc_rxe_flush()), not IBTA's
 *
 * Every field the ICRC covers must be final: call after the IP and UDP
 * headers are written (their checksums may still change: they are masked).
 */
void prxe_icrc_generate(struct sk_buff *skb, bool rxe_flush)
{
	struct prxe_icrc *field = prxe_icrc_field(skb);
	u32 crc = prxe_icrc_compute(skb, (u8 *)field);

	if (rxe_flush)
		prxe_icrc_rxe_flush(skb, (u8 *)field, &crc);
	field->icrc = cpu_to_le32(~crc);
}

/**
 * prxe_icrc_check() - check the ICRC of a received packet
 * @skb: the packet as the receive path keeps it: from the IP header to the
 *	 pad, the ICRC trimmed off (but still in the buffer, at the tail)
 *
 * Return: 0 if the ICRC is right (IBTA's, or rdma_rxe's for a FLUSH),
 * -EINVAL if not.
 */
int prxe_icrc_check(const struct sk_buff *skb)
{
	const struct prxe_icrc *field =
		(const struct prxe_icrc *)skb_tail_pointer(skb);

	u32 icrc = ~le32_to_cpu(field->icrc);
	u32 crc = prxe_icrc_compute(skb, (const u8 *)field);

	if (icrc == crc)
		return 0;
	/* A FLUSH from rdma_rxe. */
	return prxe_icrc_rxe_flush(skb, (const u8 *)field, &crc) &&
	       icrc == crc ? 0 : -EINVAL;
}
