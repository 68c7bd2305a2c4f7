// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The device under attack: see target.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <rdma/rdma_netlink.h>

#include "check.h"
#include "qp.h"
#include "target.h"
#include "wc.h"

#define RECV_BYTES	4096

/* Every receive of every QP goes into one of these: what arrives is not
 * looked at. */
static uint8_t recv_buf[TARGET_RECVS][RECV_BYTES];
static struct ibv_mr *recv_mr;

static void gid_from_ipv4(union ibv_gid *gid, const char *ip)
{
	memset(gid, 0, sizeof(*gid));
	gid->raw[10] = 0xff;
	gid->raw[11] = 0xff;
	if (inet_pton(AF_INET, ip, &gid->raw[12]) != 1)
		die("not an IPv4 address: %s", ip);
}

/* How the RC QPs are connected to the phantom peer. */
static void target_rc_attr(const struct target *t, struct rc_attr *r,
			   uint32_t rq_psn, uint32_t sq_psn)
{
	rc_attr_default(r, &t->dev, PHANTOM_QPN);
	r->dgid = t->peer_gid;
	r->rq_psn = rq_psn;
	r->sq_psn = sq_psn;
	r->max_rd_atomic = 4;
	r->max_dest_rd_atomic = 16;
	r->access = IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_WRITE |
		    IBV_ACCESS_REMOTE_ATOMIC | TARGET_ACCESS_FLUSH_GLOBAL |
		    TARGET_ACCESS_FLUSH_PERSISTENT;
	/* No retransmissions of our own to clutter the wire. */
	r->timeout = 0;
}

/* QP @qp (RC QP @index, or the UD QP: index nr_rc) posts receives until
 * *@recvs is TARGET_RECVS. */
static void post_recvs(struct ibv_qp *qp, unsigned int index,
		       unsigned int *recvs)
{
	for (; *recvs < TARGET_RECVS; ++*recvs) {
		unsigned int k = *recvs;
		struct ibv_sge sge = {
			.addr = (uintptr_t)recv_buf[k], .length = RECV_BYTES,
			.lkey = recv_mr->lkey,
		};
		int err;

		err = post_recv_one(qp, TARGET_WR_RECV | (uint64_t)index << 8 | k,
				    &sge);
		if (err)
			die("posting a receive on QP 0x%x: %s", qp->qp_num,
			    strerror(err));
	}
}

void target_open(struct target *t, const char *name, const char *peer_ip,
		 unsigned int nr_rc)
{
	struct ibv_qp_init_attr init;
	struct rc_attr r;
	unsigned int i;

	memset(t, 0, sizeof(*t));
	dev_open_roce(&t->dev, name);
	/* The peer is an IPv4 address (gid_from_ipv4()). */
	if (!gid_is_ipv4(&t->dev.gid))
		die("%s has no IPv4 RoCEv2 GID", name);
	inet_ntop(AF_INET, &t->dev.gid.raw[12], t->addr, sizeof(t->addr));
	t->dev_index = ibv_get_device_index(t->dev.ctx->device);
	t->nl_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_RDMA);
	if (t->dev_index < 0 || t->nl_fd < 0)
		die("RDMA netlink to %s's counters: %s", name,
		    t->dev_index < 0 ? "no device index" : strerror(errno));
	gid_from_ipv4(&t->peer_gid, peer_ip);
	t->mtu = 1024;
	t->cq = cq_create(&t->dev, 4 * nr_rc * TARGET_RECVS + 64);
	t->rc = calloc(nr_rc, sizeof(*t->rc));
	recv_mr = ibv_reg_mr(t->dev.pd, recv_buf, sizeof(recv_buf),
			     IBV_ACCESS_LOCAL_WRITE);
	if (!t->cq || !t->rc || !recv_mr)
		die("cannot set %s up", name);
	t->nr_rc = nr_rc;
	for (i = 0; i < nr_rc; i++) {
		qp_init_attr_fill(&init, IBV_QPT_RC, t->cq, t->cq, NULL, 8,
				  TARGET_RECVS);
		t->rc[i].qp = qp_create(&t->dev, &init);
		if (!t->rc[i].qp)
			die("cannot create RC QP %u", i);
		target_rc_attr(t, &r, TARGET_RQ_PSN, TARGET_SQ_PSN);
		must(rc_connect(t->rc[i].qp, &r));
		t->rc[i].epsn = TARGET_RQ_PSN;
		post_recvs(t->rc[i].qp, i, &t->rc[i].recvs);
	}
	qp_init_attr_fill(&init, IBV_QPT_UD, t->cq, t->cq, NULL, 8,
			  TARGET_RECVS);
	t->ud = qp_create(&t->dev, &init);
	if (!t->ud)
		die("cannot create the UD QP");
	must(ud_ready(t->ud, TARGET_QKEY));
	post_recvs(t->ud, nr_rc, &t->ud_recvs);
}

