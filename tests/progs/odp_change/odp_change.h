/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * prxe_odp_change: what its parts share.
 *
 *   main.c      the command line, the two ends (devices, QPs, MRs), the run
 *   data.c      data patterns, and the checks of words and of the memory
 *               at the end
 *   buffers.c   the buffers and the canary
 *   change.c    the change of the mapping (and the forked child), and what
 *               it takes away
 *   traffic.c   posting, polling, completions, draining, the outcome
 */
#ifndef PRXE_ODP_CHANGE_H
#define PRXE_ODP_CHANGE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <infiniband/verbs.h>

#include "check.h"
#include "dev.h"
#include "mem.h"
#include "qp.h"
#include "wc.h"

#define PAT_TAG			0x0dc5ull	/* pattern words: top 16 bits */
#define CANARY_TAG		0xca7aull	/* canary words: top 16 bits */
#define POISON			0x5a5a5a5a5a5a5a5aull
#define MAX_CHUNK		(32u << 10)	/* 4096 words: 12 bits */
#define MAX_NCHUNK		4096u		/* 12 bits */
#define MAX_SEQ			0xffffffu	/* 24 bits */
#define SHOW_BAD		4		/* bad words printed per check */

enum kind {
	K_MUNMAP,
	K_TRUNCATE,
	K_PUNCH,
	K_MREMAP,
	K_MPROTECT,
	K_FORK,
	K_UNLINK,
	K_COUNT
};

enum op { OP_WRITE, OP_READ, OP_SEND, OP_COUNT };

extern const char *const kind_names[K_COUNT];
extern const char *const op_names[OP_COUNT];

/* One end: its device, QP and memory region. */
struct end {
	const char *role;
	const char *dev_name;
	int gid_index;		/* -1: choose */
	struct dev dev;
	struct ibv_cq *cq;
	struct ibv_qp *qp;
	struct ibv_mr *mr;
	uint32_t psn;
};

/* A buffer: private anonymous memory, or a shared mapping of a file. */
struct buf {
	const char *what;
	struct mapping map;	/* map.addr: where it was registered, where
				 * work requests point */
	uint8_t *cpu;		/* where the CPU finds it (mremap moves it) */
	bool gone;		/* the CPU must not touch it any more */
	size_t cpu_end;		/* the CPU may touch [0, cpu_end) (truncate) */
};

/* The command line. */
struct chg_opts {
	enum kind kind;
	enum op op;
	bool local;		/* the requester's buffer is changed */
	bool file;		/* the changed buffer is a file mapping */
	const char *dir;
	uint32_t chunk;
	uint32_t nchunk;
	uint32_t depth;
	uint32_t before;
	uint32_t after;
	int timeout_s;
	uint32_t delay_us;
	int inject;		/* tests the tester: 1 canary, 2 data */
	bool verbose;
};

/* The run: the ends, the buffers, what was posted and completed. */
struct chg_run {
	struct end req, resp;
	struct buf rbuf;	/* the responder's: WRITE/READ target, receives */
	struct buf lbuf;	/* the requester's slots: sources, READ targets */
	struct buf *chg;	/* the one changed */
	struct buf canary;	/* made after the change; must never change */
	uint8_t *reserve;	/* address room for the canary or the mremap */
	uint32_t next_seq;	/* the next work request (from 1) */
	uint32_t completed;	/* requester completions seen */
	uint32_t oldest;	/* the oldest work request not completed */
	uint8_t *done;		/* per work request: completed */
	uint32_t disorder;	/* completions ahead of an older one */
	uint32_t ok;		/* ... successful (read by the change thread) */
	bool changing;		/* the change has begun (atomic) */
	bool changed;		/* ... and is done (atomic) */
	bool stop;		/* the change thread gives up (atomic) */
	pthread_mutex_t lock;	/* the CPU's accesses to the buffers vs the change */
	uint32_t first_after;	/* first work request posted after the change
				 * (after the main thread saw it done) */
	uint32_t seq_at_change;	/* next_seq when the change began (about) */
	uint32_t done_at_change;	/* completions then (about) */
	uint32_t delay;		/* us from the -b successes to the change */
	bool err;
	enum ibv_wc_status err_status;
	uint32_t err_seq;
	uint32_t flushed;
	uint32_t ok_after;	/* successes posted after the change */
	uint32_t rposted, rcompleted, rok;
	bool rerr;
	enum ibv_wc_status rerr_status;
	uint32_t *last_ok;	/* per chunk: the last successful write to it */
	size_t cut;		/* truncate: the new size */
	size_t hole_off, hole_len;	/* punch */
	pid_t child;
	int child_fd;		/* fork: the parent's end of the pipe */
	uint32_t seq_at_fork;
};

extern struct chg_opts opt;
extern struct chg_run run;

/* How a chunk checked at the end may look. */
struct rule {
	bool exact;		/* only this seq: */
	uint32_t seq;
	bool zero_ok;		/* zero words allowed (a punched hole) */
	bool zero_only;		/* nothing but zero words */
	uint32_t forbid_from;	/* no word of this work request or later (0: none) */
};

/* data.c */
uint64_t pattern(uint32_t seq, uint32_t c, uint32_t w);
uint64_t canary_word(size_t i);
void fill_chunk(void *p, uint32_t seq, uint32_t c);
void fill_words(void *p, size_t len, uint64_t v);
const char *word_kind(uint64_t v);
bool word_ok(uint64_t v, uint32_t c, uint32_t w, const struct rule *r);
uint32_t check_chunk(const uint64_t *q, uint32_t c, const struct rule *r,
		     const char *where);
void check_memory(void);

/* buffers.c */
void buf_open(struct buf *b, const char *what, size_t len, bool file);
void buf_close(struct buf *b);
void canary_file(size_t len);
void canary_anon(size_t len);
void canary_check(void);

/* change.c */
bool changed(void);
bool changing(void);
bool chunk_in_hole(uint32_t c);
bool access_lost(uint32_t c);
bool any_access_lost(void);
void *change_thread(void *arg);
void child_join(void);

/* traffic.c */
void traffic(void);
void drain(void);
void check_outcome(void);

#endif
