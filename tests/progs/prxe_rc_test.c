// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe_rc_test: RC data path tester over plain libibverbs.
 *
 * A requester moves messages to (or from) a responder over one RC QP pair
 * and every byte is verified.  The two ends are a client (requester) and a
 * server (responder) exchanging QP information over TCP, or both QPs in one
 * process on one device (loopback).  It runs on any verbs device; it was
 * written to prove prxe's data path and is validated on rdma_rxe.
 *
 * Data: the byte at offset o of message m is a function of (seed, m, o), and
 * every destination is filled beforehand with "poison", a function of
 * (seed, buffer offset).  After a transfer the receiving side checks the
 * message, the gaps between its scatter pieces and a guard area after it,
 * so data that is corrupt, misplaced, stale, missing or overrunning is seen;
 * a mismatch is reported with the expected and the seen bytes and what the
 * seen bytes look like (poison, another message, this message elsewhere).
 *
 * Each batch of messages runs in lockstep between the two ends:
 *   responder: poison, fill sources, post receives     -> READY
 *   requester: post work requests, check completions,
 *              check local memory                       -> DONE
 *   responder: check receive completions and memory     -> RESULT
 * (in loopback the steps are plain calls, in client/server TCP messages
 * that also carry each side's verdict, so both exit nonzero on a failure).
 *
 * Exit status: 0 passed, 1 failed, 2 usage, 77 the device does not support
 * what was asked (ODP, atomics, registering the --mmap file).
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <sched.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <infiniband/verbs.h>

#define PROG			"prxe_rc_test"

#define EXIT_PASS		0
#define EXIT_FAIL		1
#define EXIT_USAGE		2
#define EXIT_UNSUPPORTED	77

#define MAX_SIZES		32
#define MAX_SGE			16
#define MAX_DEPTH		64
#define MAX_MSG_SIZE		(64u << 20)
#define DEFAULT_SIZES		"0,1,1023,1024,1025,65536"
#define DEFAULT_SCEN_SIZE	4096
#define DEFAULT_TCP_PORT	18520
#define DEFAULT_ITERS		4
#define DEFAULT_MAX_INLINE	256
#define DEFAULT_TIMEOUT_S	10
#define DEPTH_BUDGET		(4u << 20)	/* bytes of slots when -q is not given */

/* Slot geometry: see slot_stride(). */
#define SGE_GAP			40	/* poisoned bytes between scatter/gather pieces */
#define RECV_SLACK		64	/* receive buffers are this much larger than the message */
#define GUARD			64	/* poisoned bytes checked after each message */
#define TAIL			8192	/* buffer bytes after the MR, outside it */

#define RECV_TAG		(1ull << 63)
#define FENCE_TAG		(1ull << 62)
#define NO_EVENT_WAIT_MS	300	/* solicited-only: how long "no event" is watched */
#define QUIET_WAIT_MS		200	/* how long "no completion" is watched */

/* ------------------------------------------------------------------------
 * Operations
 */

enum op {
	OP_SEND,
	OP_SEND_IMM,
	OP_WRITE,
	OP_WRITE_IMM,
	OP_READ,
	OP_CMP_SWP,
	OP_FETCH_ADD,
	OP_COUNT
};

static const struct op_desc {
	const char *name;
	enum ibv_wr_opcode wr_opcode;
	enum ibv_wc_opcode req_wc;	/* requester's completion */
	bool recv;			/* consumes a receive per message */
	enum ibv_wc_opcode recv_wc;
	bool imm;
	bool remote;			/* addresses the responder's MR */
	bool atomic;
	uint64_t send_ops;		/* IBV_QP_EX_WITH_* */
	uint32_t odp_req, odp_resp;	/* IBV_ODP_SUPPORT_* needed at each end */
} ops[OP_COUNT] = {
	[OP_SEND] = {
		.name = "send", .wr_opcode = IBV_WR_SEND, .req_wc = IBV_WC_SEND,
		.recv = true, .recv_wc = IBV_WC_RECV,
		.send_ops = IBV_QP_EX_WITH_SEND,
		.odp_req = IBV_ODP_SUPPORT_SEND, .odp_resp = IBV_ODP_SUPPORT_RECV,
	},
	[OP_SEND_IMM] = {
		.name = "send_imm", .wr_opcode = IBV_WR_SEND_WITH_IMM,
		.req_wc = IBV_WC_SEND, .recv = true, .recv_wc = IBV_WC_RECV,
		.imm = true, .send_ops = IBV_QP_EX_WITH_SEND_WITH_IMM,
		.odp_req = IBV_ODP_SUPPORT_SEND, .odp_resp = IBV_ODP_SUPPORT_RECV,
	},
	[OP_WRITE] = {
		.name = "write", .wr_opcode = IBV_WR_RDMA_WRITE,
		.req_wc = IBV_WC_RDMA_WRITE, .remote = true,
		.send_ops = IBV_QP_EX_WITH_RDMA_WRITE,
		.odp_req = IBV_ODP_SUPPORT_WRITE, .odp_resp = IBV_ODP_SUPPORT_WRITE,
	},
	[OP_WRITE_IMM] = {
		.name = "write_imm", .wr_opcode = IBV_WR_RDMA_WRITE_WITH_IMM,
		.req_wc = IBV_WC_RDMA_WRITE, .recv = true,
		.recv_wc = IBV_WC_RECV_RDMA_WITH_IMM, .imm = true, .remote = true,
		.send_ops = IBV_QP_EX_WITH_RDMA_WRITE_WITH_IMM,
		.odp_req = IBV_ODP_SUPPORT_WRITE,
		.odp_resp = IBV_ODP_SUPPORT_WRITE | IBV_ODP_SUPPORT_RECV,
	},
	[OP_READ] = {
		.name = "read", .wr_opcode = IBV_WR_RDMA_READ,
		.req_wc = IBV_WC_RDMA_READ, .remote = true,
		.send_ops = IBV_QP_EX_WITH_RDMA_READ,
		.odp_req = IBV_ODP_SUPPORT_READ, .odp_resp = IBV_ODP_SUPPORT_READ,
	},
	[OP_CMP_SWP] = {
		.name = "cmp_swp", .wr_opcode = IBV_WR_ATOMIC_CMP_AND_SWP,
		.req_wc = IBV_WC_COMP_SWAP, .remote = true, .atomic = true,
		.send_ops = IBV_QP_EX_WITH_ATOMIC_CMP_AND_SWP,
		.odp_req = IBV_ODP_SUPPORT_ATOMIC, .odp_resp = IBV_ODP_SUPPORT_ATOMIC,
	},
	[OP_FETCH_ADD] = {
		.name = "fetch_add", .wr_opcode = IBV_WR_ATOMIC_FETCH_AND_ADD,
		.req_wc = IBV_WC_FETCH_ADD, .remote = true, .atomic = true,
		.send_ops = IBV_QP_EX_WITH_ATOMIC_FETCH_AND_ADD,
		.odp_req = IBV_ODP_SUPPORT_ATOMIC, .odp_resp = IBV_ODP_SUPPORT_ATOMIC,
	},
};

enum scenario {
	SCEN_NONE,		/* verified transfers */
	SCEN_BAD_RKEY,
	SCEN_RNR,
	SCEN_TOO_LONG,		/* SEND_TOO_LONG, then WRITE_TOO_LONG */
	SCEN_SEND_TOO_LONG,
	SCEN_WRITE_TOO_LONG,
	SCEN_LOCAL_LEN,
	SCEN_DESTROY_INFLIGHT,
	SCEN_COUNT
};

static const char *const scen_names[SCEN_COUNT] = {
	[SCEN_NONE] = "none",
	[SCEN_BAD_RKEY] = "bad_rkey",
	[SCEN_RNR] = "rnr",
	[SCEN_TOO_LONG] = "too_long",
	[SCEN_SEND_TOO_LONG] = "send_too_long",
	[SCEN_WRITE_TOO_LONG] = "write_too_long",
	[SCEN_LOCAL_LEN] = "local_len",
	[SCEN_DESTROY_INFLIGHT] = "destroy_inflight",
};

/* ------------------------------------------------------------------------
 * Configuration
 */

#define CF_INLINE	(1u << 0)
#define CF_ODP		(1u << 1)
#define CF_EX		(1u << 2)
#define CF_EVENTS	(1u << 3)
#define CF_SOLICITED	(1u << 4)
#define CF_SIZES_GIVEN	(1u << 5)

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
	uint32_t inject;
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
	INJ_COUNT
};

static const char *const inject_names[INJ_COUNT] = {
	[INJ_NONE] = "none", [INJ_CORRUPT] = "corrupt", [INJ_STALE] = "stale",
	[INJ_SHIFT] = "shift", [INJ_OVERRUN] = "overrun",
};

enum mode { MODE_NONE, MODE_SERVER, MODE_CLIENT, MODE_LOOPBACK };

/* What only this process needs. */
struct opts {
	enum mode mode;
	const char *dev;
	const char *server;
	const char *mmap_file;
	int gid_index;		/* -1: choose */
	int ib_port;
	uint16_t tcp_port;
	bool verbose;
	struct cfg cfg;
};

static bool verbose;

/* ------------------------------------------------------------------------
 * Messages
 */

static void vsay(FILE *f, const char *role, const char *tag, const char *fmt,
		 va_list ap)
{
	fprintf(f, "%s: %s%s%s", PROG, role ? role : "", role ? ": " : "", tag);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
	fflush(f);
}

