// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe_odp_change: the traffic (post, poll, every completion checked as it
 * comes), the drain in the error state, and the outcome: did what the
 * change took away fail cleanly, and did the rest go on?
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "odp_change.h"

static uint8_t *slot(uint32_t seq)
{
	return run.lbuf.map.addr + (size_t)((seq - 1) % opt.depth) * opt.chunk;
}

static uint32_t seq_chunk(uint32_t seq)
{
	return (seq - 1) % opt.nchunk;
}

/* Chunk @c of the responder's buffer, as work requests address it. */
static uint64_t rchunk_addr(uint32_t c)
{
	return (uintptr_t)run.rbuf.map.addr + (size_t)c * opt.chunk;
}

/* May the CPU read chunk @c of the responder's buffer now? */
static bool rchunk_visible(uint32_t c)
{
	return !run.rbuf.gone && (size_t)(c + 1) * opt.chunk <= run.rbuf.cpu_end;
}

/* May the CPU write the requester's slots now? */
static bool slots_writable(void)
{
	return !run.lbuf.gone;
}

static void post_one(void)
{
	static const enum ibv_wr_opcode opcodes[OP_COUNT] = {
		[OP_WRITE] = IBV_WR_RDMA_WRITE, [OP_READ] = IBV_WR_RDMA_READ,
		[OP_SEND] = IBV_WR_SEND,
	};
	uint32_t seq = run.next_seq, c = seq_chunk(seq);
	struct ibv_sge sge = {
		.addr = (uintptr_t)slot(seq),
		.length = opt.chunk,
		.lkey = run.req.mr->lkey,
	};
	int ret;

	if (opt.op == OP_SEND) {
		struct ibv_sge rsge = {
			.addr = rchunk_addr(c),
			.length = opt.chunk,
			.lkey = run.resp.mr->lkey,
		};

		ret = post_recv_one(run.resp.qp, seq, &rsge);
		if (ret) {
			expect_err(0, ret, "ibv_post_recv %u", seq);
			check_exit();
		}
		run.rposted++;
	}
	pthread_mutex_lock(&run.lock);
	if (slots_writable()) {
		if (opt.op == OP_READ)
			fill_words(slot(seq), opt.chunk, POISON);
		else
			fill_chunk(slot(seq), seq, c);
	}
	/* Counted before it is posted: the change thread sees it. */
	__atomic_store_n(&run.next_seq, seq + 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&run.lock);
	ret = post_send_one(run.req.qp, seq, opcodes[opt.op], &sge,
			    rchunk_addr(c), run.resp.mr->rkey);
	if (ret) {
		expect_err(0, ret, "ibv_post_send %u", seq);
		check_exit();
	}
}

/* A successful requester completion: check the data it moved (the lock
 * held: the change does not happen meanwhile). */
static void check_success_locked(uint32_t seq)
{
	uint32_t c = seq_chunk(seq);
	struct rule r = { .exact = true, .seq = seq };

	if (opt.op == OP_READ) {
		/* The responder's chunk never changes: the initial pattern, or
		 * zero where a hole was punched. */
		if (run.lbuf.gone)
			return;
		r.seq = 0;
		if (chunk_in_hole(c)) {
			/* Posted after the punch: all zero; during it: either. */
			r.zero_ok = true;
			r.zero_only = run.first_after && seq >= run.first_after;
		}
		check_chunk((const uint64_t *)slot(seq), c, &r,
			    strf("READ %u into slot:", seq));
		return;
	}
	if (!rchunk_visible(c))
		return;
	/* A chunk a hole was punched in while this one was in flight. */
	if (chunk_in_hole(c) && (!run.first_after || seq < run.first_after))
		return;
	check_chunk((const uint64_t *)(run.rbuf.cpu + (size_t)c * opt.chunk), c,
		    &r, strf("%s %u, responder's", op_names[opt.op], seq));
}

