// SPDX-License-Identifier: GPL-2.0-only
/*
 * The RoCEv2 packet layer: UDP sockets, address vectors, transmit and
 * receive of packets (see prxe_net.h for the API).
 *
 * Sockets.  One UDP socket pair on port 4791 (IPv4, and IPv6 with
 * IPV6_V6ONLY, as rdma_rxe has them) in each network namespace that holds
 * the netdev of at least one prxe device: opened by the first device's
 * prxe_net_dev_add(), closed by the last device's prxe_net_dev_remove().
 * Namespaces without prxe devices get no socket, so prxe coexists with
 * rdma_rxe, which holds 4791 in the initial namespace from the moment it is
 * loaded.  When a namespace goes away before the devices that used it are
 * freed (ib_core releases the netdev before calling dealloc_driver), its
 * pernet exit closes the sockets and the devices only drop their count.
 * A netdev moving to another namespace unregisters first, which removes its
 * prxe device (prxe_link.c), so a device's namespace never changes.
 *
 * Transmit.  A QP's packets are made by prxe_qp_pkt_new() (the BTH and
 * room for the rest, which the engines fill in) and sent by
 * prxe_qp_pkt_send().  prxe builds the UDP and IP headers itself, computes the ICRC
 * over them and hands the packet to ip_local_out() / ip6_local_out().  It
 * does not use udp_tunnel_xmit_skb(): that picks the IPv4 Identification
 * after the caller has no chance to compute the ICRC, and the ICRC covers
 * the Identification.  A packet to an address of the sending device (or of
 * another device in the namespace) has a local route (through "lo"): with
 * its headers and ICRC written like every other packet's, it goes straight
 * to the receive path below (prxe_xmit_local()), as "lo" would deliver it
 * to the socket, without the trip down and up the IP and UDP layers
 * (rdma_rxe does the same, rxe_loopback()).  Netfilter hooks and packet
 * sockets on "lo" do not see such packets.  The receive path only queues a
 * packet for its QP's task, so the QP engines are never re-entered from
 * transmit.
 *
 * Receive.  The socket's encap_rcv runs in softirq context under RCU.  The
 * device is the prxe device of the netdev that owns the destination address
 * (skb->dev for packets from the wire; for packets that came through "lo",
 * the owner of the address, looked up), or of the real device under a VLAN.
 * prxe_get_dev_by_netdev() takes a reference on the ib_device, held until
 * prxe_rcv_pkt() returns: once ib_core starts unregistering a device no new
 * reference can be taken, and unregistration waits for the ones held.
 * prxe_rcv_pkt() that keeps a packet beyond its return must pin what it
 * needs itself (a QP is destroyed, and waits, before its device goes).
 *
 * Lock order: pernet_ops_rwsem (namespace exit) -> prxe_net_lock, and
 * ib_core's device unregistration -> prxe_net_lock (prxe_dealloc_driver).
 * prxe_net_lock is a mutex over prxe_net_socks and the users counts; the
 * socket layer's locks are the only ones taken under it.  Transmit and
 * receive take no lock of this file.
 */
#include <linux/etherdevice.h>
#include <linux/if_vlan.h>
#include <linux/inetdevice.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/udp.h>
#include <net/addrconf.h>
#include <net/dst_cache.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/route.h>
#include <net/udp.h>
#include <net/udp_tunnel.h>
#include <rdma/ib_addr.h>
#include <rdma/ib_cache.h>

#include "prxe.h"
#include "prxe_counters.h"
#include "prxe_net.h"
#include "prxe_qp.h"

/* The UDP sockets of one network namespace. */
struct prxe_net_sock {
	struct list_head	list;	/* on prxe_net_socks; empty once the
					 * namespace has exited */
	struct net		*net;	/* not a counted reference */
	unsigned int		users;	/* prxe devices using it */
	struct socket		*sock4;
	struct socket		*sock6;	/* NULL when IPv6 is disabled */
};

static LIST_HEAD(prxe_net_socks);
static DEFINE_MUTEX(prxe_net_lock);