static void info(const char *role, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void info(const char *role, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(stdout, role, "", fmt, ap);
	va_end(ap);
}

static void dbg(const char *role, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void dbg(const char *role, const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	vsay(stdout, role, "", fmt, ap);
	va_end(ap);
}

/* Report a failure; returns -1 for "return fail(...)". */
static int fail(const char *role, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int fail(const char *role, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(stderr, role, "FAIL: ", fmt, ap);
	va_end(ap);
	return -1;
}

/* The device lacks something asked for: exit status 77. */
static int unsupported(const char *role, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int unsupported(const char *role, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(stderr, role, "UNSUPPORTED: ", fmt, ap);
	va_end(ap);
	return -EXIT_UNSUPPORTED;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static uint64_t deadline_after(uint32_t ms)
{
	return now_ns() + (uint64_t)ms * 1000000ull;
}

static int ms_left(uint64_t deadline)
{
	uint64_t t = now_ns();

	return t >= deadline ? 0 : (int)((deadline - t + 999999) / 1000000);
}

/* ------------------------------------------------------------------------
 * Data patterns
 *
 * A stream (a message, or the poison of a buffer) is a key; its byte at
 * offset o is byte o % 8 (little-endian) of word(key, o / 8).
 */

static inline uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static inline uint64_t pattern_word(uint64_t key, uint64_t idx)
{
	return mix64(key + idx * 0xd1b54a32d192ed03ull);
}

static uint64_t data_key(uint64_t seed, uint64_t msg)
{
	return mix64(seed ^ mix64(msg));
}

static uint64_t poison_key(uint64_t seed)
{
	return mix64(~seed ^ 0x706f69736f6e2121ull);
}

static uint32_t imm_of(uint64_t seed, uint64_t msg)
{
	return (uint32_t)mix64(seed ^ msg ^ 0x696d6d6564696174ull);
}

static void pattern_fill(uint8_t *dst, uint64_t key, uint64_t off, size_t len)
{
	while (len) {
		unsigned int skip = off % 8;
		uint64_t w = htole64(pattern_word(key, off / 8));
		size_t n = 8 - skip;

		if (n > len)
			n = len;
		memcpy(dst, (uint8_t *)&w + skip, n);
		dst += n;
		off += n;
		len -= n;
	}
}

/* First offset in [0, len) where @p differs from the stream, or len. */
static size_t pattern_mismatch(const uint8_t *p, uint64_t key, uint64_t off,
			       size_t len)
{
	uint8_t tmp[4096];
	size_t done = 0, n, i;

	while (done < len) {
		n = len - done < sizeof(tmp) ? len - done : sizeof(tmp);
		pattern_fill(tmp, key, off + done, n);
		if (memcmp(tmp, p + done, n)) {
			for (i = 0; tmp[i] == p[done + i]; i++)
				;
			return done + i;
		}
		done += n;
	}
	return len;
}

static bool pattern_equal(const uint8_t *p, uint64_t key, uint64_t off,
			  size_t len)
{
	return pattern_mismatch(p, key, off, len) == len;
}

static uint64_t atomic_initial(uint64_t seed, uint64_t msg)
{
	uint64_t v;
	uint8_t b[8];

	pattern_fill(b, data_key(seed, msg), 0, 8);
	memcpy(&v, b, 8);
	return v;
}

/*
 * The operands of atomic message @msg and the value the responder's 8 bytes
 * must hold afterwards.  Odd messages of cmp_swp compare unequal (no swap).
 * Soft devices operate on host-order 64-bit words.
 */
static uint64_t atomic_operands(enum op op, uint64_t seed, uint64_t msg,
				uint64_t *compare_add, uint64_t *swap)
{
	uint64_t v0 = atomic_initial(seed, msg);
	uint64_t k = data_key(seed, msg);

	if (op == OP_FETCH_ADD) {
		*compare_add = mix64(k + 1);
		*swap = 0;
		return v0 + *compare_add;
	}
	*compare_add = msg & 1 ? v0 ^ 0x10 : v0;
	*swap = mix64(k + 2);
	return *compare_add == v0 ? *swap : v0;
}

/* ------------------------------------------------------------------------
 * Memory layout
 *
 * Each end has one buffer: depth slots of slot_stride() bytes, registered
 * as one MR, and TAIL bytes after the MR (poisoned, never registered).
 * Message k of a batch lives in slot k: at the responder as one contiguous
 * range at the offset (what the requester's remote address names), or as
 * the pieces of a receive; at the requester as the pieces of its
 * scatter/gather list.  Pieces have uneven lengths and SGE_GAP poisoned
 * bytes between them, and the two sides split differently.
 */

struct piece {
	uint32_t off;		/* in the slot */
	uint32_t len;
};

struct layout {
	unsigned int n;
	struct piece p[MAX_SGE];
};

static void layout_contig(struct layout *l, uint32_t off, uint32_t len)
{
	l->n = len ? 1 : 0;
	l->p[0].off = off;
	l->p[0].len = len;
}

/*
 * Split @len bytes into at most @nsge pieces, each at least one byte, of
 * lengths growing with the piece number (or shrinking if @descending).
 */
static void layout_split(struct layout *l, uint32_t off, uint32_t len,
			 unsigned int nsge, bool descending)
{
	unsigned int n = nsge < len ? nsge : len, i;
	uint64_t sum, rest, used = 0;

	l->n = n;
	if (!n)
		return;
	sum = (uint64_t)n * (n + 1) / 2;
	rest = len - n;
	for (i = 0; i < n; i++) {
		uint64_t w = descending ? n - i : i + 1;
		uint32_t plen = 1 + (uint32_t)(rest * w / sum);

		if (i == n - 1)
			plen = len - used;
		l->p[i].off = off;
		l->p[i].len = plen;
		used += plen;
		off += plen + SGE_GAP;
	}
}

static uint32_t slot_stride(const struct cfg *c, uint32_t max_size)
{
	uint32_t s = c->offset + max_size + RECV_SLACK + c->nsge * SGE_GAP +
		     GUARD;

	return (s + 63) & ~63u;
}

/* Bytes of a slot that a message of @size touches and that are checked. */
static uint32_t slot_extent(const struct cfg *c, uint32_t stride, uint32_t size)
{
	uint32_t e = c->offset + size + RECV_SLACK + c->nsge * SGE_GAP + GUARD;

	return e < stride ? e : stride;
}

/* ------------------------------------------------------------------------
 * Endpoints: one side's verbs resources
 */

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

struct ep {
	const char *role;
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_comp_channel *chan;
	struct ibv_cq *cq;
	struct ibv_qp *qp;
	struct ibv_qp_ex *qpx;
	struct ibv_mr *mr;
	struct ibv_device_attr_ex dev_attr;
	struct ibv_port_attr port_attr;
	uint8_t *buf;
	size_t mr_len;
	size_t map_len;
	bool mmapped;
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

/* A batch: the messages of slots 0..n-1. */
struct msg {
	uint64_t id;
	uint32_t size;
};

struct batch {
	unsigned int index;
	unsigned int n;
	struct msg m[MAX_DEPTH];
};

static const char *mtu_str(uint32_t mtu)
{
	static const char *const names[] = {
		[IBV_MTU_256] = "256", [IBV_MTU_512] = "512",
		[IBV_MTU_1024] = "1024", [IBV_MTU_2048] = "2048",
		[IBV_MTU_4096] = "4096",
	};

	return mtu <= IBV_MTU_4096 && names[mtu] ? names[mtu] : "?";
}

static struct ibv_device *find_device(const char *name, struct ibv_device **list,
				      int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(ibv_get_device_name(list[i]), name))
			return list[i];
	return NULL;
}

static bool gid_is_v4mapped(const union ibv_gid *g)
{
	static const uint8_t prefix[12] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(g->raw, prefix, sizeof(prefix));
}

/* The GID to use: -g, or the first RoCEv2 IPv4 one, or the first RoCEv2. */
static int choose_gid(struct ep *ep, int wanted)
{
	struct ibv_gid_entry e;
	int i, v2 = -1;

	if (wanted >= 0)
		return wanted;
	for (i = 0; i < ep->port_attr.gid_tbl_len; i++) {
		if (ibv_query_gid_ex(ep->ctx, ep->ib_port, i, &e, 0))
			continue;
		if (e.gid_type != IBV_GID_TYPE_ROCE_V2)
			continue;
		if (gid_is_v4mapped(&e.gid))
			return i;
		if (v2 < 0)
			v2 = i;
	}
	return v2 >= 0 ? v2 : 0;
}

static int check_caps(struct ep *ep, const struct cfg *c, bool requester)
{
	const struct op_desc *d = &ops[c->op];
	const struct ibv_odp_caps *odp = &ep->dev_attr.odp_caps;
	uint32_t need;

	if ((int)c->nsge > ep->dev_attr.orig_attr.max_sge)
		return unsupported(ep->role, "%u SGEs asked, device max_sge %d",
				   c->nsge, ep->dev_attr.orig_attr.max_sge);
	if (d->atomic && ep->dev_attr.orig_attr.atomic_cap == IBV_ATOMIC_NONE)
		return unsupported(ep->role, "device has no atomics (atomic_cap NONE)");
	if (c->flags & CF_ODP) {
		if (!(odp->general_caps & IBV_ODP_SUPPORT))
			return unsupported(ep->role, "device reports no ODP support");
		need = requester ? d->odp_req : d->odp_resp;
		if ((odp->per_transport_caps.rc_odp_caps & need) != need)
			return unsupported(ep->role,
					   "RC ODP caps 0x%x lack 0x%x needed for %s",
					   odp->per_transport_caps.rc_odp_caps,
					   need, d->name);
	}
	return 0;
}

static int buffer_alloc(struct ep *ep, const char *file, off_t file_off)
{
	struct stat st;
	void *p;
	int fd;

	if (!file) {
		if (posix_memalign(&p, 4096, ep->map_len))
			return fail(ep->role, "cannot allocate %zu bytes", ep->map_len);
		ep->buf = p;
		return 0;
	}
	fd = open(file, O_RDWR | O_CREAT, 0600);
	if (fd < 0)
		return fail(ep->role, "open %s: %s", file, strerror(errno));
	if (fstat(fd, &st) || (st.st_size < (off_t)(file_off + ep->map_len) &&
			       ftruncate(fd, file_off + ep->map_len))) {
		fail(ep->role, "cannot size %s to %zu bytes: %s", file,
		     (size_t)(file_off + ep->map_len), strerror(errno));
		close(fd);
		return -1;
	}
	p = mmap(NULL, ep->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 file_off);
	close(fd);
	if (p == MAP_FAILED)
		return fail(ep->role, "mmap %s: %s", file, strerror(errno));
	ep->buf = p;
	ep->mmapped = true;
	return 0;
}

/*
 * Open the device and set up what lives for the whole run: PD, completion
 * channel, buffer and MR.  CQ and QP are per phase (phase_begin()).
 */
static int ep_open(struct ep *ep, const struct opts *o, const struct cfg *c,
		   size_t mr_len, off_t file_off, bool requester)
{
	struct ibv_device **list;
	struct ibv_device *dev;
	unsigned int access;
	int n, ret;

	list = ibv_get_device_list(&n);
	if (!list)
		return fail(ep->role, "ibv_get_device_list: %s", strerror(errno));
	dev = find_device(o->dev, list, n);
	if (!dev) {
		fail(ep->role, "no RDMA device named %s (%d devices)", o->dev, n);
		ibv_free_device_list(list);
		return -1;
	}
	ep->ctx = ibv_open_device(dev);
	ibv_free_device_list(list);
	if (!ep->ctx)
		return fail(ep->role, "ibv_open_device %s: %s", o->dev, strerror(errno));

	ep->ib_port = o->ib_port;
	if (ibv_query_device_ex(ep->ctx, NULL, &ep->dev_attr))
		return fail(ep->role, "ibv_query_device_ex: %s", strerror(errno));
	if (ibv_query_port(ep->ctx, ep->ib_port, &ep->port_attr))
		return fail(ep->role, "ibv_query_port %d: %s", ep->ib_port,
			    strerror(errno));
	if (ep->port_attr.state != IBV_PORT_ACTIVE)
		return fail(ep->role, "port %d of %s is %s, not ACTIVE", ep->ib_port,
			    o->dev, ibv_port_state_str(ep->port_attr.state));
	ret = check_caps(ep, c, requester);
	if (ret)
		return ret;
	ep->gid_index = choose_gid(ep, o->gid_index);
	if (ibv_query_gid(ep->ctx, ep->ib_port, ep->gid_index, &ep->local.gid))
		return fail(ep->role, "ibv_query_gid %d: %s", ep->gid_index,
			    strerror(errno));

	ep->pd = ibv_alloc_pd(ep->ctx);
	if (!ep->pd)
		return fail(ep->role, "ibv_alloc_pd: %s", strerror(errno));
	if (c->flags & CF_EVENTS) {
		ep->chan = ibv_create_comp_channel(ep->ctx);
		if (!ep->chan)
			return fail(ep->role, "ibv_create_comp_channel: %s",
				    strerror(errno));
		n = fcntl(ep->chan->fd, F_GETFL);
		if (fcntl(ep->chan->fd, F_SETFL, n | O_NONBLOCK))
			return fail(ep->role, "completion channel O_NONBLOCK: %s",
				    strerror(errno));
	}

	ep->mr_len = mr_len;
	ep->map_len = mr_len + TAIL;
	if (buffer_alloc(ep, o->mmap_file, file_off))
		return -1;
	access = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
		 IBV_ACCESS_REMOTE_READ;
	if (ops[c->op].atomic)
		access |= IBV_ACCESS_REMOTE_ATOMIC;
	if (c->flags & CF_ODP)
		access |= IBV_ACCESS_ON_DEMAND;
	ep->mr = ibv_reg_mr(ep->pd, ep->buf, ep->mr_len, access);
	if (!ep->mr) {
		ret = errno;
		if (ret == EOPNOTSUPP)
			return unsupported(ep->role, "ibv_reg_mr of %zu bytes%s%s%s: %s",
					   ep->mr_len, o->mmap_file ? " of a mapping of " : "",
					   o->mmap_file ? o->mmap_file : "",
					   c->flags & CF_ODP ? " (ODP)" : "", strerror(ret));
		return fail(ep->role, "ibv_reg_mr of %zu bytes%s%s: %s", ep->mr_len,
			    o->mmap_file ? " of a mapping of " : "",
			    o->mmap_file ? o->mmap_file : "", strerror(ret));
	}
	ep->local.rkey = ep->mr->rkey;
	ep->local.addr = (uintptr_t)ep->buf;
	ep->local.len = ep->mr_len;
	ep->local.mtu = ep->port_attr.active_mtu;
	dbg(ep->role, "%s port %d, GID index %d, active MTU %s, MR %zu bytes at %p rkey 0x%x",
	    o->dev, ep->ib_port, ep->gid_index, mtu_str(ep->local.mtu),
	    ep->mr_len, (void *)ep->buf, ep->mr->rkey);
	return 0;
}

static void ep_close(struct ep *ep)
{
	if (ep->qp)
		ibv_destroy_qp(ep->qp);
	if (ep->cq)
		ibv_destroy_cq(ep->cq);
	if (ep->mr)
		ibv_dereg_mr(ep->mr);
	if (ep->buf) {
		if (ep->mmapped)
			munmap(ep->buf, ep->map_len);
		else
			free(ep->buf);
	}
	if (ep->chan)
		ibv_destroy_comp_channel(ep->chan);
	if (ep->pd)
		ibv_dealloc_pd(ep->pd);
	if (ep->ctx)
		ibv_close_device(ep->ctx);
	memset(ep, 0, sizeof(*ep));
}

/* ------------------------------------------------------------------------
 * TCP: the client/server side channel
 */

enum msg_type { MSG_CFG = 1, MSG_CFG_ACK, MSG_QP_INFO, MSG_STEP };

struct wbuf {
	uint8_t b[512];
	size_t len;
	size_t pos;
	bool short_read;
};

static void put32(struct wbuf *w, uint32_t v)
{
	v = htobe32(v);
	memcpy(w->b + w->len, &v, 4);
	w->len += 4;
}

static void put64(struct wbuf *w, uint64_t v)
{
	v = htobe64(v);
	memcpy(w->b + w->len, &v, 8);
	w->len += 8;
}

static uint32_t get32(struct wbuf *w)
{
	uint32_t v = 0;

	if (w->pos + 4 > w->len) {
		w->short_read = true;
		return 0;
	}
	memcpy(&v, w->b + w->pos, 4);
	w->pos += 4;
	return be32toh(v);
}

static uint64_t get64(struct wbuf *w)
{
	uint64_t v = 0;

	if (w->pos + 8 > w->len) {
		w->short_read = true;
		return 0;
	}
	memcpy(&v, w->b + w->pos, 8);
	w->pos += 8;
	return be64toh(v);
}

static int io_full(int fd, void *p, size_t len, bool out, uint32_t timeout_ms)
{
	uint64_t deadline = deadline_after(timeout_ms);
	struct pollfd pfd = { .fd = fd, .events = out ? POLLOUT : POLLIN };
	uint8_t *b = p;
	ssize_t r;

	while (len) {
		int ret = poll(&pfd, 1, ms_left(deadline));

		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0)
			return -errno;
		if (ret == 0)
			return -ETIMEDOUT;
		r = out ? send(fd, b, len, MSG_NOSIGNAL) : recv(fd, b, len, 0);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ECONNRESET;
		b += r;
		len -= r;
	}
	return 0;
}

static int msg_send(struct sess *s, uint32_t type, const struct wbuf *w)
{
	uint32_t hdr[2] = { htobe32(type), htobe32(w->len) };
	int ret;

	ret = io_full(s->sock, hdr, sizeof(hdr), true, s->c->timeout_ms);
	if (!ret)
		ret = io_full(s->sock, (void *)w->b, w->len, true, s->c->timeout_ms);
	if (ret)
		return fail(NULL, "sending to the peer: %s", strerror(-ret));
	return 0;
}

static int msg_recv(struct sess *s, uint32_t type, struct wbuf *w,
		    uint32_t timeout_ms)
{
	uint32_t hdr[2];
	int ret;

	ret = io_full(s->sock, hdr, sizeof(hdr), false, timeout_ms);
	if (ret == -ECONNRESET)
		return fail(NULL, "the peer closed the connection");
	if (ret)
		return fail(NULL, "waiting for the peer: %s", strerror(-ret));
	if (be32toh(hdr[0]) != type || be32toh(hdr[1]) > sizeof(w->b))
		return fail(NULL, "protocol: expected message type %u, got type %u length %u",
			    type, be32toh(hdr[0]), be32toh(hdr[1]));
	memset(w, 0, sizeof(*w));
	w->len = be32toh(hdr[1]);
	ret = io_full(s->sock, w->b, w->len, false, s->c->timeout_ms);
	if (ret)
		return fail(NULL, "reading from the peer: %s", strerror(-ret));
	return 0;
}

static int tcp_accept(uint16_t port, uint32_t timeout_ms)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
				  .sin6_port = htons(port),
				  .sin6_addr = IN6ADDR_ANY_INIT };
	struct pollfd pfd;
	int one = 1, zero = 0, lfd, fd, ret;

	lfd = socket(AF_INET6, SOCK_STREAM, 0);
	if (lfd < 0)
		return fail("server", "socket: %s", strerror(errno));
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 1)) {
		fail("server", "listening on TCP port %u: %s", port, strerror(errno));
		close(lfd);
		return -1;
	}
	info("server", "listening on TCP port %u", port);
	pfd.fd = lfd;
	pfd.events = POLLIN;
	do
		ret = poll(&pfd, 1, timeout_ms);
	while (ret < 0 && errno == EINTR);
	if (ret <= 0) {
		fail("server", "no client within %u s", timeout_ms / 1000);
		close(lfd);
		return -1;
	}
	fd = accept(lfd, NULL, NULL);
	close(lfd);
	if (fd < 0)
		return fail("server", "accept: %s", strerror(errno));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int tcp_connect(const char *host, uint16_t port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct addrinfo *res, *ai;
	char sport[8];
	int one = 1, fd = -1, ret;

	snprintf(sport, sizeof(sport), "%u", port);
	ret = getaddrinfo(host, sport, &hints, &res);
	if (ret)
		return fail("client", "%s: %s", host, gai_strerror(ret));
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (!connect(fd, ai->ai_addr, ai->ai_addrlen))
			break;
		ret = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return fail("client", "cannot connect to %s port %u: %s", host, port,
			    strerror(ret));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static void cfg_put(struct wbuf *w, const struct cfg *c, uint32_t status)
{
	uint32_t i;

	put32(w, status);
	put32(w, c->op);
	put32(w, c->scenario);
	put32(w, c->flags);
	put32(w, c->nsizes);
	for (i = 0; i < c->nsizes; i++)
		put32(w, c->sizes[i]);
	put32(w, c->nsge);
	put32(w, c->iters);
	put32(w, c->depth);
	put32(w, c->unsig);
	put32(w, c->offset);
	put32(w, c->max_inline);
	put32(w, c->mtu);
	put32(w, c->psn);
	put32(w, c->timeout_ms);
	put32(w, c->inject);
	put64(w, c->seed);
	put64(w, c->total);
}

static int cfg_get(struct wbuf *w, struct cfg *c, uint32_t *status)
{
	uint32_t i;

	*status = get32(w);
	c->op = get32(w);
	c->scenario = get32(w);
	c->flags = get32(w);
	c->nsizes = get32(w);
	if (c->nsizes > MAX_SIZES)
		return fail("server", "protocol: %u sizes", c->nsizes);
	for (i = 0; i < c->nsizes; i++)
		c->sizes[i] = get32(w);
	c->nsge = get32(w);
	c->iters = get32(w);
	c->depth = get32(w);
	c->unsig = get32(w);
	c->offset = get32(w);
	c->max_inline = get32(w);
	c->mtu = get32(w);
	c->psn = get32(w);
	c->timeout_ms = get32(w);
	c->inject = get32(w);
	c->seed = get64(w);
	c->total = get64(w);
	if (w->short_read || c->op >= OP_COUNT || c->scenario >= SCEN_COUNT ||
	    c->inject >= INJ_COUNT ||
	    !c->nsge || c->nsge > MAX_SGE || !c->unsig)
		return fail("server", "protocol: bad test configuration from the client");
	return 0;
}

static void qp_info_put(struct wbuf *w, const struct qp_info *q)
{
	put32(w, q->status);
	put32(w, q->qpn);
	put32(w, q->psn);
	put32(w, q->rkey);
	put32(w, q->mtu);
	put64(w, q->addr);
	put64(w, q->len);
	memcpy(w->b + w->len, q->gid.raw, 16);
	w->len += 16;
}

static void qp_info_get(struct wbuf *w, struct qp_info *q)
{
	q->status = get32(w);
	q->qpn = get32(w);
	q->psn = get32(w);
	q->rkey = get32(w);
	q->mtu = get32(w);
	q->addr = get64(w);
	q->len = get64(w);
	if (w->pos + 16 > w->len) {
		w->short_read = true;
		return;
	}
	memcpy(q->gid.raw, w->b + w->pos, 16);
	w->pos += 16;
}

/*
 * Steps keep the two ends in lockstep.  @from is the side that has just
 * done something and reports it with @rc (0, or its exit status); the
 * other side waits for that report.  Returns the sender's verdict at both
 * ends.  In loopback both sides are this process: nothing to send.
 */
enum step { STEP_READY = 1, STEP_MID, STEP_MID_OK, STEP_DONE, STEP_RESULT };

static const char *const step_names[] = {
	[STEP_READY] = "READY", [STEP_MID] = "MID", [STEP_MID_OK] = "MID_OK",
	[STEP_DONE] = "DONE", [STEP_RESULT] = "RESULT",
};

static int step(struct sess *s, enum step id, bool from_requester, int rc)
{
	bool sender = from_requester ? s->req != NULL : s->resp != NULL;
	uint32_t seq = ++s->step_seq, got_id, got_seq, got_rc;
	struct wbuf w = { 0 };

	if (s->sock < 0)
		return rc;
	if (sender) {
		put32(&w, id);
		put32(&w, seq);
		put32(&w, rc < 0 ? -rc : rc);
		if (msg_send(s, MSG_STEP, &w))
			return -EXIT_FAIL;
		return rc;
	}
	/* The peer may be busy with a large batch or a timeout of its own. */
	if (msg_recv(s, MSG_STEP, &w, 4 * s->c->timeout_ms + 10000))
		return -EXIT_FAIL;
	got_id = get32(&w);
	got_seq = get32(&w);
	got_rc = get32(&w);
	if (w.short_read || got_id != id || got_seq != seq)
		return fail(NULL, "protocol: expected step %s #%u, got step %u #%u",
			    step_names[id], seq, got_id, got_seq);
	if (got_rc) {
		fail(s->req ? s->req->role : s->resp->role,
		     "the %s failed (see its output)",
		     from_requester ? "requester" : "responder");
		return -(int)got_rc;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Completions
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
};

static const char *wc_opcode_str(int op)
{
	switch (op) {
	case IBV_WC_SEND: return "SEND";
	case IBV_WC_RDMA_WRITE: return "RDMA_WRITE";
	case IBV_WC_RDMA_READ: return "RDMA_READ";
	case IBV_WC_COMP_SWAP: return "COMP_SWAP";
	case IBV_WC_FETCH_ADD: return "FETCH_ADD";
	case IBV_WC_RECV: return "RECV";
	case IBV_WC_RECV_RDMA_WITH_IMM: return "RECV_RDMA_WITH_IMM";
	default: return "?";
	}
}

static void wc_dump(const char *role, const struct ibv_wc *wc)
{
	fprintf(stderr, "%s: %s: the completion: wr_id 0x%" PRIx64 " status %s (%d) opcode %s (%d) vendor_err 0x%x byte_len %u imm 0x%x qp_num 0x%x wc_flags 0x%x\n",
		PROG, role, wc->wr_id, ibv_wc_status_str(wc->status), wc->status,
		wc_opcode_str(wc->opcode), wc->opcode, wc->vendor_err,
		wc->byte_len, be32toh(wc->imm_data), wc->qp_num, wc->wc_flags);
}

static void cq_drain_events(struct ep *ep)
{
	struct ibv_cq *cq;
	void *cq_ctx;

	if (!ep->chan)
		return;
	while (!ibv_get_cq_event(ep->chan, &cq, &cq_ctx)) {
		ibv_ack_cq_events(cq, 1);
		ep->armed = false;
	}
}

static int cq_arm(struct ep *ep, bool solicited_only)
{
	if (ibv_req_notify_cq(ep->cq, solicited_only))
		return fail(ep->role, "ibv_req_notify_cq: %s", strerror(errno));
	ep->armed = true;
	return 0;
}

/* Wait up to @ms for a completion event; 1 if one came, 0 if not. */
static int cq_wait_event(struct ep *ep, int ms)
{
	struct pollfd pfd = { .fd = ep->chan->fd, .events = POLLIN };
	struct ibv_cq *cq;
	void *cq_ctx;
	int ret;

	do
		ret = poll(&pfd, 1, ms);
	while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return fail(ep->role, "poll on the completion channel: %s",
			    strerror(errno));
	if (!ret)
		return 0;
	if (ibv_get_cq_event(ep->chan, &cq, &cq_ctx)) {
		if (errno == EAGAIN)
			return 0;
		return fail(ep->role, "ibv_get_cq_event: %s", strerror(errno));
	}
	if (cq != ep->cq)
		return fail(ep->role, "completion event for another CQ");
	ibv_ack_cq_events(cq, 1);
	ep->armed = false;
	ep->events++;
	return 1;
}

/*
 * Collect @want completions within the timeout: by busy polling, or with
 * --events by sleeping on the completion channel (the CQ is armed, and
 * polled again after arming so that no completion is missed).
 */
static int cq_collect(struct sess *s, struct ep *ep, struct ibv_wc *wc,
		      unsigned int want, const char *what)
{
	uint64_t deadline = deadline_after(s->c->timeout_ms);
	unsigned int got = 0;
	int n;

	while (got < want) {
		n = ibv_poll_cq(ep->cq, want - got, wc + got);
		if (n < 0)
			return fail(ep->role, "ibv_poll_cq: %d", n);
		got += n;
		if (got == want)
			break;
		if (!ms_left(deadline))
			return fail(ep->role, "%s: %u of %u completions after %u ms",
				    what, got, want, s->c->timeout_ms);
		if (!ep->chan || n) {
			if (!n)
				sched_yield();
			continue;
		}
		if (!ep->armed) {
			if (cq_arm(ep, ep->solicited_only))
				return -1;
			continue;
		}
		if (cq_wait_event(ep, ms_left(deadline)) < 0)
			return -1;
	}
	return 0;
}

/* Nothing may complete for @ms. */
static int cq_expect_quiet(struct ep *ep, int ms, const char *what)
{
	uint64_t deadline = deadline_after(ms);
	struct ibv_wc wc;
	int n;

	do {
		n = ibv_poll_cq(ep->cq, 1, &wc);
		if (n < 0)
			return fail(ep->role, "ibv_poll_cq: %d", n);
		if (n) {
			fail(ep->role, "%s: expected no completion, got one", what);
			wc_dump(ep->role, &wc);
			return -1;
		}
		usleep(1000);
	} while (ms_left(deadline));
	return 0;
}

static int wc_check(struct ep *ep, const struct ibv_wc *wc,
		    const struct wc_expect *e, unsigned int i, unsigned int n,
		    const char *what)
{
	char where[160];

	snprintf(where, sizeof(where), "%s: completion %u of %u", what, i + 1, n);
	if (wc->status != e->status) {
		fail(ep->role, "%s: status: expected %s, seen %s (vendor_err 0x%x)",
		     where, ibv_wc_status_str(e->status),
		     ibv_wc_status_str(wc->status), wc->vendor_err);
		goto bad;
	}
	if (wc->wr_id != e->wr_id) {
		fail(ep->role, "%s: wr_id: expected 0x%" PRIx64 ", seen 0x%" PRIx64,
		     where, e->wr_id, wc->wr_id);
		goto bad;
	}
	if (wc->qp_num != ep->qp->qp_num) {
		fail(ep->role, "%s: qp_num: expected 0x%x, seen 0x%x", where,
		     ep->qp->qp_num, wc->qp_num);
		goto bad;
	}
	if (e->status != IBV_WC_SUCCESS)
		return 0;	/* other fields are undefined for errors */
	if (e->opcode >= 0 && (int)wc->opcode != e->opcode) {
		fail(ep->role, "%s: opcode: expected %s, seen %s (%d)", where,
		     wc_opcode_str(e->opcode), wc_opcode_str(wc->opcode),
		     wc->opcode);
		goto bad;
	}
	if (e->byte_len >= 0 && wc->byte_len != e->byte_len) {
		fail(ep->role, "%s: byte_len: expected %" PRId64 ", seen %u", where,
		     e->byte_len, wc->byte_len);
		goto bad;
	}
	if (e->imm != IMM_ANY &&
	    !!(wc->wc_flags & IBV_WC_WITH_IMM) != (e->imm == IMM_VALUE)) {
		fail(ep->role, "%s: IBV_WC_WITH_IMM: expected %s, seen %s", where,
		     e->imm == IMM_VALUE ? "set" : "clear",
		     wc->wc_flags & IBV_WC_WITH_IMM ? "set" : "clear");
		goto bad;
	}
	if (e->imm == IMM_VALUE && be32toh(wc->imm_data) != e->imm_data) {
		fail(ep->role, "%s: imm_data: expected 0x%08x, seen 0x%08x", where,
		     e->imm_data, be32toh(wc->imm_data));
		goto bad;
	}
	return 0;
bad:
	wc_dump(ep->role, wc);
	return -1;
}

/* Collect as many completions as @e describes and check each in order. */
static int expect_completions(struct sess *s, struct ep *ep,
			      const struct wc_expect *e, unsigned int n,
			      const char *what)
{
	struct ibv_wc wc[2 * MAX_DEPTH + 4];
	unsigned int i;

	if (cq_collect(s, ep, wc, n, what))
		return -1;
	for (i = 0; i < n; i++)
		if (wc_check(ep, &wc[i], &e[i], i, n, what))
			return -1;
	return 0;
}

static int expect_qp_state(struct ep *ep, enum ibv_qp_state want)
{
	struct ibv_qp_init_attr init;
	struct ibv_qp_attr attr;

	if (ibv_query_qp(ep->qp, &attr, IBV_QP_STATE, &init))
		return fail(ep->role, "ibv_query_qp: %s", strerror(errno));
	if (attr.qp_state != want)
		return fail(ep->role, "QP state: expected %d, seen %d", want,
			    attr.qp_state);
	return 0;
}

/* ------------------------------------------------------------------------
 * Verification of memory
 */

enum expect_kind { EXP_POISON, EXP_DATA, EXP_BYTES, EXP_ANY };

struct region {
	size_t off;		/* in the buffer */
	size_t len;
	enum expect_kind kind;
	uint64_t logical;	/* EXP_DATA: offset in the message */
	const uint8_t *bytes;	/* EXP_BYTES */
	const char *what;
};

struct vctx {
	struct sess *s;
	struct ep *ep;
	const struct msg *m;	/* the message being checked */
	const struct batch *b;	/* for recognising other messages */
	unsigned int slot;
};

static void hex(char *out, size_t outlen, const uint8_t *p, size_t n)
{
	size_t i, o = 0;

	out[0] = 0;
	for (i = 0; i < n && o + 4 < outlen; i++)
		o += snprintf(out + o, outlen - o, "%s%02x", i ? " " : "", p[i]);
}

/* Say what the @n bytes seen at buffer offset @off look like. */
static void describe_seen(const struct vctx *v, size_t off, const uint8_t *p,
			  size_t n, char *out, size_t outlen)
{
	uint64_t seed = v->s->c->seed, key;
	unsigned int i;
	uint64_t l;

	if (n < 4) {
		snprintf(out, outlen, "too few bytes to tell");
		return;
	}
	if (pattern_equal(p, poison_key(seed), off, n)) {
		snprintf(out, outlen, "poison: never written");
		return;
	}
	if (v->m) {
		key = data_key(seed, v->m->id);
		for (l = 0; l + n <= v->m->size; l++)
			if (pattern_equal(p, key, l, n)) {
				snprintf(out, outlen,
					 "this message's bytes from its offset %" PRIu64
					 " (misplaced)", l);
				return;
			}
	}
	if (v->b) {
		for (i = 0; i < v->b->n; i++) {
			const struct msg *o = &v->b->m[i];

			if (v->m && o->id == v->m->id)
				continue;
			key = data_key(seed, o->id);
			for (l = 0; l + n <= o->size && l < 65536; l++)
				if (pattern_equal(p, key, l, n)) {
					snprintf(out, outlen,
						 "bytes of message %" PRIu64 " (slot %u) from its offset %" PRIu64,
						 o->id, i, l);
					return;
				}
		}
	}
	for (i = 0; i < n && !p[i]; i++)
		;
	snprintf(out, outlen, i == n ? "zeros" : "unrecognised: corrupt");
}

static int region_check(const struct vctx *v, const struct region *r)
{
	const uint8_t *p = v->ep->buf + r->off;
	uint64_t seed = v->s->c->seed;
	uint8_t want[16];
	char ws[64], ss[64], desc[160];
	size_t bad, n;

	switch (r->kind) {
	case EXP_ANY:
		return 0;
	case EXP_POISON:
		bad = pattern_mismatch(p, poison_key(seed), r->off, r->len);
		break;
	case EXP_DATA:
		bad = pattern_mismatch(p, data_key(seed, v->m->id), r->logical,
				       r->len);
		break;
	case EXP_BYTES:
		for (bad = 0; bad < r->len && p[bad] == r->bytes[bad]; bad++)
			;
		break;
	default:
		return fail(v->ep->role, "bad region kind");
	}
	if (bad == r->len)
		return 0;

	n = r->len - bad < sizeof(want) ? r->len - bad : sizeof(want);
	switch (r->kind) {
	case EXP_POISON:
		pattern_fill(want, poison_key(seed), r->off + bad, n);
		break;
	case EXP_DATA:
		pattern_fill(want, data_key(seed, v->m->id), r->logical + bad, n);
		break;
	default:
		memcpy(want, r->bytes + bad, n);
		break;
	}
	hex(ws, sizeof(ws), want, n);
	hex(ss, sizeof(ss), p + bad, n);
	describe_seen(v, r->off + bad, p + bad, n < 8 ? n : 8, desc, sizeof(desc));
	if (v->m)
		fail(v->ep->role,
		     "message %" PRIu64 " (size %u, slot %u): %s, byte %zu%s: buffer offset 0x%zx: expected %s, seen %s (%s)",
		     v->m->id, v->m->size, v->slot, r->what,
		     (size_t)(r->kind == EXP_DATA ? r->logical + bad : bad),
		     r->kind == EXP_DATA ? " of the message" : "",
		     r->off + bad, ws, ss, desc);
	else
		fail(v->ep->role, "%s, byte %zu: buffer offset 0x%zx: expected %s, seen %s (%s)",
		     r->what, bad, r->off + bad, ws, ss, desc);
	return -1;
}

/*
 * Check slot @slot against @l holding the message's first @size bytes:
 * data in the pieces, poison in the gaps, in the rest of the pieces and up
 * to @extent.  @data_any: the pieces' content is not checked (error
 * scenarios may place part of a message).
 */
static int verify_slot(struct vctx *v, const struct layout *l, uint32_t size,
		       uint32_t extent, bool data_any)
{
	size_t base = (size_t)v->slot * v->s->stride;
	uint64_t logical = 0;
	uint32_t pos = 0;
	struct region r;
	unsigned int i;

	for (i = 0; i < l->n; i++) {
		const struct piece *p = &l->p[i];
		uint32_t dlen = 0;

		if (p->off > pos) {
			r = (struct region){ base + pos, p->off - pos, EXP_POISON, 0,
					     NULL, i ? "gap between pieces" :
					     "bytes before the message" };
			if (region_check(v, &r))
				return -1;
		}
		if (logical < size)
			dlen = size - logical < p->len ? size - logical : p->len;
		if (dlen) {
			r = (struct region){ base + p->off, dlen,
					     data_any ? EXP_ANY : EXP_DATA, logical,
					     NULL, "data" };
			if (region_check(v, &r))
				return -1;
		}
		if (p->len > dlen) {
			r = (struct region){ base + p->off + dlen, p->len - dlen,
					     data_any ? EXP_ANY : EXP_POISON, 0,
					     NULL, "buffer bytes after the message" };
			if (region_check(v, &r))
				return -1;
		}
		logical += p->len;
		pos = p->off + p->len;
	}
	if (extent > pos) {
		r = (struct region){ base + pos, extent - pos, EXP_POISON, 0, NULL,
				     l->n ? "guard after the message" :
				     "slot of an empty message" };
		if (region_check(v, &r))
			return -1;
	}
	return 0;
}

/* An atomic's 8 bytes hold @value, the rest of the slot is poison. */
static int verify_atomic_slot(struct vctx *v, uint32_t off, uint64_t value,
			      uint32_t extent)
{
	size_t base = (size_t)v->slot * v->s->stride;
	struct region r;

	r = (struct region){ base, off, EXP_POISON, 0, NULL,
			     "bytes before the atomic's word" };
	if (off && region_check(v, &r))
		return -1;
	r = (struct region){ base + off, 8, EXP_BYTES, 0, (uint8_t *)&value,
			     "the atomic's word" };
	if (region_check(v, &r))
		return -1;
	r = (struct region){ base + off + 8, extent - off - 8, EXP_POISON, 0,
			     NULL, "bytes after the atomic's word" };
	return region_check(v, &r);
}

static void poison(struct sess *s, struct ep *ep, size_t off, size_t len)
{
	pattern_fill(ep->buf + off, poison_key(s->c->seed), off, len);
}

/* Copy message data into the pieces of @l in slot @slot. */
static void fill_message(struct sess *s, struct ep *ep, unsigned int slot,
			 const struct layout *l, const struct msg *m)
{
	uint8_t *base = ep->buf + (size_t)slot * s->stride;
	uint64_t key = data_key(s->c->seed, m->id), logical = 0;
	unsigned int i;

	for (i = 0; i < l->n; i++) {
		pattern_fill(base + l->p[i].off, key, logical, l->p[i].len);
		logical += l->p[i].len;
	}
}

/* ------------------------------------------------------------------------
 * Phases: a CQ and a connected QP pair
 */

struct phase_opts {
	uint8_t rnr_retry;
};

static int qp_create(struct sess *s, struct ep *ep)
{
	const struct cfg *c = s->c;
	struct ibv_qp_init_attr_ex a = {
		.send_cq = ep->cq,
		.recv_cq = ep->cq,
		.qp_type = IBV_QPT_RC,
		.cap = {
			.max_send_wr = s->depth + 4,
			.max_recv_wr = s->depth + 4,
			.max_send_sge = c->nsge,
			.max_recv_sge = c->nsge,
			.max_inline_data = c->flags & CF_INLINE ? c->max_inline : 0,
		},
		.comp_mask = IBV_QP_INIT_ATTR_PD,
		.pd = ep->pd,
	};

	if (c->flags & CF_EX) {
		a.comp_mask |= IBV_QP_INIT_ATTR_SEND_OPS_FLAGS;
		a.send_ops_flags = ops[c->op].send_ops | IBV_QP_EX_WITH_SEND;
		if (c->scenario != SCEN_NONE)
			a.send_ops_flags |= IBV_QP_EX_WITH_RDMA_WRITE;
	}
	ep->qp = ibv_create_qp_ex(ep->ctx, &a);
	if (!ep->qp)
		return fail(ep->role, "ibv_create_qp_ex (RC, %u WRs, %u SGEs, inline %u%s): %s",
			    a.cap.max_send_wr, c->nsge, a.cap.max_inline_data,
			    c->flags & CF_EX ? ", send_ops_flags" : "",
			    strerror(errno));
	ep->max_inline = a.cap.max_inline_data;
	if (c->flags & CF_EX) {
		ep->qpx = ibv_qp_to_qp_ex(ep->qp);
		if (!ep->qpx)
			return fail(ep->role, "ibv_qp_to_qp_ex: NULL");
	}
	return 0;
}

static int qp_to_init(struct ep *ep)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT,
		.pkey_index = 0,
		.port_num = ep->ib_port,
		.qp_access_flags = IBV_ACCESS_REMOTE_WRITE |
				   IBV_ACCESS_REMOTE_READ |
				   IBV_ACCESS_REMOTE_ATOMIC,
	};

	if (ibv_modify_qp(ep->qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
			  IBV_QP_PORT | IBV_QP_ACCESS_FLAGS))
		return fail(ep->role, "modify QP to INIT: %s", strerror(errno));
	return 0;
}

static int qp_connect(struct sess *s, struct ep *ep, const struct phase_opts *po)
{
	uint32_t mtu = s->c->mtu;
	struct ibv_qp_attr a;
	int ret;

	if (!mtu)
		mtu = ep->local.mtu < ep->remote.mtu ? ep->local.mtu : ep->remote.mtu;
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTR;
	a.path_mtu = mtu;
	a.dest_qp_num = ep->remote.qpn;
	a.rq_psn = ep->remote.psn;
	a.max_dest_rd_atomic = ep->dev_attr.orig_attr.max_qp_rd_atom;
	a.min_rnr_timer = 1;	/* 0.01 ms: RNR retries come quickly */
	a.ah_attr.is_global = 1;
	a.ah_attr.grh.dgid = ep->remote.gid;
	a.ah_attr.grh.sgid_index = ep->gid_index;
	a.ah_attr.grh.hop_limit = 64;
	a.ah_attr.port_num = ep->ib_port;
	ret = ibv_modify_qp(ep->qp, &a, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
			    IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
			    IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER);
	if (ret)
		return fail(ep->role, "modify QP to RTR (MTU %s, dest QPN 0x%x): %s",
			    mtu_str(mtu), ep->remote.qpn, strerror(ret));

	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	a.sq_psn = ep->local.psn;
	a.timeout = 14;		/* 67 ms */
	a.retry_cnt = 7;
	a.rnr_retry = po->rnr_retry;
	a.max_rd_atomic = ep->dev_attr.orig_attr.max_qp_init_rd_atom;
	ret = ibv_modify_qp(ep->qp, &a, IBV_QP_STATE | IBV_QP_SQ_PSN |
			    IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT |
			    IBV_QP_RNR_RETRY | IBV_QP_MAX_QP_RD_ATOMIC);
	if (ret)
		return fail(ep->role, "modify QP to RTS: %s", strerror(ret));
	dbg(ep->role, "QP 0x%x (PSN 0x%06x) connected to QP 0x%x (PSN 0x%06x), MTU %s",
	    ep->local.qpn, ep->local.psn, ep->remote.qpn, ep->remote.psn,
	    mtu_str(mtu));
	return 0;
}

/* CQ and QP of one end, up to INIT; fills ep->local. */
static int ep_phase_setup(struct sess *s, struct ep *ep)
{
	ep->cq = ibv_create_cq(ep->ctx, 2 * s->depth + 16, ep, ep->chan, 0);
	if (!ep->cq)
		return fail(ep->role, "ibv_create_cq: %s", strerror(errno));
	ep->armed = false;
	if (qp_create(s, ep) || qp_to_init(ep))
		return -1;
	ep->local.qpn = ep->qp->qp_num;
	ep->local.psn = s->c->psn != PSN_RANDOM ? s->c->psn & 0xffffff :
			(uint32_t)random() & 0xffffff;
	return 0;
}

static int exchange_qp_info(struct sess *s, struct ep *ep, int rc)
{
	struct wbuf out = { 0 }, in;
	bool first = s->req != NULL;	/* the client speaks first */

	ep->local.status = rc < 0 ? -rc : rc;
	qp_info_put(&out, &ep->local);
	if (first && msg_send(s, MSG_QP_INFO, &out))
		return -EXIT_FAIL;
	if (msg_recv(s, MSG_QP_INFO, &in, 4 * s->c->timeout_ms + 10000))
		return -EXIT_FAIL;
	qp_info_get(&in, &ep->remote);
	if (!first && msg_send(s, MSG_QP_INFO, &out))
		return -EXIT_FAIL;
	if (in.short_read)
		return fail(ep->role, "protocol: short QP information");
	if (rc)
		return rc;
	if (ep->remote.status) {
		fail(ep->role, "the peer could not set its QP up");
		return -(int)ep->remote.status;
	}
	return 0;
}

static int phase_begin(struct sess *s, const struct phase_opts *po)
{
	int rc = 0;

	if (s->req)
		rc = ep_phase_setup(s, s->req);
	if (!rc && s->resp)
		rc = ep_phase_setup(s, s->resp);
	if (s->sock >= 0) {
		rc = exchange_qp_info(s, s->req ? s->req : s->resp, rc);
	} else if (!rc) {
		s->req->remote = s->resp->local;
		s->resp->remote = s->req->local;
	}
	if (rc)
		return rc;
	if (s->req && qp_connect(s, s->req, po))
		return -1;
	if (s->resp && qp_connect(s, s->resp, po))
		return -1;
	return 0;
}

/* Destroy one end's QP and CQ; times the QP's destruction. */
static int ep_phase_end(struct ep *ep, uint64_t *qp_ns)
{
	uint64_t t0 = now_ns();
	int ret;

	if (ep->qp) {
		ret = ibv_destroy_qp(ep->qp);
		if (qp_ns)
			*qp_ns = now_ns() - t0;
		if (ret)
			return fail(ep->role, "ibv_destroy_qp: %s", strerror(ret));
		ep->qp = NULL;
		ep->qpx = NULL;
	}
	if (ep->cq) {
		cq_drain_events(ep);
		ret = ibv_destroy_cq(ep->cq);
		if (ret)
			return fail(ep->role, "ibv_destroy_cq: %s", strerror(ret));
		ep->cq = NULL;
	}
	return 0;
}

static int phase_end(struct sess *s)
{
	int rc = 0;

	if (s->req && ep_phase_end(s->req, NULL))
		rc = -1;
	if (s->resp && ep_phase_end(s->resp, NULL))
		rc = -1;
	return rc;
}

/* ------------------------------------------------------------------------
 * Posting work requests
 */

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
};

