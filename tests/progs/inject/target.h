/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The device under attack: live RC QPs connected to a phantom peer (a
 * QPN at the peer's address that no device has: the injecting program
 * plays it), a UD QP, and memory regions, pinned and ODP, each with guard
 * memory of known contents around it, so that a write outside a region
 * is seen.
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
#define TARGET_QKEY	0x11111111

/* A region with its guards. */
struct target_mr {
	struct guarded mem;
	struct ibv_mr *mr;
	bool odp;
};

struct target_qp {
	struct ibv_qp *qp;
	uint32_t epsn;			/* the next PSN it expects */
	uint32_t msn;
	bool dead;			/* driven to the error state */
};

struct target {
	struct dev dev;
	struct ibv_cq *cq;
	struct target_qp *rc;
	unsigned int nr_rc;
	struct ibv_qp *ud;
	union ibv_gid peer_gid;
	unsigned int mtu;		/* path MTU, bytes */
};

/*
 * Opens @name, makes @nr_rc RC QPs connected to PHANTOM_QPN at @peer_ip
 * (path MTU 1024, every remote access, expecting TARGET_RQ_PSN), each
 * with a few receives posted, and a UD QP with TARGET_QKEY.  Dies
 * (setup error) if any of it fails.
 */
void target_open(struct target *t, const char *name, const char *peer_ip,
		 unsigned int nr_rc);
void target_close(struct target *t);

/* A region of @len bytes (pinned, or ODP), zeroed, with guards of
 * @guard bytes; remote READ, WRITE and atomic access. */
void target_mr_open(struct target *t, struct target_mr *m, size_t len,
		    size_t guard, bool odp);
void target_mr_close(struct target_mr *m);

/* @h for @opcode from the phantom peer to RC QP @i, at the PSN it expects,
 * AckReq set. */
void target_rc_hdrs(const struct target *t, unsigned int i,
		    struct roce_hdrs *h, uint8_t opcode);

/* The value of the device's counter @name (`rdma statistic`); dies if it
 * has none. */
uint64_t target_counter(const struct target *t, const char *name);

/* RC QP @i's state as ibv_query_qp() says. */
enum ibv_qp_state target_qp_state(const struct target *t, unsigned int i);

#endif
