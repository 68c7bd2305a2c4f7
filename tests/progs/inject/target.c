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

#include "check.h"
#include "qp.h"
#include "target.h"
#include "wc.h"

#define TARGET_RECVS	4
#define RECV_BYTES	4096

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

void target_open(struct target *t, const char *name, const char *peer_ip,
		 unsigned int nr_rc)
{
	struct ibv_qp_init_attr init;
	struct rc_attr r;
	unsigned int i, k;

	memset(t, 0, sizeof(*t));
	dev_open_roce(&t->dev, name);
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
		rc_attr_default(&r, &t->dev, PHANTOM_QPN);
		r.dgid = t->peer_gid;
		r.rq_psn = TARGET_RQ_PSN;
		r.max_dest_rd_atomic = 16;
		r.access = IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_WRITE |
			   IBV_ACCESS_REMOTE_ATOMIC;
		/* No retransmissions of our own to clutter the wire. */
		r.timeout = 0;
		must(rc_connect(t->rc[i].qp, &r));
		t->rc[i].epsn = TARGET_RQ_PSN;
		for (k = 0; k < TARGET_RECVS; k++) {
			struct ibv_sge sge = {
				.addr = (uintptr_t)recv_buf[k],
				.length = RECV_BYTES, .lkey = recv_mr->lkey,
			};

			if (post_recv_one(t->rc[i].qp, i << 8 | k, &sge))
				die("cannot post receives");
		}
	}
	qp_init_attr_fill(&init, IBV_QPT_UD, t->cq, t->cq, NULL, 8,
			  TARGET_RECVS);
	t->ud = qp_create(&t->dev, &init);
	if (!t->ud)
		die("cannot create the UD QP");
	must(ud_ready(t->ud, TARGET_QKEY));
	for (k = 0; k < TARGET_RECVS; k++) {
		struct ibv_sge sge = {
			.addr = (uintptr_t)recv_buf[k], .length = RECV_BYTES,
			.lkey = recv_mr->lkey,
		};

		if (post_recv_one(t->ud, 0xd0 << 8 | k, &sge))
			die("cannot post UD receives");
	}
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
	dev_close(&t->dev);
}

void target_mr_open(struct target *t, struct target_mr *m, size_t len,
		    size_t guard, bool odp)
{
	int access = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_READ |
		     IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_ATOMIC;

	if (guarded_map(&m->mem, len, guard))
		die("guarded mapping of %zu bytes: %s", len, strerror(errno));
	m->odp = odp;
	m->mr = ibv_reg_mr(t->dev.pd, m->mem.addr, len,
			   access | (odp ? IBV_ACCESS_ON_DEMAND : 0));
	if (!m->mr)
		die("%s ibv_reg_mr of %zu bytes: %s", odp ? "ODP" : "pinned",
		    len, strerror(errno));
}

void target_mr_close(struct target_mr *m)
{
	ibv_dereg_mr(m->mr);
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

uint64_t target_counter(const struct target *t, const char *name)
{
	char cmd[256], word[128];
	uint64_t v;
	bool next = false;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "rdma statistic show link %s/1",
		 t->dev.name);
	f = popen(cmd, "r");
	if (!f)
		die("%s: %s", cmd, strerror(errno));
	while (fscanf(f, "%127s", word) == 1) {
		if (next) {
			pclose(f);
			if (sscanf(word, "%" SCNu64, &v) != 1)
				die("%s: counter %s is '%s'", cmd, name, word);
			return v;
		}
		next = !strcmp(word, name);
	}
	pclose(f);
	die("%s: no counter %s", cmd, name);
}

enum ibv_qp_state target_qp_state(const struct target *t, unsigned int i)
{
	return (enum ibv_qp_state)qp_state(t->rc[i].qp);
}