static int post_classic(struct ep *ep, const struct wr_desc *d, unsigned int n)
{
	struct ibv_send_wr wr[MAX_DEPTH + 4], *bad = NULL;
	unsigned int i;
	int ret;

	memset(wr, 0, sizeof(wr[0]) * n);
	for (i = 0; i < n; i++) {
		wr[i].wr_id = d[i].wr_id;
		wr[i].opcode = ops[d[i].op].wr_opcode;
		wr[i].send_flags = d[i].flags;
		wr[i].sg_list = (struct ibv_sge *)d[i].sge;
		wr[i].num_sge = d[i].nsge;
		wr[i].next = i + 1 < n ? &wr[i + 1] : NULL;
		if (ops[d[i].op].imm)
			wr[i].imm_data = htobe32(d[i].imm);
		if (ops[d[i].op].atomic) {
			wr[i].wr.atomic.remote_addr = d[i].raddr;
			wr[i].wr.atomic.rkey = d[i].rkey;
			wr[i].wr.atomic.compare_add = d[i].compare_add;
			wr[i].wr.atomic.swap = d[i].swap;
		} else if (ops[d[i].op].remote) {
			wr[i].wr.rdma.remote_addr = d[i].raddr;
			wr[i].wr.rdma.rkey = d[i].rkey;
		}
	}
	ret = ibv_post_send(ep->qp, wr, &bad);
	if (ret)
		return fail(ep->role, "ibv_post_send of %u WRs: %s (bad WR %td)", n,
			    strerror(ret), bad ? bad - wr : -1);
	return 0;
}

