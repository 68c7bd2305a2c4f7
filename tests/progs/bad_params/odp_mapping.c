// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe_bad_params 10: ODP regions whose mapping changes: anonymous memory
 * made read-only (WRITE fails, READ works, nothing written), writable
 * again, unmapped (both fail), mapped again at the same place (the region
 * follows); with FSDAX_DIR, a file there: WRITEs read back with pread(),
 * truncated (beyond the end fails, before it works), a hole punched and
 * written again.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bad_params.h"

#define CHG_LEN		(64 * 1024)

static const enum ibv_wc_status ok = IBV_WC_SUCCESS;
static const enum ibv_wc_status no = IBV_WC_REM_ACCESS_ERR;

/* The 4096 source bytes at SEND_OFF: a pattern of @seed. */
static void odp_pattern(struct env *e, uint8_t seed)
{
	unsigned int i;

	for (i = 0; i < 4096; i++)
		e->buf[SEND_OFF + i] = (uint8_t)(seed + i * 7);
}

/* @got holds the 4096 source bytes. */
static void odp_expect_bytes(const void *got, const struct env *e,
			     const char *what)
{
	bool same = !memcmp(got, e->buf + SEND_OFF, 4096);

	check(same, "the 4096 bytes written",
	      same ? "the 4096 bytes written" : "other bytes", "%s", what);
}

/* The 4096 bytes at @off of the file read back, as written. */
static void odp_expect_pread(const struct env *e, const struct mapping *m,
			     off_t off, const char *what)
{
	uint8_t back[4096];
	ssize_t n = pread(m->fd, back, sizeof(back), off);

	if (n != sizeof(back)) {
		check_fail("4096 bytes", n < 0 ? strerror(errno) :
			   strf("%zd bytes", n), "pread %s at %lld", m->path,
			   (long long)off);
		return;
	}
	odp_expect_bytes(back, e, what);
}

/* Anonymous memory: write-protected, unmapped, mapped again. */
void check_odp_anon_changes(struct env *e)
{
	struct mapping m;
	struct ibv_mr *mr;
	uint8_t *r, *again;

	if (map_anon(&m, CHG_LEN))
		die("mmap of %d bytes: %s", CHG_LEN, strerror(errno));
	r = m.addr;
	memset(r, 0, CHG_LEN);		/* faulted in before the registration */
	mr = ibv_reg_mr(e->dev.pd, r, CHG_LEN, ODP_ACCESS);
	if (!expect_err(0, mr ? 0 : errno, "ODP ibv_reg_mr of an anonymous mapping")) {
		unmap(&m);
		return;
	}
	odp_pattern(e, 1);
	odp_remote_one(e, IBV_WR_RDMA_WRITE, (uintptr_t)r, mr->rkey, 4096, ok,
		       "ODP anonymous: RDMA WRITE");
	odp_expect_bytes(r, e, "ODP anonymous: the WRITE landed");

	mprotect(r, CHG_LEN, PROT_READ);
	odp_pattern(e, 2);
	odp_remote_one(e, IBV_WR_RDMA_WRITE, (uintptr_t)r, mr->rkey, 4096, no,
		       "ODP anonymous, made read-only: RDMA WRITE");
	odp_remote_one(e, IBV_WR_RDMA_READ, (uintptr_t)r, mr->rkey, 4096, ok,
		       "ODP anonymous, made read-only: RDMA READ");
	odp_pattern(e, 1);
	odp_expect_bytes(r, e, "ODP anonymous, read-only: nothing written");

	mprotect(r, CHG_LEN, PROT_READ | PROT_WRITE);
	odp_pattern(e, 3);
	odp_remote_one(e, IBV_WR_RDMA_WRITE, (uintptr_t)r, mr->rkey, 4096, ok,
		       "ODP anonymous, writable again: RDMA WRITE");
	odp_expect_bytes(r, e, "ODP anonymous, writable again: the WRITE landed");

	unmap(&m);
	odp_remote_one(e, IBV_WR_RDMA_WRITE, (uintptr_t)r, mr->rkey, 4096, no,
		       "ODP anonymous, unmapped: RDMA WRITE");
	odp_remote_one(e, IBV_WR_RDMA_READ, (uintptr_t)r, mr->rkey, 4096, no,
		       "ODP anonymous, unmapped: RDMA READ");

	/* A new mapping at the same place: the region follows it. */
	again = mmap(r, CHG_LEN, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (again == r) {
		odp_pattern(e, 4);
		odp_remote_one(e, IBV_WR_RDMA_WRITE, (uintptr_t)r, mr->rkey,
			       4096, ok, "ODP anonymous, mapped again: RDMA WRITE");
		odp_expect_bytes(r, e,
				 "ODP anonymous, mapped again: the WRITE is in the new mapping");
		munmap(r, CHG_LEN);
	} else {
		note("could not map the same place again; that part skipped");
		if (again != MAP_FAILED)
			munmap(again, CHG_LEN);
	}
	ibv_dereg_mr(mr);
}

/*
 * A file on the fsdax mount in @dir: writes land in the file (read back
 * with pread(), not through the mapping); truncated, the region fails
 * beyond the new end; a punched hole is written again.
 */
void check_odp_file_changes(struct env *e, const char *dir)
{
	struct mapping m;
	struct ibv_mr *mr;
	uint64_t r;

	if (!expect_err(0, map_file(&m, dir, "odp", CHG_LEN) ? errno : 0,
			"a file of %d bytes in %s, mapped", CHG_LEN, dir))
		return;
	r = (uintptr_t)m.addr;
	mr = ibv_reg_mr(e->dev.pd, m.addr, CHG_LEN, ODP_ACCESS);
	if (!expect_err(0, mr ? 0 : errno, "ODP ibv_reg_mr of a file mapping"))
		goto out;

	odp_pattern(e, 5);
	odp_remote_one(e, IBV_WR_RDMA_WRITE, r + 32768, mr->rkey, 4096, ok,
		       "ODP file: RDMA WRITE at 32 KiB");
	odp_expect_pread(e, &m, 32768, "ODP file: pread() sees the WRITE");

	/* Truncated to 16 KiB: pages beyond the end are gone (SIGBUS). */
	expect_err(0, ftruncate(m.fd, 16384) ? errno : 0, "ftruncate to 16 KiB");
	odp_remote_one(e, IBV_WR_RDMA_WRITE, r + 32768, mr->rkey, 4096, no,
		       "ODP file, truncated: RDMA WRITE beyond the end");
	odp_remote_one(e, IBV_WR_RDMA_READ, r + 32768, mr->rkey, 4096, no,
		       "ODP file, truncated: RDMA READ beyond the end");
	odp_pattern(e, 6);
	odp_remote_one(e, IBV_WR_RDMA_WRITE, r + 4096, mr->rkey, 4096, ok,
		       "ODP file, truncated: RDMA WRITE before the end");
	odp_expect_pread(e, &m, 4096, "ODP file, truncated: pread() sees the WRITE");

	/* A hole punched where the WRITE went: written again. */
	expect_err(0, fallocate(m.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				4096, 4096) ? errno : 0, "punch a hole at 4 KiB");
	odp_pattern(e, 7);
	odp_remote_one(e, IBV_WR_RDMA_WRITE, r + 4096, mr->rkey, 4096, ok,
		       "ODP file, hole punched: RDMA WRITE into it");
	odp_expect_pread(e, &m, 4096, "ODP file, hole punched: pread() sees the WRITE");

	ibv_dereg_mr(mr);
out:
	unmap(&m);
}
