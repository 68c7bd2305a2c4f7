// SPDX-License-Identifier: GPL-2.0-only
/*
 * Page faults of ODP regions, taken out of the QP engines.
 *
 * The engines never fault.  They make their copies through prxe_qp_copy():
 * a copy that finds an ODP page not mirrored stops with the range
 * (prxe_mr_copy(): -EAGAIN), which goes to the QP's fault slot,
 * prxe_qp_job().  A worker on prxe's fault workqueue (not the QP tasks'
 * one) faults the range in with no QP lock held, while the QP task waits
 * for it a little (PRXE_FAULT_WAIT_MS).  A quick fault is thus done in
 * line; a slow one (a disk, reclaim) or one that never ends (a FUSE
 * server or an NFS server that does not answer) holds up nothing but its
 * own request: the engine answers with an RNR NAK (incoming SEND / WRITE)
 * or leaves the packet or work request where it is and stops, and the
 * worker schedules the QP's task when it is done.  Then the engine copies
 * again.  A successful fault holds the region's invalidations back for a
 * moment, until that copy is made (prxe_odp_hold()), so that even an
 * invalidation storm lets every request through in the end; a fault's
 * error (a page that cannot be had) fails only the request it was for.
 *
 * A fault is killable in the sense that matters: nothing waits for it.
 * QP destroy detaches the slot and leaves a running worker to finish on
 * its own (the slot and the region it faults are reference counted);
 * deregistration does not wait for it either (prxe_mr.c), and a fault
 * gives up between pieces once its region is dead.  While a worker is in
 * a fault it holds a reference on the module: rmmod then answers EBUSY
 * instead of waiting for a file system that may never answer.
 *
 * The slot also carries the other slow thing a responder does: a FLUSH's
 * persistence of an ODP range (prxe_qp_persist(), prxe_persist.c), which
 * walks the mappings and syncs files; the FLUSH stays queued meanwhile,
 * as an atomic waiting for its page does.
 *
 * One job per QP at a time; jobs of different QPs run side by side, up to
 * the workqueue's limit (WQ_MAX_ACTIVE).
 *
 * Locking: fault->lock (a spinlock) guards the slot's state and its QP
 * pointer; taken under qp->mutex by the engines and alone by the worker,
 * which schedules the QP's task under it (so never after QP destroy has
 * detached the slot).
 */
#include <linux/completion.h>
#include <linux/kref.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "prxe.h"
#include "prxe_counters.h"
#include "prxe_mr.h"
#include "prxe_qp.h"

/* How long the QP task waits for a fault it has just handed out. */
#define PRXE_FAULT_WAIT_MS	10

/* How long a job may take before its QP's retransmit timer counts. */
#define PRXE_FAULT_PATIENCE_MS	30000

enum prxe_fault_state {
	PRXE_FAULT_IDLE,
	PRXE_FAULT_BUSY,	/* queued or running */
	PRXE_FAULT_DONE,	/* err is the result, for the next miss */
};

struct prxe_fault {
	struct work_struct	work;
	/* The QP's reference, and the work's while it is queued or runs. */
	struct kref		ref;
	spinlock_t		lock;		/* qp, state, range, err */
	struct prxe_qp		*qp;		/* NULL once the QP is destroyed */
	enum prxe_fault_state	state;
	/* BUSY, DONE: what is faulted (holding a region reference). */
	struct prxe_mr_range	range;
	u64			ahead;		/* bytes after it, best effort */
	/* Not a fault: a FLUSH's persistence of the range (tag: its PSN). */
	bool			persist;
	u32			tag;
	int			err;		/* DONE: of range, not of ahead */
	struct completion	done;
	unsigned long		queued_at;	/* BUSY: since when (jiffies) */
};

static struct workqueue_struct *prxe_fault_wq;

int prxe_fault_init(void)
{
	/*
	 * Unbound, and as wide as a workqueue gets: a fault that never ends
	 * keeps one worker, and must not keep others' faults waiting.
	 */
	prxe_fault_wq = alloc_workqueue("prxe_fault", WQ_UNBOUND,
					WQ_MAX_ACTIVE);
	return prxe_fault_wq ? 0 : -ENOMEM;
}

