/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * prxe_rc_test: what its parts share.
 *
 *   ../prxe_rc_test.c  command line, the three modes (server, client, loopback)
 *   util.c             messages and time
 *   data.c             data patterns, message layouts in slots, memory checks
 *   verbs.c            endpoints, completions, QP phases, posting
 *   wire.c             the client/server TCP channel and the lockstep steps
 *   transfer.c         verified transfers
 *   scenario.c         error scenarios
 */
#ifndef PRXE_RC_TEST_H
#define PRXE_RC_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <infiniband/verbs.h>

#include "dev.h"		/* the test library's: now_ns(), gid_is_ipv4() */

/* ------------------------------------------------------------------------
 * Constants
 */

#define PROG			"prxe_rc_test"

#define EXIT_PASS		0
#define EXIT_FAIL		1
#define EXIT_USAGE		2
#define EXIT_UNSUPPORTED	77

#define MAX_SIZES		32
#define MAX_SGE			16
#define MAX_DEPTH		64
#define MAX_WRS_PER_MSG		4	/* -o atomic_write, -o persist */
#define MAX_WRS			(MAX_DEPTH * MAX_WRS_PER_MSG + 1)
#define MAX_MSG_SIZE		(64u << 20)
#define DEFAULT_SIZES		"0,1,1023,1024,1025,65536"
#define DEFAULT_SCEN_SIZE	4096
#define DEFAULT_TCP_PORT	18520
#define DEFAULT_ITERS		4
#define DEFAULT_MAX_INLINE	256
#define DEFAULT_TIMEOUT_S	10
#define DEFAULT_ACK_TIMEOUT	14	/* 67 ms, as perftest's */
#define DEPTH_BUDGET		(4u << 20)	/* bytes of slots when -q is not given */

/* Slot geometry: see slot_stride(). */
#define SGE_GAP			40	/* poisoned bytes between scatter/gather pieces */
#define RECV_SLACK		64	/* receive buffers are this much larger than the message */
#define GUARD			64	/* poisoned bytes checked after each message */
#define TAIL			8192	/* buffer bytes after the MR, outside it */
#define DAX_ALIGN_DEFAULT	(2u << 20)	/* device-dax mappings: 2 MiB units */

#define RECV_TAG		(1ull << 63)
#define FENCE_TAG		(1ull << 62)
#define WR_INDEX_SHIFT		48	/* the nth work request of a message */

/*
 * -o atomic_write: each message is AW_WORDS ATOMIC WRITEs to 8-byte words
 * AW_STEP bytes apart (poison between them).  -o persist: the commit word
 * lies COMMIT_GAP bytes after the 8-byte aligned end of the record.
 */
#define AW_WORDS		4
#define AW_STEP			24
#define AW_SPAN			((AW_WORDS - 1) * AW_STEP + 8)
#define COMMIT_GAP		16

/*
 * FLUSH and ATOMIC WRITE names.  rdma-core 44 has ATOMIC WRITE but no FLUSH
 * (ibv_wr_flush() and its constants came in 45): built against it, the
 * FLUSH operations and scenarios report UNSUPPORTED.  The values are
 * IBTA's / the kernel's, asserted against libibverbs' where it names them
 * (prxe_rc_test.c).  The device capability bits have no libibverbs names
 * at all: enum ib_uverbs_device_cap_flags of the kernel's uapi.
 */
#if PRXE_RDMA_CORE_MAJOR >= 45
#define HAVE_WR_FLUSH		1
#else
#define HAVE_WR_FLUSH		0
#endif
#define RC_WR_FLUSH		14	/* IBV_WR_FLUSH */
#define RC_WC_FLUSH		8	/* IBV_WC_FLUSH */
#define RC_ACCESS_FLUSH_GLOBAL	(1u << 8)	/* IBV_ACCESS_FLUSH_GLOBAL */
#define RC_ACCESS_FLUSH_PERSISTENT (1u << 9)	/* IBV_ACCESS_FLUSH_PERSISTENT */
#define RC_QP_EX_WITH_FLUSH	(1ull << 11)	/* IBV_QP_EX_WITH_FLUSH */
#define RC_FLUSH_GLOBAL		1u	/* IBV_FLUSH_GLOBAL (placement type) */
#define RC_FLUSH_PERSISTENT	2u	/* IBV_FLUSH_PERSISTENT */
#define RC_FLUSH_RANGE		0u	/* IBV_FLUSH_RANGE (selectivity level) */
#define RC_FLUSH_MR		1u	/* IBV_FLUSH_MR */
#define DEV_CAP_FLUSH_GLOBAL	(1ull << 38)	/* IB_UVERBS_DEVICE_FLUSH_GLOBAL */
#define DEV_CAP_FLUSH_PERSISTENT (1ull << 39)	/* IB_UVERBS_DEVICE_FLUSH_PERSISTENT */
#define DEV_CAP_ATOMIC_WRITE	(1ull << 40)	/* IB_UVERBS_DEVICE_ATOMIC_WRITE */
#define NO_EVENT_WAIT_MS	300	/* solicited-only: how long "no event" is watched */
#define QUIET_WAIT_MS		200	/* how long "no completion" is watched */

