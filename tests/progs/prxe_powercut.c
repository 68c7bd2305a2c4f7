// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe_powercut: the writer and the checker of the power-cut test
 * (tests/testbed/powercut.sh, tests/guest/powercut).
 *
 * Usage:
 *   prxe_powercut replica -d DEV [-p PORT] LOG
 *   prxe_powercut primary -d DEV [-p PORT] -n NAME -r RUN_ID
 *                 [--report-fd FD] [--stride BYTES] [--record BYTES] HOST
 *   prxe_powercut check -r RUN_ID -a ACKED [--expect-loss] LOG
 *
 *   LOG   --file PATH [--size BYTES] [--map-sync]: a new sparse file
 *         (ftruncate) mapped MAP_SHARED (--map-sync: MAP_SHARED_VALIDATE |
 *         MAP_SYNC), registered On-Demand Paging;
 *         --dax PATH [--size BYTES] [--pinned]: a device-dax device
 *         mapped shared, registered ODP or (--pinned) pinned.
 *         Regions take IBV_ACCESS_FLUSH_GLOBAL | FLUSH_PERSISTENT.
 *
 * The replica makes the log, registers it, listens on TCP PORT for the
 * primary and serves it until the connection ends (the power cut ends it
 * in the test).  The primary appends records to it, each at a new offset
 * of the log (one record per STRIDE bytes: in a sparse file every record
 * past the last allocation makes a page fault allocate new blocks):
 *
 *   1. RDMA WRITE of the record (magic, run id, seq, length, checksum,
 *      payload derived from run id and seq), then FLUSH(persistent) of its
 *      range; wait for the FLUSH's completion;
 *   2. ATOMIC WRITE of the commit word (the header's, the record's seq),
 *      then FLUSH(persistent) of its 8 bytes; wait for its completion;
 *   3. report "PRXE-PC ACK NAME SEQ" on FD (the guest's results port):
 *      from then on the record must survive a power cut.
 *
 * Before the first record, the log's header (magic, run id, geometry,
 * commit word 0) is written and flushed the same way.  The primary writes
 * records until the log is full or an operation fails (then "PRXE-PC
 * FAIL NAME ..." on FD and exit 1); a full log is reported ("PRXE-PC
 * FULL NAME SEQ") and the primary waits to be killed.
 *
 * check (the next boot, on the same NVDIMM): every record 1..ACKED of run
 * RUN_ID must be intact and the commit word at least ACKED.  Prints the
 * counts: acknowledged, recovered (valid records from seq 1 on, up to the
 * first that is not), lost (acknowledged and not intact).  --expect-loss
 * (the fault-injection cycle, whose FLUSHes skip the file sync) turns the
 * verdict around: the check passes only if acknowledged records were lost.
 * Output and exit status: the test library's convention (check.h).
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <infiniband/verbs.h>

#include "check.h"
#include "dev.h"
#include "qp.h"
#include "wc.h"

#define PROG		"prxe_powercut"
#define DEFAULT_PORT	18600
#define DEFAULT_SIZE	(128ull << 20)
#define DEFAULT_STRIDE	4096u
#define DEFAULT_RECORD	256u
#define HEADER_BYTES	4096u		/* header block; records follow */
#define COMMIT_OFF	64u		/* the commit word, in the header */
#define WC_MS		30000u		/* a FLUSH may wait for a journal commit */
#define CONNECT_MS	60000u

#define HDR_MAGIC	0x3148435045585250ull	/* "PRXEPCH1" */
#define REC_MAGIC	0x3152435045585250ull	/* "PRXEPCR1" */

struct pc_header {
	uint64_t magic;
	uint64_t run_id;
	uint32_t stride;
	uint32_t rec_len;
	uint64_t capacity;	/* records the log holds */
	uint64_t sum;		/* of the above, sum 0 */
};

struct pc_record {
	uint64_t magic;
	uint64_t run_id;
	uint64_t seq;
	uint32_t len;		/* the whole record's */
	uint32_t pad;
	uint64_t sum;		/* of the whole record, sum 0 */
	/* payload up to len */
};

/* What the replica tells the primary (big-endian on the wire). */
struct pc_info {
	uint32_t qpn;
	uint32_t psn;
	uint8_t gid[16];
	uint64_t addr;
	uint32_t rkey;
	uint32_t pad;
	uint64_t len;
};

struct opts {
	const char *dev;
	uint16_t port;
	const char *file;
	const char *dax;
	uint64_t size;
	bool map_sync;
	bool pinned;
	const char *name;
	uint64_t run_id;
	int report_fd;
	uint32_t stride;
	uint32_t record;
	uint64_t acked;
	bool expect_loss;
	const char *host;
};

/* FNV-1a, 64 bits. */
static uint64_t sum64(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ull;

	while (len--) {
		h ^= *b++;
		h *= 0x100000001b3ull;
	}
	return h;
}

static uint64_t header_sum(const struct pc_header *h)
{
	struct pc_header c = *h;

	c.sum = 0;
	return sum64(&c, sizeof(c));
}

/* The payload of record @seq of run @run_id: xorshift64 from both. */
static void payload_fill(uint8_t *p, size_t len, uint64_t run_id, uint64_t seq)
{
	uint64_t x = run_id ^ (seq * 0x9e3779b97f4a7c15ull) ^ 1;
	size_t i;

	for (i = 0; i < len; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(p + i, &x, len - i < 8 ? len - i : 8);
	}
}

static void record_fill(uint8_t *p, uint32_t len, uint64_t run_id, uint64_t seq)
{
	struct pc_record r = {
		.magic = REC_MAGIC, .run_id = run_id, .seq = seq, .len = len,
	};

	memcpy(p, &r, sizeof(r));
	payload_fill(p + sizeof(r), len - sizeof(r), run_id, seq);
	r.sum = sum64(p, len);
	memcpy(p, &r, sizeof(r));
}

/* Whether @p holds record @seq of run @run_id, intact. */
static bool record_ok(const uint8_t *p, uint32_t len, uint64_t run_id,
		      uint64_t seq, uint8_t *scratch)
{
	record_fill(scratch, len, run_id, seq);
	return !memcmp(p, scratch, len);
}

/* ------------------------------------------------------------------------
 * The log: a file or a device-dax device, mapped shared.
 */

struct log {
	uint8_t *addr;
	uint64_t len;
	int fd;
};

static void sync_dir_of(const char *path)
{
	char *copy = strdup(path);
	int fd;

	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
	if (fd < 0 || fsync(fd))
		die("fsync of the directory of %s: %s", path, strerror(errno));
	close(fd);
	free(copy);
}

/* The replica's log: a new file, or the device; mapped writable. */
static void log_make(struct log *l, const struct opts *o)
{
	int flags = MAP_SHARED;

	l->len = o->size;
	if (o->file) {
		unlink(o->file);
		l->fd = open(o->file, O_RDWR | O_CREAT | O_EXCL, 0644);
		if (l->fd < 0)
			die("creating %s: %s", o->file, strerror(errno));
		/* The file and its size are the application's to make
		 * durable; what RDMA writes into it is the FLUSH's. */
		if (ftruncate(l->fd, l->len) || fsync(l->fd))
			die("sizing %s: %s", o->file, strerror(errno));
		sync_dir_of(o->file);
		if (o->map_sync)
			flags = MAP_SHARED_VALIDATE | MAP_SYNC;
	} else {
		l->fd = open(o->dax, O_RDWR);
		if (l->fd < 0)
			die("opening %s: %s", o->dax, strerror(errno));
	}
	l->addr = mmap(NULL, l->len, PROT_READ | PROT_WRITE, flags, l->fd, 0);
	if (l->addr == MAP_FAILED)
		die("mmap of %s (%" PRIu64 " bytes%s): %s",
		    o->file ? o->file : o->dax, l->len,
		    o->map_sync ? ", MAP_SYNC" : "", strerror(errno));
}

/* The checker's: mapped read-only; -1 if it is not there. */
static int log_open(struct log *l, const struct opts *o)
{
	const char *path = o->file ? o->file : o->dax;
	struct stat st;

	l->fd = open(path, O_RDONLY);
	if (l->fd < 0)
		return -1;
	l->len = o->size;
	if (o->file) {
		if (fstat(l->fd, &st))
			die("fstat %s: %s", path, strerror(errno));
		l->len = st.st_size;
	}
	if (!l->len) {
		errno = 0;
		return -1;
	}
	l->addr = mmap(NULL, l->len, PROT_READ, MAP_SHARED, l->fd, 0);
	if (l->addr == MAP_FAILED)
		die("mmap of %s: %s", path, strerror(errno));
	return 0;
}

/* ------------------------------------------------------------------------
 * The TCP channel: the replica's region and QP, the primary's QP.
 */

static int tcp_listen_accept(uint16_t port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
				  .sin6_port = htons(port),
				  .sin6_addr = IN6ADDR_ANY_INIT };
	int one = 1, zero = 0, lfd, fd;
	struct pollfd pfd;

	lfd = socket(AF_INET6, SOCK_STREAM, 0);
	if (lfd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 1))
		die("listening on TCP port %u: %s", port, strerror(errno));
	pfd = (struct pollfd){ .fd = lfd, .events = POLLIN };
	if (poll(&pfd, 1, CONNECT_MS) != 1)
		die("no primary within %u s", CONNECT_MS / 1000);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		die("accept: %s", strerror(errno));
	close(lfd);
	return fd;
}