static int post_ex(struct ep *ep, const struct wr_desc *d, unsigned int n)
{
	struct ibv_qp_ex *qx = ep->qpx;
	struct ibv_data_buf db[MAX_SGE];
	unsigned int i, j;
	int ret;

	ibv_wr_start(qx);
	for (i = 0; i < n; i++) {
		qx->wr_id = d[i].wr_id;
		qx->wr_flags = d[i].flags & ~IBV_SEND_INLINE;
		switch (d[i].op) {
		case OP_SEND:
			ibv_wr_send(qx);
			break;
		case OP_SEND_IMM:
			ibv_wr_send_imm(qx, htobe32(d[i].imm));
			break;
		case OP_WRITE:
			ibv_wr_rdma_write(qx, d[i].rkey, d[i].raddr);
			break;
		case OP_WRITE_IMM:
			ibv_wr_rdma_write_imm(qx, d[i].rkey, d[i].raddr,
					      htobe32(d[i].imm));
			break;
		case OP_READ:
			ibv_wr_rdma_read(qx, d[i].rkey, d[i].raddr);
			break;
		case OP_CMP_SWP:
			ibv_wr_atomic_cmp_swp(qx, d[i].rkey, d[i].raddr,
					      d[i].compare_add, d[i].swap);
			break;
		case OP_FETCH_ADD:
			ibv_wr_atomic_fetch_add(qx, d[i].rkey, d[i].raddr,
						d[i].compare_add);
			break;
		default:
			break;
		}
		/* One piece: the single-buffer calls; else the list calls. */
		if (d[i].flags & IBV_SEND_INLINE) {
			for (j = 0; j < d[i].nsge; j++) {
				db[j].addr = (void *)(uintptr_t)d[i].sge[j].addr;
				db[j].length = d[i].sge[j].length;
			}
			if (d[i].nsge == 1)
				ibv_wr_set_inline_data(qx, db[0].addr, db[0].length);
			else
				ibv_wr_set_inline_data_list(qx, d[i].nsge, db);
		} else if (d[i].nsge == 1) {
			ibv_wr_set_sge(qx, d[i].sge[0].lkey, d[i].sge[0].addr,
				       d[i].sge[0].length);
		} else {
			ibv_wr_set_sge_list(qx, d[i].nsge, d[i].sge);
		}
	}
	ret = ibv_wr_complete(qx);
	if (ret)
		return fail(ep->role, "ibv_wr_complete of %u WRs: %s", n,
			    strerror(ret));
	return 0;
}