static void req_completion(const struct ibv_wc *wc)
{
	uint32_t seq = (uint32_t)wc->wr_id, c = seq_chunk(seq);
	const char *status = ibv_wc_status_str(wc->status);

	if (!seq || seq >= run.next_seq || run.done[seq]) {
		check_fail(strf("one completion of each work request posted (1 to %u)",
				run.next_seq - 1),
			   !seq || seq >= run.next_seq ? "one never posted" :
			   "its second completion",
			   "requester completion of work request %u (%s)", seq,
			   status);
		return;
	}
	run.done[seq] = 1;
	if (seq != run.oldest) {
		/* A send queue's completions come in the order posted. */
		if (run.disorder++ < SHOW_BAD)
			check_fail(strf("that of %u first, posted earlier", run.oldest),
				   strf("that of %u (%s)", seq, status),
				   "requester completions in the order posted");
	}
	while (run.oldest < run.next_seq && run.done[run.oldest])
		run.oldest++;
	__atomic_store_n(&run.completed, run.completed + 1, __ATOMIC_RELEASE);
	if (wc->status == IBV_WC_SUCCESS) {
		if (run.err)
			check_fail(strf("flushed, after the error completion of %u",
					run.err_seq),
				   "success", "work request %u", seq);
		__atomic_store_n(&run.ok, run.ok + 1, __ATOMIC_RELEASE);
		run.last_ok[c] = seq;
		if (run.first_after && seq >= run.first_after) {
			run.ok_after++;
			if (access_lost(c))
				check_fail("an error: the memory is gone",
					   "success: it reached memory that is gone",
					   "work request %u (chunk %u), posted after the %s",
					   seq, c, kind_names[opt.kind]);
		}
		pthread_mutex_lock(&run.lock);
		check_success_locked(seq);
		pthread_mutex_unlock(&run.lock);
		return;
	}
	if (wc->status == IBV_WC_WR_FLUSH_ERR && run.err) {
		run.flushed++;
		return;
	}
	if (run.err) {
		note("work request %u: %s after the first error (%s of %u)", seq,
		     status, ibv_wc_status_str(run.err_status), run.err_seq);
		return;
	}
	run.err = true;
	run.err_status = wc->status;
	run.err_seq = seq;
	note("work request %u (chunk %u, posted %s the %s): %s (vendor_err 0x%x)",
	     seq, c, run.first_after && seq >= run.first_after ? "after" : "before",
	     kind_names[opt.kind], status, wc->vendor_err);
	if (!changing())
		check_fail("success before any change", status,
			   "requester completion of work request %u", seq);
}

static void resp_completion(const struct ibv_wc *wc)
{
	run.rcompleted++;
	if (wc->status == IBV_WC_SUCCESS) {
		run.rok++;
		return;
	}
	if (wc->status == IBV_WC_WR_FLUSH_ERR || run.rerr)
		return;
	run.rerr = true;
	run.rerr_status = wc->status;
	note("responder: receive %u: %s (vendor_err 0x%x)", (uint32_t)wc->wr_id,
	     ibv_wc_status_str(wc->status), wc->vendor_err);
	if (!changing())
		check_fail("success before any change",
			   ibv_wc_status_str(wc->status),
			   "responder: receive %u", (uint32_t)wc->wr_id);
}

/* Up to @n completions of @e's CQ; the end of the run if polling fails. */
static int poll_end(struct end *e, struct ibv_wc *wc, int n)
{
	n = ibv_poll_cq(e->cq, n, wc);
	if (n < 0) {
		check_fail("completions or none", strf("%d", n),
			   "%s: ibv_poll_cq", e->role);
		check_exit();
	}
	return n;
}

/* Poll both CQs; returns the completions seen. */
static int poll_all(void)
{
	struct ibv_wc wc[16];
	int n, i, got;

	n = poll_end(&run.req, wc, 16);
	for (i = 0; i < n; i++)
		req_completion(&wc[i]);
	got = n;
	n = poll_end(&run.resp, wc, 16);
	for (i = 0; i < n; i++)
		resp_completion(&wc[i]);
	return got + n;
}

/*
 * Post and poll, keeping the send queue full, while the change thread
 * changes the mapping; post --after more once the change is seen done
 * (fewer after an error), and wait for the completion of everything
 * posted.
 */
void traffic(void)
{
	uint64_t last = now_ms(), waiting = 0;
	pthread_t thread;
	int ret;

	run.next_seq = 1;
	run.delay = opt.delay_us ? (uint32_t)random() % (opt.delay_us + 1) : 0;
	ret = pthread_create(&thread, NULL, change_thread, NULL);
	if (ret)
		die("pthread_create: %s", strerror(ret));
	for (;;) {
		uint32_t outstanding = run.next_seq - 1 - run.completed;

		if (!run.first_after && changed()) {
			run.first_after = run.next_seq;
			note("%s of the %s %u us after %u successes, at work request %u with %u completed; first posted after it: %u",
			     kind_names[opt.kind], run.chg->what, run.delay,
			     opt.before, run.seq_at_change, run.done_at_change,
			     run.first_after);
		}
		while (!run.err && outstanding < opt.depth &&
		       (!run.first_after || run.next_seq - run.first_after < opt.after) &&
		       run.next_seq < MAX_SEQ) {
			post_one();
			outstanding++;
		}
		if (!outstanding && (run.err || run.first_after))
			break;
		if (!run.first_after && run.ok >= opt.before && !waiting)
			waiting = now_ms();
		if (waiting && !run.first_after &&
		    now_ms() - waiting > 1000ull * opt.timeout_s) {
			check_fail(strf("it within %d s", opt.timeout_s),
				   "it did not happen", "the %s",
				   kind_names[opt.kind]);
			break;
		}
		if (poll_all()) {
			last = now_ms();
			continue;
		}
		if (now_ms() - last > 1000ull * opt.timeout_s) {
			check_fail(strf("a completion within %d s", opt.timeout_s),
				   strf("none with %u work requests outstanding (%u completed, %u posted): hang",
					outstanding, run.completed,
					run.next_seq - 1),
				   "requester traffic");
			break;
		}
		usleep(100);
	}
	__atomic_store_n(&run.stop, true, __ATOMIC_RELEASE);
	ret = pthread_join(thread, NULL);
	if (ret)
		die("pthread_join: %s", strerror(ret));
}