static int tcp_connect_to(const char *host, uint16_t port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	uint64_t end = now_ms() + CONNECT_MS;
	char sport[8];
	int fd, ret;

	snprintf(sport, sizeof(sport), "%u", port);
	ret = getaddrinfo(host, sport, &hints, &res);
	if (ret)
		die("%s: %s", host, gai_strerror(ret));
	/* The replica may not listen yet: try again for a while. */
	for (;;) {
		fd = socket(res->ai_family, SOCK_STREAM, 0);
		if (fd < 0)
			die("socket: %s", strerror(errno));
		if (!connect(fd, res->ai_addr, res->ai_addrlen))
			break;
		ret = errno;
		close(fd);
		if (now_ms() > end)
			die("cannot connect to %s port %u: %s", host, port,
			    strerror(ret));
		usleep(100000);
	}
	freeaddrinfo(res);
	return fd;
}

static void io_all(int fd, void *p, size_t len, bool out)
{
	uint8_t *b = p;
	ssize_t r;

	while (len) {
		r = out ? send(fd, b, len, MSG_NOSIGNAL) : recv(fd, b, len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			die("the TCP channel: %s", r ? strerror(errno) : "closed");
		b += r;
		len -= r;
	}
}

static void info_send(int fd, const struct pc_info *i)
{
	struct pc_info w = *i;

	w.qpn = htobe32(i->qpn);
	w.psn = htobe32(i->psn);
	w.addr = htobe64(i->addr);
	w.rkey = htobe32(i->rkey);
	w.len = htobe64(i->len);
	io_all(fd, &w, sizeof(w), true);
}

static void info_recv(int fd, struct pc_info *i)
{
	io_all(fd, i, sizeof(*i), false);
	i->qpn = be32toh(i->qpn);
	i->psn = be32toh(i->psn);
	i->addr = be64toh(i->addr);
	i->rkey = be32toh(i->rkey);
	i->len = be64toh(i->len);
}

/* The RC QP of either end, connected to @peer. */
static void qp_connect_to(struct ibv_qp *qp, struct dev *d,
			  const struct pc_info *me, const struct pc_info *peer)
{
	struct rc_attr r;

	rc_attr_default(&r, d, peer->qpn);
	memcpy(r.dgid.raw, peer->gid, 16);
	r.rq_psn = peer->psn;
	r.sq_psn = me->psn;
	/* 537 ms: a FLUSH's answer may wait for a journal commit. */
	r.timeout = 17;
	r.max_rd_atomic = 4;
	r.max_dest_rd_atomic = 4;
	r.access = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_FLUSH_GLOBAL |
		   IBV_ACCESS_FLUSH_PERSISTENT;
	if (!rc_connect(qp, &r))
		die("cannot connect the RC QP");
}

static struct ibv_qp *qp_ex_create(struct dev *d, struct ibv_cq *cq)
{
	struct ibv_qp_init_attr_ex a = {
		.send_cq = cq, .recv_cq = cq, .qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 16, .max_recv_wr = 1,
			 .max_send_sge = 1, .max_recv_sge = 1 },
		.comp_mask = IBV_QP_INIT_ATTR_PD | IBV_QP_INIT_ATTR_SEND_OPS_FLAGS,
		.pd = d->pd,
		.send_ops_flags = IBV_QP_EX_WITH_RDMA_WRITE |
				  IBV_QP_EX_WITH_ATOMIC_WRITE |
				  IBV_QP_EX_WITH_FLUSH,
	};
	struct ibv_qp *qp = ibv_create_qp_ex(d->ctx, &a);

	if (!qp)
		die("ibv_create_qp_ex (RC, WRITE | ATOMIC_WRITE | FLUSH) on %s: %s",
		    d->name, strerror(errno));
	return qp;
}

