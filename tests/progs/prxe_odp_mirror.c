// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe_odp_mirror: what an ODP memory region's mirror costs, in time and
 * memory, and how it fills.
 *
 * Usage:
 *   prxe_odp_mirror reg DEVICE [FILE]
 *       Times ibv_reg_mr(IBV_ACCESS_ON_DEMAND) of 4 MiB and 400 MiB of
 *       anonymous memory, of all of FILE (mapped shared, e.g. a file as
 *       large as the pmem on the fsdax mount) and of a 1 TiB reservation
 *       (PROT_NONE, nothing behind it): the best of 5 each, in
 *       microseconds.  Registration mirrors nothing up front, so the times
 *       must not grow with the size: fails if any larger one takes more than
 *       the 4 MiB one plus PRXE_REG_SLACK_US (default 50000).
 *
 *   prxe_odp_mirror sweep DEVICE GID_INDEX FILE|anon SIZE
 *       An RC QP connected to itself (loopback through GID_INDEX) RDMA
 *       WRITEs 64 KiB messages over a fresh ODP region of SIZE bytes: FILE
 *       mapped shared (made SIZE long; a device-dax device as it is) or
 *       anonymous memory; twice, a new
 *       pattern each pass.  The first pass faults every page in (cold),
 *       the second finds them mirrored (warm); prints both bandwidths and
 *       cold/warm.  After each pass every byte is checked: for a FILE
 *       through pread(), not through the region's mapping (a device-dax
 *       device, which has no read(2), through the mapping).  Then, with the
 *       region still registered, prints the device's view of it
 *       (`rdma -dd resource show mr`: odp_pmd_blocks, odp_page_blocks,
 *       odp_mirror_bytes).
 *
 * One line per check and a summary (tests/progs/lib/check.h).  Exit
 * status: 0 passed, 1 failed, 2 usage or setup error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <infiniband/verbs.h>

#include "check.h"
#include "dev.h"
#include "qp.h"
#include "wc.h"

#define MSG_SIZE	(64u << 10)
#define DEPTH		16
#define REG_TRIES	5
#define TIMEOUT_S	60

static int parse_size(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k': *v <<= 10; end++; break;
	case 'm': *v <<= 20; end++; break;
	case 'g': *v <<= 30; end++; break;
	}
	return *end ? -1 : 0;
}

/* ------------------------------------------------------------------------
 * reg: registration time against size
 */

/* Best of REG_TRIES ODP registrations of [addr, addr + len), in us. */
static int reg_time(struct ibv_pd *pd, void *addr, uint64_t len,
		    const char *what, uint64_t *best_us)
{
	int i;

	*best_us = UINT64_MAX;
	for (i = 0; i < REG_TRIES; i++) {
		uint64_t t0 = now_ns(), us;
		struct ibv_mr *mr = ibv_reg_mr(pd, addr, len,
					       IBV_ACCESS_LOCAL_WRITE |
					       IBV_ACCESS_REMOTE_WRITE |
					       IBV_ACCESS_REMOTE_READ |
					       IBV_ACCESS_ON_DEMAND);

		us = (now_ns() - t0) / 1000;
		if (!mr) {
			expect_err(0, errno, "ODP registration of %s", what);
			return -1;
		}
		ibv_dereg_mr(mr);
		if (us < *best_us)
			*best_us = us;
	}
	printf("reg %-28s %12" PRIu64 " bytes %8" PRIu64 " us\n", what, len,
	       *best_us);
	return 0;
}

static int cmd_reg(const char *dev_name, const char *file)
{
	const char *slack_env = getenv("PRXE_REG_SLACK_US");
	uint64_t slack = slack_env ? strtoull(slack_env, NULL, 0) : 50000;
	uint64_t small_us = 0, us, worst = 0;
	struct {
		const char *what;
		uint64_t len;
		int prot, flags, fd;
	} r[4] = {
		{ "4 MiB anonymous", 4ull << 20, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1 },
		{ "400 MiB anonymous", 400ull << 20, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1 },
		{ "1 TiB reservation", 1ull << 40, PROT_NONE,
		  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1 },
		{ file, 0, PROT_READ | PROT_WRITE, MAP_SHARED, -1 },
	};
	int i, n = file ? 4 : 3, failed = 0;
	struct dev d;

	dev_open(&d, dev_name);
	if (file) {
		r[3].fd = open(file, O_RDWR);
		if (r[3].fd < 0)
			die("%s: %s", file, strerror(errno));
		r[3].len = lseek(r[3].fd, 0, SEEK_END);
	}
	for (i = 0; i < n; i++) {
		void *p = mmap(NULL, r[i].len, r[i].prot, r[i].flags, r[i].fd, 0);

		if (p == MAP_FAILED) {
			expect_err(0, errno, "mmap of %s", r[i].what);
			failed = 1;
			continue;
		}
		if (reg_time(d.pd, p, r[i].len, r[i].what, &us))
			failed = 1;
		else if (i == 0)
			small_us = us;
		else if (us > worst)
			worst = us;
		munmap(p, r[i].len);
	}
	if (!failed)
		check(worst <= small_us + slack,
		      strf("at most %" PRIu64 " us (4 MiB's, plus %" PRIu64 " us)",
			   small_us + slack, slack),
		      strf("at most %" PRIu64 " us, 4 MiB %" PRIu64 " us", worst,
			   small_us),
		      "registration time independent of size");
	if (r[3].fd >= 0)
		close(r[3].fd);
	dev_close(&d);
	return check_summary();
}

