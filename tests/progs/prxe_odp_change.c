// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe_odp_change: the mapping under an on-demand-paging memory region
 * changes while RDMA traffic runs into (or out of) it.
 *
 * One process opens two devices, a requester (-d) and a responder (-D),
 * with an RC QP on each, connected to each other by hand: with the two
 * devices on the veth pair of two network namespaces the packets cross
 * the wire between them.  Both memory regions are ODP.  The requester
 * streams chunk-sized RDMA WRITEs, READs or SENDs (--op) at the
 * responder's buffer of N chunks, chunk after chunk, a few in flight;
 * after some successful completions, with work requests still in flight,
 * the process changes the mapping of one buffer (--change), and goes on
 * posting.
 *
 *   munmap    the buffer is unmapped; a canary mapping made afterwards
 *             (which may get the freed pages) must never change
 *   truncate  the buffer's file (fsdax) is cut to half its size; the
 *             chunks beyond the new end of file are gone, those before
 *             keep what was written (read back with pread); a canary
 *             file made afterwards (it may get the freed blocks) must
 *             never change
 *   punch     a hole is punched in the middle half of the file; traffic
 *             goes on (new blocks are faulted in); every word is what
 *             was written or zero; a canary file must never change
 *   mremap    the buffer moves elsewhere (MREMAP_FIXED); the region
 *             stays at the old addresses, now unmapped: nothing written
 *             after the move is found in the moved data
 *   mprotect  the buffer becomes read-only: writes to it fail, reads
 *             from it go on
 *   fork      the process forks with the buffer private anonymous
 *             memory: writes go on into the parent's copy (the write
 *             faults break the copy-on-write sharing), the child's copy
 *             keeps what was there at the fork (the child checks it)
 *   unlink    the buffer's file is deleted; the mapping keeps it:
 *             traffic goes on
 *
 * Where the change takes the memory away, accesses after it must fail
 * cleanly: the requester's completion is IBV_WC_REM_ACCESS_ERR (WRITE,
 * READ), a receive into the buffer completes with a local protection or
 * access error (and the requester hears a remote error), and with --local
 * (the requester's own buffer changed: WRITE or SEND source, READ target)
 * the requester's completion is a local protection or access error.
 * Then the QPs are in the error state: the rest is flushed, and the
 * program drains everything, checks, and exits.  No work request posted
 * after the change may complete successfully there.
 *
 * Data: the 8-byte word w of chunk c written by work request s is
 * pattern(s, c, w); the responder's buffer starts as pattern(0, c, w).
 * A successful WRITE or SEND is checked in the responder's memory when it
 * completes (while that memory is there), a READ in the requester's slot;
 * at the end every chunk still reachable must hold the last write that
 * completed to it, or (only where a failed or flushed work request may
 * have been partly placed) that one's words; never a word of a work
 * request posted after a change that takes the memory away, never
 * anything else.
 *
 * Exit status: 0 passed ("PASS:" printed), 1 failed ("FAIL:" lines),
 * 2 usage, 77 the devices do not support ODP for the operation.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#define PROG			"prxe_odp_change"

#define EXIT_PASS		0
#define EXIT_FAIL		1
#define EXIT_USAGE		2
#define EXIT_UNSUPPORTED	77

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

static const char *const kind_names[K_COUNT] = {
	"munmap", "truncate", "punch", "mremap", "mprotect", "fork", "unlink",
};

enum op { OP_WRITE, OP_READ, OP_SEND, OP_COUNT };

static const char *const op_names[OP_COUNT] = { "write", "read", "send" };

static const char *const inject_names[2] = { "canary", "data" };

/* One end: its device, QP and memory region. */
struct end {
	const char *role;
	const char *dev;
	int gid_index;		/* -1: choose */
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_qp *qp;
	struct ibv_mr *mr;
	struct ibv_port_attr port;
	struct ibv_device_attr_ex attr;
	union ibv_gid gid;
	uint32_t psn;
};

/* A buffer: private anonymous memory, or a shared mapping of a file. */
struct buf {
	const char *what;
	uint8_t *addr;		/* where it was registered: work requests use it */
	uint8_t *cpu;		/* where the CPU finds it (mremap moves it) */
	size_t len;
	int fd;			/* -1: anonymous */
	char path[512];
	bool gone;		/* the CPU must not touch it any more */
	size_t cpu_end;		/* the CPU may touch [0, cpu_end) (truncate) */
};

static struct {
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
} o = {
	.kind = K_COUNT,
	.op = OP_WRITE,
	.dir = "/mnt/pmem",
	.chunk = 16384,
	.nchunk = 16,
	.depth = 8,
	.timeout_s = 10,
	.delay_us = 1000,
};

static struct {
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
	int failures;
} t = { .child = -1, .child_fd = -1 };

/* ------------------------------------------------------------------------
 * Messages, time
 */

static void say(FILE *f, const char *tag, const char *fmt, va_list ap)
{
	fprintf(f, "%s: %s", PROG, tag);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
	fflush(f);
}

static void okf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(stdout, "ok: ", fmt, ap);
	va_end(ap);
}

static void info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(stdout, "", fmt, ap);
	va_end(ap);
}

static void dbg(const char *fmt, ...)
{
	va_list ap;

	if (!o.verbose)
		return;
	va_start(ap, fmt);
	say(stdout, "", fmt, ap);
	va_end(ap);
}

/* A failed check: the run goes on (to drain and say more), exit 1. */
static void failf(const char *fmt, ...)
{
	va_list ap;

	t.failures++;
	va_start(ap, fmt);
	say(stdout, "FAIL: ", fmt, ap);
	va_end(ap);
}

/* A failure the run cannot go on from. */
static void __attribute__((noreturn)) die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(stdout, "FAIL: ", fmt, ap);
	va_end(ap);
	exit(EXIT_FAIL);
}

