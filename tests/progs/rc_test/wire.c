// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe_rc_test: the client/server TCP channel: the test configuration,
 * QP information, and the steps that keep both ends in lockstep.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "rc_test.h"

enum msg_type { MSG_CFG = 1, MSG_CFG_ACK, MSG_QP_INFO, MSG_STEP };

struct wbuf {
	uint8_t b[512];
	size_t len;
	size_t pos;
	bool short_read;
};

static void put32(struct wbuf *w, uint32_t v)
{
	v = htobe32(v);
	memcpy(w->b + w->len, &v, 4);
	w->len += 4;
}

static void put64(struct wbuf *w, uint64_t v)
{
	v = htobe64(v);
	memcpy(w->b + w->len, &v, 8);
	w->len += 8;
}

static uint32_t get32(struct wbuf *w)
{
	uint32_t v = 0;

	if (w->pos + 4 > w->len) {
		w->short_read = true;
		return 0;
	}
	memcpy(&v, w->b + w->pos, 4);
	w->pos += 4;
	return be32toh(v);
}

static uint64_t get64(struct wbuf *w)
{
	uint64_t v = 0;

	if (w->pos + 8 > w->len) {
		w->short_read = true;
		return 0;
	}
	memcpy(&v, w->b + w->pos, 8);
	w->pos += 8;
	return be64toh(v);
}

static int io_full(int fd, void *p, size_t len, bool out, uint32_t timeout_ms)
{
	uint64_t deadline = deadline_after(timeout_ms);
	struct pollfd pfd = { .fd = fd, .events = out ? POLLOUT : POLLIN };
	uint8_t *b = p;
	ssize_t r;

	while (len) {
		int ret = poll(&pfd, 1, ms_left(deadline));

		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0)
			return -errno;
		if (ret == 0)
			return -ETIMEDOUT;
		r = out ? send(fd, b, len, MSG_NOSIGNAL) : recv(fd, b, len, 0);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ECONNRESET;
		b += r;
		len -= r;
	}
	return 0;
}

static int msg_send(struct sess *s, uint32_t type, const struct wbuf *w)
{
	uint32_t hdr[2] = { htobe32(type), htobe32(w->len) };
	int ret;

	ret = io_full(s->sock, hdr, sizeof(hdr), true, s->c->timeout_ms);
	if (!ret)
		ret = io_full(s->sock, (void *)w->b, w->len, true, s->c->timeout_ms);
	if (ret)
		return fail(NULL, "sending to the peer: %s", strerror(-ret));
	return 0;
}

static int msg_recv(struct sess *s, uint32_t type, struct wbuf *w,
		    uint32_t timeout_ms)
{
	uint32_t hdr[2];
	int ret;

	ret = io_full(s->sock, hdr, sizeof(hdr), false, timeout_ms);
	if (ret == -ECONNRESET)
		return fail(NULL, "the peer closed the connection");
	if (ret)
		return fail(NULL, "waiting for the peer: %s", strerror(-ret));
	if (be32toh(hdr[0]) != type || be32toh(hdr[1]) > sizeof(w->b))
		return fail(NULL, "protocol: expected message type %u, got type %u length %u",
			    type, be32toh(hdr[0]), be32toh(hdr[1]));
	memset(w, 0, sizeof(*w));
	w->len = be32toh(hdr[1]);
	ret = io_full(s->sock, w->b, w->len, false, s->c->timeout_ms);
	if (ret)
		return fail(NULL, "reading from the peer: %s", strerror(-ret));
	return 0;
}

int tcp_accept(uint16_t port, uint32_t timeout_ms)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
				  .sin6_port = htons(port),
				  .sin6_addr = IN6ADDR_ANY_INIT };
	struct pollfd pfd;
	int one = 1, zero = 0, lfd, fd, ret;

	lfd = socket(AF_INET6, SOCK_STREAM, 0);
	if (lfd < 0)
		return fail("server", "socket: %s", strerror(errno));
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 1)) {
		fail("server", "listening on TCP port %u: %s", port, strerror(errno));
		close(lfd);
		return -1;
	}
	info("server", "listening on TCP port %u", port);
	pfd.fd = lfd;
	pfd.events = POLLIN;
	do
		ret = poll(&pfd, 1, timeout_ms);
	while (ret < 0 && errno == EINTR);
	if (ret <= 0) {
		fail("server", "no client within %u s", timeout_ms / 1000);
		close(lfd);
		return -1;
	}
	fd = accept(lfd, NULL, NULL);
	close(lfd);
	if (fd < 0)
		return fail("server", "accept: %s", strerror(errno));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