void target_close(struct target *t)
{
	unsigned int i;

	for (i = 0; i < t->nr_rc; i++)
		ibv_destroy_qp(t->rc[i].qp);
	ibv_destroy_qp(t->ud);
	ibv_dereg_mr(recv_mr);
	ibv_destroy_cq(t->cq);
	free(t->rc);
	close(t->nl_fd);
	dev_close(&t->dev);
}

bool target_rc_revive(struct target *t, unsigned int i, uint32_t rq_psn,
		      uint32_t sq_psn)
{
	struct target_qp *q = &t->rc[i];
	struct rc_attr r;
	int err;

	err = qp_to_state(q->qp, IBV_QPS_RESET);
	if (err)
		return expect_err(0, err, "modify_qp of QP 0x%x to RESET",
				  q->qp->qp_num);
	/* Nothing more of this QP comes: what it completed so far is
	 * counted before its receives are posted anew. */
	target_drain_cq(t);
	q->recvs = 0;
	target_rc_attr(t, &r, rq_psn, sq_psn);
	if (!rc_connect(q->qp, &r))
		return false;
	q->epsn = rq_psn;
	q->msn = 0;
	q->dead = false;
	post_recvs(q->qp, i, &q->recvs);
	return true;
}

unsigned int target_drain_cq(struct target *t)
{
	struct ibv_wc wc[16];
	unsigned int total = 0;
	int n, k;

	while ((n = ibv_poll_cq(t->cq, 16, wc)) > 0) {
		for (k = 0; k < n; k++) {
			bool ok = wc[k].status == IBV_WC_SUCCESS;
			unsigned int index = wc[k].wr_id >> 8 & 0xffff;

			if (!(wc[k].wr_id & TARGET_WR_RECV)) {
				ok ? t->wcs.other_ok++ : t->wcs.other_err++;
				continue;
			}
			ok ? t->wcs.recv_ok++ : t->wcs.recv_err++;
			if (index < t->nr_rc && t->rc[index].recvs)
				t->rc[index].recvs--;
			else if (index == t->nr_rc && t->ud_recvs)
				t->ud_recvs--;
		}
		total += n;
	}
	if (n < 0)
		die("ibv_poll_cq of the target's CQ failed");
	return total;
}

/* Whether @qp takes receives that are not flushed at once. */
static bool takes_recvs(struct ibv_qp *qp)
{
	int state = qp_state(qp);

	return state == IBV_QPS_RTR || state == IBV_QPS_RTS;
}

void target_refill_recvs(struct target *t)
{
	unsigned int i;

	for (i = 0; i < t->nr_rc; i++)
		if (t->rc[i].recvs < TARGET_RECVS && takes_recvs(t->rc[i].qp))
			post_recvs(t->rc[i].qp, i, &t->rc[i].recvs);
	if (t->ud_recvs < TARGET_RECVS && takes_recvs(t->ud))
		post_recvs(t->ud, t->nr_rc, &t->ud_recvs);
}

