// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe_odp_dirty: what the device writes into anonymous ODP memory
 * survives reclaim.
 *
 * Usage: prxe_odp_dirty [--pressure MIB] DEVICE
 *
 * The device writes through the kernel's mapping of a page, not through
 * the process's page table, so the PTE's dirty bit says nothing of it:
 * the device must dirty the page itself, or reclaim drops a page that it
 * finds clean, with the data the device wrote.  HMM hands out writable
 * PTEs over clean pages in two common cases, each tried here with RDMA
 * WRITEs (loopback, one device) into an ODP region of anonymous memory
 * (4 KiB pages), checked word by word after the pages were pushed out
 * with MADV_PAGEOUT and read back:
 *
 *   madv_free   pages given MADV_FREE (clean, lazily freed, still mapped
 *               writable): reclaim discards them unless they are dirty
 *   swapcache   pages swapped out and read back in by the CPU (clean in
 *               the swap cache, mapped writable): reclaim frees them
 *               without writing them unless they are dirty (needs swap)
 *   pressure    with --pressure MIB: a buffer of that many MiB, larger
 *               than the memory cgroup the program runs in allows, read
 *               by the CPU and then written by the device, so that
 *               reclaim pushes pages out while the device writes (needs
 *               swap; the caller puts the program in the cgroup)
 *
 * Output and exit status: the test library's convention (check.h); a case
 * that needs swap is skipped (a note) when there is none, and the whole
 * run is a SKIP if no case could run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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

#define CHUNK		(1u << 20)	/* bytes per RDMA WRITE */
#define CASE_SIZE	(16u << 20)	/* the MADV_PAGEOUT cases' buffers */
#define PAGE		4096u

struct rig {
	struct dev dev;
	struct ibv_cq *cq;
	struct ibv_qp *qp;		/* connected to itself */
	uint8_t *src;			/* CHUNK, pinned */
	struct ibv_mr *src_mr;
	uint64_t seq;
};

/* The word the device writes at byte @off in round @round. */
static uint64_t pattern(uint32_t round, uint64_t off)
{
	return (uint64_t)round << 48 ^ off ^ 0x0d1470d1470d0000ull;
}

/* What the CPU writes first: anything else. */
static uint64_t cpu_word(uint64_t off)
{
	return ~off;
}

static bool have_swap(void)
{
	char line[256];
	FILE *f = fopen("/proc/swaps", "r");
	int lines = 0;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		lines++;
	fclose(f);
	return lines > 1;
}

/* Pages of [@p, @p + @len) that pagemap says are swapped out. */
static size_t pages_swapped(const uint8_t *p, size_t len)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	size_t i, n = 0;

	if (fd < 0)
		return 0;
	for (i = 0; i < len / PAGE; i++) {
		uint64_t e;
		off_t at = ((uintptr_t)p / PAGE + i) * sizeof(e);

		if (pread(fd, &e, sizeof(e), at) == sizeof(e) && (e >> 62 & 1))
			n++;
	}
	close(fd);
	return n;
}

static uint8_t *anon(size_t len)
{
	uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap of %zu bytes: %s", len, strerror(errno));
	/* 4 KiB pages: the cases are about single pages. */
	madvise(p, len, MADV_NOHUGEPAGE);
	return p;
}

static void cpu_fill(uint8_t *p, size_t len)
{
	uint64_t *w = (uint64_t *)p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		w[i] = cpu_word(i * 8);
}

/* Every word read by the CPU, to fault the pages in (a read fault). */
static uint64_t cpu_read_all(const uint8_t *p, size_t len)
{
	const volatile uint64_t *w = (const uint64_t *)p;
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < len / 8; i += PAGE / 8)
		sum += w[i];
	return sum;
}

/* The next completion is @want's; a failed check otherwise. */
static bool wc_next(struct rig *r, const struct wc_want *want, size_t off)
{
	struct ibv_wc wc;

	if (poll_wc(r->cq, &wc, wc_timeout_ms) == 1 && wc_matches(&wc, want))
		return true;
	return expect_wc(r->cq, want, NULL, "RDMA WRITE at offset %zu", off);
}

/* The device writes round @round's pattern over [@dst, @dst + @len). */
static bool device_write(struct rig *r, uint8_t *dst, struct ibv_mr *mr,
			 size_t len, uint32_t round)
{
	struct wc_want want = { .status = IBV_WC_SUCCESS };
	struct ibv_sge sge = { .addr = (uintptr_t)r->src, .lkey = r->src_mr->lkey };
	uint64_t *w = (uint64_t *)r->src;
	size_t off, i;
	int err;

	for (off = 0; off < len; off += CHUNK) {
		sge.length = len - off < CHUNK ? len - off : CHUNK;
		for (i = 0; i < sge.length / 8; i++)
			w[i] = pattern(round, off + i * 8);
		want.wr_id = ++r->seq;
		err = post_send_one(r->qp, want.wr_id, IBV_WR_RDMA_WRITE, &sge,
				    (uintptr_t)dst + off, mr->rkey);
		if (err)
			return expect_err(0, err, "RDMA WRITE at offset %zu", off);
		if (!wc_next(r, &want, off))
			return false;
	}
	return true;
}