static int post_wrs(struct sess *s, struct ep *ep, const struct wr_desc *d,
		    unsigned int n)
{
	return s->c->flags & CF_EX ? post_ex(ep, d, n) : post_classic(ep, d, n);
}

static int post_recvs(struct ep *ep, struct ibv_recv_wr *wr, unsigned int n)
{
	struct ibv_recv_wr *bad = NULL;
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++)
		wr[i].next = i + 1 < n ? &wr[i + 1] : NULL;
	ret = ibv_post_recv(ep->qp, wr, &bad);
	if (ret)
		return fail(ep->role, "ibv_post_recv of %u WRs: %s", n, strerror(ret));
	return 0;
}

/* ------------------------------------------------------------------------
 * Verified transfers
 */

static uint32_t atomic_off(const struct cfg *c)
{
	return c->offset & ~7u;
}

/* The requester's pieces of message @m. */
static void req_layout(const struct sess *s, const struct msg *m, struct layout *l)
{
	if (ops[s->c->op].atomic)
		layout_contig(l, atomic_off(s->c), 8);
	else
		layout_split(l, s->c->offset, m->size, s->c->nsge, false);
}

/* The responder's receive buffer for @size bytes: split the other way. */
static void recv_layout(const struct sess *s, uint32_t capacity, struct layout *l)
{
	layout_split(l, s->c->offset, capacity, s->c->nsge, true);
}

static void layout_sges(const struct sess *s, struct ep *ep, unsigned int slot,
			const struct layout *l, struct ibv_sge *sge)
{
	uint64_t base = (uintptr_t)ep->buf + (uint64_t)slot * s->stride;
	unsigned int i;

	for (i = 0; i < l->n; i++) {
		sge[i].addr = base + l->p[i].off;
		sge[i].length = l->p[i].len;
		sge[i].lkey = ep->mr->lkey;
	}
}

static uint64_t remote_addr(const struct sess *s, const struct ep *ep,
			    unsigned int slot)
{
	uint32_t off = ops[s->c->op].atomic ? atomic_off(s->c) : s->c->offset;

	return ep->remote.addr + (uint64_t)slot * s->stride + off;
}

static bool solicited_mode(const struct sess *s)
{
	return (s->c->flags & CF_EVENTS) && (s->c->flags & CF_SOLICITED);
}

/* Responder: poison the slots, lay out sources, post receives, arm. */
static int resp_prepare(struct sess *s, const struct batch *b)
{
	struct ep *ep = s->resp;
	const struct op_desc *d = &ops[s->c->op];
	struct ibv_recv_wr wr[MAX_DEPTH + 1];
	struct ibv_sge sge[MAX_DEPTH + 1][MAX_SGE];
	struct layout l;
	unsigned int k, nr = 0;

	memset(wr, 0, sizeof(wr));
	for (k = 0; k < b->n; k++) {
		const struct msg *m = &b->m[k];

		poison(s, ep, (size_t)k * s->stride,
		       slot_extent(s->c, s->stride, m->size));
		if (s->c->op == OP_READ) {
			layout_contig(&l, s->c->offset, m->size);
			fill_message(s, ep, k, &l, m);
		} else if (d->atomic) {
			layout_contig(&l, atomic_off(s->c), 8);
			fill_message(s, ep, k, &l, m);
		}
		if (!d->recv)
			continue;
		wr[nr].wr_id = RECV_TAG | m->id;
		if (!d->remote) {	/* send: a buffer a little larger than the message */
			recv_layout(s, m->size + RECV_SLACK, &l);
			layout_sges(s, ep, k, &l, sge[nr]);
			wr[nr].sg_list = sge[nr];
			wr[nr].num_sge = l.n;
		}
		nr++;
	}
	if (s->c->op == OP_WRITE)	/* for the fence */
		wr[nr++].wr_id = RECV_TAG | FENCE_TAG | b->index;
	if (nr && post_recvs(ep, wr, nr))
		return -1;
	if (ep->chan) {
		cq_drain_events(ep);
		ep->solicited_only = solicited_mode(s);
		if (cq_arm(ep, ep->solicited_only))
			return -1;
		ep->events_mark = ep->events;
	}
	return 0;
}

/* Requester: work requests for messages [from, to) of @b (and the fence). */
static int req_post_and_complete(struct sess *s, const struct batch *b,
				 unsigned int from, unsigned int to)
{
	struct ep *ep = s->req;
	const struct cfg *c = s->c;
	const struct op_desc *d = &ops[c->op];
	struct wr_desc wd[MAX_DEPTH + 1];
	struct wc_expect e[MAX_DEPTH + 1];
	unsigned int k, n = 0, ne = 0, i;
	bool fence = c->op == OP_WRITE && to == b->n;
	struct layout l;

	memset(wd, 0, sizeof(wd));
	for (k = from; k < to; k++) {
		const struct msg *m = &b->m[k];
		struct wr_desc *w = &wd[n++];
		bool last_wr = k == to - 1 && !fence;

		req_layout(s, m, &l);
		poison(s, ep, (size_t)k * s->stride,
		       slot_extent(c, s->stride, m->size));
		if (!d->atomic && c->op != OP_READ)
			fill_message(s, ep, k, &l, m);
		w->op = c->op;
		w->wr_id = m->id;
		w->nsge = l.n;
		layout_sges(s, ep, k, &l, w->sge);
		w->raddr = remote_addr(s, ep, k);
		w->rkey = ep->remote.rkey;
		w->imm = imm_of(c->seed, m->id);
		if (d->atomic)
			atomic_operands(c->op, c->seed, m->id, &w->compare_add,
					&w->swap);
		if ((c->flags & CF_INLINE) && !d->atomic && c->op != OP_READ &&
		    m->size <= ep->max_inline)
			w->flags |= IBV_SEND_INLINE;
		if (k == b->n - 1 && d->recv && solicited_mode(s))
			w->flags |= IBV_SEND_SOLICITED;
		if ((k + 1) % c->unsig == 0 || last_wr) {
			w->flags |= IBV_SEND_SIGNALED;
			e[ne++] = (struct wc_expect){
				.wr_id = m->id, .status = IBV_WC_SUCCESS,
				.opcode = d->req_wc,
				.byte_len = c->op == OP_READ ? (int64_t)m->size :
					    d->atomic ? 8 : -1,
			};
		}
	}
	if (fence) {
		struct wr_desc *w = &wd[n++];

		w->op = OP_SEND;
		w->wr_id = FENCE_TAG | b->index;
		w->flags = IBV_SEND_SIGNALED;
		if (solicited_mode(s))
			w->flags |= IBV_SEND_SOLICITED;
		e[ne++] = (struct wc_expect){ .wr_id = w->wr_id,
					      .status = IBV_WC_SUCCESS,
					      .opcode = IBV_WC_SEND, .byte_len = -1 };
	}
	if (post_wrs(s, ep, wd, n))
		return -1;
	/* Inline data is the device's once posted: spoil the source. */
	for (i = 0; i < n; i++)
		if (wd[i].flags & IBV_SEND_INLINE)
			poison(s, ep, (size_t)(from + i) * s->stride,
			       slot_extent(c, s->stride, b->m[from + i].size));
	return expect_completions(s, ep, e, ne, "requester completions");
}

/* Offset in the slot of byte @logical of @l (or just after its end). */
static uint32_t layout_at(const struct layout *l, uint32_t logical)
{
	unsigned int i;

	for (i = 0; i < l->n; i++) {
		if (logical < l->p[i].len)
			return l->p[i].off + logical;
		logical -= l->p[i].len;
	}
	return l->n ? l->p[l->n - 1].off + l->p[l->n - 1].len + logical : 0;
}

/*
 * --inject: damage the first message of 16 bytes or more that arrived in
 * slot @slot (laid out as @l), once, as a device bug would.
 */
static void inject_damage(struct sess *s, struct ep *ep, unsigned int slot,
			  const struct layout *l, const struct msg *m)
{
	uint8_t *base = ep->buf + (size_t)slot * s->stride;
	const struct piece *p0 = &l->p[0];
	uint8_t byte;
	uint32_t i;

	if (!s->c->inject || s->injected || m->size < 16 || p0->len < 16)
		return;
	s->injected = true;
	switch (s->c->inject) {
	case INJ_CORRUPT:
		base[layout_at(l, m->size / 2)] ^= 0x20;
		break;
	case INJ_STALE:
		for (i = 0; i < l->n; i++)
			poison(s, ep, (size_t)slot * s->stride + l->p[i].off,
			       l->p[i].len);
		break;
	case INJ_SHIFT:
		memmove(base + p0->off + 8, base + p0->off, p0->len - 8);
		break;
	case INJ_OVERRUN:	/* the message's next byte, surely not poison */
		i = layout_at(l, m->size);
		pattern_fill(&byte, data_key(s->c->seed, m->id), m->size, 1);
		base[i] = byte != base[i] ? byte : byte ^ 0x55;
		break;
	}
	info(ep->role, "injected damage (%s) into message %" PRIu64,
	     inject_names[s->c->inject], m->id);
}

/* Requester: what it read, or the source it sent, after completion. */
static int req_verify(struct sess *s, const struct batch *b)
{
	struct ep *ep = s->req;
	const struct cfg *c = s->c;
	struct vctx v = { .s = s, .ep = ep, .b = b };
	struct layout l;
	unsigned int k;

	for (k = 0; k < b->n; k++) {
		const struct msg *m = &b->m[k];
		uint32_t extent = slot_extent(c, s->stride, m->size);

		v.m = m;
		v.slot = k;
		req_layout(s, m, &l);
		if (ops[c->op].atomic) {
			/* The responder's word as it was before. */
			if (verify_atomic_slot(&v, atomic_off(c),
					       atomic_initial(c->seed, m->id),
					       extent))
				return -1;
		} else if (c->op == OP_READ) {
			inject_damage(s, ep, k, &l, m);
			if (verify_slot(&v, &l, m->size, extent, false))
				return -1;
		} else if (!((c->flags & CF_INLINE) && m->size <= ep->max_inline)) {
			/* Sending must leave the source as it was. */
			if (verify_slot(&v, &l, m->size, extent, false))
				return -1;
		}
	}
	return 0;
}