/* ------------------------------------------------------------------------
 * The test: operations, scenarios, configuration (prxe_rc_test.c)
 */

enum op {
	OP_SEND,
	OP_SEND_IMM,
	OP_WRITE,
	OP_WRITE_IMM,
	OP_READ,
	OP_CMP_SWP,
	OP_FETCH_ADD,
	/*
	 * As messages: WRITE + FLUSH of it; AW_WORDS ATOMIC WRITEs; WRITE,
	 * FLUSH, ATOMIC WRITE of a commit word, FLUSH of it.  As work
	 * requests (struct wr_desc): OP_FLUSH is one FLUSH, OP_ATOMIC_WRITE
	 * one ATOMIC WRITE.
	 */
	OP_FLUSH,
	OP_ATOMIC_WRITE,
	OP_PERSIST,
	OP_COUNT
};

struct op_desc {
	const char *name;
	enum ibv_wr_opcode wr_opcode;
	enum ibv_wc_opcode req_wc;	/* requester's completion */
	bool recv;			/* consumes a receive per message */
	enum ibv_wc_opcode recv_wc;
	bool imm;
	bool remote;			/* addresses the responder's MR */
	bool atomic;			/* CMP_SWAP, FETCH_ADD: a result */
	bool flush;			/* uses FLUSH */
	bool atomic_write;		/* uses ATOMIC WRITE */
	uint64_t send_ops;		/* IBV_QP_EX_WITH_* */
	uint32_t odp_req, odp_resp;	/* IBV_ODP_SUPPORT_* needed at each end */
};

extern const struct op_desc ops[OP_COUNT];

enum scenario {
	SCEN_NONE,		/* verified transfers */
	SCEN_BAD_RKEY,
	SCEN_RNR,
	SCEN_TOO_LONG,		/* SEND_TOO_LONG, then WRITE_TOO_LONG */
	SCEN_SEND_TOO_LONG,
	SCEN_WRITE_TOO_LONG,
	SCEN_LOCAL_LEN,
	SCEN_MISALIGNED_ATOMIC,
	SCEN_FLUSH_NO_MR_ACCESS,
	SCEN_FLUSH_BEYOND_MR,
	SCEN_FLUSH_NO_QP_ACCESS,
	SCEN_AW_MISALIGNED,
	SCEN_AW_NO_ACCESS,
	SCEN_PERSIST_NOT_PMEM,
	SCEN_FLUSH_UD_REFUSED,
	SCEN_FLUSH_WRAP,
	SCEN_FLUSH_BAD_ARGS,
	SCEN_DESTROY_INFLIGHT,
	SCEN_COUNT
};

extern const char *const scen_names[SCEN_COUNT];

#define CF_INLINE	(1u << 0)
#define CF_ODP		(1u << 1)
#define CF_EX		(1u << 2)
#define CF_EVENTS	(1u << 3)
#define CF_SOLICITED	(1u << 4)
#define CF_SIZES_GIVEN	(1u << 5)
#define CF_SQD		(1u << 6)
#define CF_INVALIDATE	(1u << 7)
#define CF_STORM	(1u << 8)
#define CF_UD		(1u << 9)	/* UD QPs: SENDs of at most the MTU */
#define CF_EVICT	(1u << 10)
#define CF_BUSY_STORM	(1u << 11)	/* --storm without a pause between rounds */
#define CF_NO_MR_FLUSH	(1u << 12)	/* the responder's MR without FLUSH access */
#define CF_NO_QP_FLUSH	(1u << 13)	/* the responder's QP without FLUSH access */
#define CF_NO_MR_WRITE	(1u << 14)	/* the responder's MR without REMOTE_WRITE */