/* Every word of [@p, @p + @len) is round @round's (a check). */
static void check_words(const uint8_t *p, size_t len, uint32_t round,
			const char *what)
{
	const uint64_t *w = (const uint64_t *)p;
	size_t i, bad = 0, first = 0, zero_pages = 0, pg;

	for (i = 0; i < len / 8; i++) {
		if (w[i] == pattern(round, i * 8))
			continue;
		if (!bad++)
			first = i;
	}
	for (pg = 0; pg < len / PAGE; pg++) {
		for (i = 0; i < PAGE / 8 && !w[pg * PAGE / 8 + i]; i++)
			;
		zero_pages += i == PAGE / 8;
	}
	if (!bad) {
		check_pass(strf("%zu bytes as written", len), "%s", what);
		return;
	}
	check_fail("every word the device wrote",
		   strf("%zu words differ (%zu pages all zero: dropped by reclaim), the first at offset %zu: %#" PRIx64 " for %#" PRIx64,
			bad, zero_pages, first * 8, w[first],
			pattern(round, first * 8)),
		   "%s", what);
}

static struct ibv_mr *reg_odp(struct rig *r, uint8_t *p, size_t len)
{
	struct ibv_mr *mr = ibv_reg_mr(r->dev.pd, p, len,
				       IBV_ACCESS_LOCAL_WRITE |
				       IBV_ACCESS_REMOTE_WRITE |
				       IBV_ACCESS_ON_DEMAND);

	if (!mr)
		die("ODP ibv_reg_mr of %zu bytes: %s", len, strerror(errno));
	return mr;
}

static void pageout(uint8_t *p, size_t len, const char *what)
{
	if (madvise(p, len, MADV_PAGEOUT))
		die("MADV_PAGEOUT (%s): %s", what, strerror(errno));
}

static void case_madv_free(struct rig *r)
{
	uint8_t *p = anon(CASE_SIZE);
	struct ibv_mr *mr = reg_odp(r, p, CASE_SIZE);

	part_begin("madv_free");
	cpu_fill(p, CASE_SIZE);
	if (madvise(p, CASE_SIZE, MADV_FREE))
		die("MADV_FREE: %s", strerror(errno));
	if (device_write(r, p, mr, CASE_SIZE, 1)) {
		pageout(p, CASE_SIZE, "after the device wrote");
		check_words(p, CASE_SIZE, 1,
			    "MADV_FREE pages written by the device, then paged out");
	}
	part_end();
	ibv_dereg_mr(mr);
	munmap(p, CASE_SIZE);
}

static void case_swapcache(struct rig *r)
{
	uint8_t *p = anon(CASE_SIZE);
	struct ibv_mr *mr = reg_odp(r, p, CASE_SIZE);
	size_t swapped;

	part_begin("swapcache");
	cpu_fill(p, CASE_SIZE);
	pageout(p, CASE_SIZE, "to swap");
	swapped = pages_swapped(p, CASE_SIZE);
	note("%zu of %u pages swapped out", swapped, CASE_SIZE / PAGE);
	check(swapped >= CASE_SIZE / PAGE / 2, "at least half the pages",
	      strf("%zu", swapped), "pages MADV_PAGEOUT swapped out");
	cpu_read_all(p, CASE_SIZE);
	if (device_write(r, p, mr, CASE_SIZE, 2)) {
		pageout(p, CASE_SIZE, "after the device wrote");
		check_words(p, CASE_SIZE, 2,
			    "swap-cache pages written by the device, then paged out");
	}
	part_end();
	ibv_dereg_mr(mr);
	munmap(p, CASE_SIZE);
}

static void case_pressure(struct rig *r, size_t len)
{
	uint8_t *p = anon(len);
	struct ibv_mr *mr = reg_odp(r, p, len);

	part_begin("pressure");
	cpu_fill(p, len);
	cpu_read_all(p, len);
	note("%zu of %zu pages swapped out before the device writes",
	     pages_swapped(p, len), len / PAGE);
	if (device_write(r, p, mr, len, 3)) {
		note("%zu pages swapped out after", pages_swapped(p, len));
		check_words(p, len, 3,
			    "a buffer larger than the cgroup allows, written by the device");
	}
	part_end();
	ibv_dereg_mr(mr);
	munmap(p, len);
}

static void rig_open(struct rig *r, const char *name)
{
	dev_open_roce(&r->dev, name);
	if (!(r->dev.attr.odp_caps.general_caps & IBV_ODP_SUPPORT) ||
	    !(r->dev.attr.odp_caps.per_transport_caps.rc_odp_caps &
	      IBV_ODP_SUPPORT_WRITE))
		skip("%s has no ODP for RDMA WRITE", name);
	r->cq = cq_create(&r->dev, 16);
	if (!r->cq)
		die("cannot create a CQ");
	r->qp = rc_self_qp(&r->dev, r->cq, 8);
	r->src = malloc(CHUNK);
	r->src_mr = r->src ? ibv_reg_mr(r->dev.pd, r->src, CHUNK,
					IBV_ACCESS_LOCAL_WRITE) : NULL;
	if (!r->src_mr)
		die("cannot register the source buffer: %s", strerror(errno));
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pressure", required_argument, NULL, 'p' },
		{}
	};
	struct rig r = {};
	size_t pressure = 0;
	bool swap;
	int c;

	check_init("prxe_odp_dirty");
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'p')
			die("usage: prxe_odp_dirty [--pressure MIB] DEVICE");
		pressure = strtoul(optarg, NULL, 0) << 20;
	}
	if (optind + 1 != argc)
		die("usage: prxe_odp_dirty [--pressure MIB] DEVICE");
	rig_open(&r, argv[optind]);
	swap = have_swap();
	case_madv_free(&r);
	if (swap)
		case_swapcache(&r);
	else
		note("no swap: swapcache not tried");
	if (pressure && swap)
		case_pressure(&r, pressure);
	else if (pressure)
		note("no swap: pressure not tried");
	return check_summary();
}