/* ------------------------------------------------------------------------
 * Receive
 */

/*
 * The netdev a packet is for: the one holding its destination address, or
 * the real device of a VLAN.  Under RCU; no reference taken.
 */
static struct net_device *prxe_rcv_netdev(struct sk_buff *skb)
{
	struct net_device *ndev = skb->dev;

	if (ndev->flags & IFF_LOOPBACK) {
		/* Sent by a device of this namespace to one of its addresses. */
		if (skb->protocol == htons(ETH_P_IP))
			ndev = __ip_dev_find(dev_net(ndev), ip_hdr(skb)->daddr,
					     false);
#if IS_ENABLED(CONFIG_IPV6)
		else if (skb->protocol == htons(ETH_P_IPV6))
			ndev = ipv6_dev_find(dev_net(ndev),
					     &ipv6_hdr(skb)->daddr, NULL);
#endif
		else
			ndev = NULL;
		if (!ndev)
			return NULL;
	}
	if (is_vlan_dev(ndev))
		ndev = vlan_dev_real_dev(ndev);
	return ndev;
}

/*
 * Check a packet the UDP layer handed over (skb->data at the UDP header,
 * skb->len the UDP length) and fill in prxe_pkt(skb).  Returns 0, or an
 * errno and in @why the counter of the drop.
 */
static int prxe_rcv_parse(struct sk_buff *skb, enum prxe_counter *why)
{
	struct prxe_pkt *pkt = prxe_pkt(skb);
	const struct prxe_opcode_info *info;
	unsigned int tlen, paylen;
	struct prxe_bth *bth;
	struct udphdr *udph;
	bool ipv6;
	u8 pad;

	/* Whole packet in the linear area: for the ICRC and the QP engines. */
	*why = PRXE_CNT_RCVD_NOMEM;
	if (skb_linearize(skb))
		return -ENOMEM;
	*why = PRXE_CNT_RCVD_BAD_HDR;

	/* Plain IP headers (the ICRC covers them, options unsupported). */
	if (skb->protocol == htons(ETH_P_IP) &&
	    skb_network_header_len(skb) == sizeof(struct iphdr))
		ipv6 = false;
	else if (skb->protocol == htons(ETH_P_IPV6) &&
		 skb_network_header_len(skb) == sizeof(struct ipv6hdr))
		ipv6 = true;
	else
		return -EPROTO;

	/* UDP trimmed the skb to the UDP length; at least a BTH and ICRC. */
	udph = udp_hdr(skb);
	if (skb_transport_offset(skb) != 0 || ntohs(udph->len) != skb->len ||
	    skb->len < sizeof(*udph) + PRXE_BTH_BYTES + PRXE_ICRC_SIZE)
		return -EPROTO;
	/* IB packets are whole 4-byte words. */
	tlen = skb->len - sizeof(*udph);
	if (tlen % 4)
		return -EPROTO;

	bth = (struct prxe_bth *)(udph + 1);
	info = prxe_opcode_info(prxe_bth_opcode(bth));
	if (!info || prxe_bth_tver(bth) != PRXE_BTH_TVER)
		return -EPROTO;
	pad = prxe_bth_pad(bth);
	if (tlen < info->length + pad + PRXE_ICRC_SIZE)
		return -EPROTO;
	paylen = tlen - info->length - pad - PRXE_ICRC_SIZE;
	if (!(info->mask & PRXE_MASK_PAYLOAD) && (paylen || pad))
		return -EPROTO;

	pkt->bth = bth;
	pkt->info = info;
	pkt->mask = info->mask;
	pkt->opcode = info->opcode;
	pkt->psn = prxe_bth_psn(bth);
	pkt->qpn = prxe_bth_qpn(bth);
	pkt->pad = pad;
	pkt->ack_req = prxe_bth_ack_req(bth);
	pkt->se = prxe_bth_se(bth);
	pkt->ipv6 = ipv6;
	/* skb->cb held the IP layer's data until now: clear what it left. */
	pkt->accepted = 0;
	pkt->paylen = paylen;
	pkt->sport = ntohs(udph->source);
	if (ipv6)
		pkt->saddr = ipv6_hdr(skb)->saddr;
	else
		ipv6_addr_set_v4mapped(ip_hdr(skb)->saddr, &pkt->saddr);

	__skb_pull(skb, sizeof(*udph));
	__skb_trim(skb, skb->len - PRXE_ICRC_SIZE);
	return 0;
}