int tcp_connect(const char *host, uint16_t port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct addrinfo *res, *ai;
	char sport[8];
	int one = 1, fd = -1, ret;

	snprintf(sport, sizeof(sport), "%u", port);
	ret = getaddrinfo(host, sport, &hints, &res);
	if (ret)
		return fail("client", "%s: %s", host, gai_strerror(ret));
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (!connect(fd, ai->ai_addr, ai->ai_addrlen))
			break;
		ret = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return fail("client", "cannot connect to %s port %u: %s", host, port,
			    strerror(ret));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static void cfg_put(struct wbuf *w, const struct cfg *c, uint32_t status)
{
	uint32_t i;

	put32(w, status);
	put32(w, c->op);
	put32(w, c->scenario);
	put32(w, c->flags);
	put32(w, c->nsizes);
	for (i = 0; i < c->nsizes; i++)
		put32(w, c->sizes[i]);
	put32(w, c->nsge);
	put32(w, c->iters);
	put32(w, c->depth);
	put32(w, c->unsig);
	put32(w, c->offset);
	put32(w, c->max_inline);
	put32(w, c->mtu);
	put32(w, c->psn);
	put32(w, c->timeout_ms);
	put32(w, c->inject);
	put32(w, c->flush_type);
	put32(w, c->flush_level);
	put64(w, c->seed);
	put64(w, c->total);
}

static int cfg_get(struct wbuf *w, struct cfg *c, uint32_t *status)
{
	uint32_t i;

	*status = get32(w);
	c->op = get32(w);
	c->scenario = get32(w);
	c->flags = get32(w);
	c->nsizes = get32(w);
	if (c->nsizes > MAX_SIZES)
		return fail("server", "protocol: %u sizes", c->nsizes);
	for (i = 0; i < c->nsizes; i++)
		c->sizes[i] = get32(w);
	c->nsge = get32(w);
	c->iters = get32(w);
	c->depth = get32(w);
	c->unsig = get32(w);
	c->offset = get32(w);
	c->max_inline = get32(w);
	c->mtu = get32(w);
	c->psn = get32(w);
	c->timeout_ms = get32(w);
	c->inject = get32(w);
	c->flush_type = get32(w);
	c->flush_level = get32(w);
	c->seed = get64(w);
	c->total = get64(w);
	if (w->short_read || c->op >= OP_COUNT || c->scenario >= SCEN_COUNT ||
	    c->inject >= INJ_COUNT || c->flush_type > 3 || c->flush_level > 1 ||
	    !c->nsge || c->nsge > MAX_SGE || !c->unsig)
		return fail("server", "protocol: bad test configuration from the client");
	return 0;
}

static void qp_info_put(struct wbuf *w, const struct qp_info *q)
{
	put32(w, q->status);
	put32(w, q->qpn);
	put32(w, q->psn);
	put32(w, q->rkey);
	put32(w, q->mtu);
	put64(w, q->addr);
	put64(w, q->len);
	memcpy(w->b + w->len, q->gid.raw, 16);
	w->len += 16;
}

static void qp_info_get(struct wbuf *w, struct qp_info *q)
{
	q->status = get32(w);
	q->qpn = get32(w);
	q->psn = get32(w);
	q->rkey = get32(w);
	q->mtu = get32(w);
	q->addr = get64(w);
	q->len = get64(w);
	if (w->pos + 16 > w->len) {
		w->short_read = true;
		return;
	}
	memcpy(q->gid.raw, w->b + w->pos, 16);
	w->pos += 16;
}

int exchange_qp_info(struct sess *s, struct ep *ep, int rc)
{
	struct wbuf out = { 0 }, in;
	bool first = s->req != NULL;	/* the client speaks first */

	ep->local.status = rc < 0 ? -rc : rc;
	qp_info_put(&out, &ep->local);
	if (first && msg_send(s, MSG_QP_INFO, &out))
		return -EXIT_FAIL;
	if (msg_recv(s, MSG_QP_INFO, &in, 4 * s->c->timeout_ms + 10000))
		return -EXIT_FAIL;
	qp_info_get(&in, &ep->remote);
	if (!first && msg_send(s, MSG_QP_INFO, &out))
		return -EXIT_FAIL;
	if (in.short_read)
		return fail(ep->role, "protocol: short QP information");
	if (rc)
		return rc;
	if (ep->remote.status) {
		fail(ep->role, "the peer could not set its QP up");
		return -(int)ep->remote.status;
	}
	return 0;
}

/*
 * The client's opening: its test and its setup status (@rc) go to the
 * server, whose setup status comes back.  0 when both ends are ready.
 */
int wire_client_hello(struct sess *s, int rc)
{
	struct wbuf w = { 0 };
	uint32_t status;

	cfg_put(&w, s->c, rc < 0 ? -rc : rc);
	if (msg_send(s, MSG_CFG, &w) && !rc)
		rc = -EXIT_FAIL;
	if (rc)
		return rc;
	if (msg_recv(s, MSG_CFG_ACK, &w, 4 * s->c->timeout_ms + 10000))
		return -EXIT_FAIL;
	status = get32(&w);
	if (w.short_read)
		return fail("client", "protocol: short answer from the server");
	if (status) {
		fail("client", "the server could not set up (status %u)", status);
		return -(int)status;
	}
	return 0;
}

/* The server's side of it: the client's test into @c (the timeout stays). */
int wire_server_hello(struct sess *s, struct cfg *c)
{
	uint32_t timeout_ms = c->timeout_ms, status;
	struct wbuf w;
	int rc;

	if (msg_recv(s, MSG_CFG, &w, c->timeout_ms))
		return -EXIT_FAIL;
	rc = cfg_get(&w, c, &status);
	c->timeout_ms = timeout_ms;
	if (!rc && status) {
		fail("server", "the client could not set up (status %u)", status);
		rc = -(int)status;
	}
	return rc;
}

/* The server's setup status (@rc) to the client; returns @rc or a failure. */
int wire_server_ack(struct sess *s, int rc)
{
	struct wbuf w = { 0 };

	put32(&w, rc < 0 ? -rc : rc);
	if (msg_send(s, MSG_CFG_ACK, &w) && !rc)
		rc = -EXIT_FAIL;
	return rc;
}

/*
 * Steps keep the two ends in lockstep.  @from is the side that has just
 * done something and reports it with @rc (0, or its exit status); the
 * other side waits for that report.  Returns the sender's verdict at both
 * ends.  In loopback both sides are this process: nothing to send.
 */

static const char *const step_names[] = {
	[STEP_READY] = "READY", [STEP_MID] = "MID", [STEP_MID_OK] = "MID_OK",
	[STEP_DONE] = "DONE", [STEP_RESULT] = "RESULT",
};

int step(struct sess *s, enum step id, bool from_requester, int rc)
{
	bool sender = from_requester ? s->req != NULL : s->resp != NULL;
	uint32_t seq = ++s->step_seq, got_id, got_seq, got_rc;
	struct wbuf w = { 0 };

	if (s->sock < 0)
		return rc;
	if (sender) {
		put32(&w, id);
		put32(&w, seq);
		put32(&w, rc < 0 ? -rc : rc);
		if (msg_send(s, MSG_STEP, &w))
			return -EXIT_FAIL;
		return rc;
	}
	/* The peer may be busy with a large batch or a timeout of its own. */
	if (msg_recv(s, MSG_STEP, &w, 4 * s->c->timeout_ms + 10000))
		return -EXIT_FAIL;
	got_id = get32(&w);
	got_seq = get32(&w);
	got_rc = get32(&w);
	if (w.short_read || got_id != id || got_seq != seq)
		return fail(NULL, "protocol: expected step %s #%u, got step %u #%u",
			    step_names[id], seq, got_id, got_seq);
	if (got_rc) {
		fail(s->req ? s->req->role : s->resp->role,
		     "the %s failed (see its output)",
		     from_requester ? "requester" : "responder");
		return -(int)got_rc;
	}
	return 0;
}
