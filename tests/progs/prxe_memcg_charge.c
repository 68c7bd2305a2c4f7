// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe_memcg_charge: the kernel memory a process makes prxe allocate is
 * charged to the process's memory cgroup, and the ODP mirror gives back
 * what invalidation empties.
 *
 * Usage: prxe_memcg_charge DEVICE CGROUP_DIR
 *
 * The program must run in the cgroup CGROUP_DIR (the caller puts it
 * there); it reads the cgroup's memory.stat "kernel" line around each
 * case:
 *
 *   mirror   16 ODP regions over one 128 MiB anonymous mapping (never
 *            touched by the CPU: the faults map the zero page, so no user
 *            memory is charged), an 8-byte RDMA READ from every 2 MiB of
 *            each: one 4 KiB leaf per block and region, 4 MiB in all,
 *            must show in the cgroup's kernel memory; after MADV_DONTNEED
 *            over the mapping (every leaf emptied) it must go again
 *   rings    64 QPs with 1024-entry send and receive queues: their rings
 *            and work request copies must show in the cgroup's kernel
 *            memory, and go when the QPs are destroyed
 *
 * Output and exit status: the test library's convention (check.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "check.h"
#include "dev.h"
#include "qp.h"
#include "wc.h"

#define MIRROR_SIZE	(128ull << 20)
#define MIRROR_REGIONS	16
#define BLOCK		(2ull << 20)
#define LEAF		4096ull
#define RING_QPS	64
#define RING_WR		1024

static const char *cgroup;

/* The cgroup's kernel memory now, in bytes. */
static uint64_t kernel_bytes(void)
{
	char path[512], line[256];
	uint64_t v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/memory.stat", cgroup);
	f = fopen(path, "r");
	if (!f)
		die("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "kernel %" SCNu64, &v) == 1)
			break;
	fclose(f);
	return v;
}

struct rig {
	struct dev dev;
	struct ibv_cq *cq;
	struct ibv_qp *qp;
	uint64_t buf[8];
	struct ibv_mr *buf_mr;
};

static void rig_open(struct rig *r, const char *name)
{
	dev_open_roce(&r->dev, name);
	if (!(r->dev.attr.odp_caps.general_caps & IBV_ODP_SUPPORT))
		skip("%s has no ODP", name);
	r->cq = cq_create(&r->dev, 16);
	if (!r->cq)
		die("cannot create a CQ");
	r->qp = rc_self_qp(&r->dev, r->cq, 8);
	r->buf_mr = ibv_reg_mr(r->dev.pd, r->buf, sizeof(r->buf),
			       IBV_ACCESS_LOCAL_WRITE);
	if (!r->buf_mr)
		die("ibv_reg_mr: %s", strerror(errno));
}

/* @seen moved by at least @want bytes, up (@grow) or down (a check). */
static void expect_change(uint64_t before, uint64_t after, uint64_t want,
			  bool grow, const char *what)
{
	uint64_t moved = grow ? (after > before ? after - before : 0) :
				(before > after ? before - after : 0);

	check(moved >= want, strf("%s by at least %" PRIu64 " KiB",
				  grow ? "up" : "down", want >> 10),
	      strf("%" PRIu64 " KiB -> %" PRIu64 " KiB", before >> 10,
		   after >> 10), "the cgroup's kernel memory %s", what);
}

static void case_mirror(struct rig *r)
{
	struct ibv_mr *mr[MIRROR_REGIONS];
	struct wc_want want = { .status = IBV_WC_SUCCESS };
	uint64_t before, grown, shrunk, leaves, off;
	struct ibv_sge sge = {
		.addr = (uintptr_t)r->buf, .length = 8, .lkey = r->buf_mr->lkey,
	};
	uint8_t *p;
	int i, err;

	part_begin("mirror");
	p = mmap(NULL, MIRROR_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	madvise(p, MIRROR_SIZE, MADV_NOHUGEPAGE);
	for (i = 0; i < MIRROR_REGIONS; i++) {
		mr[i] = ibv_reg_mr(r->dev.pd, p, MIRROR_SIZE,
				   IBV_ACCESS_LOCAL_WRITE |
				   IBV_ACCESS_REMOTE_READ |
				   IBV_ACCESS_ON_DEMAND);
		if (!mr[i])
			die("ODP ibv_reg_mr: %s", strerror(errno));
	}
	before = kernel_bytes();
	for (i = 0; i < MIRROR_REGIONS; i++) {
		for (off = 0; off < MIRROR_SIZE; off += BLOCK) {
			want.wr_id++;
			err = post_send_one(r->qp, want.wr_id, IBV_WR_RDMA_READ,
					    &sge, (uintptr_t)p + off,
					    mr[i]->rkey);
			if (err || !expect_wc(r->cq, &want, NULL,
					      "READ at %#" PRIx64 " of region %d",
					      off, i))
				goto out;
		}
	}
	grown = kernel_bytes();
	leaves = MIRROR_REGIONS * (MIRROR_SIZE / BLOCK) * LEAF;
	note("%d regions x %llu blocks mirrored page by page: %" PRIu64 " KiB of leaves",
	     MIRROR_REGIONS, MIRROR_SIZE / BLOCK, leaves >> 10);
	expect_change(before, grown, leaves * 9 / 10, true,
		      "after the mirrors grew");
	if (madvise(p, MIRROR_SIZE, MADV_DONTNEED))
		die("MADV_DONTNEED: %s", strerror(errno));
	shrunk = kernel_bytes();
	expect_change(grown, shrunk, leaves * 9 / 10, false,
		      "after MADV_DONTNEED emptied every leaf");
out:
	for (i = 0; i < MIRROR_REGIONS; i++)
		ibv_dereg_mr(mr[i]);
	munmap(p, MIRROR_SIZE);
	part_end();
}

static void case_rings(struct rig *r)
{
	struct ibv_qp *qp[RING_QPS];
	struct ibv_qp_init_attr init;
	uint64_t before, grown, want;
	int i, n = 0;

	part_begin("rings");
	before = kernel_bytes();
	for (i = 0; i < RING_QPS; i++) {
		qp_init_attr_fill(&init, IBV_QPT_RC, r->cq, r->cq, NULL,
				  RING_WR, RING_WR);
		qp[i] = qp_create(&r->dev, &init);
		if (!qp[i])
			break;
		n++;
	}
	grown = kernel_bytes();
	/* At least the rings' entries: a send WQE and a receive WQE of one
	 * SGE are more than 48 bytes each, and each send has its copy. */
	want = (uint64_t)n * RING_WR * 3 * 48;
	note("%d QPs with %u-entry queues", n, RING_WR);
	expect_change(before, grown, want, true, "after creating the QPs");
	for (i = 0; i < n; i++)
		ibv_destroy_qp(qp[i]);
	expect_change(grown, kernel_bytes(), want, false,
		      "after destroying them");
	part_end();
}

int main(int argc, char **argv)
{
	struct rig r = {};

	check_init("prxe_memcg_charge");
	if (argc != 3)
		die("usage: prxe_memcg_charge DEVICE CGROUP_DIR");
	cgroup = argv[2];
	rig_open(&r, argv[1]);
	case_mirror(&r);
	case_rings(&r);
	return check_summary();
}
