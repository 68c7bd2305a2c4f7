/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The impersonated peer: a program that plays the other end of a device's
 * live QPs sends hand-built packets from the peer's address and reads what
 * the device answers, from the peer's network namespace (where no RoCE
 * device holds UDP port 4791), while its verbs objects live in the
 * device's namespace.
 */
#ifndef PRXE_INJECT_PEER_H
#define PRXE_INJECT_PEER_H

#include <stdbool.h>

#include "check.h"
#include "roce/pkt.h"
#include "roce/sock.h"

/* What the device sent the peer so far, by kind. */
struct peer_rcvd {
	unsigned long pkts;
	unsigned long malformed;	/* did not parse, or a wrong ICRC */
	unsigned long requests;		/* its own, as a requester */
	unsigned long acks;
	unsigned long rnr_naks;
	unsigned long naks[ROCE_NAK_INVALID_RD_REQ + 2]; /* by code; last: others */
	unsigned long read_responses;
	unsigned long atomic_acks;
	unsigned long other;		/* AETH syndromes of reserved types */
};

struct peer {
	struct roce_tx tx;
	struct roce_tx local_tx;	/* in the program's own namespace */
	struct roce_rx rx;
	struct roce_ip ip;		/* peer -> device */
	char addr[64];			/* the peer's address, text */
	char dev_addr[64];		/* the device's */
	unsigned long sent;		/* packets sent so far */
	struct peer_rcvd rcvd;		/* every packet peer_recv() read */
	char first_malformed[256];	/* the first such packet, described */
};

/*
 * Opens the raw sender and the listener in network namespace @ns (an
 * "ip netns" name), the listener bound to @addr with room for a few
 * thousand answers, then comes back to the namespace the program was in.
 * Packets go from @addr to @dev_addr.  Dies (setup error) if any of it
 * fails.
 */
void peer_open(struct peer *p, const char *ns, const char *addr,
	       const char *dev_addr);
void peer_close(struct peer *p);

/* Sends @h from the peer (from @src instead if not NULL: a spoofed
 * source), its ICRC right or, with @bad_icrc, wrong.  Dies on a send
 * error. */
void peer_send(struct peer *p, const struct roce_hdrs *h, const char *src,
	       bool bad_icrc);
/* Sends @h from the device's own namespace with source address @src: what
 * a local user can do (a host drops packets from outside that claim one
 * of its own addresses as their source). */
void peer_send_local(struct peer *p, const struct roce_hdrs *h,
		     const char *src);
/* Sends a packet built already (a fuzzer's).  0 or -errno. */
int peer_send_pkt(struct peer *p, const struct roce_pkt *pkt);

/*
 * The next answer of the device within @ms: true, with it in @out
 * (parsed, ICRC checked, counted in p->rcvd); false if none came.
 * Packets the device sends elsewhere are not seen.
 */
bool peer_recv(struct peer *p, struct roce_rx_pkt *out, int ms);
/* Drops what the device has sent so far (waits @ms for stragglers). */
void peer_drain(struct peer *p, int ms);

/*
 * The device's answer to PSN @psn is an AETH whose syndrome is @want
 * (ROCE_SYN_ACK(...) is taken as any ACK), within 3 s (a check); packets
 * answering other PSNs are skipped.
 */
CHECK_FMT(4, 5) bool expect_answer(struct peer *p, uint32_t psn,
				   uint8_t want, const char *fmt, ...);
/* No answer at all comes within @ms (a check). */
CHECK_FMT(3, 4) bool expect_silence(struct peer *p, int ms,
				    const char *fmt, ...);

#endif