static void mr_register(struct target *t, struct target_mr *m, bool odp)
{
	int access = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_READ |
		     IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_ATOMIC |
		     TARGET_ACCESS_FLUSH_GLOBAL;

	/*
	 * Persistence: any ODP region (checked at FLUSH time); a pinned one
	 * only over persistent memory, which the target's is not.
	 */
	m->odp = odp;
	if (odp)
		access |= IBV_ACCESS_ON_DEMAND | TARGET_ACCESS_FLUSH_PERSISTENT;
	m->mr = ibv_reg_mr(t->dev.pd, m->mem.addr, m->mem.len, access);
	if (!m->mr)
		die("%s ibv_reg_mr of %zu bytes%s%s: %s",
		    odp ? "ODP" : "pinned", m->mem.len,
		    m->file.path[0] ? " of " : "", m->file.path,
		    strerror(errno));
}

void target_mr_open(struct target *t, struct target_mr *m, size_t len,
		    size_t guard, bool odp)
{
	memset(m, 0, sizeof(*m));
	m->file.fd = -1;
	if (guarded_map(&m->mem, len, guard))
		die("guarded mapping of %zu bytes: %s", len, strerror(errno));
	mr_register(t, m, odp);
}

void target_mr_open_file(struct target *t, struct target_mr *m,
			 const char *dir, size_t len, size_t guard)
{
	static unsigned int files;
	struct guarded model;
	char name[32];

	memset(m, 0, sizeof(*m));
	/* The layout and guard contents of an anonymous guarded region,
	 * copied into the file, so that guarded_check() applies to it. */
	if (guarded_map(&model, len, guard))
		die("guarded mapping of %zu bytes: %s", len, strerror(errno));
	snprintf(name, sizeof(name), "region%u", files++);
	if (map_file(&m->file, dir, name, model.map_len))
		die("a file of %zu bytes in %s: %s", model.map_len, dir,
		    strerror(errno));
	memcpy(m->file.addr, model.map, model.map_len);
	m->mem = model;
	m->mem.map = m->file.addr;
	m->mem.addr = m->file.addr + guard;
	guarded_unmap(&model);
	mr_register(t, m, true);
}

void target_mr_close(struct target_mr *m)
{
	ibv_dereg_mr(m->mr);
	if (m->file.fd >= 0)
		unmap(&m->file);	/* the guards are the file's */
	else
		guarded_unmap(&m->mem);
}

void target_rc_hdrs(const struct target *t, unsigned int i,
		    struct roce_hdrs *h, uint8_t opcode)
{
	roce_hdrs_init(h, opcode);
	h->bth.dest_qpn = t->rc[i].qp->qp_num;
	h->bth.psn = t->rc[i].epsn;
	h->bth.ack_req = true;
}

/*
 * The counters are read as `rdma statistic show link DEV/1` reads them,
 * without starting it (80 ms a time under TCG): one RDMA_NLDEV_CMD_STAT_GET
 * of port 1 over NETLINK_RDMA, whose answer holds a nested table of
 * (name, value) entries.  RDMA netlink messages have no family header:
 * the attributes follow the nlmsghdr.
 */