/*
 * A datagram to port 4791, skb->data at its UDP header: to the prxe device
 * it is for, or dropped.  Consumes @skb.  Softirq or BHs disabled.
 */
static void prxe_net_rcv(struct sk_buff *skb)
{
	enum prxe_counter why;
	struct net_device *ndev;
	struct prxe_dev *prxe;
	int err;

	rcu_read_lock();
	ndev = prxe_rcv_netdev(skb);
	prxe = ndev ? prxe_get_dev_by_netdev(ndev) : NULL;
	rcu_read_unlock();
	if (!prxe) {
		/* Not for a prxe device (an address of another netdev). */
		kfree_skb(skb);
		return;
	}

	err = prxe_rcv_parse(skb, &why);
	if (err) {
		/* (A flipped bit may show as a bad header before the ICRC.) */
		prxe_counter_inc(prxe, why);
		kfree_skb(skb);
	} else {
		/* The ICRC is checked by whoever takes the packet. */
		prxe_rcv_pkt(prxe, skb);
	}
	ib_device_put(&prxe->ibdev);
}

/* encap_rcv of the sockets: every UDP datagram to port 4791. */
static int prxe_udp_encap_rcv(struct sock *sk, struct sk_buff *skb)
{
	prxe_net_rcv(skb);
	return 0;
}

/* ------------------------------------------------------------------------
 * Sockets
 */

static struct socket *prxe_udp_sock_create(struct net *net, bool ipv6)
{
	struct udp_port_cfg port_cfg = {
		.family = ipv6 ? AF_INET6 : AF_INET,
		.local_udp_port = htons(PRXE_ROCE_V2_UDP_DPORT),
		/* Leave IPv4 to the IPv4 socket. */
		.ipv6_v6only = ipv6,
		/*
		 * use_udp6_rx_checksums stays 0: accept IPv6 datagrams with a
		 * zero UDP checksum, which is what rdma_rxe sends.
		 */
	};
	struct udp_tunnel_sock_cfg tunnel_cfg = {
		.encap_type = 1,
		.encap_rcv = prxe_udp_encap_rcv,
	};
	struct socket *sock;
	int err;

	err = udp_sock_create(net, &port_cfg, &sock);
	if (err)
		return ERR_PTR(err);
	setup_udp_tunnel_sock(net, sock, &tunnel_cfg);
	return sock;
}

static void prxe_net_sock_close(struct prxe_net_sock *ns)
{
	if (ns->sock6)
		udp_tunnel_sock_release(ns->sock6);
	if (ns->sock4)
		udp_tunnel_sock_release(ns->sock4);
	ns->sock6 = NULL;
	ns->sock4 = NULL;
}

/* Open port 4791 in the namespace of @ndev.  Under prxe_net_lock. */
static struct prxe_net_sock *prxe_net_sock_open(struct net_device *ndev)
{
	struct prxe_net_sock *ns;
	struct socket *sock;
	int err;

	ns = kzalloc(sizeof(*ns), GFP_KERNEL);
	if (!ns)
		return ERR_PTR(-ENOMEM);
	ns->net = dev_net(ndev);

	sock = prxe_udp_sock_create(ns->net, false);
	if (IS_ERR(sock)) {
		err = PTR_ERR(sock);
		goto fail;
	}
	ns->sock4 = sock;