static void info_local(struct pc_info *i, struct dev *d, struct ibv_qp *qp)
{
	memset(i, 0, sizeof(*i));
	i->qpn = qp->qp_num;
	i->psn = (uint32_t)now_ns() & 0xffffff;
	memcpy(i->gid, d->gid.raw, 16);
}

/* ------------------------------------------------------------------------
 * replica
 */

static int replica(const struct opts *o)
{
	unsigned int access = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
			      IBV_ACCESS_FLUSH_GLOBAL |
			      IBV_ACCESS_FLUSH_PERSISTENT;
	struct pc_info me, peer;
	struct ibv_cq *cq;
	struct ibv_qp *qp;
	struct ibv_mr *mr;
	struct dev d;
	struct log l;
	char byte;
	int fd;

	dev_open_roce(&d, o->dev);
	log_make(&l, o);
	if (!o->pinned)
		access |= IBV_ACCESS_ON_DEMAND;
	mr = ibv_reg_mr(d.pd, l.addr, l.len, access);
	if (!mr)
		die("ibv_reg_mr of the log (%s): %s",
		    o->pinned ? "pinned" : "ODP", strerror(errno));
	cq = cq_create(&d, 4);
	if (!cq)
		die("cannot create a CQ");
	qp = qp_ex_create(&d, cq);
	info_local(&me, &d, qp);
	me.addr = (uintptr_t)l.addr;
	me.rkey = mr->rkey;
	me.len = l.len;
	printf("replica: %s, %" PRIu64 " MiB, %s%s, waiting on TCP port %u\n",
	       o->file ? o->file : o->dax, l.len >> 20,
	       o->pinned ? "pinned" : "ODP",
	       o->map_sync ? ", MAP_SYNC" : "", o->port);
	fd = tcp_listen_accept(o->port);
	info_recv(fd, &peer);
	qp_connect_to(qp, &d, &me, &peer);
	info_send(fd, &me);
	/* Serve until the primary goes away (or the power does). */
	while (recv(fd, &byte, 1, 0) > 0)
		;
	printf("replica: the primary closed the connection\n");
	return 0;
}

