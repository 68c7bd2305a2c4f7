// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe_roce_send: send hand-built RoCEv2 packets through a raw IP socket,
 * so that the receive checks of a RoCEv2 device can be tested without QPs.
 *
 *   prxe_roce_send [options] DST_IP
 *     -s SRC_IP   source address (default: the one the kernel would pick)
 *     -q QPN      destination QP (default 1, the GSI QP)
 *     -k QKEY     DETH Q_Key (default 0x80010000, the GSI Q_Key)
 *     -o OPCODE   BTH opcode (default 0x64, UD SEND_ONLY); the DETH is
 *                 written whatever the opcode
 *     -t TVER     BTH transport version (default 0)
 *     -l LEN      payload bytes (default 256, one MAD)
 *     -n COUNT    packets to send (default 1)
 *     -b          corrupt the ICRC
 *
 * The ICRC is computed as IBTA Annex A17 defines it (and rdma_rxe computes
 * it): CRC-32 over 8 bytes of 0xff, the IP header with TOS/TTL/checksum
 * (IPv4) or traffic class/flow label/hop limit (IPv6) set to ones, the UDP
 * header with its checksum set to ones, the BTH with byte 4 set to ones,
 * and the rest of the packet; inverted, little-endian on the wire.  The
 * IPv4 Identification, covered by the ICRC, is set here (the kernel keeps a
 * non-zero one); the UDP checksum is 0, as rdma_rxe sends it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/udp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ROCE_PORT	4791
#define BTH_LEN		12
#define DETH_LEN	8
#define ICRC_LEN	4

static uint32_t crc32_le(uint32_t crc, const uint8_t *p, size_t n)
{
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
	}
	return crc;
}

/* ICRC of pkt[0 .. len - 4), IP header first, ip_len bytes of it. */
static uint32_t icrc(const uint8_t *pkt, size_t len, size_t ip_len)
{
	static const uint8_t lrh[8] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff
	};
	uint8_t hdr[40 + 8 + BTH_LEN];
	size_t hdr_len = ip_len + 8 + BTH_LEN;
	uint32_t crc;

	memcpy(hdr, pkt, hdr_len);
	if (ip_len == 20) {
		hdr[1] = 0xff;			/* TOS */
		hdr[8] = 0xff;			/* TTL */
		hdr[10] = hdr[11] = 0xff;	/* header checksum */
	} else {
		hdr[0] |= 0x0f;			/* traffic class, flow label */
		hdr[1] = hdr[2] = hdr[3] = 0xff;
		hdr[7] = 0xff;			/* hop limit */
	}
	hdr[ip_len + 6] = hdr[ip_len + 7] = 0xff;	/* UDP checksum */
	hdr[ip_len + 8 + 4] = 0xff;			/* BTH resv8a */

	crc = crc32_le(0xffffffffu, lrh, sizeof(lrh));
	crc = crc32_le(crc, hdr, hdr_len);
	crc = crc32_le(crc, pkt + hdr_len, len - ICRC_LEN - hdr_len);
	return ~crc;
}

static void usage(void)
{
	fprintf(stderr, "usage: prxe_roce_send [-s SRC] [-q QPN] [-k QKEY] [-o OPCODE] [-t TVER] [-l LEN] [-n COUNT] [-b] DST\n");
	exit(2);
}

