/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * prxe_bad_params: what its check groups share.
 *
 *   main.c          the command line, the environment, the order of groups
 *   env.c           the environment's buffer and self-connected QPs
 *   create.c        1, 2: CQ and QP creation
 *   mr.c            3: memory regions
 *   modify.c        4: the QP state machine and its attributes
 *   post.c          5, 6: ibv_post_send and ibv_post_recv
 *   in_use.c        7: objects in use
 *   hostile.c       8: hostile send ring entries (white box)
 *   odp.c           9: ODP regions that wrap or reach unmapped pages
 *   odp_mapping.c   10: ODP regions whose mapping changes
 *   ud.c            11: UD QPs and address handles
 */
#ifndef PRXE_BAD_PARAMS_H
#define PRXE_BAD_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include <infiniband/verbs.h>

#include "check.h"
#include "dev.h"
#include "mem.h"
#include "qp.h"
#include "wc.h"

#define CQ_DEPTH		64
#define QP_WR			16
#define BUF_SIZE		(64 * 1024)
#define BUF_GUARD		(16 * 1024)

/* Where the data path checks keep their bytes in the buffer. */
#define SEND_OFF		0
#define RECV_OFF		4096

#define WR_ID_VALID		0x7a11dull
#define WR_ID_HOSTILE		0x4057000ull

#define ODP_ACCESS	(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
			 IBV_ACCESS_REMOTE_READ | IBV_ACCESS_ON_DEMAND)

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* What every check uses: the device (its GID chosen), a registered
 * buffer with guards around it. */
struct env {
	struct dev dev;
	const struct ibv_device_attr *attr;	/* &dev.attr.orig_attr */
	struct guarded mem;
	uint8_t *buf;				/* mem.addr: BUF_SIZE bytes */
	struct ibv_mr *mr;			/* of buf */
};

/* A QP on its own send and receive CQs. */
struct loop {
	struct ibv_cq *scq;
	struct ibv_cq *rcq;
	struct ibv_qp *qp;
	struct ibv_qp_cap cap;		/* as granted */
};

/* env.c */
void sge_at(const struct env *e, struct ibv_sge *sge, size_t off,
	    uint32_t len);
int post_recv_64(const struct env *e, struct ibv_qp *qp, uint64_t wr_id);
void rc_qp_init_attr(struct ibv_qp_init_attr *init, struct ibv_cq *scq,
		     struct ibv_cq *rcq);
int loop_create(struct env *e, struct loop *l, uint32_t max_inline);
int ud_loop_create(struct env *e, struct loop *l);
int loop_new(struct env *e, struct loop *l, uint32_t max_inline);
int loop_pair_new(struct env *e, struct loop *a, struct loop *b);
void loop_free(struct loop *l);

/* hostile.c: the next entry of @qp's send ring, zeroed, to be written by
 * hand (as a hostile process would), and its publication. */
struct prxe_send_wqe;
struct prxe_send_wqe *sq_ring_entry(struct ibv_qp *qp);
void sq_ring_publish(struct ibv_qp *qp);

/* mr.c, odp.c */
int reg_err(struct ibv_pd *pd, void *addr, size_t len, int access);
void odp_remote_one(struct env *e, enum ibv_wr_opcode opcode, uint64_t raddr,
		    uint32_t rkey, uint32_t len, enum ibv_wc_status status,
		    const char *what);

/* The check groups, in the order main() runs them. */
void check_cq(struct env *e);
void check_qp_create(struct env *e);
void check_mr(struct env *e);
void check_modify(struct env *e);
void check_post_send(struct env *e);
void check_post_recv(struct env *e);
void check_in_use(struct env *e);
void check_hostile(struct env *e);
void check_odp(struct env *e);
void check_odp_anon_changes(struct env *e);
void check_ud(struct env *e);
void check_odp_file_changes(struct env *e, const char *dir);

#endif