/* ------------------------------------------------------------------------
 * primary
 */

struct writer {
	const struct opts *o;
	struct ibv_qp *qp;
	struct ibv_qp_ex *qpx;
	struct ibv_cq *cq;
	struct ibv_mr *buf_mr;
	uint8_t *buf;
	struct pc_info peer;
	uint64_t wr_id;
};

static void report(const struct opts *o, const char *fmt, ...)
	CHECK_FMT(2, 3);
static void report(const struct opts *o, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (o->report_fd < 0) {
		fputs(line, stdout);
		return;
	}
	/* One write per line: lines of several writers do not mix. */
	if (write(o->report_fd, line, n) != n)
		die("writing the report: %s", strerror(errno));
}

static __attribute__((noreturn)) void writer_fail(struct writer *w,
						  const char *what, int err)
{
	report(w->o, "PRXE-PC FAIL %s %s: %s\n", w->o->name, what,
	       strerror(err));
	fail_exit("success", errno_name(err), "%s", what);
}

/* Waits for the completion of the signaled FLUSH that ends a batch. */
static void wait_flush(struct writer *w, const char *what, uint32_t len)
{
	struct ibv_wc wc;
	int n = poll_wc(w->cq, &wc, WC_MS);

	if (n <= 0)
		writer_fail(w, strf("%s: no completion within %u ms", what,
				    WC_MS), ETIMEDOUT);
	if (wc.status != IBV_WC_SUCCESS || wc.wr_id != w->wr_id ||
	    wc.opcode != IBV_WC_FLUSH || wc.byte_len != len) {
		report(w->o, "PRXE-PC FAIL %s %s: completion %s, opcode %d, wr_id %" PRIu64 ", byte_len %u\n",
		       w->o->name, what, ibv_wc_status_str(wc.status),
		       wc.opcode, wc.wr_id, wc.byte_len);
		fail_exit(strf("IBV_WC_SUCCESS IBV_WC_FLUSH wr_id %" PRIu64 " byte_len %u",
			       w->wr_id, len),
			  strf("%s opcode %d wr_id %" PRIu64 " byte_len %u",
			       ibv_wc_status_str(wc.status), wc.opcode,
			       wc.wr_id, wc.byte_len), "%s", what);
	}
}

