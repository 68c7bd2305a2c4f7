// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * RoCEv2 packets on the wire: raw sending and the port 4791 listener
 * (see sock.h for how each family is sent and read).
 */
#define _GNU_SOURCE		/* struct in6_pktinfo */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sock.h"

#ifndef IPV6_HDRINCL
#define IPV6_HDRINCL		36	/* linux/in6.h, since Linux 4.5 */
#endif
#ifndef UDP_NO_CHECK6_RX
#define UDP_NO_CHECK6_RX	102	/* linux/udp.h */
#endif

/* ------------------------------------------------------------------------
 * Sending.
 */
int roce_tx_open(struct roce_tx *tx)
{
	int on = 1, err;

	tx->fd4 = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	err = errno;
	tx->fd6 = socket(AF_INET6, SOCK_RAW, IPPROTO_RAW);
	if (tx->fd6 >= 0 &&
	    setsockopt(tx->fd6, IPPROTO_IPV6, IPV6_HDRINCL, &on, sizeof(on)) &&
	    errno != ENOPROTOOPT) {
		/* ENOPROTOOPT: before 4.5, where IPPROTO_RAW alone means
		 * the header is included. */
		close(tx->fd6);
		tx->fd6 = -1;
	}
	if (tx->fd4 < 0 && tx->fd6 < 0)
		return -err;
	return 0;
}

int roce_tx_send(struct roce_tx *tx, const struct roce_pkt *pkt)
{
	struct sockaddr_storage dst = { 0 };
	socklen_t dst_len;
	ssize_t n;
	int fd;

	if (pkt->family == AF_INET && pkt->len >= ROCE_IPV4_HDR_BYTES) {
		struct sockaddr_in *d = (struct sockaddr_in *)&dst;

		d->sin_family = AF_INET;
		memcpy(&d->sin_addr, pkt->data + 16, 4);
		dst_len = sizeof(*d);
		fd = tx->fd4;
	} else if (pkt->family == AF_INET6 &&
		   pkt->len >= ROCE_IPV6_HDR_BYTES) {
		struct sockaddr_in6 *d = (struct sockaddr_in6 *)&dst;

		/* sin6_port must be 0 or the socket's protocol (raw(7)). */
		d->sin6_family = AF_INET6;
		memcpy(&d->sin6_addr, pkt->data + 24, 16);
		dst_len = sizeof(*d);
		fd = tx->fd6;
	} else {
		return -EINVAL;
	}
	if (fd < 0)
		return -EAFNOSUPPORT;
	n = sendto(fd, pkt->data, pkt->len, 0, (struct sockaddr *)&dst,
		   dst_len);
	if (n < 0)
		return -errno;
	return (size_t)n == pkt->len ? 0 : -EIO;
}

void roce_tx_close(struct roce_tx *tx)
{
	if (tx->fd4 >= 0)
		close(tx->fd4);
	if (tx->fd6 >= 0)
		close(tx->fd6);
	tx->fd4 = tx->fd6 = -1;
}

int roce_route_source(int family, const union roce_in_addr *dst,
		      union roce_in_addr *src)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int fd, err = 0;

	if (family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(ROCE_UDP_PORT);
		s->sin_addr = dst->v4;
		len = sizeof(*s);
	} else if (family == AF_INET6) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons(ROCE_UDP_PORT);
		s->sin6_addr = dst->v6;
		len = sizeof(*s);
	} else {
		return -EAFNOSUPPORT;
	}
	fd = socket(family, SOCK_DGRAM, 0);
	if (fd < 0)
		return -errno;
	/* Connecting a UDP socket sends nothing: it only routes. */
	if (connect(fd, (struct sockaddr *)&ss, len) ||
	    getsockname(fd, (struct sockaddr *)&ss, &len))
		err = -errno;
	close(fd);
	if (err)
		return err;
	memset(src, 0, sizeof(*src));
	if (family == AF_INET)
		src->v4 = ((struct sockaddr_in *)&ss)->sin_addr;
	else
		src->v6 = ((struct sockaddr_in6 *)&ss)->sin6_addr;
	return 0;
}

/* ------------------------------------------------------------------------
 * Listening.
 */
int roce_rx_open(struct roce_rx *rx, int family,
		 const union roce_in_addr *local)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int on = 1, err;

	memset(rx, 0, sizeof(*rx));
	rx->family = family;
	rx->udp_fd = rx->raw_fd = -1;
	rx->local = *local;
	if (family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(ROCE_UDP_PORT);
		s->sin_addr = local->v4;
		len = sizeof(*s);
		rx->local_any = local->v4.s_addr == htonl(INADDR_ANY);
	} else if (family == AF_INET6) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons(ROCE_UDP_PORT);
		s->sin6_addr = local->v6;
		len = sizeof(*s);
		rx->local_any = IN6_IS_ADDR_UNSPECIFIED(&local->v6);
	} else {
		return -EAFNOSUPPORT;
	}

	rx->udp_fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (rx->udp_fd < 0)
		goto fail;
	if (family == AF_INET6 &&
	    (setsockopt(rx->udp_fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
			sizeof(on)) ||
	     setsockopt(rx->udp_fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on,
			sizeof(on)) ||
	     setsockopt(rx->udp_fd, IPPROTO_UDP, UDP_NO_CHECK6_RX, &on,
			sizeof(on))))
		goto fail;
	if (bind(rx->udp_fd, (struct sockaddr *)&ss, len))
		goto fail;
	if (family == AF_INET) {
		/* Gets a copy of every UDP datagram the namespace receives,
		 * IP header included; roce_rx_recv() picks ours. */
		rx->raw_fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC,
				    IPPROTO_UDP);
		if (rx->raw_fd < 0)
			goto fail;
	}
	return 0;
