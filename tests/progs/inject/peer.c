// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The impersonated peer: see peer.h.
 */
#define _GNU_SOURCE		/* setns() */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "dev.h"
#include "peer.h"

static int netns_fd(const char *ns)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("network namespace %s: %s", ns, strerror(errno));
	return fd;
}

/* A receive buffer of 8 MiB (beyond rmem_max: CAP_NET_ADMIN, which the
 * program has as root); the default if refused. */
static void rcvbuf_force(int fd)
{
	int bytes = 8 << 20;

	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes,
			   sizeof(bytes));
}

void peer_open(struct peer *p, const char *ns, const char *addr,
	       const char *dev_addr)
{
	int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int there = netns_fd(ns);
	int err;

	memset(p, 0, sizeof(*p));
	err = roce_tx_open(&p->local_tx);
	if (err)
		die("raw sockets: %s", strerror(-err));
	if (home < 0 || setns(there, CLONE_NEWNET))
		die("entering network namespace %s: %s", ns, strerror(errno));
	err = roce_tx_open(&p->tx);
	if (!err)
		err = roce_rx_open_str(&p->rx, addr);
	if (err)
		die("the peer's sockets at %s in %s: %s", addr, ns,
		    strerror(-err));
	/* A program busy sending reads the answers late: keep them. */
	rcvbuf_force(p->rx.udp_fd);
	rcvbuf_force(p->rx.raw_fd);
	if (setns(home, CLONE_NEWNET))
		die("back to the program's network namespace: %s",
		    strerror(errno));
	close(home);
	close(there);
	if (roce_ip_init(&p->ip, addr, dev_addr))
		die("addresses %s -> %s", addr, dev_addr);
	snprintf(p->addr, sizeof(p->addr), "%s", addr);
	snprintf(p->dev_addr, sizeof(p->dev_addr), "%s", dev_addr);
}

void peer_close(struct peer *p)
{
	roce_tx_close(&p->tx);
	roce_tx_close(&p->local_tx);
	roce_rx_close(&p->rx);
}

int peer_send_pkt(struct peer *p, const struct roce_pkt *pkt)
{
	int err = roce_tx_send(&p->tx, pkt);

	if (!err)
		p->sent++;
	return err;
}

/* Builds @h from @src (NULL: the peer's address) and sends it on @tx. */
static void send_hdrs(struct peer *p, struct roce_tx *tx,
		      const struct roce_hdrs *h, const char *src, bool bad_icrc)
{
	static struct roce_pkt pkt;
	struct roce_ip ip = p->ip;
	int err;

	if (src && roce_ip_init(&ip, src, p->dev_addr))
		die("source address %s", src);
	err = roce_pkt_build(&pkt, &ip, h, bad_icrc ? ROCE_BUILD_BAD_ICRC : 0);
	if (!err)
		err = roce_tx_send(tx, &pkt);
	if (err)
		die("sending %s: %s", roce_opcode_name(h->bth.opcode),
		    strerror(-err));
	p->sent++;
}

void peer_send(struct peer *p, const struct roce_hdrs *h, const char *src,
	       bool bad_icrc)
{
	send_hdrs(p, &p->tx, h, src, bad_icrc);
}

void peer_send_local(struct peer *p, const struct roce_hdrs *h,
		     const char *src)
{
	send_hdrs(p, &p->local_tx, h, src, false);
}

/* Counts @r in @c. */
static void count_rcvd(struct peer_rcvd *c, const struct roce_parsed *r)
{
	uint8_t syn = r->hdrs.aeth.syndrome;
	unsigned int code;

	c->pkts++;
	if (r->error || !r->icrc_ok) {
		c->malformed++;
		return;
	}
	if (r->info->flags & ROCE_OPF_REQUEST) {
		c->requests++;
		return;
	}
	if (r->info->operation == ROCE_OPER_READ) {
		c->read_responses++;
		return;
	}
	if (r->info->operation == ROCE_OPER_ATOMIC) {
		c->atomic_acks++;
		return;
	}
	switch (roce_aeth_type(syn)) {
	case ROCE_AETH_ACK:
		c->acks++;
		break;
	case ROCE_AETH_RNR_NAK:
		c->rnr_naks++;
		break;
	case ROCE_AETH_NAK:
		code = roce_aeth_value(syn);
		if (code > ROCE_NAK_INVALID_RD_REQ)
			code = ROCE_NAK_INVALID_RD_REQ + 1;
		c->naks[code]++;
		break;
	default:
		c->other++;
		break;
	}
}

bool peer_recv(struct peer *p, struct roce_rx_pkt *out, int ms)
{
	if (roce_rx_recv(&p->rx, out, ms))
		return false;
	count_rcvd(&p->rcvd, &out->parsed);
	if (p->rcvd.malformed == 1 && !p->first_malformed[0])
		roce_describe(&out->parsed, p->first_malformed,
			      sizeof(p->first_malformed));
	return true;
}

void peer_drain(struct peer *p, int ms)
{
	static struct roce_rx_pkt pkt;

	while (peer_recv(p, &pkt, ms))
		;
}

/* "ACK", "NAK invalid request" ... of @syn, for messages. */
static const char *syn_str(uint8_t syn)
{
	static char buf[4][64];
	static int i;

	i = (i + 1) % 4;
	return roce_syndrome_str(syn, buf[i], sizeof(buf[i]));
}

bool expect_answer(struct peer *p, uint32_t psn, uint8_t want,
		   const char *fmt, ...)
{
	static struct roce_rx_pkt pkt;
	char what[256], seen[256] = "nothing within 3000 ms";
	uint64_t until = now_ms() + 3000;
	const struct roce_parsed *r = &pkt.parsed;
	va_list ap;
	bool ok = false;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	while (now_ms() < until) {
		if (!peer_recv(p, &pkt, (int)(until - now_ms())))
			break;
		if (r->error || !r->icrc_ok || !(r->hdrs.exts & ROCE_HAS_AETH)) {
			roce_describe(r, seen, sizeof(seen));
			continue;
		}
		if (r->hdrs.bth.psn != psn) {
			roce_describe(r, seen, sizeof(seen));
			continue;
		}
		if (roce_aeth_type(want) == ROCE_AETH_ACK)
			ok = roce_aeth_type(r->hdrs.aeth.syndrome) == ROCE_AETH_ACK;
		else
			ok = r->hdrs.aeth.syndrome == want;
		snprintf(seen, sizeof(seen), "%s", syn_str(r->hdrs.aeth.syndrome));
		break;
	}
	return check(ok, strf("%s of PSN %#x", syn_str(want), psn), seen,
		     "%s", what);
}

bool expect_silence(struct peer *p, int ms, const char *fmt, ...)
{
	static struct roce_rx_pkt pkt;
	char what[256], seen[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (!peer_recv(p, &pkt, ms))
		return check(true, "no answer", "no answer", "%s", what);
	roce_describe(&pkt.parsed, seen, sizeof(seen));
	return check(false, "no answer", seen, "%s", what);
}