static void nl_put_u32(struct nlmsghdr *h, uint16_t type, uint32_t v)
{
	struct nlattr *a = (struct nlattr *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + sizeof(v);
	memcpy((char *)a + NLA_HDRLEN, &v, sizeof(v));
	h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + NLA_ALIGN(a->nla_len);
}

/* The attributes in [@start, @start + @len), one by one into *@a. */
static bool nl_next(const void *start, size_t len, const struct nlattr **a)
{
	const char *end = (const char *)start + len;
	const char *next = *a ? (const char *)*a + NLA_ALIGN((*a)->nla_len) :
				(const char *)start;

	if (next + NLA_HDRLEN > end)
		return false;
	*a = (const struct nlattr *)next;
	return (*a)->nla_len >= NLA_HDRLEN && next + (*a)->nla_len <= end;
}

static const void *nl_data(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

static size_t nl_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

/* Entry @e of the counters' table: a value for one of @names? */
static unsigned int nl_counter(const struct nlattr *e,
			       const char *const *names, unsigned int n,
			       uint64_t *values)
{
	const struct nlattr *a = NULL;
	const char *name = NULL;
	uint64_t value = 0;
	bool have_value = false;
	unsigned int i;

	while (nl_next(nl_data(e), nl_len(e), &a)) {
		uint16_t type = a->nla_type & NLA_TYPE_MASK;

		if (type == RDMA_NLDEV_ATTR_STAT_HWCOUNTER_ENTRY_NAME &&
		    nl_len(a) && ((const char *)nl_data(a))[nl_len(a) - 1] == 0)
			name = nl_data(a);
		if (type == RDMA_NLDEV_ATTR_STAT_HWCOUNTER_ENTRY_VALUE &&
		    nl_len(a) == sizeof(value)) {
			memcpy(&value, nl_data(a), sizeof(value));
			have_value = true;
		}
	}
	for (i = 0; name && have_value && i < n; i++)
		if (!strcmp(name, names[i])) {
			values[i] = value;
			return 1;
		}
	return 0;
}

void target_counters(const struct target *t, const char *const *names,
		     unsigned int n, uint64_t *values)
{
	static union {
		struct nlmsghdr h;
		char buf[32768];
	} msg;
	const struct nlattr *a = NULL, *e;
	unsigned int found = 0;
	ssize_t len;

	memset(&msg.h, 0, sizeof(msg.h));
	msg.h.nlmsg_len = NLMSG_HDRLEN;
	msg.h.nlmsg_type = RDMA_NL_GET_TYPE(RDMA_NL_NLDEV,
					    RDMA_NLDEV_CMD_STAT_GET);
	msg.h.nlmsg_flags = NLM_F_REQUEST;
	nl_put_u32(&msg.h, RDMA_NLDEV_ATTR_DEV_INDEX, t->dev_index);
	nl_put_u32(&msg.h, RDMA_NLDEV_ATTR_PORT_INDEX, DEV_PORT);
	if (send(t->nl_fd, &msg, msg.h.nlmsg_len, 0) < 0)
		die("RDMA netlink: %s", strerror(errno));
	len = recv(t->nl_fd, &msg, sizeof(msg), 0);
	if (len < 0)
		die("RDMA netlink: %s", strerror(errno));
	if (len < NLMSG_HDRLEN || msg.h.nlmsg_len > (size_t)len)
		die("RDMA netlink: a short answer");
	if (msg.h.nlmsg_type == NLMSG_ERROR)
		die("RDMA netlink: the counters of %s: %s", t->dev.name,
		    strerror(-((struct nlmsgerr *)NLMSG_DATA(&msg.h))->error));
	while (nl_next(NLMSG_DATA(&msg.h), msg.h.nlmsg_len - NLMSG_HDRLEN, &a)) {
		if ((a->nla_type & NLA_TYPE_MASK) != RDMA_NLDEV_ATTR_STAT_HWCOUNTERS)
			continue;
		e = NULL;
		while (nl_next(nl_data(a), nl_len(a), &e))
			found += nl_counter(e, names, n, values);
	}
	if (found != n)
		die("RDMA netlink: %u of the %u counters asked for in %s's", found,
		    n, t->dev.name);
}

uint64_t target_counter(const struct target *t, const char *name)
{
	uint64_t v;

	target_counters(t, &name, 1, &v);
	return v;
}

enum ibv_qp_state target_qp_state(const struct target *t, unsigned int i)
{
	return (enum ibv_qp_state)qp_state(t->rc[i].qp);
}