	sock = prxe_udp_sock_create(ns->net, true);
	if (IS_ERR(sock)) {
		err = PTR_ERR(sock);
		/* IPv6 disabled (ipv6.disable=1 or no IPv6): IPv4 only. */
		if (err != -EAFNOSUPPORT)
			goto fail;
		sock = NULL;
	}
	ns->sock6 = sock;
	return ns;

fail:
	if (err == -EADDRINUSE)
		pr_err("prxe: UDP port %u is in use in the network namespace of %s (rdma_rxe?)\n",
		       PRXE_ROCE_V2_UDP_DPORT, netdev_name(ndev));
	else
		pr_err("prxe: cannot open UDP port %u in the network namespace of %s: error %d\n",
		       PRXE_ROCE_V2_UDP_DPORT, netdev_name(ndev), err);
	prxe_net_sock_close(ns);
	kfree(ns);
	return ERR_PTR(err);
}

/**
 * prxe_net_dev_add() - set up the packet layer of a new device
 * @prxe: the device, allocated, not yet registered; prxe->ndev set
 *
 * Allocates the device's counters and makes sure UDP port 4791 is open in
 * the netdev's network namespace.  Whatever is set up is undone by
 * prxe_net_dev_remove(), also after a failure here.
 *
 * Context: process context; takes prxe_net_lock.
 * Return: 0, or -EADDRINUSE when another socket holds the port in that
 * namespace (rdma_rxe in the initial one), or another errno.
 */
int prxe_net_dev_add(struct prxe_dev *prxe)
{
	struct net *net = dev_net(prxe->ndev);
	struct prxe_net_sock *ns;
	int err;

	err = prxe_counters_alloc(prxe);
	if (err)
		return err;

	mutex_lock(&prxe_net_lock);
	list_for_each_entry(ns, &prxe_net_socks, list)
		if (net_eq(ns->net, net))
			goto found;
	ns = prxe_net_sock_open(prxe->ndev);
	if (IS_ERR(ns)) {
		err = PTR_ERR(ns);
		goto out;
	}
	list_add(&ns->list, &prxe_net_socks);
found:
	ns->users++;
	prxe->net_sock = ns;
out:
	mutex_unlock(&prxe_net_lock);
	return err;
}

/**
 * prxe_net_dev_remove() - release the packet layer of a device
 * @prxe: the device, unregistered (or never registered)
 *
 * Closes port 4791 in the device's namespace if it was the last device
 * there, and frees the counters.  Does not touch prxe->ndev, which ib_core
 * may already have released.
 *
 * Context: process context; takes prxe_net_lock.
 */
void prxe_net_dev_remove(struct prxe_dev *prxe)
{
	struct prxe_net_sock *ns = prxe->net_sock;

	if (ns) {
		mutex_lock(&prxe_net_lock);
		if (!--ns->users) {
			list_del(&ns->list);	/* no-op after namespace exit */
			prxe_net_sock_close(ns);
			kfree(ns);
		}
		mutex_unlock(&prxe_net_lock);
		prxe->net_sock = NULL;
	}
	prxe_counters_free(prxe);
}

/* A namespace goes away: close its sockets now, devices may linger. */
static void __net_exit prxe_net_exit_net(struct net *net)
{
	struct prxe_net_sock *ns;

	mutex_lock(&prxe_net_lock);
	list_for_each_entry(ns, &prxe_net_socks, list) {
		if (net_eq(ns->net, net)) {
			list_del_init(&ns->list);
			prxe_net_sock_close(ns);
			ns->net = NULL;
			break;
		}
	}
	mutex_unlock(&prxe_net_lock);
}

static struct pernet_operations prxe_net_ops = {
	.exit = prxe_net_exit_net,
};

/* ------------------------------------------------------------------------
 * Address vectors
 */

/**
 * prxe_av_from_ah_attr() - resolve an address vector
 * @av: filled in
 * @attr: a RoCE address with a GRH whose sgid_attr is set (as ib_core
 *	passes it to create_ah and modify_qp)
 *
 * Return: 0, or -EINVAL when @attr is not a RoCEv2 address (no GRH, no or
 * non-RoCEv2 source GID, destination GID missing or of the other IP
 * version), -ENODEV when the source GID's netdev is going away.
 */