fail:
	err = -errno;
	roce_rx_close(rx);
	return err;
}

int roce_rx_open_str(struct roce_rx *rx, const char *local)
{
	union roce_in_addr addr;
	int family;

	if (roce_addr_parse(local, &family, &addr))
		return -EINVAL;
	return roce_rx_open(rx, family, &addr);
}

void roce_rx_close(struct roce_rx *rx)
{
	if (rx->udp_fd >= 0)
		close(rx->udp_fd);
	if (rx->raw_fd >= 0)
		close(rx->raw_fd);
	rx->udp_fd = rx->raw_fd = -1;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for @fd to be readable before @deadline (-1: none). */
static int wait_readable(int fd, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int timeout, n;

	for (;;) {
		timeout = -1;
		if (deadline >= 0) {
			int64_t left = deadline - now_ms();

			timeout = left > 0 ? (int)left : 0;
		}
		n = poll(&pfd, 1, timeout);
		if (n > 0)
			return 0;
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

/* IPv4: the raw socket's copy, if it is a datagram to our address and
 * port.  1: taken, 0: someone else's. */
static int recv_ipv4(struct roce_rx *rx, struct roce_rx_pkt *out)
{
	struct roce_pkt *pkt = &out->pkt;
	uint8_t *d = pkt->data;
	ssize_t n;

	n = recv(rx->raw_fd, d, sizeof(pkt->data), MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if ((size_t)n < ROCE_IPV4_HDR_BYTES + ROCE_UDP_HDR_BYTES ||
	    (d[0] & 0x0f) != 5 || d[9] != IPPROTO_UDP)
		return 0;
	/* UDP destination port, IP destination address. */
	if (d[22] != ROCE_UDP_PORT >> 8 || d[23] != (ROCE_UDP_PORT & 0xff))
		return 0;
	if (!rx->local_any && memcmp(d + 16, &rx->local.v4, 4))
		return 0;
	pkt->family = AF_INET;
	pkt->ip_hdr_len = ROCE_IPV4_HDR_BYTES;
	pkt->len = n;
	pkt->udp6_zero_csum = false;
	out->ip_hdr_rebuilt = false;
	return 1;
}

/* The UDP socket's copies of what the raw socket read: not needed, but
 * they would fill its receive buffer. */
static void drain_udp(struct roce_rx *rx)
{
	uint8_t buf[64];

	while (recv(rx->udp_fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		;
}

/* IPv6: one datagram from the UDP socket, its IP and UDP headers rebuilt
 * in front of it. */
static int recv_ipv6(struct roce_rx *rx, struct roce_rx_pkt *out)
{
	struct roce_pkt *pkt = &out->pkt;
	size_t hdrs = ROCE_IPV6_HDR_BYTES + ROCE_UDP_HDR_BYTES;
	union {
		struct cmsghdr	align;
		uint8_t		buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} control;
	struct sockaddr_in6 from;
	struct iovec iov = {
		.iov_base = pkt->data + hdrs,
		.iov_len = sizeof(pkt->data) - hdrs,
	};
	struct msghdr msg = {
		.msg_name = &from,
		.msg_namelen = sizeof(from),
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	struct in6_addr dst = rx->local.v6;
	struct cmsghdr *cmsg;
	uint8_t *d = pkt->data;
	size_t udp_len;
	ssize_t n;

	n = recvmsg(rx->udp_fd, &msg, MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg))
		if (cmsg->cmsg_level == IPPROTO_IPV6 &&
		    cmsg->cmsg_type == IPV6_PKTINFO)
			memcpy(&dst, &((struct in6_pktinfo *)
				       CMSG_DATA(cmsg))->ipi6_addr,
			       sizeof(dst));

	udp_len = ROCE_UDP_HDR_BYTES + n;
	memset(d, 0, hdrs);
	d[0] = 0x60;				/* version 6 */
	d[4] = udp_len >> 8;			/* payload length */
	d[5] = udp_len;
	d[6] = IPPROTO_UDP;
	d[7] = 64;				/* hop limit: not known */
	memcpy(d + 8, &from.sin6_addr, 16);
	memcpy(d + 24, &dst, 16);
	d += ROCE_IPV6_HDR_BYTES;
	memcpy(d, &from.sin6_port, 2);
	d[2] = ROCE_UDP_PORT >> 8;
	d[3] = ROCE_UDP_PORT & 0xff;
	d[4] = udp_len >> 8;
	d[5] = udp_len;

	pkt->family = AF_INET6;
	pkt->ip_hdr_len = ROCE_IPV6_HDR_BYTES;
	pkt->len = ROCE_IPV6_HDR_BYTES + udp_len;
	pkt->udp6_zero_csum = false;
	/* A checksum that matches, in place of the unknown one. */
	roce_pkt_fixup(pkt, ROCE_FIX_CHECKSUMS);
	out->ip_hdr_rebuilt = true;
	return 1;
}

int roce_rx_recv(struct roce_rx *rx, struct roce_rx_pkt *out, int timeout_ms)
{
	int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	int fd = rx->family == AF_INET ? rx->raw_fd : rx->udp_fd;
	int ret;

	for (;;) {
		ret = wait_readable(fd, deadline);
		if (ret)
			return ret;
		if (rx->family == AF_INET) {
			ret = recv_ipv4(rx, out);
			drain_udp(rx);
		} else {
			ret = recv_ipv6(rx, out);
		}
		if (ret < 0)
			return ret;
		if (ret > 0)
			break;
	}
	roce_pkt_parse(out->pkt.data, out->pkt.len, &out->parsed);
	return 0;
}