/* --ud: the Q_Key of both QPs, and the GRH in front of each datagram. */
#define UD_QKEY		0x1d2c3b4au
#define GRH_BYTES	40

#define PSN_RANDOM	UINT32_MAX

/* The test: given to the client, sent by it to the server. */
struct cfg {
	uint32_t op;
	uint32_t scenario;
	uint32_t flags;
	uint32_t nsizes;
	uint32_t sizes[MAX_SIZES];
	uint32_t nsge;
	uint32_t iters;
	uint32_t depth;		/* 0: chosen from the memory budget */
	uint32_t unsig;		/* every Nth work request signaled; 1: all */
	uint32_t offset;	/* messages start this far into their slot */
	uint32_t max_inline;
	uint32_t mtu;		/* enum ibv_mtu; 0: the smaller active MTU */
	uint32_t psn;		/* PSN_RANDOM: random per QP */
	uint32_t timeout_ms;
	uint32_t ack_timeout;	/* the QPs' local ACK timeout (IBTA exponent) */
	uint32_t inject;
	uint32_t flush_type;	/* RC_FLUSH_GLOBAL | RC_FLUSH_PERSISTENT */
	uint32_t flush_level;	/* RC_FLUSH_RANGE or RC_FLUSH_MR */
	uint64_t seed;
	uint64_t total;		/* --total: bytes to move in chunks */
};

/* --inject: damage received data before it is checked (tests the tester). */
enum inject {
	INJ_NONE,
	INJ_CORRUPT,		/* flip a byte in the middle of a message */
	INJ_STALE,		/* put the poison back: "never written" */
	INJ_SHIFT,		/* move the first piece's bytes 8 bytes on */
	INJ_OVERRUN,		/* one more byte after the message */
	INJ_GRH,		/* --ud: flip a byte of a GRH's addresses */
	INJ_COUNT
};

extern const char *const inject_names[INJ_COUNT];

enum mode { MODE_NONE, MODE_SERVER, MODE_CLIENT, MODE_LOOPBACK, MODE_CAPS };

/* --mmap of this name: a memfd_create(2) file of each end's own. */
#define MEMFD_FILE	"memfd:"

/* What only this process needs. */
struct opts {
	enum mode mode;
	const char *dev;
	const char *server;
	const char *mmap_file;
	bool map_sync;		/* --map-sync: MAP_SHARED_VALIDATE | MAP_SYNC */
	bool holes;		/* --holes: the responder's file punched, not poisoned */
	bool file_io;		/* --file-io: sources by pwrite, checks by pread too */
	int gid_index;		/* -1: choose */
	int ib_port;
	uint16_t tcp_port;
	bool verbose;
	struct cfg cfg;
};

extern bool verbose;

/* ------------------------------------------------------------------------
 * Where a message lies in its slot (data.c)
 */

struct piece {
	uint32_t off;		/* in the slot */
	uint32_t len;
};

struct layout {
	unsigned int n;
	struct piece p[MAX_SGE + 1];	/* -o persist: + the commit word */
};

/* ------------------------------------------------------------------------
 * Endpoints and the session (verbs.c, wire.c)
 */

/* What one end tells the other about its QP and MR. */
struct qp_info {
	uint32_t status;	/* 0, or the sender's failure (exit status) */
	uint32_t qpn;
	uint32_t psn;
	uint32_t rkey;
	uint32_t mtu;		/* the port's active MTU */
	uint64_t addr;
	uint64_t len;		/* MR length */
	union ibv_gid gid;
};

/* One end's verbs resources; loopback has two in one process. */
struct ep {
	const char *role;
	bool requester;
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_comp_channel *chan;
	struct ibv_cq *cq;
	struct ibv_qp *qp;
	struct ibv_qp_ex *qpx;
	struct ibv_mr *mr;
	struct ibv_ah *ah;	/* --ud: to the other end */
	uint8_t *grh;		/* --ud: one GRH_BYTES buffer per slot */
	struct ibv_mr *grh_mr;
	struct ibv_device_attr_ex dev_attr;
	struct ibv_port_attr port_attr;
	uint8_t *buf;
	size_t mr_len;
	size_t map_len;
	bool mmapped;
	bool file_io;		/* --file-io on this end's --mmap file */
	bool holes;		/* --holes: poison is zeros, holes punched per batch */
	int fd;			/* of the --mmap file with --file-io, else -1 */
	off_t file_off;		/* where buf lies in the --mmap file */
	const char *file;
	uint8_t *shadow;	/* --file-io: the file's bytes read by pread */
	const uint8_t *map2;	/* --file-io: a second, read-only mapping */
	int ib_port;
	int gid_index;
	uint32_t max_inline;	/* of the current QP */
	bool armed;
	bool solicited_only;	/* how the CQ is armed */
	unsigned int events;	/* completion events received */
	unsigned int events_mark;
	struct qp_info local;
	struct qp_info remote;
};