static void __attribute__((noreturn)) unsupported(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(stdout, "UNSUPPORTED: ", fmt, ap);
	va_end(ap);
	exit(EXIT_UNSUPPORTED);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------------------
 * Data patterns
 */

static inline uint64_t pattern(uint32_t seq, uint32_t c, uint32_t w)
{
	return PAT_TAG << 48 | (uint64_t)(seq & MAX_SEQ) << 24 |
	       (uint64_t)(c & 0xfff) << 12 | (w & 0xfff);
}

static inline uint64_t canary_word(size_t i)
{
	return CANARY_TAG << 48 | (i & 0xffffffffffffull);
}

static void fill_chunk(void *p, uint32_t seq, uint32_t c)
{
	uint64_t *q = p;
	uint32_t w;

	for (w = 0; w < o.chunk / 8; w++)
		q[w] = pattern(seq, c, w);
}

static void fill_words(void *p, size_t len, uint64_t v)
{
	uint64_t *q = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		q[i] = v;
}

/* What a word that is not the expected one looks like. */
static const char *word_kind(uint64_t v, char *s, size_t n)
{
	if (v >> 48 == PAT_TAG)
		snprintf(s, n, "write %" PRIu64 " to chunk %" PRIu64 " word %" PRIu64,
			 (v >> 24) & MAX_SEQ, (v >> 12) & 0xfff, v & 0xfff);
	else if (v >> 48 == CANARY_TAG)
		snprintf(s, n, "canary word %" PRIu64,
			 (uint64_t)(v & 0xffffffffffffull));
	else if (v == POISON)
		snprintf(s, n, "poison");
	else if (!v)
		snprintf(s, n, "zero");
	else
		snprintf(s, n, "foreign data");
	return s;
}

/* How a chunk checked at the end may look. */
struct rule {
	bool exact;		/* only this seq: */
	uint32_t seq;
	bool zero_ok;		/* zero words allowed (a punched hole) */
	bool zero_only;		/* nothing but zero words */
	uint32_t forbid_from;	/* no word of this work request or later (0: none) */
};

/* Whether word @v at word @w of chunk @c keeps @r. */
static bool word_ok(uint64_t v, uint32_t c, uint32_t w, const struct rule *r)
{
	uint32_t s;

	if (!v && (r->zero_ok || r->zero_only))
		return true;
	if (r->zero_only)
		return false;
	if (v >> 48 != PAT_TAG || ((v >> 12) & 0xfff) != (c & 0xfff) ||
	    (v & 0xfff) != (w & 0xfff))
		return false;
	s = (v >> 24) & MAX_SEQ;
	if (r->forbid_from && s >= r->forbid_from)
		return false;
	if (r->exact)
		return s == r->seq;
	/*
	 * The last successful write, or a later write to this chunk that did
	 * not complete successfully (partly placed before an error).
	 */
	return s == t.last_ok[c] ||
	       (s > t.last_ok[c] && s < t.next_seq && (s - 1) % o.nchunk == c);
}

/* Check chunk @c's words at @q against @r; returns the bad words. */
static uint32_t check_chunk(const uint64_t *q, uint32_t c, const struct rule *r,
			    const char *where)
{
	uint32_t w, bad = 0;
	char s[96];

	for (w = 0; w < o.chunk / 8; w++) {
		if (word_ok(q[w], c, w, r))
			continue;
		if (bad++ >= SHOW_BAD)
			continue;
		if (r->zero_only)
			failf("%s chunk %u word %u: 0x%016" PRIx64 " (%s), expected zero",
			      where, c, w, q[w], word_kind(q[w], s, sizeof(s)));
		else if (r->exact)
			failf("%s chunk %u word %u: 0x%016" PRIx64 " (%s), expected write %u%s",
			      where, c, w, q[w], word_kind(q[w], s, sizeof(s)),
			      r->seq, r->zero_ok ? " or zero" : "");
		else
			failf("%s chunk %u word %u: 0x%016" PRIx64 " (%s), expected write %u (the last completed) or a later failed one%s%s",
			      where, c, w, q[w], word_kind(q[w], s, sizeof(s)),
			      t.last_ok[c], r->zero_ok ? ", or zero" : "",
			      r->forbid_from ? "; none posted after the change" : "");
	}
	if (bad > SHOW_BAD)
		failf("%s chunk %u: %u bad words in all", where, c, bad);
	return bad;
}

/* ------------------------------------------------------------------------
 * Buffers
 */

static void buf_open(struct buf *b, const char *what, size_t len, bool file)
{
	void *p;

	b->what = what;
	b->len = len;
	b->cpu_end = len;
	b->fd = -1;
	if (!file) {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			die("mmap %zu bytes: %s", len, strerror(errno));
	} else {
		snprintf(b->path, sizeof(b->path), "%s/%s-%s.%d", o.dir, PROG,
			 what, (int)getpid());
		b->fd = open(b->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (b->fd < 0)
			die("open %s: %s", b->path, strerror(errno));
		if (ftruncate(b->fd, len))
			die("ftruncate %s: %s", b->path, strerror(errno));
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, b->fd, 0);
		if (p == MAP_FAILED)
			die("mmap %s: %s", b->path, strerror(errno));
	}
	b->addr = b->cpu = p;
}

static void buf_close(struct buf *b)
{
	if (b->cpu && !(b->gone && b->cpu == b->addr))
		munmap(b->cpu, b->len);
	if (b->fd >= 0)
		close(b->fd);
	if (b->path[0])
		unlink(b->path);	/* may be gone already (unlink) */
	b->cpu = NULL;
	b->fd = -1;
}

/* A file the size of @len filled with canary words, its blocks allocated. */
static void canary_file(size_t len)
{
	struct buf *b = &t.canary;
	size_t i;
	ssize_t n;
	uint64_t *q;

	b->what = "canary";
	b->len = len;
	b->fd = -1;
	snprintf(b->path, sizeof(b->path), "%s/%s-canary.%d", o.dir, PROG,
		 (int)getpid());
	b->fd = open(b->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (b->fd < 0)
		die("open %s: %s", b->path, strerror(errno));
	if (fallocate(b->fd, 0, 0, len))
		die("fallocate %s: %s", b->path, strerror(errno));
	q = malloc(len);
	if (!q)
		die("out of memory");
	for (i = 0; i < len / 8; i++)
		q[i] = canary_word(i);
	n = pwrite(b->fd, q, len, 0);
	free(q);
	if (n != (ssize_t)len)
		die("pwrite %s: %s", b->path, n < 0 ? strerror(errno) : "short");
	if (fsync(b->fd))
		die("fsync %s: %s", b->path, strerror(errno));
}

/* Anonymous memory in the reserved room, populated, filled with canary. */
static void canary_anon(size_t len)
{
	struct buf *b = &t.canary;
	void *p;

	b->what = "canary";
	b->len = len;
	b->fd = -1;
	p = mmap(t.reserve, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED)
		die("mmap canary: %s", strerror(errno));
	t.reserve = NULL;
	b->addr = b->cpu = p;
	for (size_t i = 0; i < len / 8; i++)
		((uint64_t *)p)[i] = canary_word(i);
}

static void canary_check(void)
{
	struct buf *b = &t.canary;
	size_t i, bad = 0;
	uint64_t *q;
	char s[96];

	if (!b->len)
		return;
	if (o.inject == 1) {
		/* What a late write through a stale page would leave. */
		uint64_t v = pattern(t.first_after, 0, 0);

		if (b->fd >= 0 ? pwrite(b->fd, &v, 8, b->len / 2) != 8 :
		    !memcpy(b->cpu + b->len / 2, &v, 8))
			die("inject: %s", strerror(errno));
		info("inject: a late write's word in the middle of the canary");
	}
	if (b->fd >= 0) {
		q = malloc(b->len);
		if (!q)
			die("out of memory");
		if (pread(b->fd, q, b->len, 0) != (ssize_t)b->len)
			die("pread %s: %s", b->path, strerror(errno));
	} else {
		q = (uint64_t *)b->cpu;
	}
	for (i = 0; i < b->len / 8; i++) {
		if (q[i] == canary_word(i))
			continue;
		if (bad++ < SHOW_BAD)
			failf("canary %s word %zu changed: 0x%016" PRIx64 " (%s)",
			      b->fd >= 0 ? "file" : "mapping", i, q[i],
			      word_kind(q[i], s, sizeof(s)));
	}
	if (b->fd >= 0)
		free(q);
	if (bad)
		failf("canary: %zu of %zu words changed: the device wrote through a stale page",
		      bad, b->len / 8);
	else
		okf("canary %s (%zu bytes, made after the change) unchanged",
		    b->fd >= 0 ? "file" : "mapping", b->len);
}

/* ------------------------------------------------------------------------
 * Devices, QPs
 */

static bool gid_is_v4mapped(const union ibv_gid *g)
{
	static const uint8_t prefix[12] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(g->raw, prefix, sizeof(prefix));
}

static int choose_gid(struct end *e)
{
	struct ibv_gid_entry ge;
	int i;

	if (e->gid_index >= 0)
		return e->gid_index;
	for (i = 0; i < e->port.gid_tbl_len; i++) {
		if (ibv_query_gid_ex(e->ctx, 1, i, &ge, 0))
			continue;
		if (ge.gid_type == IBV_GID_TYPE_ROCE_V2 && gid_is_v4mapped(&ge.gid))
			return i;
	}
	die("%s: %s has no RoCEv2 IPv4 GID", e->role, e->dev);
}

static void end_open(struct end *e)
{
	struct ibv_device **list;
	uint32_t need;
	int i, n;

	list = ibv_get_device_list(&n);
	if (!list)
		die("ibv_get_device_list: %s", strerror(errno));
	for (i = 0; i < n; i++)
		if (!strcmp(ibv_get_device_name(list[i]), e->dev))
			break;
	if (i == n)
		die("%s: no RDMA device %s", e->role, e->dev);
	e->ctx = ibv_open_device(list[i]);
	ibv_free_device_list(list);
	if (!e->ctx)
		die("%s: ibv_open_device %s: %s", e->role, e->dev, strerror(errno));
	if (ibv_query_device_ex(e->ctx, NULL, &e->attr))
		die("%s: ibv_query_device_ex: %s", e->role, strerror(errno));
	if (ibv_query_port(e->ctx, 1, &e->port))
		die("%s: ibv_query_port: %s", e->role, strerror(errno));
	if (e->port.state != IBV_PORT_ACTIVE)
		die("%s: %s port 1 is not ACTIVE", e->role, e->dev);
	if (!(e->attr.odp_caps.general_caps & IBV_ODP_SUPPORT))
		unsupported("%s: %s has no ODP support", e->role, e->dev);
	need = e == &t.req ?
	       (o.op == OP_READ ? IBV_ODP_SUPPORT_READ : IBV_ODP_SUPPORT_SEND) :
	       (o.op == OP_WRITE ? IBV_ODP_SUPPORT_WRITE :
		o.op == OP_READ ? IBV_ODP_SUPPORT_READ : IBV_ODP_SUPPORT_RECV);
	if ((e->attr.odp_caps.per_transport_caps.rc_odp_caps & need) != need)
		unsupported("%s: %s RC ODP caps 0x%x lack 0x%x", e->role, e->dev,
			    e->attr.odp_caps.per_transport_caps.rc_odp_caps, need);
	e->gid_index = choose_gid(e);
	if (ibv_query_gid(e->ctx, 1, e->gid_index, &e->gid))
		die("%s: ibv_query_gid %d: %s", e->role, e->gid_index,
		    strerror(errno));
	e->pd = ibv_alloc_pd(e->ctx);
	if (!e->pd)
		die("%s: ibv_alloc_pd: %s", e->role, strerror(errno));
	e->cq = ibv_create_cq(e->ctx, 4 * o.depth + 16, NULL, NULL, 0);
	if (!e->cq)
		die("%s: ibv_create_cq: %s", e->role, strerror(errno));
}

static void end_qp(struct end *e)
{
	struct ibv_qp_init_attr ia = {
		.send_cq = e->cq,
		.recv_cq = e->cq,
		.qp_type = IBV_QPT_RC,
		.sq_sig_all = 1,
		.cap = {
			.max_send_wr = o.depth,
			.max_recv_wr = 4 * o.depth,
			.max_send_sge = 1,
			.max_recv_sge = 1,
		},
	};
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT,
		.port_num = 1,
		.qp_access_flags = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ,
	};

	e->qp = ibv_create_qp(e->pd, &ia);
	if (!e->qp)
		die("%s: ibv_create_qp: %s", e->role, strerror(errno));
	if (ibv_modify_qp(e->qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
			  IBV_QP_PORT | IBV_QP_ACCESS_FLAGS))
		die("%s: modify QP to INIT: %s", e->role, strerror(errno));
	e->psn = (uint32_t)random() & 0xffffff;
}

static void end_connect(struct end *e, const struct end *peer)
{
	enum ibv_mtu mtu = e->port.active_mtu < peer->port.active_mtu ?
			   e->port.active_mtu : peer->port.active_mtu;
	struct ibv_qp_attr a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTR;
	a.path_mtu = mtu;
	a.dest_qp_num = peer->qp->qp_num;
	a.rq_psn = peer->psn;
	a.max_dest_rd_atomic = e->attr.orig_attr.max_qp_rd_atom;
	a.min_rnr_timer = 1;
	a.ah_attr.is_global = 1;
	a.ah_attr.grh.dgid = peer->gid;
	a.ah_attr.grh.sgid_index = e->gid_index;
	a.ah_attr.grh.hop_limit = 64;
	a.ah_attr.port_num = 1;
	ret = ibv_modify_qp(e->qp, &a, IBV_QP_STATE | IBV_QP_AV |
			    IBV_QP_PATH_MTU | IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
			    IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER);
	if (ret)
		die("%s: modify QP to RTR: %s", e->role, strerror(ret));
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	a.sq_psn = e->psn;
	a.timeout = 14;
	a.retry_cnt = 7;
	a.rnr_retry = 7;
	a.max_rd_atomic = e->attr.orig_attr.max_qp_init_rd_atom;
	ret = ibv_modify_qp(e->qp, &a, IBV_QP_STATE | IBV_QP_SQ_PSN |
			    IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT |
			    IBV_QP_RNR_RETRY | IBV_QP_MAX_QP_RD_ATOMIC);
	if (ret)
		die("%s: modify QP to RTS: %s", e->role, strerror(ret));
	dbg("%s: QP 0x%x (PSN 0x%06x) connected to QP 0x%x (PSN 0x%06x), MTU %d",
	    e->role, e->qp->qp_num, e->psn, peer->qp->qp_num, peer->psn,
	    128 << mtu);
}

static void end_reg(struct end *e, struct buf *b)
{
	e->mr = ibv_reg_mr(e->pd, b->addr, b->len, IBV_ACCESS_LOCAL_WRITE |
			   IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ |
			   IBV_ACCESS_ON_DEMAND);
	if (!e->mr) {
		if (errno == EOPNOTSUPP)
			unsupported("%s: ODP ibv_reg_mr of the %s %s: %s", e->role,
				    b->what, b->fd >= 0 ? "file mapping" : "memory",
				    strerror(errno));
		die("%s: ODP ibv_reg_mr of %zu bytes: %s", e->role, b->len,
		    strerror(errno));
	}
}

static void end_close(struct end *e)
{
	if (e->qp && ibv_destroy_qp(e->qp))
		failf("%s: ibv_destroy_qp: %s", e->role, strerror(errno));
	if (e->mr && ibv_dereg_mr(e->mr))
		failf("%s: ibv_dereg_mr: %s", e->role, strerror(errno));
	if (e->cq)
		ibv_destroy_cq(e->cq);
	if (e->pd)
		ibv_dealloc_pd(e->pd);
	if (e->ctx)
		ibv_close_device(e->ctx);
}

static void qp_to_err(struct end *e)
{
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_ERR };

	if (ibv_modify_qp(e->qp, &a, IBV_QP_STATE))
		failf("%s: modify QP to ERR: %s", e->role, strerror(errno));
}