/* Module exit: every fault has ended (each held a module reference). */
void prxe_fault_exit(void)
{
	destroy_workqueue(prxe_fault_wq);
}

static void prxe_fault_free(struct kref *ref)
{
	struct prxe_fault *f = container_of(ref, struct prxe_fault, ref);

	if (f->state != PRXE_FAULT_IDLE)
		prxe_mr_put(f->range.mr);
	kfree(f);
}

static void prxe_fault_put(struct prxe_fault *f)
{
	kref_put(&f->ref, prxe_fault_free);
}

static void prxe_fault_work(struct work_struct *work)
{
	struct prxe_fault *f = container_of(work, struct prxe_fault, work);
	struct prxe_mr_range ahead = f->range;
	int err;

	if (f->persist) {
		err = prxe_odp_persist(f->range.mr, f->range.iova,
				       f->range.len);
		goto done;
	}
	err = prxe_mr_fault(&f->range);
	if (!err && f->ahead) {
		ahead.iova += ahead.len;
		ahead.len = f->ahead;
		prxe_mr_fault(&ahead);
	}
	/* Until the copy is made, invalidations hold back (a little). */
	if (!err && f->range.mr->odp)
		prxe_odp_hold(f->range.mr);
done:

	spin_lock(&f->lock);
	f->err = err;
	f->state = PRXE_FAULT_DONE;
	complete(&f->done);
	if (f->qp)
		prxe_qp_schedule(f->qp);
	spin_unlock(&f->lock);
	prxe_fault_put(f);
	module_put(THIS_MODULE);
}

int prxe_qp_fault_init(struct prxe_qp *qp)
{
	struct prxe_fault *f;

	f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);
	if (!f)
		return -ENOMEM;
	INIT_WORK(&f->work, prxe_fault_work);
	kref_init(&f->ref);
	spin_lock_init(&f->lock);
	init_completion(&f->done);
	f->qp = qp;
	qp->fault = f;
	return 0;
}

/*
 * QP reset: a result left by a fault of the old connection is forgotten
 * (a running fault's is not waited for; it is taken by nobody).
 */
void prxe_qp_fault_reset(struct prxe_qp *qp)
{
	struct prxe_fault *f = qp->fault;
	struct prxe_mr_range old = {};

	spin_lock(&f->lock);
	if (f->state == PRXE_FAULT_DONE) {
		old = f->range;
		f->state = PRXE_FAULT_IDLE;
	}
	spin_unlock(&f->lock);
	if (old.mr)
		prxe_mr_put(old.mr);
}

/*
 * QP destroy, after the QP left the tables: the slot forgets the QP.  A
 * fault not started yet is dropped; one running finishes on its own.
 */
void prxe_qp_fault_release(struct prxe_qp *qp)
{
	struct prxe_fault *f = qp->fault;

	if (!f)
		return;
	spin_lock(&f->lock);
	f->qp = NULL;
	spin_unlock(&f->lock);
	if (cancel_work(&f->work)) {
		/* Never ran: the work's references are dropped here. */
		prxe_fault_put(f);
		module_put(THIS_MODULE);
	}
	prxe_fault_put(f);
	qp->fault = NULL;
}

/*
 * Is the result in slot @f (state DONE) the answer to @job: a fault of its
 * range proper (not what was ahead) covering @job's, or the persistence
 * of @job's very range for the same FLUSH (@tag)?
 */
static bool prxe_fault_covers(const struct prxe_fault *f,
			      const struct prxe_mr_range *job, bool persist,
			      u32 tag)
{
	const struct prxe_mr_range *done = &f->range;

	if (f->persist || persist)
		return f->persist == persist && f->tag == tag &&
		       done->mr == job->mr && done->iova == job->iova &&
		       done->len == job->len;
	return done->mr == job->mr && (done->write || !job->write) &&
	       job->iova >= done->iova && job->len <= done->len &&
	       job->iova - done->iova <= done->len - job->len;
}

