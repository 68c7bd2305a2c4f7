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
 *     -n COUNT    packets to send (default 1), PSN 0, 1, 2, ...
 *     -b          corrupt the ICRC
 *
 * The packets are built by the wire library (roce/pkt.h): the ICRC as IBTA
 * Annex A17 defines it, the IPv4 Identification set (non-zero, which the
 * kernel keeps: the ICRC covers it), the UDP checksum 0, as rdma_rxe sends
 * it, for IPv6 too.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "roce/pkt.h"
#include "roce/sock.h"

static void usage(void)
{
	fprintf(stderr, "usage: prxe_roce_send [-s SRC] [-q QPN] [-k QKEY] [-o OPCODE] [-t TVER] [-l LEN] [-n COUNT] [-b] DST\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long qpn = 1, qkey = 0x80010000, opcode = 0x64, tver = 0;
	unsigned long paylen = 256, count = 1;
	static uint8_t payload[2048];
	static struct roce_pkt pkt;
	const char *src_arg = NULL;
	bool bad_icrc = false;
	struct roce_hdrs h;
	struct roce_tx tx;
	struct roce_ip ip;
	int opt, ret;

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
	if (optind != argc - 1 || paylen > sizeof(payload))
		usage();

	memset(&ip, 0, sizeof(ip));
	if (roce_addr_parse(argv[optind], &ip.family, &ip.dst))
		usage();
	if (src_arg) {
		int family;

		if (roce_addr_parse(src_arg, &family, &ip.src) ||
		    family != ip.family)
			usage();
	} else if ((ret = roce_route_source(ip.family, &ip.dst, &ip.src))) {
		fprintf(stderr, "prxe_roce_send: finding a source address: %s\n",
			strerror(-ret));
		return 1;
	}
	ip.sport = 0xc000 | (getpid() & 0x3fff);
	ip.ipv4_id = 0x5a5a;		/* non-zero: the kernel keeps it */
	ip.ttl = 64;
	ip.udp6_zero_csum = true;

	/* The DETH whatever the opcode: Q_Key, source QP 1. */
	roce_hdrs_init(&h, opcode);
	h.exts = ROCE_HAS_DETH;
	h.bth.tver = tver;
	h.bth.dest_qpn = qpn;
	h.deth.qkey = qkey;
	h.deth.src_qpn = 1;
	h.payload = payload;
	h.payload_len = paylen;

	ret = roce_tx_open(&tx);
	if (ret) {
		fprintf(stderr, "prxe_roce_send: raw socket: %s\n", strerror(-ret));
		return 1;
	}
	for (unsigned long i = 0; i < count || !pkt.len; i++) {
		h.bth.psn = i & ROCE_PSN_MASK;
		ret = roce_pkt_build(&pkt, &ip, &h,
				     bad_icrc ? ROCE_BUILD_BAD_ICRC : 0);
		if (!ret && i < count)
			ret = roce_tx_send(&tx, &pkt);
		if (ret) {
			fprintf(stderr, "prxe_roce_send: sendto: %s\n",
				strerror(-ret));
			return 1;
		}
	}
	printf("sent %lu packet(s) of %zu bytes to %s\n", count, pkt.len,
	       argv[optind]);
	roce_tx_close(&tx);
	return 0;
}