int prxe_av_from_ah_attr(struct prxe_av *av, const struct rdma_ah_attr *attr)
{
	const struct ib_gid_attr *sgid_attr;
	const struct ib_global_route *grh;
	struct net_device *ndev;
	struct in6_addr daddr;
	int ifindex;

	if (attr->type != RDMA_AH_ATTR_TYPE_ROCE ||
	    !(rdma_ah_get_ah_flags(attr) & IB_AH_GRH))
		return -EINVAL;
	grh = rdma_ah_read_grh(attr);
	sgid_attr = grh->sgid_attr;
	if (!sgid_attr || sgid_attr->gid_type != IB_GID_TYPE_ROCE_UDP_ENCAP)
		return -EINVAL;

	memcpy(&daddr, grh->dgid.raw, sizeof(daddr));
	if (ipv6_addr_any(&daddr) ||
	    ipv6_addr_v4mapped(&daddr) !=
	    (rdma_gid_attr_network_type(sgid_attr) == RDMA_NETWORK_IPV4))
		return -EINVAL;

	rcu_read_lock();
	ndev = rdma_read_gid_attr_ndev_rcu(sgid_attr);
	ifindex = IS_ERR(ndev) ? 0 : ndev->ifindex;
	rcu_read_unlock();
	if (!ifindex)
		return -ENODEV;

	memset(av, 0, sizeof(*av));
	av->network_type = rdma_gid_attr_network_type(sgid_attr);
	memcpy(&av->saddr, sgid_attr->gid.raw, sizeof(av->saddr));
	av->daddr = daddr;
	av->flow_label = grh->flow_label & IB_GRH_FLOWLABEL_MASK;
	av->traffic_class = grh->traffic_class;
	av->hop_limit = grh->hop_limit;
	av->sgid_index = grh->sgid_index;
	ether_addr_copy(av->dmac, attr->roce.dmac);
	av->ifindex = ifindex;
	return 0;
}

/**
 * prxe_av_to_ah_attr() - the rdma_ah_attr of an address vector
 * @av: the address vector
 * @ibdev: its device
 * @attr: filled in (for query_qp / query_ah); no sgid_attr reference
 */
void prxe_av_to_ah_attr(const struct prxe_av *av, struct ib_device *ibdev,
			struct rdma_ah_attr *attr)
{
	union ib_gid dgid;

	memset(attr, 0, sizeof(*attr));
	attr->type = rdma_ah_find_type(ibdev, PRXE_PORT);
	rdma_ah_set_port_num(attr, PRXE_PORT);
	memcpy(dgid.raw, &av->daddr, sizeof(dgid.raw));
	rdma_ah_set_grh(attr, &dgid, av->flow_label, av->sgid_index,
			av->hop_limit, av->traffic_class);
	ether_addr_copy(attr->roce.dmac, av->dmac);
}

/* ------------------------------------------------------------------------
 * Transmit
 */

static bool prxe_av_is_ipv4(const struct prxe_av *av)
{
	return av->network_type == RDMA_NETWORK_IPV4;
}

/**
 * prxe_pkt_alloc() - a packet to fill and send with prxe_pkt_xmit()
 * @prxe: the sending device (registered)
 * @av: where it goes (decides IPv4 / IPv6 headroom)
 * @len: BTH + extension headers + payload + pad; the ICRC not included
 * @gfp: allocation flags (GFP_ATOMIC in atomic context)
 *
 * Return: an skb whose data is @len bytes, not initialised, with room in
 * front for the UDP, IP and link headers and behind for the ICRC; or NULL.
 */
struct sk_buff *prxe_pkt_alloc(struct prxe_dev *prxe, const struct prxe_av *av,
			       unsigned int len, gfp_t gfp)
{
	unsigned int headroom = sizeof(struct udphdr) +
		(prxe_av_is_ipv4(av) ? sizeof(struct iphdr) :
				       sizeof(struct ipv6hdr)) +
		LL_RESERVED_SPACE_EXTRA(prxe->ndev, VLAN_HLEN);
	struct sk_buff *skb;

	skb = alloc_skb(headroom + len + PRXE_ICRC_SIZE, gfp);
	if (!skb)
		return NULL;
	skb_reserve(skb, headroom);
	skb_put(skb, len);
	skb->protocol = prxe_av_is_ipv4(av) ? htons(ETH_P_IP) :
					      htons(ETH_P_IPV6);
	return skb;
}

