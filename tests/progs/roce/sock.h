/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * RoCEv2 packets on the wire: a raw sender that puts built packets (any
 * source address, any header contents) on the network, and a listener on
 * UDP port 4791 that hands back what a device answers, parsed.  Both need
 * root (CAP_NET_RAW); tests run them in the network namespace of the peer
 * they impersonate, where no RoCE device holds port 4791.
 *
 * How each family is sent: IPv4 through socket(AF_INET, SOCK_RAW,
 * IPPROTO_RAW), which implies IP_HDRINCL: the kernel sends the header as
 * built but fills in the total length and header checksum (both as the
 * builder writes them) and an Identification of 0 (the builder writes a
 * non-zero one, covered by the ICRC).  IPv6 through
 * socket(AF_INET6, SOCK_RAW, IPPROTO_RAW), which on Linux likewise
 * implies IPV6_HDRINCL (set again explicitly; the option exists since
 * 4.5): the kernel sends the 40-byte header untouched, source address
 * included, with no check that the address is local, and routes by the
 * destination given to sendto().  No AF_PACKET fallback is needed on
 * Linux 6.12, and it would need the peer's MAC address.  Either way a
 * packet larger than the route's MTU fails with EMSGSIZE (no
 * fragmentation: IPv4 packets carry DF).
 *
 * A socket is used by one thread at a time.
 */
#ifndef PRXE_ROCE_SOCK_H
#define PRXE_ROCE_SOCK_H

#include "pkt.h"

struct roce_tx {
	int	fd4;	/* AF_INET raw, or -1 */
	int	fd6;	/* AF_INET6 raw, or -1 */
};

/* Open the raw sockets of both families (one may be missing: IPv6
 * disabled).  0, or -errno when neither opens. */
int roce_tx_open(struct roce_tx *tx);
/* Send @pkt to the destination address in its IP header.  0, or -errno:
 * -EMSGSIZE (larger than the route's MTU), -EAFNOSUPPORT, ... */
int roce_tx_send(struct roce_tx *tx, const struct roce_pkt *pkt);
void roce_tx_close(struct roce_tx *tx);

/* The source address the kernel would choose for @dst (a UDP connect). */
int roce_route_source(int family, const union roce_in_addr *dst,
		      union roce_in_addr *src);

/*
 * The listener.  The UDP socket bound to LOCAL:4791 owns the port, so that
 * the kernel answers nobody with ICMP port unreachable.  What is read:
 * IPv4: a raw IPPROTO_UDP socket's copy of the same datagrams, which
 * comes with the IP header (the Identification is covered by the ICRC and
 * not otherwise visible); IPv6: the UDP socket itself (UDP_NO_CHECK6_RX, to
 * accept rdma_rxe's zero checksums), and the header is rebuilt from the
 * addresses and lengths - the fields it cannot know (traffic class, flow
 * label, hop limit, UDP checksum) are the ones the ICRC does not cover.
 * So the ICRC is checked for both families.
 */
struct roce_rx {
	int			family;
	int			udp_fd;
	int			raw_fd;		/* IPv4 only, else -1 */
	union roce_in_addr	local;
	bool			local_any;	/* bound to the wildcard address */
};

/* One received packet: the bytes (IP header first) and their parse. */
struct roce_rx_pkt {
	struct roce_pkt		pkt;
	struct roce_parsed	parsed;		/* pointers into pkt.data */
	bool			ip_hdr_rebuilt;	/* IPv6: see above */
};

int roce_rx_open(struct roce_rx *rx, int family,
		 const union roce_in_addr *local);
/* The same from text: "10.77.0.2", "fd77::2", "0.0.0.0", "::". */
int roce_rx_open_str(struct roce_rx *rx, const char *local);
/*
 * Wait up to @timeout_ms (-1: forever) for the next packet to the bound
 * address and port 4791.  0: out->parsed is filled in (a packet that does
 * not parse has out->parsed.error set, and a bad ICRC icrc_ok false);
 * -ETIMEDOUT; or -errno.
 */
int roce_rx_recv(struct roce_rx *rx, struct roce_rx_pkt *out, int timeout_ms);
void roce_rx_close(struct roce_rx *rx);

#endif /* PRXE_ROCE_SOCK_H */