/* RDMA WRITE of @len bytes of the buffer to @off of the log, then a
 * persistent FLUSH of that range; returns once the FLUSH completed. */
static void write_flush(struct writer *w, uint64_t off, uint32_t len,
			const char *what)
{
	uint64_t raddr = w->peer.addr + off;
	int ret;

	ibv_wr_start(w->qpx);
	w->qpx->wr_id = ++w->wr_id;
	w->qpx->wr_flags = 0;
	ibv_wr_rdma_write(w->qpx, w->peer.rkey, raddr);
	ibv_wr_set_sge(w->qpx, w->buf_mr->lkey, (uintptr_t)w->buf, len);
	w->qpx->wr_id = ++w->wr_id;
	w->qpx->wr_flags = IBV_SEND_SIGNALED;
	ibv_wr_flush(w->qpx, w->peer.rkey, raddr, len, IBV_FLUSH_PERSISTENT,
		     IBV_FLUSH_RANGE);
	ret = ibv_wr_complete(w->qpx);
	if (ret)
		writer_fail(w, strf("posting %s", what), ret);
	wait_flush(w, what, len);
}

/* ATOMIC WRITE of @seq into the commit word, then a persistent FLUSH of
 * it; returns once the FLUSH completed. */
static void commit(struct writer *w, uint64_t seq)
{
	uint64_t raddr = w->peer.addr + COMMIT_OFF;
	int ret;

	ibv_wr_start(w->qpx);
	w->qpx->wr_id = ++w->wr_id;
	w->qpx->wr_flags = 0;
	ibv_wr_atomic_write(w->qpx, w->peer.rkey, raddr, &seq);
	w->qpx->wr_id = ++w->wr_id;
	w->qpx->wr_flags = IBV_SEND_SIGNALED;
	ibv_wr_flush(w->qpx, w->peer.rkey, raddr, 8, IBV_FLUSH_PERSISTENT,
		     IBV_FLUSH_RANGE);
	ret = ibv_wr_complete(w->qpx);
	if (ret)
		writer_fail(w, strf("posting the commit of seq %" PRIu64, seq),
			    ret);
	wait_flush(w, strf("commit of seq %" PRIu64, seq), 8);
}