static struct udphdr *prxe_push_udp(struct sk_buff *skb, __be16 sport)
{
	struct udphdr *udph;

	__skb_push(skb, sizeof(*udph));
	skb_reset_transport_header(skb);
	udph = udp_hdr(skb);
	udph->source = sport;
	udph->dest = htons(PRXE_ROCE_V2_UDP_DPORT);
	udph->len = htons(skb->len);
	udph->check = 0;
	return udph;
}

/*
 * A packet routed to an address of this namespace (a local route: the
 * stack would send it through "lo" and back up to prxe's own socket), its
 * IP and UDP headers and ICRC written: handed to the receive path here, as
 * "lo" would have handed it over, without the round trip through the IP
 * and UDP layers.  rdma_rxe does the same (rxe_loopback()).  Consumes
 * @skb.  BHs disabled.
 */
static int prxe_xmit_local(struct net *net, struct sk_buff *skb)
{
	skb->dev = net->loopback_dev;
	__skb_pull(skb, skb_transport_offset(skb));
	prxe_net_rcv(skb);
	return NET_XMIT_SUCCESS;
}

/* Route, headers, ICRC, send.  Consumes @skb. */
static int prxe_xmit4(struct net *net, int oif, const struct prxe_av *av,
		      struct dst_cache *route, struct sk_buff *skb,
		      __be16 sport)
{
	struct flowi4 fl4 = {
		.flowi4_oif = oif,
		.flowi4_proto = IPPROTO_UDP,
		.saddr = av->saddr.s6_addr32[3],
		.daddr = av->daddr.s6_addr32[3],
		.fl4_sport = sport,
		.fl4_dport = htons(PRXE_ROCE_V2_UDP_DPORT),
	};
	struct iphdr *iph;
	struct rtable *rt;
	__be32 saddr;	/* the cached source: fl4.saddr, the GID's */
	bool rxe_flush;

	rt = route ? dst_cache_get_ip4(route, &saddr) : NULL;
	if (!rt) {
		rt = ip_route_output_key(net, &fl4);
		if (IS_ERR(rt)) {
			kfree_skb(skb);
			return PTR_ERR(rt);
		}
		if (route)
			dst_cache_set_ip4(route, &rt->dst, fl4.saddr);
	}

	/* UDP checksum 0: allowed over IPv4, and what RoCEv2 NICs send. */
	/* Before the IP layer takes skb->cb over. */
	rxe_flush = prxe_pkt(skb)->icrc_rxe;
	prxe_push_udp(skb, sport);

	__skb_push(skb, sizeof(*iph));
	skb_reset_network_header(skb);
	iph = ip_hdr(skb);
	iph->version = 4;
	iph->ihl = sizeof(*iph) / 4;
	iph->tos = av->traffic_class;
	iph->tot_len = htons(skb->len);
	iph->frag_off = htons(IP_DF);
	iph->ttl = av->hop_limit ?: ip4_dst_hoplimit(&rt->dst);
	iph->protocol = IPPROTO_UDP;
	iph->saddr = fl4.saddr;
	iph->daddr = fl4.daddr;
	/* Before the ICRC, which covers the Identification. */
	__ip_select_ident(net, iph, 1);

	memset(IPCB(skb), 0, sizeof(*IPCB(skb)));
	if (rt->rt_type == RTN_LOCAL) {
		ip_rt_put(rt);
		/* What ip_local_out() would have set, for completeness. */
		ip_send_check(iph);
		prxe_icrc_generate(skb, rxe_flush);
		return prxe_xmit_local(net, skb);
	}
	skb->dev = rt->dst.dev;
	skb_dst_set(skb, &rt->dst);
	prxe_icrc_generate(skb, rxe_flush);
	/* Sets the IPv4 header checksum, which the ICRC does not cover. */
	return ip_local_out(net, NULL, skb);
}