/*
 * Under f->lock, state DONE: the result, for @job if it is about @job
 * (0 or the fault's error), else -EAGAIN (start one for @job).  The slot
 * is idle afterwards; *@old gets the range's reference to put.
 */
static int prxe_fault_take(struct prxe_fault *f,
			   const struct prxe_mr_range *job, bool persist,
			   u32 tag, struct prxe_mr_range *old)
{
	int err = prxe_fault_covers(f, job, persist, tag) ? f->err : -EAGAIN;

	*old = f->range;
	f->state = PRXE_FAULT_IDLE;
	return err;
}

/*
 * Hand @job (whose region reference this takes over) to the QP's slot: a
 * fault of an ODP range an engine missed (@ahead bytes after it faulted
 * too, best effort, so that the next packets of a message find their
 * pages there), or with @persist the persistence of a FLUSH's range
 * (prxe_odp_persist(); @tag: the FLUSH's PSN).  Starts it unless the slot
 * is busy; with @wait, waits PRXE_FAULT_WAIT_MS for it.
 *
 * Returns 0 when @job is done (copy again, or answer the FLUSH);
 * -EINPROGRESS while the slot works (the worker schedules the task when it
 * is done); or the job's error: -EFAULT (a page that cannot be had),
 * -EACCES (the region is being deregistered), -ENOMEM, -ENODEV (the module
 * is going), and for persistence as prxe_odp_persist().
 */
static int prxe_qp_job(struct prxe_qp *qp, struct prxe_mr_range *job,
		       u64 ahead, bool persist, u32 tag, bool wait)
{
	struct prxe_mr_range old = {};
	struct prxe_fault *f = qp->fault;
	int err;

	lockdep_assert_held(&qp->mutex);
	spin_lock(&f->lock);
	switch (f->state) {
	case PRXE_FAULT_BUSY:
		/* One at a time: this one's turn comes when it is done. */
		spin_unlock(&f->lock);
		prxe_mr_put(job->mr);
		return -EINPROGRESS;
	case PRXE_FAULT_DONE:
		err = prxe_fault_take(f, job, persist, tag, &old);
		if (err != -EAGAIN) {
			spin_unlock(&f->lock);
			prxe_mr_put(old.mr);
			prxe_mr_put(job->mr);
			return err;
		}
		break;
	case PRXE_FAULT_IDLE:
		break;
	}
	if (!try_module_get(THIS_MODULE)) {
		spin_unlock(&f->lock);
		if (old.mr)
			prxe_mr_put(old.mr);
		prxe_mr_put(job->mr);
		return -ENODEV;
	}
	f->range = *job;
	f->ahead = ahead;
	f->persist = persist;
	f->tag = tag;
	f->state = PRXE_FAULT_BUSY;
	f->queued_at = jiffies;
	reinit_completion(&f->done);
	kref_get(&f->ref);
	queue_work(prxe_fault_wq, &f->work);
	spin_unlock(&f->lock);
	if (old.mr)
		prxe_mr_put(old.mr);
	prxe_counter_inc(qp->prxe, PRXE_CNT_ODP_FAULT_WORKS);

	/* A quick job is waited for; a slow one holds up nobody. */
	if (!wait) {
		prxe_counter_inc(qp->prxe, PRXE_CNT_ODP_FAULT_WAITS);
		return -EINPROGRESS;
	}
	wait_for_completion_timeout(&f->done,
				    msecs_to_jiffies(PRXE_FAULT_WAIT_MS));
	spin_lock(&f->lock);
	if (f->state != PRXE_FAULT_DONE) {
		spin_unlock(&f->lock);
		prxe_counter_inc(qp->prxe, PRXE_CNT_ODP_FAULT_WAITS);
		return -EINPROGRESS;
	}
	err = prxe_fault_take(f, &f->range, persist, tag, &old);
	spin_unlock(&f->lock);
	prxe_mr_put(old.mr);
	return err;
}