static int primary(const struct opts *o)
{
	struct writer w = { .o = o };
	struct pc_header h;
	struct pc_info me;
	uint64_t seq, cap, t0;
	struct dev d;
	int fd;

	dev_open_roce(&d, o->dev);
	w.cq = cq_create(&d, 32);
	if (!w.cq)
		die("cannot create a CQ");
	w.qp = qp_ex_create(&d, w.cq);
	w.qpx = ibv_qp_to_qp_ex(w.qp);
	w.buf = aligned_alloc(4096, HEADER_BYTES > o->record ? HEADER_BYTES :
			      o->record);
	w.buf_mr = ibv_reg_mr(d.pd, w.buf, HEADER_BYTES > o->record ?
			      HEADER_BYTES : o->record, IBV_ACCESS_LOCAL_WRITE);
	if (!w.buf || !w.buf_mr)
		die("the record buffer: %s", strerror(errno));
	info_local(&me, &d, w.qp);
	fd = tcp_connect_to(o->host, o->port);
	info_send(fd, &me);
	info_recv(fd, &w.peer);
	qp_connect_to(w.qp, &d, &me, &w.peer);
	if (w.peer.len < HEADER_BYTES + o->stride)
		die("the log (%" PRIu64 " bytes) holds no record", w.peer.len);
	cap = (w.peer.len - HEADER_BYTES) / o->stride;

	/* The header, with commit word 0, made durable first. */
	memset(w.buf, 0, HEADER_BYTES);
	h = (struct pc_header){ .magic = HDR_MAGIC, .run_id = o->run_id,
				.stride = o->stride, .rec_len = o->record,
				.capacity = cap };
	h.sum = header_sum(&h);
	memcpy(w.buf, &h, sizeof(h));
	write_flush(&w, 0, HEADER_BYTES, "the header");

	t0 = now_ms();
	for (seq = 1; seq <= cap; seq++) {
		record_fill(w.buf, o->record, o->run_id, seq);
		write_flush(&w, HEADER_BYTES + (seq - 1) * o->stride, o->record,
			    strf("record %" PRIu64, seq));
		commit(&w, seq);
		report(o, "PRXE-PC ACK %s %" PRIu64 "\n", o->name, seq);
		if (seq % 1000 == 0)
			printf("primary %s: %" PRIu64 " records in %" PRIu64 " ms\n",
			       o->name, seq, now_ms() - t0);
	}
	report(o, "PRXE-PC FULL %s %" PRIu64 "\n", o->name, cap);
	printf("primary %s: the log is full (%" PRIu64 " records); waiting\n",
	       o->name, cap);
	for (;;)
		pause();
}

/* ------------------------------------------------------------------------
 * check
 */

static int checker(const struct opts *o)
{
	uint64_t commit_word, seq, lost = 0, recovered = 0, first_lost = 0;
	const struct pc_header *hp;
	struct pc_header h;
	uint8_t *scratch;
	bool header_ok;
	struct log l;

	if (!o->acked)
		fail_exit("at least one acknowledged record", "none",
			  "%s: records acknowledged before the power cut",
			  o->name);
	if (log_open(&l, o)) {
		printf("%s: %s is not there after the power cut (%s)\n",
		       o->name, o->file ? o->file : o->dax,
		       errno ? strerror(errno) : "empty");
		l.addr = NULL;
		l.len = 0;
	}
	memset(&h, 0, sizeof(h));
	if (l.len >= HEADER_BYTES) {
		hp = (const void *)l.addr;
		h = *hp;
	}
	header_ok = l.len >= HEADER_BYTES && h.magic == HDR_MAGIC &&
		    h.run_id == o->run_id && h.sum == header_sum(&h) &&
		    h.rec_len >= sizeof(struct pc_record) &&
		    h.rec_len <= h.stride &&
		    HEADER_BYTES + h.capacity * h.stride <= l.len;
	commit_word = header_ok ? *(const uint64_t *)(l.addr + COMMIT_OFF) : 0;
	if (header_ok) {
		scratch = malloc(h.rec_len);
		for (seq = 1; seq <= h.capacity; seq++) {
			const uint8_t *p = l.addr + HEADER_BYTES +
					   (seq - 1) * h.stride;
			bool ok = record_ok(p, h.rec_len, o->run_id, seq,
					    scratch);

			if (ok && recovered == seq - 1)
				recovered = seq;
			if (!ok && seq <= o->acked) {
				lost++;
				if (!first_lost)
					first_lost = seq;
			}
			if (!ok && seq > o->acked)
				break;
		}
		free(scratch);
	} else {
		lost = o->acked;
		first_lost = 1;
	}
	printf("%s: acknowledged %" PRIu64 ", recovered %" PRIu64 ", lost %" PRIu64 " (first lost: %" PRIu64 "), commit word %" PRIu64 "%s\n",
	       o->name, o->acked, recovered, lost, first_lost, commit_word,
	       header_ok ? "" : ", header not intact");
	if (o->expect_loss) {
		check(lost > 0 || commit_word < o->acked,
		      "acknowledged records lost (FLUSH skipped the file sync)",
		      strf("acknowledged %" PRIu64 ", lost %" PRIu64 ", commit word %" PRIu64,
			   o->acked, lost, commit_word),
		      "%s: the checker sees the broken durability", o->name);
		return check_summary();
	}
	check(header_ok, "intact", "not intact (magic, run id or checksum)",
	      "%s: the log's header", o->name);
	check(lost == 0, "none lost",
	      strf("%" PRIu64 " of %" PRIu64 " lost, the first seq %" PRIu64,
		   lost, o->acked, first_lost),
	      "%s: acknowledged records 1..%" PRIu64 " intact", o->name,
	      o->acked);
	check(commit_word >= o->acked,
	      strf("at least %" PRIu64, o->acked),
	      strf("%" PRIu64, commit_word), "%s: the commit word", o->name);
	return check_summary();
}