#if IS_ENABLED(CONFIG_IPV6)
static int prxe_xmit6(struct net *net, int oif, const struct prxe_av *av,
		      struct dst_cache *route, struct sk_buff *skb,
		      __be16 sport)
{
	__be32 flow_label = htonl(av->flow_label & IB_GRH_FLOWLABEL_MASK);
	struct flowi6 fl6 = {
		.flowi6_oif = oif,
		.flowi6_proto = IPPROTO_UDP,
		.flowlabel = ip6_make_flowinfo(av->traffic_class, flow_label),
		.saddr = av->saddr,
		.daddr = av->daddr,
		.fl6_sport = sport,
		.fl6_dport = htons(PRXE_ROCE_V2_UDP_DPORT),
	};
	struct dst_entry *dst;
	struct ipv6hdr *ip6h;
	struct in6_addr saddr;	/* the cached source: fl6.saddr, the GID's */
	bool rxe_flush;

	dst = route ? dst_cache_get_ip6(route, &saddr) : NULL;
	if (!dst) {
		dst = ip6_dst_lookup_flow(net, NULL, &fl6, NULL);
		if (IS_ERR(dst)) {
			kfree_skb(skb);
			return PTR_ERR(dst);
		}
		if (route)
			dst_cache_set_ip6(route, dst, &fl6.saddr);
	}

	/*
	 * A real UDP checksum (offloaded where the netdev can): a zero one is
	 * dropped by IPv6 receivers that did not opt in to RFC 6935.  It is
	 * filled in after the ICRC, which masks it.
	 */
	/* Before the IP layer takes skb->cb over. */
	rxe_flush = prxe_pkt(skb)->icrc_rxe;
	prxe_push_udp(skb, sport);
	udp6_set_csum(false, skb, &fl6.saddr, &fl6.daddr, skb->len);

	__skb_push(skb, sizeof(*ip6h));
	skb_reset_network_header(skb);
	ip6h = ipv6_hdr(skb);
	ip6_flow_hdr(ip6h, av->traffic_class, flow_label);
	ip6h->payload_len = htons(skb->len - sizeof(*ip6h));
	ip6h->nexthdr = IPPROTO_UDP;
	ip6h->hop_limit = av->hop_limit ?: ip6_dst_hoplimit(dst);
	ip6h->saddr = fl6.saddr;
	ip6h->daddr = fl6.daddr;

	memset(IP6CB(skb), 0, sizeof(*IP6CB(skb)));
	if (container_of(dst, struct rt6_info, dst)->rt6i_flags & RTF_LOCAL) {
		dst_release(dst);
		prxe_icrc_generate(skb, rxe_flush);
		return prxe_xmit_local(net, skb);
	}
	skb->dev = dst->dev;
	skb_dst_set(skb, dst);
	prxe_icrc_generate(skb, rxe_flush);
	return ip6_local_out(net, NULL, skb);
}
#else
static int prxe_xmit6(struct net *net, int oif, const struct prxe_av *av,
		      struct dst_cache *route, struct sk_buff *skb,
		      __be16 sport)
{
	kfree_skb(skb);
	return -EAFNOSUPPORT;
}
#endif

/**
 * prxe_pkt_xmit() - send a packet
 * @prxe: the sending device (registered)
 * @av: where to
 * @route: the cached route of @av (a QP's), or NULL to look it up
 * @skb: from prxe_pkt_alloc(), transport headers and payload filled in
 * @src_qpn: the sending QP
 * @dst_qpn: the destination QP
 *
 * Adds the UDP header (source port from the flow label, or from the QPNs
 * as rdma_get_udp_sport() derives it), the IP header (route in the
 * netdev's namespace, out of the source GID's netdev; IPv4 with DF) and the
 * ICRC, and hands the packet to the IP stack.  Counts sent_pkts or
 * send_err.
 *
 * Context: any; may be called with BHs disabled.  @skb is consumed in all
 * cases.
 * Return: 0, or a negative errno (no route, dropped by the stack).
 */