/* A run: the ends this process drives, and the channel to the other. */
struct sess {
	const struct opts *o;
	const struct cfg *c;
	struct ep *req;		/* NULL in the server */
	struct ep *resp;	/* NULL in the client */
	int sock;		/* -1 in loopback */
	uint32_t stride;
	uint32_t depth;
	uint32_t step_seq;
	uint64_t bytes;		/* verified payload */
	uint64_t msgs;
	bool injected;
};

struct msg {
	uint64_t id;
	uint32_t size;
};

/* A batch: the messages of slots 0..n-1, in flight together. */
struct batch {
	unsigned int index;
	unsigned int n;
	struct msg m[MAX_DEPTH];
};

/* The lockstep points of a batch or scenario; see step() in wire.c. */
enum step { STEP_READY = 1, STEP_MID, STEP_MID_OK, STEP_DONE, STEP_RESULT };

/* ------------------------------------------------------------------------
 * Checks (verbs.c: completions; data.c: memory)
 */

enum imm_expect {
	IMM_ANY,		/* send completions: IBV_WC_WITH_IMM is undefined */
	IMM_NONE,		/* a receive without immediate data */
	IMM_VALUE,		/* a receive with imm_data */
};

struct wc_expect {
	uint64_t wr_id;
	enum ibv_wc_status status;
	int opcode;		/* -1: not checked */
	int64_t byte_len;	/* -1: not checked */
	enum imm_expect imm;
	uint32_t imm_data;
	bool datagram;		/* a UD receive: IBV_WC_GRH, src_qp the peer's */
};

enum expect_kind { EXP_POISON, EXP_DATA, EXP_BYTES, EXP_ANY };

/* What a range of a buffer must hold. */
struct region {
	size_t off;		/* in the buffer */
	size_t len;
	enum expect_kind kind;
	uint64_t logical;	/* EXP_DATA: offset in the message */
	const uint8_t *bytes;	/* EXP_BYTES */
	const char *what;
};

/* Whose buffer is checked, and what it should hold, for the reports. */
struct vctx {
	struct sess *s;
	struct ep *ep;
	const struct msg *m;	/* the message being checked */
	const struct batch *b;	/* for recognising other messages */
	unsigned int slot;
	const uint8_t *mem;	/* the bytes checked: ep->buf, or NULL for it */
	const char *mem_how;	/* with mem: how they were read from ep->file */
};

/* ------------------------------------------------------------------------
 * QP phases and work requests (verbs.c)
 */

struct phase_opts {
	uint8_t rnr_retry;
};

/* A send work request, posted by ibv_post_send or the ibv_wr_* calls. */
struct wr_desc {
	enum op op;
	uint64_t wr_id;
	unsigned int flags;	/* IBV_SEND_* */
	unsigned int nsge;
	struct ibv_sge sge[MAX_SGE];
	uint64_t raddr;
	uint32_t rkey;
	uint32_t imm;		/* host order */
	uint64_t compare_add;
	uint64_t swap;
	uint64_t len;		/* OP_FLUSH: bytes */
	uint8_t flush_type;	/* OP_FLUSH */
	uint8_t flush_level;
	const void *aw;		/* OP_ATOMIC_WRITE: its 8 bytes */
};

/* ------------------------------------------------------------------------
 * Functions, by file
 */