/* Both QPs to the error state; every receive posted must complete. */
void drain(void)
{
	uint64_t deadline = now_ms() + 1000ull * opt.timeout_s;
	int ret;

	ret = qp_to_state(run.req.qp, IBV_QPS_ERR);
	if (ret)
		expect_err(0, ret, "requester: modify QP to ERR");
	ret = qp_to_state(run.resp.qp, IBV_QPS_ERR);
	if (ret)
		expect_err(0, ret, "responder: modify QP to ERR");
	while (run.rcompleted < run.rposted || run.completed < run.next_seq - 1) {
		if (poll_all())
			continue;
		if (now_ms() > deadline)
			break;
		usleep(100);
	}
	check(run.rcompleted == run.rposted && run.completed == run.next_seq - 1,
	      strf("every work request completed within %d s in the error state",
		   opt.timeout_s),
	      strf("%u of %u work requests (%u successfully, %u flushed), %u of %u receives (%u successfully)",
		   run.completed, run.next_seq - 1, run.ok, run.flushed,
		   run.rcompleted, run.rposted, run.rok),
	      "drain");
}

/* Is the requester's first error completion one of those expected? */
static bool req_status_expected(enum ibv_wc_status s)
{
	if (opt.local)
		return s == IBV_WC_LOC_PROT_ERR || s == IBV_WC_LOC_ACCESS_ERR;
	if (opt.op == OP_SEND)
		return s == IBV_WC_REM_OP_ERR || s == IBV_WC_REM_ACCESS_ERR;
	return s == IBV_WC_REM_ACCESS_ERR;
}

/* Memory is gone: the first work request to reach it fails, the rest is
 * flushed. */
static void check_lost(const char *kind)
{
	if (!run.err)
		check_fail("an error completion",
			   strf("%u work requests posted after it all completed successfully",
				run.next_seq - run.first_after),
			   "after the %s", kind);
	else
		check(req_status_expected(run.err_status),
		      opt.local ? "a local protection or access error" :
		      opt.op == OP_SEND ? "a remote operational or access error" :
		      "IBV_WC_REM_ACCESS_ERR",
		      strf("requester's work request %u completed with %s, the rest flushed",
			   run.err_seq, ibv_wc_status_str(run.err_status)),
		      "after the %s", kind);
	if (opt.local || opt.op != OP_SEND)
		return;
	/* The lost memory held the receive buffers. */
	check(run.rerr && (run.rerr_status == IBV_WC_LOC_PROT_ERR ||
			   run.rerr_status == IBV_WC_LOC_ACCESS_ERR),
	      "the receive into the lost buffer completed with a local protection or access error",
	      run.rerr ? strf("the receive into the lost buffer completed with %s",
			      ibv_wc_status_str(run.rerr_status)) :
	      "no receive completed with an error",
	      "responder");
}

void check_outcome(void)
{
	const char *kind = kind_names[opt.kind];

	if (!changed()) {
		check_fail("the change", strf("it never happened (%u successful completions of %u wanted)",
					      run.ok, opt.before),
			   "the %s", kind);
		return;
	}
	if (any_access_lost()) {
		check_lost(kind);
		return;
	}
	if (run.err)
		check_fail(strf("no error completion: the %s keeps the memory reachable",
				kind),
			   strf("%s (work request %u)",
				ibv_wc_status_str(run.err_status), run.err_seq),
			   "after the %s", kind);
	else if (run.ok_after < opt.after)
		check_fail(strf("%u work requests after it successful", opt.after),
			   strf("only %u", run.ok_after), "after the %s", kind);
	else
		check_pass(strf("traffic went on: %u work requests after the %s, all successful",
				run.ok_after, kind),
			   "after the %s", kind);
}
