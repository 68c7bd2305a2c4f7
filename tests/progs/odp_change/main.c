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
 * One line per check and a summary (tests/progs/lib/check.h).  Exit
 * status: 0 passed, 1 failed, 2 usage or setup error, 77 (SKIP) the
 * devices do not support ODP for the operation.  Its parts: see
 * odp_change.h.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "odp_change.h"

const char *const kind_names[K_COUNT] = {
	"munmap", "truncate", "punch", "mremap", "mprotect", "fork", "unlink",
};

const char *const op_names[OP_COUNT] = { "write", "read", "send" };

static const char *const inject_names[2] = { "canary", "data" };

struct chg_opts opt = {
	.kind = K_COUNT,
	.op = OP_WRITE,
	.dir = "/mnt/pmem",
	.chunk = 16384,
	.nchunk = 16,
	.depth = 8,
	.timeout_s = 10,
	.delay_us = 1000,
};

struct chg_run run = {
	.canary.map.fd = -1, .child = -1, .child_fd = -1,
};

/* ------------------------------------------------------------------------
 * The two ends
 */

/* The device, with ODP for what this end does; its GID; a CQ. */
static void end_open(struct end *e)
{
	const struct ibv_odp_caps *odp = &e->dev.attr.odp_caps;
	uint32_t need;

	dev_open(&e->dev, e->dev_name);
	if (!(odp->general_caps & IBV_ODP_SUPPORT))
		skip("%s: %s has no ODP support", e->role, e->dev_name);
	need = e == &run.req ?
	       (opt.op == OP_READ ? IBV_ODP_SUPPORT_READ : IBV_ODP_SUPPORT_SEND) :
	       (opt.op == OP_WRITE ? IBV_ODP_SUPPORT_WRITE :
		opt.op == OP_READ ? IBV_ODP_SUPPORT_READ : IBV_ODP_SUPPORT_RECV);
	if ((odp->per_transport_caps.rc_odp_caps & need) != need)
		skip("%s: %s RC ODP caps 0x%x lack 0x%x", e->role, e->dev_name,
		     odp->per_transport_caps.rc_odp_caps, need);
	if (e->gid_index < 0)
		e->gid_index = dev_roce_gid(&e->dev, true);
	if (e->gid_index < 0)
		die("%s: %s has no RoCEv2 IPv4 GID", e->role, e->dev_name);
	dev_use_gid(&e->dev, e->gid_index);
	e->cq = cq_create(&e->dev, 4 * opt.depth + 16);
	must(e->cq);
}

static void end_qp(struct end *e)
{
	struct ibv_qp_init_attr init;

	qp_init_attr_fill(&init, IBV_QPT_RC, e->cq, e->cq, NULL, opt.depth,
			  4 * opt.depth);
	init.sq_sig_all = 1;
	e->qp = qp_create(&e->dev, &init);
	must(e->qp);
	e->psn = (uint32_t)random() & 0xffffff;
}

/* RESET to RTS, connected to @peer's QP at its GID. */
static void end_connect(struct end *e, const struct end *peer)
{
	const struct ibv_device_attr *da = &e->dev.attr.orig_attr;
	struct rc_attr r;

	rc_attr_default(&r, &e->dev, peer->qp->qp_num);
	r.dgid = peer->dev.gid;
	r.path_mtu = e->dev.port.active_mtu < peer->dev.port.active_mtu ?
		     e->dev.port.active_mtu : peer->dev.port.active_mtu;
	r.rq_psn = peer->psn;
	r.sq_psn = e->psn;
	r.min_rnr_timer = 1;
	r.max_dest_rd_atomic = da->max_qp_rd_atom;
	r.max_rd_atomic = da->max_qp_init_rd_atom;
	must(rc_connect(e->qp, &r));
	if (opt.verbose)
		note("%s: QP 0x%x (PSN 0x%06x) connected to QP 0x%x (PSN 0x%06x), MTU %d",
		     e->role, e->qp->qp_num, e->psn, peer->qp->qp_num, peer->psn,
		     128 << r.path_mtu);
}

/* The ODP region of @b. */
static void end_reg(struct end *e, struct buf *b)
{
	e->mr = ibv_reg_mr(e->dev.pd, b->map.addr, b->map.len,
			   IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
			   IBV_ACCESS_REMOTE_READ | IBV_ACCESS_ON_DEMAND);
	if (e->mr)
		return;
	if (errno == EOPNOTSUPP)
		skip("%s: ODP ibv_reg_mr of the %s %s: %s", e->role, b->what,
		     b->map.fd >= 0 ? "file mapping" : "memory", strerror(errno));
	expect_err(0, errno, "%s: ODP ibv_reg_mr of %zu bytes", e->role,
		   b->map.len);
	check_exit();
}

static void end_close(struct end *e)
{
	int ret;

	if (e->qp && (ret = ibv_destroy_qp(e->qp)))
		expect_err(0, ret, "%s: ibv_destroy_qp", e->role);
	if (e->mr && (ret = ibv_dereg_mr(e->mr)))
		expect_err(0, ret, "%s: ibv_dereg_mr", e->role);
	if (e->cq)
		ibv_destroy_cq(e->cq);
	dev_close(&e->dev);
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
"Exit status: 0 passed, 1 failed, 2 usage or setup error, 77 ODP not\n"
"supported.\n", check_prog());
	exit(EXIT_SETUP);
}

static int pick(const char *s, const char *const *names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return i;
	fprintf(stderr, "%s: unknown name '%s'\n", check_prog(), s);
	usage();
}