/* ------------------------------------------------------------------------
 * What is expected
 */

static bool changed(void)
{
	return __atomic_load_n(&t.changed, __ATOMIC_ACQUIRE);
}

static bool changing(void)
{
	return __atomic_load_n(&t.changing, __ATOMIC_ACQUIRE);
}

static bool chunk_in_hole(uint32_t c)
{
	size_t off = (size_t)c * o.chunk;

	return t.hole_len && off < t.hole_off + t.hole_len &&
	       off + o.chunk > t.hole_off;
}

/*
 * Does the change take away the access the changed buffer needs, for
 * chunk @c (the responder's chunk, or for --local any)?
 */
static bool access_lost(uint32_t c)
{
	bool needs_write = o.local ? o.op == OP_READ : o.op != OP_READ;

	switch (o.kind) {
	case K_MUNMAP:
	case K_MREMAP:
		return true;
	case K_TRUNCATE:
		return (size_t)c * o.chunk >= t.cut;
	case K_MPROTECT:
		return needs_write;
	default:
		return false;
	}
}

static bool any_access_lost(void)
{
	uint32_t c;

	for (c = 0; c < o.nchunk; c++)
		if (access_lost(c))
			return true;
	return false;
}

/* Is the requester's first error completion one of those expected? */
static bool req_status_expected(enum ibv_wc_status s)
{
	if (o.local)
		return s == IBV_WC_LOC_PROT_ERR || s == IBV_WC_LOC_ACCESS_ERR;
	if (o.op == OP_SEND)
		return s == IBV_WC_REM_OP_ERR || s == IBV_WC_REM_ACCESS_ERR;
	return s == IBV_WC_REM_ACCESS_ERR;
}