/* The source address the kernel picks for @dst. */
static int pick_source(int family, const struct sockaddr *dst,
		       socklen_t dst_len, struct sockaddr_storage *src)
{
	socklen_t len = sizeof(*src);
	int fd = socket(family, SOCK_DGRAM, 0);

	if (fd < 0 || connect(fd, dst, dst_len) ||
	    getsockname(fd, (struct sockaddr *)src, &len)) {
		perror("prxe_roce_send: finding a source address");
		return -1;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long qpn = 1, qkey = 0x80010000, opcode = 0x64, tver = 0;
	unsigned long paylen = 256, count = 1;
	struct sockaddr_storage dst = {}, src = {};
	const char *src_arg = NULL;
	bool bad_icrc = false, v6;
	uint8_t pkt[4096];
	size_t ip_len, len, pad;
	socklen_t dst_len;
	uint8_t *udp, *bth;
	uint32_t crc;
	int opt, fd;

	while ((opt = getopt(argc, argv, "s:q:k:o:t:l:n:b")) != -1) {
		switch (opt) {
		case 's': src_arg = optarg; break;
		case 'q': qpn = strtoul(optarg, NULL, 0); break;
		case 'k': qkey = strtoul(optarg, NULL, 0); break;
		case 'o': opcode = strtoul(optarg, NULL, 0); break;
		case 't': tver = strtoul(optarg, NULL, 0); break;
		case 'l': paylen = strtoul(optarg, NULL, 0); break;
		case 'n': count = strtoul(optarg, NULL, 0); break;
		case 'b': bad_icrc = true; break;
		default: usage();
		}
	}
	if (optind != argc - 1 || paylen > 2048)
		usage();

	v6 = strchr(argv[optind], ':');
	if (v6) {
		struct sockaddr_in6 *d = (struct sockaddr_in6 *)&dst;
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&src;

		d->sin6_family = AF_INET6;
		d->sin6_port = htons(ROCE_PORT);
		dst_len = sizeof(*d);
		if (inet_pton(AF_INET6, argv[optind], &d->sin6_addr) != 1)
			usage();
		s->sin6_family = AF_INET6;
		if (src_arg ? inet_pton(AF_INET6, src_arg, &s->sin6_addr) != 1 :
		    pick_source(AF_INET6, (struct sockaddr *)d, dst_len, &src))
			return 1;
		ip_len = 40;
	} else {
		struct sockaddr_in *d = (struct sockaddr_in *)&dst;
		struct sockaddr_in *s = (struct sockaddr_in *)&src;

		d->sin_family = AF_INET;
		d->sin_port = htons(ROCE_PORT);
		dst_len = sizeof(*d);
		if (inet_pton(AF_INET, argv[optind], &d->sin_addr) != 1)
			usage();
		s->sin_family = AF_INET;
		if (src_arg ? inet_pton(AF_INET, src_arg, &s->sin_addr) != 1 :
		    pick_source(AF_INET, (struct sockaddr *)d, dst_len, &src))
			return 1;
		ip_len = 20;
	}

	pad = -paylen & 3;
	len = ip_len + 8 + BTH_LEN + DETH_LEN + paylen + pad + ICRC_LEN;
	memset(pkt, 0, len);

	if (v6) {
		struct ip6_hdr *ip6 = (struct ip6_hdr *)pkt;

		ip6->ip6_flow = htonl(6u << 28);
		ip6->ip6_plen = htons(len - ip_len);
		ip6->ip6_nxt = IPPROTO_UDP;
		ip6->ip6_hlim = 64;
		ip6->ip6_src = ((struct sockaddr_in6 *)&src)->sin6_addr;
		ip6->ip6_dst = ((struct sockaddr_in6 *)&dst)->sin6_addr;
	} else {
		struct ip *ip = (struct ip *)pkt;

		ip->ip_v = 4;
		ip->ip_hl = 5;
		ip->ip_len = htons(len);
		ip->ip_id = htons(0x5a5a);	/* non-zero: the kernel keeps it */
		ip->ip_off = htons(IP_DF);
		ip->ip_ttl = 64;
		ip->ip_p = IPPROTO_UDP;
		ip->ip_src = ((struct sockaddr_in *)&src)->sin_addr;
		ip->ip_dst = ((struct sockaddr_in *)&dst)->sin_addr;
	}

	udp = pkt + ip_len;
	udp[0] = 0xc0 | ((getpid() >> 8) & 0x3f);	/* source port */
	udp[1] = getpid() & 0xff;
	udp[2] = ROCE_PORT >> 8;
	udp[3] = ROCE_PORT & 0xff;
	udp[4] = (len - ip_len) >> 8;
	udp[5] = (len - ip_len) & 0xff;

	bth = udp + 8;
	bth[0] = opcode;
	bth[1] = (pad << 4) | (tver & 0xf);
	bth[2] = bth[3] = 0xff;				/* default P_Key */
	bth[5] = qpn >> 16;
	bth[6] = qpn >> 8;
	bth[7] = qpn;
	/* DETH: Q_Key, source QP 1 */
	bth[12] = qkey >> 24;
	bth[13] = qkey >> 16;
	bth[14] = qkey >> 8;
	bth[15] = qkey;
	bth[19] = 1;

	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		perror("prxe_roce_send: raw socket");
		return 1;
	}
	for (unsigned long i = 0; i < count; i++) {
		bth[11] = i;					/* PSN */
		crc = icrc(pkt, len, ip_len) ^ (bad_icrc ? 1 : 0);
		pkt[len - 4] = crc;
		pkt[len - 3] = crc >> 8;
		pkt[len - 2] = crc >> 16;
		pkt[len - 1] = crc >> 24;
		if (v6)
			((struct sockaddr_in6 *)&dst)->sin6_port = 0;
		else
			((struct sockaddr_in *)&dst)->sin_port = 0;
		if (sendto(fd, pkt, len, 0, (struct sockaddr *)&dst,
			   dst_len) != (ssize_t)len) {
			perror("prxe_roce_send: sendto");
			return 1;
		}
	}
	printf("sent %lu packet(s) of %zu bytes to %s\n", count, len,
	       argv[optind]);
	return 0;
}