int prxe_pkt_xmit(struct prxe_dev *prxe, const struct prxe_av *av,
		  struct dst_cache *route, struct sk_buff *skb, u32 src_qpn,
		  u32 dst_qpn)
{
	struct net *net = dev_net(prxe->ndev);
	int oif = av->ifindex ?: prxe->ndev->ifindex;
	__be16 sport;
	int err;

	sport = htons(rdma_get_udp_sport(av->flow_label, src_qpn, dst_qpn));
	skb_put(skb, PRXE_ICRC_SIZE);
	/* The route cache is per CPU: no migration while it is used. */
	local_bh_disable();
	if (prxe_av_is_ipv4(av))
		err = prxe_xmit4(net, oif, av, route, skb, sport);
	else
		err = prxe_xmit6(net, oif, av, route, skb, sport);
	local_bh_enable();

	/* NET_XMIT_CN: queued, but the queue is congested. */
	if (unlikely(net_xmit_eval(err))) {
		prxe_counter_inc(prxe, PRXE_CNT_SEND_ERR);
		return err < 0 ? err : -ENOBUFS;
	}
	prxe_counter_inc(prxe, PRXE_CNT_SENT_PKTS);
	return 0;
}

/*
 * A new packet of @qp to QP @dqpn at @av: BTH filled, extension headers
 * and pad zeroed, the @paylen bytes of payload left to the caller.
 */
struct sk_buff *prxe_qp_pkt_new_to(struct prxe_qp *qp,
				   const struct prxe_av *av, u32 dqpn,
				   u8 opcode, u32 paylen, u32 psn,
				   bool ack_req, bool se,
				   struct prxe_bth **bthp)
{
	const struct prxe_opcode_info *info = prxe_opcode_info(opcode);
	u8 pad = prxe_pad_for(paylen);
	struct sk_buff *skb;
	u8 *hdr;

	skb = prxe_pkt_alloc(qp->prxe, av, info->length + paylen + pad,
			     GFP_KERNEL);
	if (!skb)
		return NULL;
	hdr = skb->data;
	memset(hdr, 0, info->length);
	memset(hdr + info->length + paylen, 0, pad);
	*bthp = (struct prxe_bth *)hdr;
	prxe_bth_init(*bthp, opcode, se, pad, PRXE_DEFAULT_PKEY, dqpn, ack_req,
		      psn);
	return skb;
}

/* A new packet of a connected @qp to its peer (prxe_qp_pkt_new_to()). */
struct sk_buff *prxe_qp_pkt_new(struct prxe_qp *qp, u8 opcode, u32 paylen,
				u32 psn, bool ack_req, bool se,
				struct prxe_bth **bthp)
{
	return prxe_qp_pkt_new_to(qp, &qp->av, qp->dest_qpn, opcode, paylen,
				  psn, ack_req, se, bthp);
}

/* Send a packet of a connected @qp to its peer, over the QP's cached route. */
void prxe_qp_pkt_send(struct prxe_qp *qp, struct sk_buff *skb)
{
	prxe_pkt_xmit(qp->prxe, &qp->av, &qp->route, skb, qp->ibqp.qp_num,
		      qp->dest_qpn);
}

/* ------------------------------------------------------------------------
 * Module
 */

int prxe_net_init(void)
{
	int err;

	err = register_pernet_subsys(&prxe_net_ops);
	if (err)
		return err;
	prxe_debugfs_init();
	return 0;
}

/* After prxe_link_exit(): no device, hence no socket, is left. */
void prxe_net_exit(void)
{
	prxe_debugfs_exit();
	unregister_pernet_subsys(&prxe_net_ops);
	WARN_ON(!list_empty(&prxe_net_socks));
	/* encap_rcv calls still running on closed sockets finish. */
	synchronize_net();
}