/* Responder: its completions and memory once the requester is done. */
static int resp_verify(struct sess *s, const struct batch *b)
{
	struct ep *ep = s->resp;
	const struct cfg *c = s->c;
	const struct op_desc *d = &ops[c->op];
	struct wc_expect e[MAX_DEPTH + 1];
	struct vctx v = { .s = s, .ep = ep, .b = b };
	unsigned int k, ne = 0;
	uint64_t cmp, swap, value;
	struct layout l;

	for (k = 0; k < b->n && d->recv; k++)
		e[ne++] = (struct wc_expect){
			.wr_id = RECV_TAG | b->m[k].id, .status = IBV_WC_SUCCESS,
			.opcode = d->recv_wc, .byte_len = b->m[k].size,
			.imm = d->imm ? IMM_VALUE : IMM_NONE,
			.imm_data = imm_of(c->seed, b->m[k].id),
		};
	if (c->op == OP_WRITE)
		e[ne++] = (struct wc_expect){
			.wr_id = RECV_TAG | FENCE_TAG | b->index,
			.status = IBV_WC_SUCCESS, .opcode = IBV_WC_RECV,
			.byte_len = 0, .imm = IMM_NONE,
		};
	if (ne && expect_completions(s, ep, e, ne, "responder completions"))
		return -1;

	for (k = 0; k < b->n; k++) {
		const struct msg *m = &b->m[k];
		uint32_t extent = slot_extent(c, s->stride, m->size);

		v.m = m;
		v.slot = k;
		if (d->atomic) {
			value = atomic_operands(c->op, c->seed, m->id, &cmp, &swap);
			if (verify_atomic_slot(&v, atomic_off(c), value, extent))
				return -1;
			continue;
		}
		if (d->remote)	/* written, or read and to be left as it was */
			layout_contig(&l, c->offset, m->size);
		else
			recv_layout(s, m->size + RECV_SLACK, &l);
		if (c->op != OP_READ)
			inject_damage(s, ep, k, &l, m);
		if (verify_slot(&v, &l, m->size, extent, false))
			return -1;
	}
	return 0;
}

/*
 * Solicited-only: the responder's CQ is armed for solicited completions
 * and holds only unsolicited ones; no event may come.
 */
static int resp_expect_no_event(struct sess *s)
{
	int ret = cq_wait_event(s->resp, NO_EVENT_WAIT_MS);

	if (ret < 0)
		return -1;
	if (ret)
		return fail(s->resp->role,
			    "completion event with the CQ armed for solicited completions only and only unsolicited ones added");
	return 0;
}

/*
 * --events: the responder's CQ, armed before the batch (for solicited
 * completions only with =solicited), must have delivered an event for the
 * receive completions of the batch.
 */
static int resp_expect_event(struct sess *s)
{
	struct ep *ep = s->resp;
	int ret;

	if (!ep->chan || (!ops[s->c->op].recv && s->c->op != OP_WRITE) ||
	    ep->events != ep->events_mark)
		return 0;
	ret = cq_wait_event(ep, s->c->timeout_ms);
	if (ret < 0)
		return -1;
	if (!ret)
		return fail(ep->role, "no completion event from the CQ armed%s before the batch",
			    ep->solicited_only ? " for solicited completions" : "");
	return 0;
}

static int run_batch(struct sess *s, const struct batch *b)
{
	bool mid = solicited_mode(s) && ops[s->c->op].recv && b->n > 1;
	int rc = 0;

	if (s->resp)
		rc = resp_prepare(s, b);
	rc = step(s, STEP_READY, false, rc);
	if (rc)
		return rc;
	if (mid) {
		/* All but the last unsolicited; then the solicited last one. */
		if (s->req)
			rc = req_post_and_complete(s, b, 0, b->n - 1);
		rc = step(s, STEP_MID, true, rc);
		if (rc)
			return rc;
		if (s->resp)
			rc = resp_expect_no_event(s);
		rc = step(s, STEP_MID_OK, false, rc);
		if (rc)
			return rc;
		if (s->req)
			rc = req_post_and_complete(s, b, b->n - 1, b->n);
	} else if (s->req) {
		rc = req_post_and_complete(s, b, 0, b->n);
	}
	if (s->req && !rc)
		rc = req_verify(s, b);
	rc = step(s, STEP_DONE, true, rc);
	if (rc)
		return rc;
	if (s->resp)
		rc = resp_verify(s, b);
	if (s->resp && !rc)
		rc = resp_expect_event(s);
	return step(s, STEP_RESULT, false, rc);
}

static uint32_t max_size(const struct cfg *c)
{
	uint32_t i, m = 0;

	if (ops[c->op].atomic)
		return 8;
	for (i = 0; i < c->nsizes; i++)
		if (c->sizes[i] > m)
			m = c->sizes[i];
	return m;
}

/* The messages of the run, in order: sizes x iterations, or --total. */
static struct msg *message_list(const struct cfg *c, size_t *count)
{
	struct msg *list;
	uint64_t n = 0, i, id = 1, left;
	uint32_t s, chunk;

	if (c->total) {
		chunk = max_size(c) ? max_size(c) : 1;
		n = (c->total + chunk - 1) / chunk;
	} else if (ops[c->op].atomic) {
		n = c->iters;
	} else {
		n = (uint64_t)c->nsizes * c->iters;
	}
	list = calloc(n ? n : 1, sizeof(*list));
	if (!list)
		return NULL;
	if (c->total) {
		left = c->total;
		for (i = 0; i < n; i++) {
			list[i].id = id++;
			list[i].size = left < chunk ? left : chunk;
			left -= list[i].size;
		}
	} else if (ops[c->op].atomic) {
		for (i = 0; i < n; i++)
			list[i] = (struct msg){ id++, 8 };
	} else {
		for (s = 0; s < c->nsizes; s++)
			for (i = 0; i < c->iters; i++)
				list[s * c->iters + i] = (struct msg){ id++, c->sizes[s] };
	}
	*count = n;
	return list;
}

static int run_transfers(struct sess *s)
{
	const struct cfg *c = s->c;
	const struct phase_opts po = { .rnr_retry = 7 };
	const char *role = s->req ? s->req->role : s->resp->role;
	struct batch b = { 0 };
	struct msg *list;
	size_t count, i = 0;
	uint64_t t0, bytes = 0;
	double secs;
	int rc;

	list = message_list(c, &count);
	if (!list)
		return fail(role, "out of memory");
	rc = phase_begin(s, &po);
	t0 = now_ns();
	while (!rc && i < count) {
		b.n = 0;
		while (i < count && b.n < s->depth) {
			b.m[b.n++] = list[i];
			bytes += list[i++].size;
		}
		dbg(role, "batch %u: %u messages of %u..%u bytes", b.index, b.n,
		    b.m[0].size, b.m[b.n - 1].size);
		rc = run_batch(s, &b);
		if (!rc)
			s->msgs += b.n;
		b.index++;
	}
	secs = (now_ns() - t0) / 1e9;
	free(list);
	if (phase_end(s) && !rc)
		rc = -1;
	if (rc)
		return rc;
	s->bytes = bytes;
	info(role, "PASS: %s, %" PRIu64 " messages, %" PRIu64 " bytes verified in %.2f s (%.1f MB/s)",
	     ops[c->op].name, s->msgs, bytes, secs, secs > 0 ? bytes / secs / 1e6 : 0);
	return 0;
}

/* ------------------------------------------------------------------------
 * Error scenarios
 */

/* The size of the messages of the scenarios: the largest -s, or 4096. */
static uint32_t scen_size(const struct cfg *c)
{
	uint32_t m = max_size(c);

	return c->flags & CF_SIZES_GIVEN && m ? m : DEFAULT_SCEN_SIZE;
}

/* Requester: a work request for @m in slot @k, signaled. */
static void scen_wr(struct sess *s, struct wr_desc *w, enum op op,
		    const struct msg *m, unsigned int k)
{
	struct ep *ep = s->req;
	struct layout l;

	layout_split(&l, s->c->offset, m->size, s->c->nsge, false);
	poison(s, ep, (size_t)k * s->stride,
	       slot_extent(s->c, s->stride, m->size));
	fill_message(s, ep, k, &l, m);
	memset(w, 0, sizeof(*w));
	w->op = op;
	w->wr_id = m->id;
	w->flags = IBV_SEND_SIGNALED;
	w->nsge = l.n;
	layout_sges(s, ep, k, &l, w->sge);
	w->raddr = ep->remote.addr + (uint64_t)k * s->stride + s->c->offset;
	w->rkey = ep->remote.rkey;
}

/* @n completions: the first with @first, the rest flushed. */
static int expect_error_then_flush(struct sess *s, const struct wr_desc *w,
				   unsigned int n, enum ibv_wc_status first)
{
	struct wc_expect e[8];
	unsigned int i;

	for (i = 0; i < n; i++)
		e[i] = (struct wc_expect){
			.wr_id = w[i].wr_id,
			.status = i ? IBV_WC_WR_FLUSH_ERR : first,
			.opcode = -1, .byte_len = -1,
		};
	if (expect_completions(s, s->req, e, n, "requester completions"))
		return -1;
	return expect_qp_state(s->req, IBV_QPS_ERR);
}

static void resp_poison_all(struct sess *s)
{
	poison(s, s->resp, 0, s->resp->map_len);
}

/*
 * Responder: its buffer, MR and tail, still holds only poison, but for
 * [skip, skip + skip_len) where a receive may have taken part of a message.
 */
static int resp_untouched_but(struct sess *s, size_t skip, size_t skip_len,
			      const char *what)
{
	struct vctx v = { .s = s, .ep = s->resp };
	struct region r = { 0, skip, EXP_POISON, 0, NULL, what };

	if (skip && region_check(&v, &r))
		return -1;
	r.off = skip + skip_len;
	r.len = s->resp->map_len - r.off;
	return region_check(&v, &r);
}

static int resp_untouched(struct sess *s, const char *what)
{
	return resp_untouched_but(s, 0, 0, what);
}

/*
 * bad_rkey: a WRITE with a wrong rkey fails with IBV_WC_REM_ACCESS_ERR, the
 * WRITEs posted after it are flushed, the requester's QP is in error, and
 * nothing was written at the responder.
 */
static int scen_bad_rkey(struct sess *s)
{
	const struct phase_opts po = { .rnr_retry = 7 };
	struct wr_desc w[4];
	unsigned int k;
	int rc;

	rc = phase_begin(s, &po);
	if (rc)
		return rc;
	if (s->resp)
		resp_poison_all(s);
	rc = step(s, STEP_READY, false, 0);
	if (rc)
		return rc;
	if (s->req) {
		for (k = 0; k < 4; k++) {
			struct msg m = { k + 1, scen_size(s->c) };

			scen_wr(s, &w[k], OP_WRITE, &m, k);
		}
		w[0].rkey ^= 0x5a;
		info(s->req->role, "WRITE with rkey 0x%x (the MR's is 0x%x), then 3 WRITEs",
		     w[0].rkey, s->req->remote.rkey);
		rc = post_wrs(s, s->req, w, 4);
		if (!rc)
			rc = expect_error_then_flush(s, w, 4, IBV_WC_REM_ACCESS_ERR);
	}
	rc = step(s, STEP_DONE, true, rc);
	if (rc)
		return rc;
	if (s->resp)
		rc = resp_untouched(s, "responder memory after a rejected WRITE");
	rc = step(s, STEP_RESULT, false, rc);
	if (!rc)
		rc = phase_end(s);
	return rc;
}

/*
 * rnr: a SEND with no receive posted and rnr_retry 0 fails with
 * IBV_WC_RNR_RETRY_EXC_ERR, the next SEND is flushed, and the responder
 * sees no completion.
 */
static int scen_rnr(struct sess *s)
{
	const struct phase_opts po = { .rnr_retry = 0 };
	struct wr_desc w[2];
	unsigned int k;
	int rc;

	rc = phase_begin(s, &po);
	if (rc)
		return rc;
	if (s->resp)
		resp_poison_all(s);
	rc = step(s, STEP_READY, false, 0);
	if (rc)
		return rc;
	if (s->req) {
		for (k = 0; k < 2; k++) {
			struct msg m = { k + 1, scen_size(s->c) };

			scen_wr(s, &w[k], OP_SEND, &m, k);
		}
		info(s->req->role, "2 SENDs, no receive posted, rnr_retry 0");
		rc = post_wrs(s, s->req, w, 2);
		if (!rc)
			rc = expect_error_then_flush(s, w, 2,
						     IBV_WC_RNR_RETRY_EXC_ERR);
	}
	rc = step(s, STEP_DONE, true, rc);
	if (rc)
		return rc;
	if (s->resp) {
		rc = cq_expect_quiet(s->resp, QUIET_WAIT_MS,
				     "responder without receives");
		if (!rc)
			rc = resp_untouched(s, "responder memory after RNR");
	}
	rc = step(s, STEP_RESULT, false, rc);
	if (!rc)
		rc = phase_end(s);
	return rc;
}

/* too_long, part 1: a SEND one byte longer than the posted receive. */
static int scen_send_too_long(struct sess *s)
{
	const struct phase_opts po = { .rnr_retry = 7 };
	uint32_t size = scen_size(s->c);
	struct ibv_recv_wr rwr[2];
	struct ibv_sge sge[2][MAX_SGE];
	struct layout rl;
	struct wr_desc w[2];
	struct wc_expect e[2];
	unsigned int k;
	int rc;

	rc = phase_begin(s, &po);
	if (rc)
		return rc;
	recv_layout(s, size, &rl);
	if (s->resp) {
		resp_poison_all(s);
		memset(rwr, 0, sizeof(rwr));
		for (k = 0; k < 2; k++) {
			layout_sges(s, s->resp, k, &rl, sge[k]);
			rwr[k].wr_id = RECV_TAG | k;
			rwr[k].sg_list = sge[k];
			rwr[k].num_sge = rl.n;
		}
		rc = post_recvs(s->resp, rwr, 2);
	}
	rc = step(s, STEP_READY, false, rc);
	if (rc)
		return rc;
	if (s->req) {
		struct msg m0 = { 1, size + 1 }, m1 = { 2, size };

		scen_wr(s, &w[0], OP_SEND, &m0, 0);
		scen_wr(s, &w[1], OP_SEND, &m1, 1);
		info(s->req->role, "SEND of %u bytes into a receive of %u, then a SEND of %u",
		     size + 1, size, size);
		rc = post_wrs(s, s->req, w, 2);
		if (!rc)
			rc = expect_error_then_flush(s, w, 2, IBV_WC_REM_INV_REQ_ERR);
	}
	rc = step(s, STEP_DONE, true, rc);
	if (rc)
		return rc;
	if (s->resp) {
		struct vctx v = { .s = s, .ep = s->resp };

		e[0] = (struct wc_expect){ .wr_id = RECV_TAG | 0,
					   .status = IBV_WC_LOC_LEN_ERR };
		e[1] = (struct wc_expect){ .wr_id = RECV_TAG | 1,
					   .status = IBV_WC_WR_FLUSH_ERR };
		rc = expect_completions(s, s->resp, e, 2, "responder completions");
		/* The receive may hold part of the message; nothing else may. */
		for (k = 0; !rc && k < 2; k++) {
			v.slot = k;
			rc = verify_slot(&v, &rl, size, s->stride, true);
		}
		if (!rc)
			rc = resp_untouched_but(s, 0, 2 * (size_t)s->stride,
						"responder memory outside the receives");
		if (!rc)
			rc = expect_qp_state(s->resp, IBV_QPS_ERR);
	}
	rc = step(s, STEP_RESULT, false, rc);
	if (!rc)
		rc = phase_end(s);
	return rc;
}