/* ------------------------------------------------------------------------
 * sweep: cold and warm WRITE bandwidth over a fresh region
 */

struct sweep {
	struct dev		dev;
	struct ibv_cq		*cq;
	struct ibv_qp		*qp;
	struct ibv_mr		*src_mr;	/* DEPTH messages, pinned */
	struct ibv_mr		*dst_mr;	/* the region under test, ODP */
	uint8_t			*src;
	uint8_t			*dst;
	uint64_t		size;
	int			fd;		/* the FILE, or -1 */
	bool			by_pread;	/* check through pread() */
};

/* The byte at @off of the region after pass @pass. */
static void pattern(uint8_t *buf, uint64_t off, size_t len, unsigned int pass)
{
	size_t i;

	for (i = 0; i < len; i += 8) {
		uint64_t w = ((off + i) >> 3) * 0x9e3779b97f4a7c15ull ^
			     (0x5bd1e995ull + pass) << 32;

		memcpy(buf + i, &w, 8);
	}
}

/* The QP connected to itself through GID @gid_index at the port's MTU. */
static void qp_connect_self(struct sweep *s, int gid_index)
{
	struct rc_attr r;

	dev_use_gid(&s->dev, gid_index);
	rc_attr_default(&r, &s->dev, s->qp->qp_num);
	r.path_mtu = s->dev.port.active_mtu;
	r.access = IBV_ACCESS_REMOTE_WRITE;
	must(rc_connect(s->qp, &r));
}

/* Allocate and write all of the file (zeros) before it is mapped. */
static int sweep_prewrite(struct sweep *s)
{
	static uint8_t zeros[MSG_SIZE];
	uint64_t off;

	if (fallocate(s->fd, 0, 0, s->size))
		return -1;
	for (off = 0; off < s->size; off += MSG_SIZE)
		if (pwrite(s->fd, zeros, MSG_SIZE, off) != MSG_SIZE)
			return -1;
	return fsync(s->fd);
}

/* The device, a QP connected to itself, the source and the region;
 * setup errors end the run. */