/* ------------------------------------------------------------------------ */

static __attribute__((noreturn)) void usage(void)
{
	fprintf(stderr,
		"usage: %s replica -d DEV [-p PORT] LOG\n"
		"       %s primary -d DEV [-p PORT] -n NAME -r RUN_ID [--report-fd FD]\n"
		"                  [--stride BYTES] [--record BYTES] HOST\n"
		"       %s check -n NAME -r RUN_ID -a ACKED [--expect-loss] LOG\n"
		"  LOG: --file PATH [--size BYTES] [--map-sync]\n"
		"       --dax PATH [--size BYTES] [--pinned]\n",
		PROG, PROG, PROG);
	exit(EXIT_SETUP);
}

static uint64_t num(const char *s)
{
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end)
		die("not a number: %s", s);
	return v;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "dax", required_argument, NULL, 'D' },
		{ "size", required_argument, NULL, 's' },
		{ "map-sync", no_argument, NULL, 'S' },
		{ "pinned", no_argument, NULL, 'P' },
		{ "report-fd", required_argument, NULL, 'R' },
		{ "stride", required_argument, NULL, 't' },
		{ "record", required_argument, NULL, 'c' },
		{ "expect-loss", no_argument, NULL, 'L' },
		{}
	};
	struct opts o = {
		.port = DEFAULT_PORT, .size = DEFAULT_SIZE,
		.report_fd = -1, .stride = DEFAULT_STRIDE,
		.record = DEFAULT_RECORD, .name = "log",
	};
	const char *mode;
	int c;

	check_init(PROG);
	if (argc < 2)
		usage();
	mode = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "d:p:n:r:a:", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o.dev = optarg; break;
		case 'p': o.port = num(optarg); break;
		case 'n': o.name = optarg; break;
		case 'r': o.run_id = num(optarg); break;
		case 'a': o.acked = num(optarg); break;
		case 'f': o.file = optarg; break;
		case 'D': o.dax = optarg; break;
		case 's': o.size = num(optarg); break;
		case 'S': o.map_sync = true; break;
		case 'P': o.pinned = true; break;
		case 'R': o.report_fd = num(optarg); break;
		case 't': o.stride = num(optarg); break;
		case 'c': o.record = num(optarg); break;
		case 'L': o.expect_loss = true; break;
		default: usage();
		}
	}
	if (o.record < sizeof(struct pc_record) || o.record > o.stride ||
	    o.stride % 8 || o.record % 8)
		die("record %u and stride %u: need %zu <= record <= stride, both multiples of 8",
		    o.record, o.stride, sizeof(struct pc_record));
	if (!strcmp(mode, "primary")) {
		if (optind != argc - 1 || !o.dev || !o.run_id)
			usage();
		o.host = argv[optind];
		return primary(&o);
	}
	if (optind != argc || !!o.file == !!o.dax)
		usage();
	if (!strcmp(mode, "replica")) {
		if (!o.dev)
			usage();
		return replica(&o);
	}
	if (!strcmp(mode, "check")) {
		if (!o.run_id)
			usage();
		return checker(&o);
	}
	usage();
}