/* ------------------------------------------------------------------------
 * The change
 */

static void child_main(int fd);

static void do_change(void)
{
	struct buf *b = t.chg;
	int pfd[2];

	switch (o.kind) {
	case K_MUNMAP:
		if (munmap(b->addr, b->len))
			die("munmap: %s", strerror(errno));
		b->gone = true;
		canary_anon(b->len);
		break;
	case K_TRUNCATE:
		t.cut = b->len / 2;
		if (ftruncate(b->fd, t.cut))
			die("ftruncate to %zu: %s", t.cut, strerror(errno));
		b->cpu_end = t.cut;
		canary_file(b->len - t.cut);
		break;
	case K_PUNCH:
		t.hole_off = b->len / 4;
		t.hole_len = b->len / 2;
		if (fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      t.hole_off, t.hole_len))
			die("fallocate punch hole: %s", strerror(errno));
		canary_file(t.hole_len);
		break;
	case K_MREMAP:
		b->cpu = mremap(b->addr, b->len, b->len,
				MREMAP_MAYMOVE | MREMAP_FIXED, t.reserve);
		if (b->cpu == MAP_FAILED)
			die("mremap: %s", strerror(errno));
		t.reserve = NULL;
		if (o.local)
			b->gone = true;
		break;
	case K_MPROTECT:
		if (mprotect(b->addr, b->len, PROT_READ))
			die("mprotect PROT_READ: %s", strerror(errno));
		break;
	case K_FORK:
		if (pipe(pfd))
			die("pipe: %s", strerror(errno));
		t.seq_at_fork = t.next_seq;
		fflush(NULL);
		t.child = fork();
		if (t.child < 0)
			die("fork: %s", strerror(errno));
		if (!t.child) {
			close(pfd[1]);
			child_main(pfd[0]);
		}
		close(pfd[0]);
		t.child_fd = pfd[1];
		break;
	case K_UNLINK:
		if (unlink(b->path))
			die("unlink %s: %s", b->path, strerror(errno));
		canary_file(b->len);
		break;
	default:
		break;
	}
}

/*
 * The forked child: its copy of the buffer must keep what was there at
 * the fork.  It holds no work request written after the fork, and it does
 * not change while the parent's traffic goes on.  Touches no verbs.
 */
