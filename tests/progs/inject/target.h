/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The device under attack: live RC QPs connected to a phantom peer (a
 * QPN at the peer's address that no device has: the injecting program
 * plays it), a UD QP, and memory regions, pinned and ODP (on anonymous
 * memory or a file), each with guard memory of known contents around
 * it, so that a write outside a region is seen.
 *
 * Each QP keeps receives posted: target_open() and target_rc_revive()
 * post TARGET_RECVS; target_drain_cq() counts what completed and
 * target_refill_recvs() posts again what was consumed.  Work requests
 * whose wr_id has TARGET_WR_RECV set are the target's receives; every
 * other wr_id is the caller's.
 */
#ifndef PRXE_INJECT_TARGET_H
#define PRXE_INJECT_TARGET_H

#include <stdbool.h>
#include <stdint.h>

#include <infiniband/verbs.h>

#include "dev.h"
#include "mem.h"
#include "roce/pkt.h"

/* The phantom peer's QPN, and the PSNs each side starts from. */
#define PHANTOM_QPN	0x00f00d
#define TARGET_RQ_PSN	0x000100	/* what the target QPs expect first */
#define TARGET_SQ_PSN	0x000000	/* the first PSN they send */
#define TARGET_QKEY	0x11111111

#define TARGET_RECVS	4		/* receives each QP keeps posted */
#define TARGET_WR_RECV	(1ull << 63)	/* in the wr_id of the target's receives */

/* A region with its guards. */
/*
 * IBV_ACCESS_FLUSH_GLOBAL / _PERSISTENT (rdma-core 45 and later; the
 * values are the kernel's IB_ACCESS_FLUSH_*, so older headers get them
 * here).
 */
#define TARGET_ACCESS_FLUSH_GLOBAL	(1 << 8)
#define TARGET_ACCESS_FLUSH_PERSISTENT	(1 << 9)

struct target_mr {
	struct guarded mem;
	struct ibv_mr *mr;
	bool odp;
	/* Of a region on a file: the file, mapped whole (guards and region:
	 * mem points into it); file.fd is -1 for anonymous memory. */
	struct mapping file;
};

struct target_qp {
	struct ibv_qp *qp;
	uint32_t epsn;			/* the next PSN it expects */
	uint32_t msn;
	bool dead;			/* driven to the error state */
	unsigned int recvs;		/* receives posted, not completed */
};

/* What target_drain_cq() has polled so far. */
struct target_wcs {
	uint64_t recv_ok, recv_err;	/* the target's receives */
	uint64_t other_ok, other_err;	/* the caller's work requests */
};

struct target {
	struct dev dev;
	struct ibv_cq *cq;
	struct target_qp *rc;
	unsigned int nr_rc;
	struct ibv_qp *ud;
	unsigned int ud_recvs;		/* as target_qp.recvs */
	union ibv_gid peer_gid;
	char addr[16];			/* the device's IPv4 address, text */
	unsigned int mtu;		/* path MTU, bytes */
	int dev_index;			/* the kernel's, for RDMA netlink */
	int nl_fd;			/* NETLINK_RDMA, for the counters */
	struct target_wcs wcs;
};

/*
 * Opens @name, makes @nr_rc RC QPs connected to PHANTOM_QPN at @peer_ip
 * (path MTU 1024, every remote access, expecting TARGET_RQ_PSN, sending
 * from PSN 0, up to 4 READs or atomics of their own in flight, timeout 0:
 * they never retransmit), each with TARGET_RECVS receives posted, and a
 * UD QP with TARGET_QKEY.  Dies (setup error) if any of it fails.
 */
void target_open(struct target *t, const char *name, const char *peer_ip,
		 unsigned int nr_rc);
void target_close(struct target *t);

/*
 * RC QP @i anew: RESET (its work requests gone, its completions so far
 * drained), then connected as target_open() does but expecting @rq_psn
 * and sending from @sq_psn, with TARGET_RECVS receives posted.  Whether
 * it got to RTS (a failed step is a failed check).
 */
bool target_rc_revive(struct target *t, unsigned int i, uint32_t rq_psn,
		      uint32_t sq_psn);
/* Polls every completion there is (into t->wcs); returns how many. */
unsigned int target_drain_cq(struct target *t);
/* Posts receives again on the QPs that take them (RTR, RTS), up to
 * TARGET_RECVS each; dies if posting fails. */
void target_refill_recvs(struct target *t);

/* A region of @len bytes (pinned, or ODP), zeroed, with guards of
 * @guard bytes; remote READ, WRITE and atomic access. */
void target_mr_open(struct target *t, struct target_mr *m, size_t len,
		    size_t guard, bool odp);
/* The same, ODP, on a new file in @dir (an fsdax mount, say): the file
 * holds the guards and the region, mapped shared, and the region is
 * registered from the middle of that mapping. */
void target_mr_open_file(struct target *t, struct target_mr *m,
			 const char *dir, size_t len, size_t guard);
void target_mr_close(struct target_mr *m);

/* @h for @opcode from the phantom peer to RC QP @i, at the PSN it expects,
 * AckReq set. */
void target_rc_hdrs(const struct target *t, unsigned int i,
		    struct roce_hdrs *h, uint8_t opcode);

/* The value of the device's counter @name (as `rdma statistic` shows it
 * for port 1); dies if it has none. */
uint64_t target_counter(const struct target *t, const char *name);
/* The values of the @n counters @names, read at once. */
void target_counters(const struct target *t, const char *const *names,
		     unsigned int n, uint64_t *values);

/* RC QP @i's state as ibv_query_qp() says. */
enum ibv_qp_state target_qp_state(const struct target *t, unsigned int i);

#endif