static uint32_t number(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || end == s || v > UINT32_MAX) {
		fprintf(stderr, "%s: bad number '%s'\n", check_prog(), s);
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

	check_init("prxe_odp_change");
	run.req.role = "requester";
	run.resp.role = "responder";
	run.req.gid_index = run.resp.gid_index = -1;
	while ((ch = getopt_long(argc, argv, "d:D:g:G:c:o:lfs:n:q:b:a:t:w:vh",
				 lopts, NULL)) != -1) {
		switch (ch) {
		case 'd': run.req.dev_name = optarg; break;
		case 'D': run.resp.dev_name = optarg; break;
		case 'g': run.req.gid_index = (int)number(optarg); break;
		case 'G': run.resp.gid_index = (int)number(optarg); break;
		case 'c': opt.kind = pick(optarg, kind_names, K_COUNT); break;
		case 'o': opt.op = pick(optarg, op_names, OP_COUNT); break;
		case 'l': opt.local = true; break;
		case 'f': opt.file = true; break;
		case 'R': opt.dir = optarg; break;
		case 'I': opt.inject = 1 + pick(optarg, inject_names, 2); break;
		case 's': opt.chunk = number(optarg); break;
		case 'n': opt.nchunk = number(optarg); break;
		case 'q': opt.depth = number(optarg); break;
		case 'b': opt.before = number(optarg); before_given = true; break;
		case 'a': opt.after = number(optarg); after_given = true; break;
		case 't': opt.timeout_s = (int)number(optarg); break;
		case 'w': opt.delay_us = number(optarg); break;
		case 'v': opt.verbose = true; break;
		default: usage();
		}
	}
	if (optind != argc || !run.req.dev_name || !run.resp.dev_name || opt.kind == K_COUNT)
		usage();
	if (!opt.chunk || opt.chunk % 4096 || opt.chunk > MAX_CHUNK ||
	    opt.nchunk < 4 || opt.nchunk > MAX_NCHUNK || opt.nchunk % 4 ||
	    !opt.depth || opt.depth >= opt.nchunk || !opt.timeout_s) {
		fprintf(stderr, "%s: -s, -n (a multiple of 4) or -q out of range\n",
			check_prog());
		usage();
	}
	if (opt.local && opt.kind != K_MUNMAP && opt.kind != K_MREMAP) {
		fprintf(stderr, "%s: --local goes with munmap or mremap\n",
			check_prog());
		usage();
	}
	if (opt.kind == K_FORK && opt.file) {
		fprintf(stderr, "%s: fork needs private anonymous memory\n",
			check_prog());
		usage();
	}
	if (!before_given)
		opt.before = 2 * opt.nchunk;
	if (!after_given)
		opt.after = 3 * opt.nchunk;
	/* Every chunk written after the change, where traffic goes on. */
	if (opt.after < opt.nchunk + opt.depth)
		opt.after = opt.nchunk + opt.depth;
	pthread_mutex_init(&run.lock, NULL);
	srandom((unsigned int)getpid() ^ (unsigned int)time(NULL));

	run.last_ok = calloc(opt.nchunk, sizeof(*run.last_ok));
	run.done = calloc(MAX_SEQ + 1, 1);
	if (!run.last_ok || !run.done)
		die("out of memory");
	run.oldest = 1;
	file = opt.file || opt.kind == K_TRUNCATE || opt.kind == K_PUNCH ||
	       opt.kind == K_UNLINK;
	run.chg = opt.local ? &run.lbuf : &run.rbuf;

	end_open(&run.req);
	end_open(&run.resp);
	end_qp(&run.req);
	end_qp(&run.resp);
	end_connect(&run.req, &run.resp);
	end_connect(&run.resp, &run.req);

	buf_open(&run.rbuf, "responder's buffer", (size_t)opt.nchunk * opt.chunk,
		 file && !opt.local);
	buf_open(&run.lbuf, "requester's buffer", (size_t)opt.depth * opt.chunk,
		 file && opt.local);
	for (uint32_t c = 0; c < opt.nchunk; c++)
		fill_chunk(run.rbuf.cpu + (size_t)c * opt.chunk, 0, c);
	fill_words(run.lbuf.cpu, run.lbuf.map.len, POISON);
	end_reg(&run.req, &run.lbuf);
	end_reg(&run.resp, &run.rbuf);
	if (opt.kind == K_MUNMAP || opt.kind == K_MREMAP) {
		/* Room away from the buffer: the canary or the move lands there. */
		run.reserve = mmap(NULL, run.chg->map.len, PROT_NONE,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (run.reserve == MAP_FAILED)
			die("mmap reserve: %s", strerror(errno));
	}
	note("%s (GID %d, QP 0x%x) -> %s (GID %d, QP 0x%x): %s, %s of the %s (%s); %u chunks of %u bytes, %u in flight",
	     run.req.dev_name, run.req.gid_index, run.req.qp->qp_num,
	     run.resp.dev_name, run.resp.gid_index, run.resp.qp->qp_num,
	     op_names[opt.op], kind_names[opt.kind], run.chg->what,
	     run.chg->map.fd >= 0 ? run.chg->map.path : "anonymous",
	     opt.nchunk, opt.chunk, opt.depth);

	traffic();
	drain();
	child_join();
	check_outcome();
	check_memory();
	canary_check();

	end_close(&run.req);
	end_close(&run.resp);
	buf_close(&run.rbuf);
	buf_close(&run.lbuf);
	buf_close(&run.canary);
	return check_summary();
}