static void __attribute__((noreturn)) child_main(int fd)
{
	const struct buf *b = t.chg;
	uint32_t c, w, bad = 0;
	uint64_t *copy, *q = (uint64_t *)b->cpu;
	char s[96], x;

	copy = malloc(b->len);
	if (!copy)
		_exit(EXIT_FAIL);
	memcpy(copy, q, b->len);
	if (b == &t.rbuf && o.op != OP_READ) {
		for (c = 0; c < o.nchunk; c++)
			for (w = 0; w < o.chunk / 8; w++) {
				uint64_t v = copy[c * (o.chunk / 8) + w];
				struct rule r = { .forbid_from = t.seq_at_fork };

				if (word_ok(v, c, w, &r))
					continue;
				if (bad++ < SHOW_BAD)
					printf("%s: FAIL: child: chunk %u word %u: 0x%016" PRIx64 " (%s), not of a write posted before the fork (< %u)\n",
					       PROG, c, w, v,
					       word_kind(v, s, sizeof(s)),
					       t.seq_at_fork);
			}
	}
	/* The parent's traffic runs until it writes (or exits). */
	while (read(fd, &x, 1) < 0 && errno == EINTR)
		;
	for (size_t i = 0; i < b->len / 8; i++) {
		if (q[i] == copy[i])
			continue;
		if (bad++ < SHOW_BAD)
			printf("%s: FAIL: child: word %zu of its copy changed after the fork: 0x%016" PRIx64 " -> 0x%016" PRIx64 " (%s)\n",
			       PROG, i, copy[i], q[i],
			       word_kind(q[i], s, sizeof(s)));
	}
	if (!bad)
		printf("%s: ok: child: its copy of the %s (%zu bytes) kept the contents of the fork\n",
		       PROG, b->what, b->len);
	fflush(stdout);
	_exit(bad ? EXIT_FAIL : EXIT_PASS);
}