/*
 * A work request (@op) whose range straddles the end of an MR: the
 * responder's (@remote: expected IBV_WC_REM_ACCESS_ERR) or the requester's
 * own (expected IBV_WC_LOC_PROT_ERR).  The buffer goes on past the MR, so
 * the range is valid memory, only not registered.
 */
static int scen_beyond_mr(struct sess *s, enum op op, bool remote)
{
	const struct phase_opts po = { .rnr_retry = 7 };
	uint32_t size = scen_size(s->c), len = size < TAIL ? size : TAIL;
	struct ibv_recv_wr rwr = { 0 };
	struct ibv_sge rsge;
	struct wr_desc w[2];
	int rc;

	rc = phase_begin(s, &po);
	if (rc)
		return rc;
	if (s->resp) {
		resp_poison_all(s);
		if (ops[op].recv) {
			/* Room for the message, should it come: slot 2. */
			rsge = (struct ibv_sge){
				(uintptr_t)s->resp->buf + 2 * (size_t)s->stride,
				s->stride, s->resp->mr->lkey };
			rwr.wr_id = RECV_TAG;
			rwr.sg_list = &rsge;
			rwr.num_sge = 1;
			rc = post_recvs(s->resp, &rwr, 1);
		}
	}
	rc = step(s, STEP_READY, false, rc);
	if (rc)
		return rc;
	if (s->req) {
		struct msg m0 = { 1, len }, m1 = { 2, len };
		uint64_t end;

		scen_wr(s, &w[0], op, &m0, 0);
		scen_wr(s, &w[1], op, &m1, 1);
		if (remote) {
			end = s->req->remote.addr + s->req->remote.len;
			w[0].raddr = end - len / 2;
		} else {
			/* One SGE: half inside the MR, half after it. */
			end = (uintptr_t)s->req->buf + s->req->mr_len;
			pattern_fill((uint8_t *)(uintptr_t)(end - len / 2),
				     data_key(s->c->seed, m0.id), 0, len);
			w[0].nsge = 1;
			w[0].sge[0] = (struct ibv_sge){ end - len / 2, len,
							s->req->mr->lkey };
		}
		info(s->req->role, "%s of %u bytes from %u bytes before the end of the %s MR",
		     ops[op].name, len, len / 2, remote ? "responder's" : "local");
		rc = post_wrs(s, s->req, w, 2);
		if (!rc)
			rc = expect_error_then_flush(s, w, 2, remote ?
						     IBV_WC_REM_ACCESS_ERR :
						     IBV_WC_LOC_PROT_ERR);
	}
	rc = step(s, STEP_DONE, true, rc);
	if (rc)
		return rc;
	if (s->resp) {
		/*
		 * A local error is the requester's own: the responder sees no
		 * completion.  The packets before the bad part may have been
		 * placed in the receive (slot 2); nothing may be elsewhere.
		 */
		if (!remote)
			rc = cq_expect_quiet(s->resp, QUIET_WAIT_MS,
					     "responder of a failed local request");
		if (!rc && remote)
			rc = resp_untouched(s, "responder memory after a WRITE beyond its MR");
		else if (!rc)
			rc = resp_untouched_but(s, 2 * (size_t)s->stride, s->stride,
						"responder memory outside the receive");
	}
	rc = step(s, STEP_RESULT, false, rc);
	if (!rc)
		rc = phase_end(s);
	return rc;
}

static int scen_too_long(struct sess *s)
{
	int rc = scen_send_too_long(s);

	if (!rc)
		rc = scen_beyond_mr(s, OP_WRITE, true);
	return rc;
}

static void destroy_alarm(int sig)
{
	static const char msg[] = PROG ": FAIL: ibv_destroy_qp has not returned within the timeout\n";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(EXIT_FAIL);
	_exit(EXIT_FAIL);
}

/* Destroy @ep's QP and CQ, which must take less than the timeout. */
static int destroy_bounded(struct sess *s, struct ep *ep, const char *what)
{
	unsigned int secs = (s->c->timeout_ms + 999) / 1000;
	uint64_t ns = 0;
	int rc;

	signal(SIGALRM, destroy_alarm);
	alarm(secs);
	rc = ep_phase_end(ep, &ns);
	alarm(0);
	info(ep->role, "destroyed the QP with %s: %.1f ms", what, ns / 1e6);
	if (!rc && ns > (uint64_t)s->c->timeout_ms * 1000000)
		rc = fail(ep->role, "ibv_destroy_qp took %.1f s", ns / 1e9);
	return rc;
}

/*
 * destroy_inflight: destroy the QPs with work outstanding (both ends, the
 * requester first); it must return within the timeout.  Then a new QP
 * pair must carry a verified batch.
 */
static int scen_destroy_inflight(struct sess *s)
{
	const struct phase_opts po = { .rnr_retry = 7 };
	const struct cfg *c = s->c;
	struct wr_desc w[MAX_DEPTH];
	struct batch b = { 0 };
	char what[96];
	unsigned int k;
	int rc;

	for (k = 0; k < s->depth; k++)
		b.m[b.n++] = (struct msg){ k + 1, ops[c->op].atomic ? 8 :
					   scen_size(c) };
	rc = phase_begin(s, &po);
	if (rc)
		return rc;
	if (s->resp)
		rc = resp_prepare(s, &b);
	rc = step(s, STEP_READY, false, rc);
	if (rc)
		return rc;
	if (s->req) {
		for (k = 0; k < b.n; k++) {
			struct layout l;

			req_layout(s, &b.m[k], &l);
			scen_wr(s, &w[k], c->op, &b.m[k], k);
			w[k].nsge = l.n;
			layout_sges(s, s->req, k, &l, w[k].sge);
			w[k].raddr = remote_addr(s, s->req, k);
			w[k].imm = imm_of(c->seed, b.m[k].id);
		}
		rc = post_wrs(s, s->req, w, b.n);
		snprintf(what, sizeof(what), "%u %s WRs of %u bytes posted",
			 b.n, ops[c->op].name, b.m[0].size);
		if (!rc)
			rc = destroy_bounded(s, s->req, what);
	}
	rc = step(s, STEP_DONE, true, rc);
	if (rc)
		return rc;
	if (s->resp)
		rc = destroy_bounded(s, s->resp, ops[c->op].recv || c->op == OP_WRITE ?
				     "receives posted" : "RDMA in flight");
	rc = step(s, STEP_RESULT, false, rc);
	if (rc)
		return rc;

	/* The device is still good: a new QP pair, a verified batch. */
	for (k = 0; k < b.n; k++)
		b.m[k].id += b.n;
	rc = phase_begin(s, &po);
	if (!rc)
		rc = run_batch(s, &b);
	if (!rc)
		rc = phase_end(s);
	if (!rc)
		info(s->req ? s->req->role : s->resp->role,
		     "PASS: a new QP pair carried %u verified %s messages", b.n,
		     ops[c->op].name);
	return rc;
}

static int run_session(struct sess *s)
{
	const char *role = s->req ? s->req->role : s->resp->role;
	int rc;

	switch (s->c->scenario) {
	case SCEN_BAD_RKEY:
		rc = scen_bad_rkey(s);
		break;
	case SCEN_RNR:
		rc = scen_rnr(s);
		break;
	case SCEN_TOO_LONG:
		rc = scen_too_long(s);
		break;
	case SCEN_SEND_TOO_LONG:
		rc = scen_send_too_long(s);
		break;
	case SCEN_WRITE_TOO_LONG:
		rc = scen_beyond_mr(s, OP_WRITE, true);
		break;
	case SCEN_LOCAL_LEN:
		rc = scen_beyond_mr(s, OP_SEND, false);
		break;
	case SCEN_DESTROY_INFLIGHT:
		return scen_destroy_inflight(s);
	default:
		return run_transfers(s);
	}
	if (!rc)
		info(role, "PASS: scenario %s", scen_names[s->c->scenario]);
	return rc;
}

/* ------------------------------------------------------------------------
 * Command line
 */

static void usage(FILE *f)
{
	fprintf(f,
"Usage: " PROG " -d DEV [-g GIDIDX] [-p PORT] server\n"
"       " PROG " -d DEV [-g GIDIDX] [-p PORT] client SERVER_IP [OPTIONS]\n"
"       " PROG " -d DEV [-g GIDIDX] loopback [OPTIONS]\n"
"\n"
"An RC tester over libibverbs: the client (requester) moves messages to or\n"
"from the server (responder) and both verify every byte and completion.\n"
"QP information goes over TCP.  loopback: both QPs in this process, on DEV.\n"
"The server takes the test OPTIONS from the client; its own -d, -g, -i, -p,\n"
"--mmap, -t and -v apply to it.\n"
"\n"
"  -d, --dev DEV          RDMA device\n"
"  -g, --gid-index N      GID index (default: the first RoCEv2 IPv4 GID)\n"
"  -i, --ib-port N        device port (default 1)\n"
"  -p, --port PORT        TCP port (default %u)\n"
"  -t, --timeout SEC      longest wait for a completion or the peer (default %u)\n"
"  -v, --verbose          say more\n"
"  -h, --help\n"
"\n"
"OPTIONS\n"
"  -o, --op OP            send, send_imm, write, write_imm, read, cmp_swp,\n"
"                         fetch_add (default send)\n"
"  -s, --sizes LIST       message sizes, k/m suffixes (default " DEFAULT_SIZES ")\n"
"  -n, --iters N          messages of each size (default %u)\n"
"  -q, --depth N          messages in flight in a batch (default: 4 MiB of slots, <= 16)\n"
"  -m, --mtu MTU          path MTU 256..4096 (default: the smaller active MTU)\n"
"  -S, --sge N            scatter/gather entries per message, uneven pieces (default 1)\n"
"  -I, --inline           post messages of up to --max-inline bytes inline\n"
"      --max-inline N     max_inline_data asked of the QP (default %u)\n"
"  -u, --unsignaled N     signal only every Nth work request (and a batch's last)\n"
"      --offset N         messages start N bytes into their slot (alignment)\n"
"      --psn N            initial PSN of both QPs (default random), e.g. 0xfffff0\n"
"      --seed N           data pattern seed (default: from the time)\n"
"      --total BYTES      move BYTES in messages of the largest size (default 1m)\n"
"      --odp              register memory with IBV_ACCESS_ON_DEMAND\n"
"      --mmap FILE        buffers in a shared mapping of FILE (made large enough)\n"
"      --ex               post with the extended QP API (ibv_wr_*)\n"
"      --events[=solicited]  wait on a completion channel instead of polling;\n"
"                         solicited: the responder's CQ is armed for solicited\n"
"                         completions only, and no event may come before one\n"
"      --expect SCENARIO  assert an error case instead of moving data:\n"
"           bad_rkey     WRITE with a wrong rkey: IBV_WC_REM_ACCESS_ERR, the\n"
"                        next WRs IBV_WC_WR_FLUSH_ERR, nothing written\n"
"           rnr          SEND, no receive, rnr_retry 0: IBV_WC_RNR_RETRY_EXC_ERR\n"
"           too_long     send_too_long, then write_too_long:\n"
"           send_too_long  SEND longer than the receive: IBV_WC_REM_INV_REQ_ERR,\n"
"                        responder IBV_WC_LOC_LEN_ERR and its QP in error\n"
"           write_too_long WRITE beyond the remote MR: IBV_WC_REM_ACCESS_ERR\n"
"           local_len    SGE beyond the local MR: IBV_WC_LOC_PROT_ERR\n"
"      --destroy-inflight destroy the QPs with work outstanding (must not hang),\n"
"                         then verify a transfer on new QPs\n"
"      --inject DAMAGE    test the tester: damage one received message before\n"
"                         checking it (corrupt, stale, shift, overrun); the run\n"
"                         must then fail and say what it saw\n"
"\n"
"Exit status: 0 passed, 1 failed, 2 usage, 77 not supported by the device.\n",
		DEFAULT_TCP_PORT, DEFAULT_TIMEOUT_S, DEFAULT_ITERS,
		DEFAULT_MAX_INLINE);
}

static int parse_u64(const char *s, uint64_t *v, const char *what)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || end == s)
		goto bad;
	switch (*end) {
	case 'k': case 'K':
		x <<= 10;
		end++;
		break;
	case 'm': case 'M':
		x <<= 20;
		end++;
		break;
	case 'g': case 'G':
		x <<= 30;
		end++;
		break;
	}
	if (*end)
		goto bad;
	*v = x;
	return 0;
bad:
	fprintf(stderr, "%s: bad %s '%s'\n", PROG, what, s);
	return -1;
}

static int parse_u32(const char *s, uint32_t *v, uint32_t min, uint32_t max,
		     const char *what)
{
	uint64_t x;

	if (parse_u64(s, &x, what))
		return -1;
	if (x < min || x > max) {
		fprintf(stderr, "%s: %s %s out of range %u..%u\n", PROG, what, s,
			min, max);
		return -1;
	}
	*v = x;
	return 0;
}

static int parse_sizes(const char *arg, struct cfg *c)
{
	char *copy = strdup(arg), *tok, *save = NULL;
	int ret = 0;

	c->nsizes = 0;
	for (tok = strtok_r(copy, ",", &save); tok && !ret;
	     tok = strtok_r(NULL, ",", &save)) {
		if (c->nsizes == MAX_SIZES) {
			fprintf(stderr, "%s: at most %d sizes\n", PROG, MAX_SIZES);
			ret = -1;
			break;
		}
		ret = parse_u32(tok, &c->sizes[c->nsizes++], 0, MAX_MSG_SIZE,
				"size");
	}
	free(copy);
	if (!ret && !c->nsizes) {
		fprintf(stderr, "%s: empty size list\n", PROG);
		ret = -1;
	}
	return ret;
}