/* util.c */
void info(const char *role, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void dbg(const char *role, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int fail(const char *role, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int unsupported(const char *role, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
uint64_t deadline_after(uint32_t ms);
int ms_left(uint64_t deadline);

/* data.c */
uint64_t data_key(uint64_t seed, uint64_t msg);
uint32_t imm_of(uint64_t seed, uint64_t msg);
void pattern_fill(uint8_t *dst, uint64_t key, uint64_t off, size_t len);
uint64_t atomic_initial(uint64_t seed, uint64_t msg);
uint64_t atomic_operands(enum op op, uint64_t seed, uint64_t msg,
			 uint64_t *compare_add, uint64_t *swap);
void layout_contig(struct layout *l, uint32_t off, uint32_t len);
void layout_split(struct layout *l, uint32_t off, uint32_t len,
		  unsigned int nsge, bool descending);
uint32_t slot_stride(const struct cfg *c, uint32_t max_size);
uint32_t slot_extent(const struct cfg *c, uint32_t stride, uint32_t size);
int region_check(const struct vctx *v, const struct region *r);
int verify_slot(struct vctx *v, const struct layout *l, uint32_t size,
		uint32_t extent, bool data_any);
int verify_atomic_slot(struct vctx *v, uint32_t off, uint64_t value,
		       uint32_t extent);
int verify_slot_file(struct vctx *v, const struct layout *l, uint32_t size,
		     uint32_t extent);
void poison(struct sess *s, struct ep *ep, size_t off, size_t len);
int punch_holes(struct ep *ep);
int fill_message(struct sess *s, struct ep *ep, unsigned int slot,
		 const struct layout *l, const struct msg *m);

/* verbs.c */
int ep_open(struct ep *ep, const struct opts *o, const struct cfg *c,
	    size_t mr_len, off_t file_off, bool requester);
bool ep_is_prxe(const struct ep *ep);
int device_caps(const struct opts *o);
void ep_close(struct ep *ep);
void cq_drain_events(struct ep *ep);
int cq_arm(struct ep *ep, bool solicited_only);
int cq_wait_event(struct ep *ep, int ms);
int cq_expect_quiet(struct ep *ep, int ms, const char *what);
int expect_completions(struct sess *s, struct ep *ep,
		       const struct wc_expect *e, unsigned int n,
		       const char *what);
int expect_qp_state(struct ep *ep, enum ibv_qp_state want);
int verify_grh(struct ep *ep, unsigned int slot);
int qp_drain_sqd(struct sess *s, struct ep *ep);
int qp_resume_rts(struct ep *ep);
int ep_invalidate(struct ep *ep);
int ep_evict(struct ep *ep);
struct storm;
struct storm *storm_start(struct sess *s, bool busy);
int storm_stop(struct storm *st);
int phase_begin(struct sess *s, const struct phase_opts *po);
int ep_phase_end(struct ep *ep, uint64_t *qp_ns);
int phase_end(struct sess *s);
int post_wrs(struct sess *s, struct ep *ep, const struct wr_desc *d,
	     unsigned int n);
int post_recvs(struct ep *ep, struct ibv_recv_wr *wr, unsigned int n);

/* wire.c */
int exchange_qp_info(struct sess *s, struct ep *ep, int rc);
int wire_client_hello(struct sess *s, int rc);
int wire_server_hello(struct sess *s, struct cfg *c);
int wire_server_ack(struct sess *s, int rc);
int tcp_accept(uint16_t port, uint32_t timeout_ms);
int tcp_connect(const char *host, uint16_t port);
int step(struct sess *s, enum step id, bool from_requester, int rc);

/* prxe_rc_test.c */
bool cfg_uses_flush(const struct cfg *c);
bool cfg_uses_atomic_write(const struct cfg *c);
bool resp_flush_access(const struct cfg *c);
unsigned int flush_access_bits(uint32_t flush_type);
const char *flush_type_str(uint32_t type);

/* transfer.c */
uint32_t msg_data_len(const struct cfg *c, const struct msg *m);
unsigned int wrs_per_msg(const struct cfg *c);
int64_t wr_byte_len(const struct wr_desc *w);
void aw_layout(struct layout *l, uint32_t off);
uint64_t persist_commit_off(const struct cfg *c, uint32_t size);
void resp_layout(const struct sess *s, const struct msg *m, struct layout *l);
void req_layout(const struct sess *s, const struct msg *m, struct layout *l);
void recv_layout(const struct sess *s, uint32_t capacity, struct layout *l);
void layout_sges(const struct sess *s, struct ep *ep, unsigned int slot,
		 const struct layout *l, struct ibv_sge *sge);
uint64_t remote_addr(const struct sess *s, const struct ep *ep,
		     unsigned int slot);
int resp_prepare(struct sess *s, const struct batch *b);
int run_batch(struct sess *s, const struct batch *b);
uint32_t max_size(const struct cfg *c);
int run_transfers(struct sess *s);

/* scenario.c */
uint32_t scen_size(const struct cfg *c);
int run_session(struct sess *s);

#endif /* PRXE_RC_TEST_H */