static void child_join(void)
{
	uint64_t deadline = now_ms() + 1000ull * o.timeout_s;
	int status;
	pid_t p;

	if (t.child < 0)
		return;
	if (write(t.child_fd, "x", 1) != 1)
		failf("write to the child: %s", strerror(errno));
	close(t.child_fd);
	for (;;) {
		p = waitpid(t.child, &status, WNOHANG);
		if (p == t.child)
			break;
		if (p < 0)
			die("waitpid: %s", strerror(errno));
		if (now_ms() > deadline) {
			kill(t.child, SIGKILL);
			waitpid(t.child, &status, 0);
			failf("the child did not finish within %d s", o.timeout_s);
			return;
		}
		usleep(1000);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		okf("fork: the child's copy kept the pre-fork contents");
	else
		failf("fork: the child %s %d", WIFEXITED(status) ? "exited" :
		      "was killed by signal", WIFEXITED(status) ?
		      WEXITSTATUS(status) : WTERMSIG(status));
}

/* ------------------------------------------------------------------------
 * Traffic
 */

static uint8_t *slot(uint32_t seq)
{
	return t.lbuf.addr + (size_t)((seq - 1) % o.depth) * o.chunk;
}

static uint32_t seq_chunk(uint32_t seq)
{
	return (seq - 1) % o.nchunk;
}

/* May the CPU read chunk @c of the responder's buffer now? */
static bool rchunk_visible(uint32_t c)
{
	return !t.rbuf.gone && (size_t)(c + 1) * o.chunk <= t.rbuf.cpu_end;
}

/* May the CPU write the requester's slots now? */
static bool slots_writable(void)
{
	return !t.lbuf.gone;
}

static void post_one(void)
{
	uint32_t seq = t.next_seq, c = seq_chunk(seq);
	struct ibv_sge sge = {
		.addr = (uintptr_t)slot(seq),
		.length = o.chunk,
		.lkey = t.req.mr->lkey,
	};
	struct ibv_send_wr wr = {
		.wr_id = seq,
		.sg_list = &sge,
		.num_sge = 1,
		.send_flags = IBV_SEND_SIGNALED,
	}, *bad;
	int ret;

	if (o.op == OP_SEND) {
		struct ibv_sge rsge = {
			.addr = (uintptr_t)(t.rbuf.addr + (size_t)c * o.chunk),
			.length = o.chunk,
			.lkey = t.resp.mr->lkey,
		};
		struct ibv_recv_wr rwr = {
			.wr_id = seq,
			.sg_list = &rsge,
			.num_sge = 1,
		}, *rbad;

		ret = ibv_post_recv(t.resp.qp, &rwr, &rbad);
		if (ret)
			die("ibv_post_recv %u: %s", seq, strerror(ret));
		t.rposted++;
	}
	pthread_mutex_lock(&t.lock);
	if (slots_writable()) {
		if (o.op == OP_READ)
			fill_words(slot(seq), o.chunk, POISON);
		else
			fill_chunk(slot(seq), seq, c);
	}
	/* Counted before it is posted: the change thread sees it. */
	__atomic_store_n(&t.next_seq, seq + 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&t.lock);
	switch (o.op) {
	case OP_WRITE:
		wr.opcode = IBV_WR_RDMA_WRITE;
		break;
	case OP_READ:
		wr.opcode = IBV_WR_RDMA_READ;
		break;
	default:
		wr.opcode = IBV_WR_SEND;
		break;
	}
	if (o.op != OP_SEND) {
		wr.wr.rdma.remote_addr = (uintptr_t)(t.rbuf.addr + (size_t)c * o.chunk);
		wr.wr.rdma.rkey = t.resp.mr->rkey;
	}
	ret = ibv_post_send(t.req.qp, &wr, &bad);
	if (ret)
		die("ibv_post_send %u: %s", seq, strerror(ret));
}

/* A successful requester completion: check the data it moved (the lock
 * held: the change does not happen meanwhile). */
static void check_success_locked(uint32_t seq)
{
	uint32_t c = seq_chunk(seq);
	struct rule r = { .exact = true, .seq = seq };
	char where[64];

	if (o.op == OP_READ) {
		/* The responder's chunk never changes: the initial pattern, or
		 * zero where a hole was punched. */
		if (t.lbuf.gone)
			return;
		r.seq = 0;
		if (chunk_in_hole(c)) {
			/* Posted after the punch: all zero; during it: either. */
			r.zero_ok = true;
			r.zero_only = t.first_after && seq >= t.first_after;
		}
		snprintf(where, sizeof(where), "READ %u into slot:", seq);
		check_chunk((const uint64_t *)slot(seq), c, &r, where);
		return;
	}
	if (!rchunk_visible(c))
		return;
	/* A chunk a hole was punched in while this one was in flight. */
	if (chunk_in_hole(c) && (!t.first_after || seq < t.first_after))
		return;
	snprintf(where, sizeof(where), "%s %u, responder's", op_names[o.op], seq);
	check_chunk((const uint64_t *)(t.rbuf.cpu + (size_t)c * o.chunk), c, &r,
		    where);
}

static void req_completion(const struct ibv_wc *wc)
{
	uint32_t seq = (uint32_t)wc->wr_id, c = seq_chunk(seq);

	if (!seq || seq >= t.next_seq || t.done[seq]) {
		failf("requester completion of work request %u (%s): %s", seq,
		      ibv_wc_status_str(wc->status),
		      !seq || seq >= t.next_seq ? "never posted" :
		      "its second completion");
		return;
	}
	t.done[seq] = 1;
	if (seq != t.oldest) {
		/* A send queue's completions come in the order posted. */
		if (t.disorder++ < SHOW_BAD)
			failf("requester completion of work request %u (%s) ahead of that of %u, posted earlier",
			      seq, ibv_wc_status_str(wc->status), t.oldest);
	}
	while (t.oldest < t.next_seq && t.done[t.oldest])
		t.oldest++;
	__atomic_store_n(&t.completed, t.completed + 1, __ATOMIC_RELEASE);
	if (wc->status == IBV_WC_SUCCESS) {
		if (t.err)
			failf("work request %u completed successfully after the error completion of %u",
			      seq, t.err_seq);
		__atomic_store_n(&t.ok, t.ok + 1, __ATOMIC_RELEASE);
		t.last_ok[c] = seq;
		if (t.first_after && seq >= t.first_after) {
			t.ok_after++;
			if (access_lost(c))
				failf("work request %u (chunk %u), posted after the %s, completed successfully: it reached memory that is gone",
				      seq, c, kind_names[o.kind]);
		}
		pthread_mutex_lock(&t.lock);
		check_success_locked(seq);
		pthread_mutex_unlock(&t.lock);
		return;
	}
	if (wc->status == IBV_WC_WR_FLUSH_ERR && t.err) {
		t.flushed++;
		return;
	}
	if (t.err) {
		info("work request %u: %s after the first error (%s of %u)", seq,
		     ibv_wc_status_str(wc->status),
		     ibv_wc_status_str(t.err_status), t.err_seq);
		return;
	}
	t.err = true;
	t.err_status = wc->status;
	t.err_seq = seq;
	info("work request %u (chunk %u, posted %s the %s): %s (vendor_err 0x%x)",
	     seq, c, t.first_after && seq >= t.first_after ? "after" : "before",
	     kind_names[o.kind], ibv_wc_status_str(wc->status), wc->vendor_err);
	if (!changing())
		failf("an error completion (%s) before any change",
		      ibv_wc_status_str(wc->status));
}

static void resp_completion(const struct ibv_wc *wc)
{
	t.rcompleted++;
	if (wc->status == IBV_WC_SUCCESS) {
		t.rok++;
		return;
	}
	if (wc->status == IBV_WC_WR_FLUSH_ERR || t.rerr)
		return;
	t.rerr = true;
	t.rerr_status = wc->status;
	info("responder: receive %u: %s (vendor_err 0x%x)", (uint32_t)wc->wr_id,
	     ibv_wc_status_str(wc->status), wc->vendor_err);
	if (!changing())
		failf("responder: an error completion (%s) before any change",
		      ibv_wc_status_str(wc->status));
}

/* Poll both CQs; returns the completions seen. */
static int poll_all(void)
{
	struct ibv_wc wc[16];
	int n, i, got = 0;

	n = ibv_poll_cq(t.req.cq, 16, wc);
	if (n < 0)
		die("requester: ibv_poll_cq: %d", n);
	for (i = 0; i < n; i++)
		req_completion(&wc[i]);
	got += n;
	n = ibv_poll_cq(t.resp.cq, 16, wc);
	if (n < 0)
		die("responder: ibv_poll_cq: %d", n);
	for (i = 0; i < n; i++)
		resp_completion(&wc[i]);
	return got + n;
}

/*
 * The change thread: once the "before" successes are in, a random moment
 * (up to --delay) into the traffic that goes on, the change, under the
 * lock that keeps the main thread's CPU accesses to the buffers out.
 */
static void *change_thread(void *arg)
{
	(void)arg;
	while (__atomic_load_n(&t.ok, __ATOMIC_ACQUIRE) < o.before)
		if (__atomic_load_n(&t.stop, __ATOMIC_ACQUIRE))
			return NULL;
		else
			usleep(50);
	usleep(t.delay);
	pthread_mutex_lock(&t.lock);
	t.seq_at_change = __atomic_load_n(&t.next_seq, __ATOMIC_ACQUIRE);
	t.done_at_change = __atomic_load_n(&t.completed, __ATOMIC_ACQUIRE);
	__atomic_store_n(&t.changing, true, __ATOMIC_RELEASE);
	do_change();
	__atomic_store_n(&t.changed, true, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&t.lock);
	return NULL;
}

/*
 * Post and poll, keeping the send queue full, while the change thread
 * changes the mapping; post --after more once the change is seen done
 * (fewer after an error), and wait for the completion of everything
 * posted.
 */
static void traffic(void)
{
	uint64_t last = now_ms(), waiting = 0;
	pthread_t thread;
	int ret;

	t.next_seq = 1;
	t.delay = o.delay_us ? (uint32_t)random() % (o.delay_us + 1) : 0;
	ret = pthread_create(&thread, NULL, change_thread, NULL);
	if (ret)
		die("pthread_create: %s", strerror(ret));
	for (;;) {
		uint32_t outstanding = t.next_seq - 1 - t.completed;

		if (!t.first_after && changed()) {
			t.first_after = t.next_seq;
			info("%s of the %s %u us after %u successes, at work request %u with %u completed; first posted after it: %u",
			     kind_names[o.kind], t.chg->what, t.delay, o.before,
			     t.seq_at_change, t.done_at_change, t.first_after);
		}
		while (!t.err && outstanding < o.depth &&
		       (!t.first_after || t.next_seq - t.first_after < o.after) &&
		       t.next_seq < MAX_SEQ) {
			post_one();
			outstanding++;
		}
		if (!outstanding && (t.err || t.first_after))
			break;
		if (!t.first_after && t.ok >= o.before && !waiting)
			waiting = now_ms();
		if (waiting && !t.first_after &&
		    now_ms() - waiting > 1000ull * o.timeout_s) {
			failf("the %s did not happen within %d s", kind_names[o.kind],
			      o.timeout_s);
			break;
		}
		if (poll_all()) {
			last = now_ms();
			continue;
		}
		if (now_ms() - last > 1000ull * o.timeout_s) {
			failf("no completion for %d s with %u work requests outstanding (%u completed, %u posted): hang",
			      o.timeout_s, outstanding, t.completed, t.next_seq - 1);
			break;
		}
		usleep(100);
	}
	__atomic_store_n(&t.stop, true, __ATOMIC_RELEASE);
	ret = pthread_join(thread, NULL);
	if (ret)
		die("pthread_join: %s", strerror(ret));
}

/* Both QPs to the error state; every receive posted must complete. */
static void drain(void)
{
	uint64_t deadline = now_ms() + 1000ull * o.timeout_s;

	qp_to_err(&t.req);
	qp_to_err(&t.resp);
	while (t.rcompleted < t.rposted || t.completed < t.next_seq - 1) {
		if (poll_all())
			continue;
		if (now_ms() > deadline) {
			failf("drain: %u of %u receives, %u of %u sends completed after %d s in the error state",
			      t.rcompleted, t.rposted, t.completed, t.next_seq - 1,
			      o.timeout_s);
			return;
		}
		usleep(100);
	}
	okf("drained: %u work requests completed (%u successfully, %u flushed), %u receives (%u successfully)",
	    t.completed, t.ok, t.flushed, t.rcompleted, t.rok);
}

/* ------------------------------------------------------------------------
 * The verdict
 */

static void check_outcome(void)
{
	bool lost = any_access_lost();

	if (!changed()) {
		failf("the change never happened (%u successful completions of %u wanted)",
		      t.ok, o.before);
		return;
	}
	if (lost) {
		if (!t.err) {
			failf("no error completion: %u work requests posted after the %s all completed successfully",
			      t.next_seq - t.first_after, kind_names[o.kind]);
		} else if (!req_status_expected(t.err_status)) {
			failf("requester's error completion is %s, expected %s",
			      ibv_wc_status_str(t.err_status),
			      o.local ? "a local protection or access error" :
			      o.op == OP_SEND ? "a remote operational or access error" :
			      "IBV_WC_REM_ACCESS_ERR");
		} else {
			okf("after the %s: requester's work request %u completed with %s, the rest flushed",
			    kind_names[o.kind], t.err_seq, ibv_wc_status_str(t.err_status));
		}
		if (!o.local && o.op == OP_SEND) {
			if (!t.rerr)
				failf("responder: no receive completed with an error");
			else if (t.rerr_status != IBV_WC_LOC_PROT_ERR &&
				 t.rerr_status != IBV_WC_LOC_ACCESS_ERR)
				failf("responder: receive completed with %s, expected a local protection or access error",
				      ibv_wc_status_str(t.rerr_status));
			else
				okf("responder: the receive into the lost buffer completed with %s",
				    ibv_wc_status_str(t.rerr_status));
		}
	} else {
		if (t.err)
			failf("error completion %s (work request %u) though the %s keeps the memory reachable",
			      ibv_wc_status_str(t.err_status), t.err_seq,
			      kind_names[o.kind]);
		else if (t.ok_after < o.after)
			failf("only %u of %u work requests after the %s succeeded",
			      t.ok_after, o.after, kind_names[o.kind]);
		else
			okf("traffic went on: %u work requests after the %s, all successful",
			    t.ok_after, kind_names[o.kind]);
	}
}

/* The responder's buffer at the end, where it can still be read. */
static void check_memory(void)
{
	uint32_t c, bad = 0, checked = 0;
	uint64_t *q = NULL;
	size_t readable = t.rbuf.len;

	if (o.op == OP_READ)
		return;		/* checked in the requester's slots */
	if (t.rbuf.gone && t.rbuf.cpu == t.rbuf.addr) {
		okf("the %s is gone: nothing to read back (the canary says the rest)",
		    t.rbuf.what);
		return;
	}
	if (o.kind == K_TRUNCATE && !o.local) {
		/* What is left of the file, read with pread. */
		readable = t.cut;
		q = malloc(readable);
		if (!q)
			die("out of memory");
		if (pread(t.rbuf.fd, q, readable, 0) != (ssize_t)readable)
			die("pread %s: %s", t.rbuf.path, strerror(errno));
	}
	for (c = 0; c < o.nchunk; c++) {
		struct rule r = { 0 };
		const uint64_t *p;

		if ((size_t)(c + 1) * o.chunk > readable)
			break;
		p = (const uint64_t *)((q ? (uint8_t *)q : t.rbuf.cpu) +
				       (size_t)c * o.chunk);
		if (o.inject == 2 && c == o.nchunk / 2 - 1) {
			/* A word of the last work request posted (it was
			 * never to reach this chunk), in a copy. */
			uint64_t *x = malloc(o.chunk);

			if (!x)
				die("out of memory");
			memcpy(x, p, o.chunk);
			uint32_t stale = t.last_ok[c] > o.nchunk ?
					 t.last_ok[c] - o.nchunk : t.next_seq;

			x[o.chunk / 16] = pattern(stale, c, o.chunk / 16);
			info("inject: chunk %u word %u holds a word of write %u",
			     c, o.chunk / 16, stale);
			bad += check_chunk(x, c, &r, "end:") != 0;
			free(x);
			checked++;
			continue;
		}
		if (access_lost(c) || (o.local && t.lbuf.gone))
			r.forbid_from = t.first_after;
		if (chunk_in_hole(c) && t.last_ok[c] < t.first_after)
			r.zero_ok = true;
		bad += check_chunk(p, c, &r, "end:") != 0;
		checked++;
	}
	free(q);
	if (!bad)
		okf("%u chunks of the %s%s hold the last write completed to them%s%s",
		    checked, t.rbuf.what,
		    o.kind == K_MREMAP && !o.local ? " (moved)" :
		    o.kind == K_TRUNCATE && !o.local ? " (before the cut, pread)" : "",
		    t.hole_len ? " or zero in the hole" : "",
		    any_access_lost() ? ", nothing written after the change" : "");
}

/* ------------------------------------------------------------------------
 * Command line
 */

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr,
"usage: %s -d REQ_DEV -D RESP_DEV -c KIND [options]\n"
"\n"
"Streams RDMA operations from REQ_DEV's QP at an on-demand-paging region\n"
"on RESP_DEV while the process changes the region's mapping; checks that\n"
"no stale page is ever read or written and that lost memory fails cleanly.\n"
"\n"
"  -d DEV            the requester's device\n"
"  -D DEV            the responder's device\n"
"  -g N, -G N        GID index on -d, -D (default: the first RoCEv2 IPv4 GID)\n"
"  -c, --change KIND munmap, truncate, punch, mremap, mprotect, fork, unlink\n"
"  -o, --op OP       write (default), read, send\n"
"  -l, --local       change the requester's buffer (WRITE/SEND source, READ\n"
"                    target) instead of the responder's; KIND munmap or mremap\n"
"  -f, --file        the changed buffer is a mapping of a file in --dir\n"
"                    (always for truncate, punch, unlink; not for fork)\n"
"      --dir DIR     where the files go (default /mnt/pmem)\n"
"  -s BYTES          message and chunk size, a multiple of 4096 up to 32768\n"
"                    (default 16384)\n"
"  -n N              chunks in the responder's buffer (default 16)\n"
"  -q N              work requests in flight, fewer than -n (default 8)\n"
"  -b N              successful completions before the change (default 2n)\n"
"  -a N              work requests posted after the change (default 3n)\n"
"  -t SECS           longest wait for a completion (default 10)\n"
"  -w US             the change comes at a random moment up to US\n"
"                    microseconds after the -b successes, traffic going on\n"
"                    (default 1000)\n"
"      --inject WHAT tests the tester: canary (a late write's word in the\n"
"                    canary) or data (one in the responder's buffer, as\n"
"                    read at the end): the run must fail\n"
"  -v                verbose\n"
"\n"
"Exit status: 0 passed, 1 failed, 2 usage, 77 ODP not supported.\n", PROG);
	exit(EXIT_USAGE);
}