/*
 * Has @qp's slot been working on one job for more than
 * PRXE_FAULT_PATIENCE_MS?  A QP waiting for its own faults does not count
 * retransmit timeouts against its peer (prxe_comp.c) until then: a slow
 * disk is waited for, a fault that does not end fails its request in
 * bounded time.
 */
bool prxe_qp_job_stuck(struct prxe_qp *qp)
{
	struct prxe_fault *f = qp->fault;
	bool stuck;

	spin_lock(&f->lock);
	stuck = f->state == PRXE_FAULT_BUSY &&
		time_after(jiffies, f->queued_at +
			   msecs_to_jiffies(PRXE_FAULT_PATIENCE_MS));
	spin_unlock(&f->lock);
	return stuck;
}

/**
 * prxe_qp_persist() - a FLUSH's persistence of an ODP range, in a worker
 * @qp: the responder's QP (qp->mutex held)
 * @mr: the ODP region (the caller keeps its own reference)
 * @iova: the range's first byte
 * @len: its length, > 0, checked against the region
 * @psn: the FLUSH's PSN: a result is only ever that FLUSH's
 *
 * Return: 0 or prxe_odp_persist()'s error once done; -EINPROGRESS
 * meanwhile (the FLUSH stays queued, and is taken again when the worker
 * schedules the task); errors as prxe_qp_job().
 */
int prxe_qp_persist(struct prxe_qp *qp, struct prxe_mr *mr, u64 iova,
		    u64 len, u32 psn)
{
	struct prxe_mr_range job = { .mr = mr, .iova = iova, .len = len };

	prxe_mr_ref(mr);
	return prxe_qp_job(qp, &job, 0, true, psn, true);
}

/* Make the copy @c once: as prxe_mr_copy() / prxe_sge_copy(). */
static int prxe_copy_once(struct prxe_qp *qp, const struct prxe_copy *c,
			  struct prxe_mr_range *miss)
{
	if (c->atomic)
		return prxe_mr_atomic(c->mr, c->iova, c->atomic, miss);
	if (c->mr)
		return prxe_mr_copy(c->mr, c->iova, c->buf, c->len, c->dir,
				    miss);
	return prxe_sge_copy(qp->prxe, c->pd, c->sge, c->num_sge, c->offset,
			     c->buf, c->len, c->dir, c->access, miss);
}

/**
 * prxe_qp_copy() - an engine's copy, with the ODP faults it needs
 * @qp: the QP whose task runs the engine (qp->mutex held)
 * @c: the copy
 *
 * Pages not mirrored are faulted in by the QP's fault slot, waited for a
 * little, and the copy made again.  If they went once more meanwhile
 * (an invalidation storm), or the fault takes longer, the copy is left
 * to the engine to make again when the fault is done (-EINPROGRESS).
 *
 * Return: 0; the copy's error (-EACCES, -EMSGSIZE, -EINVAL: see
 * prxe_mr_copy(), prxe_sge_copy(), prxe_mr_atomic()); the fault's
 * (prxe_qp_job()); or -EINPROGRESS: a fault runs, and the worker
 * schedules the QP's task when it is done.
 */
int prxe_qp_copy(struct prxe_qp *qp, const struct prxe_copy *c)
{
	struct prxe_mr *held = NULL;
	struct prxe_mr_range miss;
	bool wait = true;
	int err;

	lockdep_assert_held(&qp->mutex);
	for (;;) {
		err = prxe_copy_once(qp, c, &miss);
		if (held) {
			prxe_mr_unhold(held);
			prxe_mr_put(held);
			held = NULL;
		}
		if (err != -EAGAIN)
			return err;
		/*
		 * Waited for once; pages gone again after that are faulted
		 * again without waiting, which (the slot being idle) ends in
		 * -EINPROGRESS: no loop under qp->mutex.
		 */
		held = miss.mr;
		prxe_mr_ref(held);
		err = prxe_qp_job(qp, &miss, c->ahead, false, 0, wait);
		if (err) {
			prxe_mr_put(held);
			return err;
		}
		wait = false;
	}
}
