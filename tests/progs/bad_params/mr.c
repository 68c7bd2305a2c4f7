// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe_bad_params 3: memory regions that cannot be.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>

#include "bad_params.h"

/* Registers and deregisters: 0 or the errno of ibv_reg_mr. */
int reg_err(struct ibv_pd *pd, void *addr, size_t len, int access)
{
	struct ibv_mr *mr = ibv_reg_mr(pd, addr, len, access);

	if (!mr)
		return errno;
	ibv_dereg_mr(mr);
	return 0;
}

/*
 * 3. ibv_reg_mr of NULL, of 0 bytes, REMOTE_WRITE without LOCAL_WRITE,
 * beyond max_mr_size, of an unmapped range; 64 KiB works.
 */
void check_mr(struct env *e)
{
	const int lw = IBV_ACCESS_LOCAL_WRITE;
	uint64_t too_long = e->attr->max_mr_size + 1;
	struct ibv_pd *pd = e->dev.pd;
	struct mapping m;

	expect_err(EFAULT, reg_err(pd, NULL, 4096, lw),
		   "ibv_reg_mr(NULL, 4096, LOCAL_WRITE)");
	expect_err(EINVAL, reg_err(pd, e->buf, 0, lw),
		   "ibv_reg_mr(buffer, 0 bytes)");
	expect_err(EINVAL, reg_err(pd, e->buf, 4096, IBV_ACCESS_REMOTE_WRITE),
		   "ibv_reg_mr(REMOTE_WRITE without LOCAL_WRITE)");
	expect_err(EINVAL, reg_err(pd, e->buf, too_long, lw),
		   "ibv_reg_mr(buffer, max_mr_size + 1 = %" PRIu64 " bytes)",
		   too_long);

	if (map_anon(&m, BUF_SIZE)) {
		expect_err(0, errno, "mmap of %d bytes", BUF_SIZE);
		return;
	}
	memset(m.addr, 0, BUF_SIZE);
	expect_err(0, reg_err(pd, m.addr, BUF_SIZE, lw),
		   "ibv_reg_mr(a %d KiB buffer)", BUF_SIZE / 1024);
	munmap(m.addr, BUF_SIZE);
	expect_err(EFAULT, reg_err(pd, m.addr, BUF_SIZE, lw),
		   "ibv_reg_mr(an unmapped range of %d bytes)", BUF_SIZE);
}