static int pick(const char *s, const char *const *names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return i;
	fprintf(stderr, "%s: unknown name '%s'\n", PROG, s);
	usage();
}

static uint32_t number(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || end == s || v > UINT32_MAX) {
		fprintf(stderr, "%s: bad number '%s'\n", PROG, s);
		usage();
	}
	return (uint32_t)v;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "change", required_argument, NULL, 'c' },
		{ "op", required_argument, NULL, 'o' },
		{ "local", no_argument, NULL, 'l' },
		{ "file", no_argument, NULL, 'f' },
		{ "dir", required_argument, NULL, 'R' },
		{ "inject", required_argument, NULL, 'I' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool before_given = false, after_given = false, file;
	int ch;

	t.req.role = "requester";
	t.resp.role = "responder";
	t.req.gid_index = t.resp.gid_index = -1;
	while ((ch = getopt_long(argc, argv, "d:D:g:G:c:o:lfs:n:q:b:a:t:w:vh",
				 lopts, NULL)) != -1) {
		switch (ch) {
		case 'd': t.req.dev = optarg; break;
		case 'D': t.resp.dev = optarg; break;
		case 'g': t.req.gid_index = (int)number(optarg); break;
		case 'G': t.resp.gid_index = (int)number(optarg); break;
		case 'c': o.kind = pick(optarg, kind_names, K_COUNT); break;
		case 'o': o.op = pick(optarg, op_names, OP_COUNT); break;
		case 'l': o.local = true; break;
		case 'f': o.file = true; break;
		case 'R': o.dir = optarg; break;
		case 'I': o.inject = 1 + pick(optarg, inject_names, 2); break;
		case 's': o.chunk = number(optarg); break;
		case 'n': o.nchunk = number(optarg); break;
		case 'q': o.depth = number(optarg); break;
		case 'b': o.before = number(optarg); before_given = true; break;
		case 'a': o.after = number(optarg); after_given = true; break;
		case 't': o.timeout_s = (int)number(optarg); break;
		case 'w': o.delay_us = number(optarg); break;
		case 'v': o.verbose = true; break;
		default: usage();
		}
	}
	if (optind != argc || !t.req.dev || !t.resp.dev || o.kind == K_COUNT)
		usage();
	if (!o.chunk || o.chunk % 4096 || o.chunk > MAX_CHUNK ||
	    o.nchunk < 4 || o.nchunk > MAX_NCHUNK || o.nchunk % 4 ||
	    !o.depth || o.depth >= o.nchunk || !o.timeout_s) {
		fprintf(stderr, "%s: -s, -n (a multiple of 4) or -q out of range\n",
			PROG);
		usage();
	}
	if (o.local && o.kind != K_MUNMAP && o.kind != K_MREMAP) {
		fprintf(stderr, "%s: --local goes with munmap or mremap\n",
			PROG);
		usage();
	}
	if (o.kind == K_FORK && o.file) {
		fprintf(stderr, "%s: fork needs private anonymous memory\n", PROG);
		usage();
	}
	if (!before_given)
		o.before = 2 * o.nchunk;
	if (!after_given)
		o.after = 3 * o.nchunk;
	/* Every chunk written after the change, where traffic goes on. */
	if (o.after < o.nchunk + o.depth)
		o.after = o.nchunk + o.depth;
	setvbuf(stdout, NULL, _IOLBF, 0);
	pthread_mutex_init(&t.lock, NULL);
	srandom((unsigned int)getpid() ^ (unsigned int)time(NULL));

	t.last_ok = calloc(o.nchunk, sizeof(*t.last_ok));
	t.done = calloc(MAX_SEQ + 1, 1);
	if (!t.last_ok || !t.done)
		die("out of memory");
	t.oldest = 1;
	file = o.file || o.kind == K_TRUNCATE || o.kind == K_PUNCH ||
	       o.kind == K_UNLINK;
	t.chg = o.local ? &t.lbuf : &t.rbuf;

	end_open(&t.req);
	end_open(&t.resp);
	end_qp(&t.req);
	end_qp(&t.resp);
	end_connect(&t.req, &t.resp);
	end_connect(&t.resp, &t.req);

	buf_open(&t.rbuf, "responder's buffer", (size_t)o.nchunk * o.chunk,
		 file && !o.local);
	buf_open(&t.lbuf, "requester's buffer", (size_t)o.depth * o.chunk,
		 file && o.local);
	for (uint32_t c = 0; c < o.nchunk; c++)
		fill_chunk(t.rbuf.cpu + (size_t)c * o.chunk, 0, c);
	fill_words(t.lbuf.cpu, t.lbuf.len, POISON);
	end_reg(&t.req, &t.lbuf);
	end_reg(&t.resp, &t.rbuf);
	if (o.kind == K_MUNMAP || o.kind == K_MREMAP) {
		/* Room away from the buffer: the canary or the move lands there. */
		t.reserve = mmap(NULL, t.chg->len, PROT_NONE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (t.reserve == MAP_FAILED)
			die("mmap reserve: %s", strerror(errno));
	}
	info("%s (GID %d, QP 0x%x) -> %s (GID %d, QP 0x%x): %s, %s of the %s (%s); %u chunks of %u bytes, %u in flight",
	     t.req.dev, t.req.gid_index, t.req.qp->qp_num, t.resp.dev,
	     t.resp.gid_index, t.resp.qp->qp_num, op_names[o.op],
	     kind_names[o.kind], t.chg->what,
	     t.chg->fd >= 0 ? t.chg->path : "anonymous", o.nchunk, o.chunk,
	     o.depth);

	traffic();
	drain();
	child_join();
	check_outcome();
	check_memory();
	canary_check();

	end_close(&t.req);
	end_close(&t.resp);
	buf_close(&t.rbuf);
	buf_close(&t.lbuf);
	buf_close(&t.canary);
	if (t.failures) {
		printf("%s: %d check(s) failed\n", PROG, t.failures);
		return EXIT_FAIL;
	}
	printf("%s: PASS: %s %s%s\n", PROG, op_names[o.op], kind_names[o.kind],
	       o.local ? " (requester's buffer)" : "");
	return EXIT_PASS;
}