static void sweep_setup(struct sweep *s, const char *dev_name, int gid_index,
			const char *file, bool written)
{
	struct ibv_qp_init_attr qa;
	void *p;

	s->fd = -1;
	dev_open(&s->dev, dev_name);
	s->cq = cq_create(&s->dev, DEPTH);
	must(s->cq);
	qp_init_attr_fill(&qa, IBV_QPT_RC, s->cq, s->cq, NULL, DEPTH, 1);
	s->qp = qp_create(&s->dev, &qa);
	must(s->qp);
	qp_connect_self(s, gid_index);
	s->src = aligned_alloc(4096, (size_t)DEPTH * MSG_SIZE);
	if (!s->src)
		die("out of memory");
	s->src_mr = ibv_reg_mr(s->dev.pd, s->src, (size_t)DEPTH * MSG_SIZE, 0);
	if (!s->src_mr)
		must_succeed(errno, "ibv_reg_mr of the source");
	if (strcmp(file, "anon") && strcmp(file, "anon4k")) {
		struct stat st;

		/* A device-dax device is mapped as it is: no read(2) either. */
		s->fd = open(file, O_RDWR | O_CREAT, 0600);
		if (s->fd < 0 || fstat(s->fd, &st) ||
		    (!S_ISCHR(st.st_mode) && (ftruncate(s->fd, 0) ||
					       ftruncate(s->fd, s->size))))
			die("%s: %s", file, strerror(errno));
		s->by_pread = !S_ISCHR(st.st_mode);
		if (written && s->by_pread && sweep_prewrite(s))
			die("writing %s: %s", file, strerror(errno));
		p = mmap(NULL, s->size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 s->fd, 0);
	} else {
		p = mmap(NULL, s->size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p != MAP_FAILED && !strcmp(file, "anon4k") &&
		    madvise(p, s->size, MADV_NOHUGEPAGE))
			die("madvise: %s", strerror(errno));
	}
	if (p == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	s->dst = p;
	s->dst_mr = ibv_reg_mr(s->dev.pd, s->dst, s->size, IBV_ACCESS_LOCAL_WRITE |
			       IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_ON_DEMAND);
	if (!s->dst_mr)
		must_succeed(errno, "ODP registration of %" PRIu64 " bytes",
			     s->size);
}

/* One pass of WRITEs over the region; its bandwidth in MB/s (10^6). */
static int sweep_pass(struct sweep *s, unsigned int pass, double *mbps)
{
	uint64_t msgs = s->size / MSG_SIZE, posted = 0, done = 0, t0;
	uint64_t deadline = now_ns() + TIMEOUT_S * 1000000000ull;

	t0 = now_ns();
	while (done < msgs) {
		struct ibv_wc wc[DEPTH];
		int i, n;

		while (posted < msgs && posted - done < DEPTH) {
			unsigned int slot = posted % DEPTH;
			struct ibv_sge sge = {
				.addr = (uintptr_t)s->src + slot * MSG_SIZE,
				.length = MSG_SIZE,
				.lkey = s->src_mr->lkey,
			};
			struct ibv_send_wr wr = {
				.wr_id = posted, .sg_list = &sge, .num_sge = 1,
				.opcode = IBV_WR_RDMA_WRITE,
				.send_flags = IBV_SEND_SIGNALED,
				.wr.rdma.remote_addr = (uintptr_t)s->dst +
						       posted * MSG_SIZE,
				.wr.rdma.rkey = s->dst_mr->rkey,
			}, *bad;

			pattern((uint8_t *)(uintptr_t)sge.addr,
				posted * MSG_SIZE, MSG_SIZE, pass);
			must_succeed(ibv_post_send(s->qp, &wr, &bad),
				     "post_send of WRITE %" PRIu64, posted);
			posted++;
		}
		n = ibv_poll_cq(s->cq, DEPTH, wc);
		for (i = 0; i < n; i++) {
			if (wc[i].status != IBV_WC_SUCCESS) {
				check_fail("success", ibv_wc_status_str(wc[i].status),
					   "WRITE %" PRIu64, (uint64_t)wc[i].wr_id);
				return -1;
			}
			done++;
		}
		if (n < 0 || now_ns() > deadline) {
			check_fail(strf("%" PRIu64 " WRITEs completed in %d s",
					msgs, TIMEOUT_S),
				   n < 0 ? "ibv_poll_cq failed" :
				   strf("%" PRIu64, done), "pass %u", pass);
			return -1;
		}
	}
	*mbps = (double)s->size * 1000.0 / (double)(now_ns() - t0);
	return 0;
}

/* Every byte of the region as pass @pass left it; a FILE through pread(). */
static int sweep_check(struct sweep *s, unsigned int pass)
{
	static uint8_t want[MSG_SIZE], seen[MSG_SIZE];
	uint64_t off;

	for (off = 0; off < s->size; off += MSG_SIZE) {
		const uint8_t *got = s->dst + off;

		if (s->by_pread) {
			if (pread(s->fd, seen, MSG_SIZE, off) != MSG_SIZE)
				die("pread at %" PRIu64 ": %s", off,
				    strerror(errno));
			got = seen;
		}
		pattern(want, off, MSG_SIZE, pass);
		if (memcmp(got, want, MSG_SIZE)) {
			check_fail("what was written", "other bytes",
				   "pass %u: data at offset %" PRIu64 "..+64k",
				   pass, off);
			return -1;
		}
	}
	check_pass(strf("all %" PRIu64 " bytes right%s", s->size,
			s->by_pread ? " (read back with pread)" : ""),
		   "pass %u", pass);
	return 0;
}

static int cmd_sweep(const char *dev_name, int gid_index, const char *file,
		     uint64_t size, bool written)
{
	struct sweep s = { .size = size };
	double cold, warm;
	char cmd[128];

	if (!size || size % MSG_SIZE)
		die("SIZE must be a multiple of 64 KiB");
	sweep_setup(&s, dev_name, gid_index, file, written);
	if (sweep_pass(&s, 1, &cold) || sweep_check(&s, 1) ||
	    sweep_pass(&s, 2, &warm) || sweep_check(&s, 2))
		check_exit();
	printf("sweep %s%s %" PRIu64 " MiB: cold %.1f MB/s, warm %.1f MB/s, "
	       "cold/warm %.2f\n", file, written ? " (written)" : "",
	       size >> 20, cold, warm, cold / warm);
	fflush(stdout);
	/* The device's view of the mirror, the region still registered. */
	snprintf(cmd, sizeof(cmd), "rdma -dd resource show mr dev %s", dev_name);
	expect_eq(0, system(cmd), "%s: its exit status", cmd);
	ibv_dereg_mr(s.dst_mr);
	ibv_dereg_mr(s.src_mr);
	ibv_destroy_qp(s.qp);
	ibv_destroy_cq(s.cq);
	dev_close(&s.dev);
	return check_summary();
}

int main(int argc, char **argv)
{
	uint64_t size;

	check_init("prxe_odp_mirror");
	if (argc >= 3 && argc <= 4 && !strcmp(argv[1], "reg"))
		return cmd_reg(argv[2], argc == 4 ? argv[3] : NULL);
	if ((argc == 6 || (argc == 7 && !strcmp(argv[6], "written"))) &&
	    !strcmp(argv[1], "sweep") && !parse_size(argv[5], &size))
		return cmd_sweep(argv[2], atoi(argv[3]), argv[4], size,
				 argc == 7);
	fprintf(stderr, "usage: prxe_odp_mirror reg DEVICE [FILE]\n"
		"       prxe_odp_mirror sweep DEVICE GID_INDEX "
		"FILE|DAXDEV|anon|anon4k SIZE [written]\n");
	return EXIT_SETUP;
}