static int parse_mtu(const char *s, uint32_t *mtu)
{
	static const struct { int n; enum ibv_mtu m; } t[] = {
		{ 256, IBV_MTU_256 }, { 512, IBV_MTU_512 }, { 1024, IBV_MTU_1024 },
		{ 2048, IBV_MTU_2048 }, { 4096, IBV_MTU_4096 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (atoi(s) == t[i].n) {
			*mtu = t[i].m;
			return 0;
		}
	fprintf(stderr, "%s: MTU must be 256, 512, 1024, 2048 or 4096, not %s\n",
		PROG, s);
	return -1;
}

enum {
	OPT_MAX_INLINE = 256, OPT_OFFSET, OPT_PSN, OPT_SEED, OPT_TOTAL, OPT_ODP,
	OPT_MMAP, OPT_EX, OPT_EVENTS, OPT_EXPECT, OPT_DESTROY_INFLIGHT,
	OPT_INJECT,
};

static const struct option long_opts[] = {
	{ "dev", required_argument, NULL, 'd' },
	{ "gid-index", required_argument, NULL, 'g' },
	{ "ib-port", required_argument, NULL, 'i' },
	{ "port", required_argument, NULL, 'p' },
	{ "timeout", required_argument, NULL, 't' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "op", required_argument, NULL, 'o' },
	{ "sizes", required_argument, NULL, 's' },
	{ "iters", required_argument, NULL, 'n' },
	{ "depth", required_argument, NULL, 'q' },
	{ "mtu", required_argument, NULL, 'm' },
	{ "sge", required_argument, NULL, 'S' },
	{ "inline", no_argument, NULL, 'I' },
	{ "max-inline", required_argument, NULL, OPT_MAX_INLINE },
	{ "unsignaled", required_argument, NULL, 'u' },
	{ "offset", required_argument, NULL, OPT_OFFSET },
	{ "psn", required_argument, NULL, OPT_PSN },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "total", required_argument, NULL, OPT_TOTAL },
	{ "odp", no_argument, NULL, OPT_ODP },
	{ "mmap", required_argument, NULL, OPT_MMAP },
	{ "ex", no_argument, NULL, OPT_EX },
	{ "events", optional_argument, NULL, OPT_EVENTS },
	{ "expect", required_argument, NULL, OPT_EXPECT },
	{ "destroy-inflight", no_argument, NULL, OPT_DESTROY_INFLIGHT },
	{ "inject", required_argument, NULL, OPT_INJECT },
	{ NULL, 0, NULL, 0 },
};

static int parse_args(int argc, char **argv, struct opts *o)
{
	struct cfg *c = &o->cfg;
	uint32_t v;
	int ch, i;

	memset(o, 0, sizeof(*o));
	o->gid_index = -1;
	o->ib_port = 1;
	o->tcp_port = DEFAULT_TCP_PORT;
	c->op = OP_SEND;
	c->nsge = 1;
	c->iters = DEFAULT_ITERS;
	c->unsig = 1;
	c->max_inline = DEFAULT_MAX_INLINE;
	c->psn = PSN_RANDOM;
	c->timeout_ms = DEFAULT_TIMEOUT_S * 1000;
	c->seed = now_ns() ^ ((uint64_t)getpid() << 32);
	parse_sizes(DEFAULT_SIZES, c);

	while ((ch = getopt_long(argc, argv, "d:g:i:p:t:vho:s:n:q:m:S:Iu:",
				 long_opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			o->dev = optarg;
			break;
		case 'g':
			if (parse_u32(optarg, &v, 0, 65535, "GID index"))
				return -1;
			o->gid_index = v;
			break;
		case 'i':
			if (parse_u32(optarg, &v, 1, 255, "port"))
				return -1;
			o->ib_port = v;
			break;
		case 'p':
			if (parse_u32(optarg, &v, 1, 65535, "TCP port"))
				return -1;
			o->tcp_port = v;
			break;
		case 't':
			if (parse_u32(optarg, &v, 1, 3600, "timeout"))
				return -1;
			c->timeout_ms = v * 1000;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_PASS);
		case 'o':
			for (i = 0; i < OP_COUNT && strcmp(optarg, ops[i].name); i++)
				;
			if (i == OP_COUNT) {
				fprintf(stderr, "%s: unknown op '%s'\n", PROG, optarg);
				return -1;
			}
			c->op = i;
			break;
		case 's':
			if (parse_sizes(optarg, c))
				return -1;
			c->flags |= CF_SIZES_GIVEN;
			break;
		case 'n':
			if (parse_u32(optarg, &c->iters, 1, 1u << 24, "iterations"))
				return -1;
			break;
		case 'q':
			if (parse_u32(optarg, &c->depth, 1, MAX_DEPTH, "depth"))
				return -1;
			break;
		case 'm':
			if (parse_mtu(optarg, &c->mtu))
				return -1;
			break;
		case 'S':
			if (parse_u32(optarg, &c->nsge, 1, MAX_SGE, "SGE count"))
				return -1;
			break;
		case 'I':
			c->flags |= CF_INLINE;
			break;
		case OPT_MAX_INLINE:
			if (parse_u32(optarg, &c->max_inline, 0, 65536, "max inline"))
				return -1;
			break;
		case 'u':
			if (parse_u32(optarg, &c->unsig, 1, MAX_DEPTH, "unsignaled"))
				return -1;
			break;
		case OPT_OFFSET:
			if (parse_u32(optarg, &c->offset, 0, 65536, "offset"))
				return -1;
			break;
		case OPT_PSN:
			if (parse_u32(optarg, &c->psn, 0, 0xffffff, "PSN"))
				return -1;
			break;
		case OPT_SEED:
			if (parse_u64(optarg, &c->seed, "seed"))
				return -1;
			break;
		case OPT_TOTAL:
			if (parse_u64(optarg, &c->total, "total"))
				return -1;
			break;
		case OPT_ODP:
			c->flags |= CF_ODP;
			break;
		case OPT_MMAP:
			o->mmap_file = optarg;
			break;
		case OPT_EX:
			c->flags |= CF_EX;
			break;
		case OPT_EVENTS:
			c->flags |= CF_EVENTS;
			if (optarg && !strcmp(optarg, "solicited")) {
				c->flags |= CF_SOLICITED;
			} else if (optarg) {
				fprintf(stderr, "%s: --events takes only =solicited\n", PROG);
				return -1;
			}
			break;
		case OPT_EXPECT:
			for (i = SCEN_BAD_RKEY; i < SCEN_DESTROY_INFLIGHT &&
			     strcmp(optarg, scen_names[i]); i++)
				;
			if (i == SCEN_DESTROY_INFLIGHT) {
				fprintf(stderr, "%s: unknown scenario '%s'\n", PROG, optarg);
				return -1;
			}
			c->scenario = i;
			break;
		case OPT_DESTROY_INFLIGHT:
			c->scenario = SCEN_DESTROY_INFLIGHT;
			break;
		case OPT_INJECT:
			for (i = INJ_CORRUPT; i < INJ_COUNT &&
			     strcmp(optarg, inject_names[i]); i++)
				;
			if (i == INJ_COUNT) {
				fprintf(stderr, "%s: unknown damage '%s'\n", PROG, optarg);
				return -1;
			}
			c->inject = i;
			break;
		default:
			return -1;
		}
	}

	if (optind >= argc) {
		fprintf(stderr, "%s: server, client or loopback?\n", PROG);
		return -1;
	}
	if (!strcmp(argv[optind], "server")) {
		o->mode = MODE_SERVER;
	} else if (!strcmp(argv[optind], "loopback")) {
		o->mode = MODE_LOOPBACK;
	} else if (!strcmp(argv[optind], "client")) {
		o->mode = MODE_CLIENT;
		if (++optind >= argc) {
			fprintf(stderr, "%s: client needs the server's address\n", PROG);
			return -1;
		}
		o->server = argv[optind];
	} else {
		fprintf(stderr, "%s: unknown mode '%s'\n", PROG, argv[optind]);
		return -1;
	}
	if (++optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", PROG, argv[optind]);
		return -1;
	}
	if (!o->dev) {
		fprintf(stderr, "%s: -d DEV is required\n", PROG);
		return -1;
	}
	if (c->total && !(c->flags & CF_SIZES_GIVEN)) {
		c->nsizes = 1;
		c->sizes[0] = 1u << 20;
	}
	if (c->total && ops[c->op].atomic) {
		fprintf(stderr, "%s: --total does not apply to atomics\n", PROG);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Main: the three modes
 */

/* Slot stride, depth and MR length for the test. */
static void geometry(struct sess *s, size_t *mr_len)
{
	const struct cfg *c = s->c;
	uint32_t msize = max_size(c), depth;

	if (c->scenario != SCEN_NONE && scen_size(c) + 1 > msize)
		msize = scen_size(c) + 1;
	s->stride = slot_stride(c, msize);
	depth = c->depth;
	if (!depth) {
		depth = DEPTH_BUDGET / s->stride;
		if (depth > 16)
			depth = 16;
		if (depth < 1)
			depth = 1;
	}
	if (c->scenario != SCEN_NONE && c->scenario != SCEN_DESTROY_INFLIGHT &&
	    depth < 4)
		depth = 4;
	s->depth = depth;
	*mr_len = (size_t)depth * s->stride;
}

static int exit_code(int rc)
{
	if (!rc)
		return EXIT_PASS;
	return rc == -EXIT_UNSUPPORTED ? EXIT_UNSUPPORTED : EXIT_FAIL;
}

static void describe(const struct sess *s, const char *role)
{
	const struct cfg *c = s->c;

	info(role, "%s%s%s, %u SGE%s%s%s%s%s%s, depth %u, seed 0x%" PRIx64,
	     c->scenario ? "scenario " : "",
	     c->scenario ? scen_names[c->scenario] : "", c->scenario ? " with " : "",
	     c->nsge, c->nsge > 1 ? "s" : "",
	     c->flags & CF_INLINE ? ", inline" : "",
	     c->unsig > 1 ? ", unsignaled" : "",
	     c->flags & CF_EX ? ", ibv_wr_* API" : "",
	     c->flags & CF_SOLICITED ? ", solicited events" :
	     c->flags & CF_EVENTS ? ", events" : "",
	     c->flags & CF_ODP ? ", ODP" : "", s->depth, c->seed);
	if (!c->scenario)
		info(role, "op %s", ops[c->op].name);
}

static int main_loopback(struct opts *o)
{
	struct ep req = { .role = "requester" }, resp = { .role = "responder" };
	struct sess s = { .o = o, .c = &o->cfg, .req = &req, .resp = &resp,
			  .sock = -1 };
	size_t mr_len;
	int rc;

	geometry(&s, &mr_len);
	describe(&s, "loopback");
	rc = ep_open(&req, o, &o->cfg, mr_len, 0, true);
	if (!rc)
		rc = ep_open(&resp, o, &o->cfg, mr_len,
			     (mr_len + TAIL + 0xfffff) & ~(size_t)0xfffff, false);
	if (!rc)
		rc = run_session(&s);
	ep_close(&req);
	ep_close(&resp);
	return exit_code(rc);
}

static int main_client(struct opts *o)
{
	struct ep req = { .role = "requester" };
	struct sess s = { .o = o, .c = &o->cfg, .req = &req };
	struct wbuf w = { 0 };
	size_t mr_len;
	uint32_t status;
	int rc;

	geometry(&s, &mr_len);
	s.sock = tcp_connect(o->server, o->tcp_port);
	if (s.sock < 0)
		return EXIT_FAIL;
	describe(&s, "client");
	rc = ep_open(&req, o, &o->cfg, mr_len, 0, true);
	cfg_put(&w, &o->cfg, rc < 0 ? -rc : rc);
	if (msg_send(&s, MSG_CFG, &w) && !rc)
		rc = -EXIT_FAIL;
	if (!rc) {
		if (msg_recv(&s, MSG_CFG_ACK, &w, 4 * o->cfg.timeout_ms + 10000)) {
			rc = -EXIT_FAIL;
		} else {
			status = get32(&w);
			if (status) {
				fail("client", "the server could not set up (status %u)",
				     status);
				rc = -(int)status;
			}
		}
	}
	if (!rc)
		rc = run_session(&s);
	ep_close(&req);
	close(s.sock);
	return exit_code(rc);
}

static int main_server(struct opts *o)
{
	struct ep resp = { .role = "responder" };
	struct sess s = { .o = o, .c = &o->cfg, .resp = &resp };
	struct wbuf w;
	uint32_t status;
	size_t mr_len;
	int rc;

	s.sock = tcp_accept(o->tcp_port, 6 * o->cfg.timeout_ms + 60000);
	if (s.sock < 0)
		return EXIT_FAIL;
	rc = msg_recv(&s, MSG_CFG, &w, o->cfg.timeout_ms);
	if (!rc) {
		/* The client's test; this side's own timeout stays. */
		uint32_t timeout_ms = o->cfg.timeout_ms;

		rc = cfg_get(&w, &o->cfg, &status);
		o->cfg.timeout_ms = timeout_ms;
		if (!rc && status) {
			fail("server", "the client could not set up (status %u)", status);
			rc = -(int)status;
		}
	}
	if (rc) {
		close(s.sock);
		return exit_code(rc);
	}
	geometry(&s, &mr_len);
	describe(&s, "server");
	rc = ep_open(&resp, o, &o->cfg, mr_len, 0, false);
	memset(&w, 0, sizeof(w));
	put32(&w, rc < 0 ? -rc : rc);
	if (msg_send(&s, MSG_CFG_ACK, &w) && !rc)
		rc = -EXIT_FAIL;
	if (!rc)
		rc = run_session(&s);
	ep_close(&resp);
	close(s.sock);
	return exit_code(rc);
}

int main(int argc, char **argv)
{
	struct opts o;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse_args(argc, argv, &o)) {
		fprintf(stderr, "Try '%s --help'.\n", PROG);
		return EXIT_USAGE;
	}
	verbose = o.verbose;
	srandom((unsigned int)(now_ns() ^ getpid()));
	signal(SIGPIPE, SIG_IGN);

	switch (o.mode) {
	case MODE_SERVER:
		return main_server(&o);
	case MODE_CLIENT:
		return main_client(&o);
	default:
		return main_loopback(&o);
	}
}
