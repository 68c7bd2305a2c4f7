// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe_rc_test: verified transfers, batch by batch.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rc_test.h"

static uint32_t atomic_off(const struct cfg *c)
{
	return c->offset & ~7u;
}

/* Bytes of message data a slot holds: -o persist adds its commit word. */
uint32_t msg_data_len(const struct cfg *c, const struct msg *m)
{
	return c->op == OP_PERSIST ? m->size + 8 : m->size;
}

/* Work requests a message takes. */
unsigned int wrs_per_msg(const struct cfg *c)
{
	switch (c->op) {
	case OP_FLUSH:
		return 2;
	case OP_ATOMIC_WRITE:
		return AW_WORDS;
	case OP_PERSIST:
		return 4;
	default:
		return 1;
	}
}

/* The byte_len of a work request's successful completion; -1: undefined. */
int64_t wr_byte_len(const struct wr_desc *w)
{
	uint64_t len = 0;
	unsigned int i;

	switch (w->op) {
	case OP_READ:
		for (i = 0; i < w->nsge; i++)
			len += w->sge[i].length;
		return len;
	case OP_CMP_SWP:
	case OP_FETCH_ADD:
	case OP_ATOMIC_WRITE:
		return 8;
	case OP_FLUSH:
		return w->len;	/* as posted, whatever the level */
	default:
		return -1;
	}
}

/* -o atomic_write: AW_WORDS words of 8 bytes, AW_STEP apart, from @off. */
void aw_layout(struct layout *l, uint32_t off)
{
	unsigned int j;

	l->n = AW_WORDS;
	for (j = 0; j < AW_WORDS; j++) {
		l->p[j].off = off + j * AW_STEP;
		l->p[j].len = 8;
	}
}

/* -o persist: append the commit word after the record's pieces in @l. */
static void persist_add_commit(struct layout *l, uint32_t record_off)
{
	uint32_t end = l->n ? l->p[l->n - 1].off + l->p[l->n - 1].len :
			      record_off;

	l->p[l->n].off = ((end + 7) & ~7u) + COMMIT_GAP;
	l->p[l->n].len = 8;
	l->n++;
}

/* -o persist: the offset in the responder's slot of a record's commit word. */
uint64_t persist_commit_off(const struct cfg *c, uint32_t size)
{
	struct layout l;

	layout_contig(&l, c->offset, size);
	persist_add_commit(&l, c->offset);
	return l.p[l.n - 1].off;
}

/*
 * Where message @m lies in the responder's slot: written (or read) in one
 * piece at the offset; atomics at the aligned offset; -o persist the
 * record and its commit word.  Not for receives (recv_layout()).
 */
void resp_layout(const struct sess *s, const struct msg *m, struct layout *l)
{
	const struct cfg *c = s->c;

	if (ops[c->op].atomic) {
		layout_contig(l, atomic_off(c), 8);
	} else if (c->op == OP_ATOMIC_WRITE) {
		aw_layout(l, atomic_off(c));
	} else {
		layout_contig(l, c->offset, m->size);
		if (c->op == OP_PERSIST)
			persist_add_commit(l, c->offset);
	}
}

/* The requester's pieces of message @m. */
void req_layout(const struct sess *s, const struct msg *m, struct layout *l)
{
	if (ops[s->c->op].atomic) {
		layout_contig(l, atomic_off(s->c), 8);
	} else if (s->c->op == OP_ATOMIC_WRITE) {
		aw_layout(l, atomic_off(s->c));
	} else {
		layout_split(l, s->c->offset, m->size, s->c->nsge, false);
		if (s->c->op == OP_PERSIST)
			persist_add_commit(l, s->c->offset);
	}
}

/* The responder's receive buffer for @size bytes: split the other way. */
void recv_layout(const struct sess *s, uint32_t capacity, struct layout *l)
{
	layout_split(l, s->c->offset, capacity, s->c->nsge, true);
}

void layout_sges(const struct sess *s, struct ep *ep, unsigned int slot,
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

uint64_t remote_addr(const struct sess *s, const struct ep *ep,
		     unsigned int slot)
{
	uint32_t off = ops[s->c->op].atomic || s->c->op == OP_ATOMIC_WRITE ?
		       atomic_off(s->c) : s->c->offset;

	return ep->remote.addr + (uint64_t)slot * s->stride + off;
}

static bool solicited_mode(const struct sess *s)
{
	return (s->c->flags & CF_EVENTS) && (s->c->flags & CF_SOLICITED);
}

/* Responder: poison the slots, lay out sources, post receives, arm. */
int resp_prepare(struct sess *s, const struct batch *b)
{
	struct ep *ep = s->resp;
	const struct op_desc *d = &ops[s->c->op];
	struct ibv_recv_wr wr[MAX_DEPTH + 1];
	struct ibv_sge sge[MAX_DEPTH + 1][MAX_SGE + 1];	/* + --ud's GRH */
	struct layout l;
	unsigned int k, nr = 0;

	memset(wr, 0, sizeof(wr));
	if (punch_holes(ep))
		return -1;
	for (k = 0; k < b->n; k++) {
		const struct msg *m = &b->m[k];

		poison(s, ep, (size_t)k * s->stride,
		       slot_extent(s->c, s->stride, m->size));
		if (s->c->op == OP_READ) {
			layout_contig(&l, s->c->offset, m->size);
			if (fill_message(s, ep, k, &l, m))
				return -1;
		} else if (d->atomic) {
			layout_contig(&l, atomic_off(s->c), 8);
			if (fill_message(s, ep, k, &l, m))
				return -1;
		}
		if (!d->recv)
			continue;
		wr[nr].wr_id = RECV_TAG | m->id;
		if (!d->remote) {	/* send: a buffer a little larger than the message */
			struct ibv_sge *sg = sge[nr];

			/* --ud: the GRH into a buffer of its own, first. */
			if (s->c->flags & CF_UD) {
				memset(ep->grh + k * GRH_BYTES, 0xa5, GRH_BYTES);
				sg->addr = (uintptr_t)ep->grh + k * GRH_BYTES;
				sg->length = GRH_BYTES;
				sg->lkey = ep->grh_mr->lkey;
				sg++;
			}
			recv_layout(s, m->size + RECV_SLACK, &l);
			layout_sges(s, ep, k, &l, sg);
			wr[nr].sg_list = sge[nr];
			wr[nr].num_sge = l.n + (sg - sge[nr]);
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

/* A FLUSH of @len bytes at @raddr, as the test asks. */
static void flush_wr(const struct sess *s, struct wr_desc *w, uint64_t wr_id,
		     uint64_t raddr, uint32_t rkey, uint64_t len)
{
	w->op = OP_FLUSH;
	w->wr_id = wr_id;
	w->raddr = raddr;
	w->rkey = rkey;
	w->len = len;
	w->flush_type = s->c->flush_type;
	w->flush_level = s->c->flush_level;
}

/*
 * The work requests of message @m in slot @k (its requester pieces @l,
 * filled): one for most operations; WRITE + FLUSH; AW_WORDS ATOMIC
 * WRITEs; WRITE, FLUSH, ATOMIC WRITE, FLUSH.  The nth has wr_id
 * m->id | n << WR_INDEX_SHIFT.  Returns how many.
 */
static unsigned int msg_wrs(struct sess *s, struct ep *ep, unsigned int k,
			    const struct msg *m, const struct layout *l,
			    struct wr_desc *w)
{
	const struct cfg *c = s->c;
	uint64_t slot = ep->remote.addr + (uint64_t)k * s->stride;
	uint8_t *base = ep->buf + (size_t)k * s->stride;
	struct layout rec = *l;
	unsigned int j, n = 0;

	switch (c->op) {
	case OP_ATOMIC_WRITE:
		for (j = 0; j < AW_WORDS; j++) {
			w[j].op = OP_ATOMIC_WRITE;
			w[j].wr_id = m->id | (uint64_t)j << WR_INDEX_SHIFT;
			w[j].raddr = slot + l->p[j].off;	/* the same layout */
			w[j].rkey = ep->remote.rkey;
			w[j].aw = base + l->p[j].off;
		}
		return AW_WORDS;
	case OP_FLUSH:
	case OP_PERSIST:
		if (c->op == OP_PERSIST)
			rec.n--;	/* the record's pieces, not the commit word */
		w[n].op = OP_WRITE;
		w[n].wr_id = m->id;
		w[n].nsge = rec.n;
		layout_sges(s, ep, k, &rec, w[n].sge);
		w[n].raddr = slot + c->offset;
		w[n].rkey = ep->remote.rkey;
		n++;
		flush_wr(s, &w[n], m->id | (uint64_t)n << WR_INDEX_SHIFT,
			 slot + c->offset, ep->remote.rkey, m->size);
		n++;
		if (c->op == OP_FLUSH)
			return n;
		w[n].op = OP_ATOMIC_WRITE;
		w[n].wr_id = m->id | (uint64_t)n << WR_INDEX_SHIFT;
		w[n].raddr = slot + persist_commit_off(c, m->size);
		w[n].rkey = ep->remote.rkey;
		w[n].aw = base + l->p[l->n - 1].off;
		n++;
		flush_wr(s, &w[n], m->id | (uint64_t)n << WR_INDEX_SHIFT,
			 w[n - 1].raddr, ep->remote.rkey, 8);
		return n + 1;
	default:
		w->op = c->op;
		w->wr_id = m->id;
		w->nsge = l->n;
		layout_sges(s, ep, k, l, w->sge);
		w->raddr = remote_addr(s, ep, k);
		w->rkey = ep->remote.rkey;
		w->imm = imm_of(c->seed, m->id);
		if (ops[c->op].atomic)
			atomic_operands(c->op, c->seed, m->id, &w->compare_add,
					&w->swap);
		return 1;
	}
}

/* Requester: work requests for messages [from, to) of @b (and the fence). */
static int req_post_and_complete(struct sess *s, const struct batch *b,
				 unsigned int from, unsigned int to)
{
	struct ep *ep = s->req;
	const struct cfg *c = s->c;
	const struct op_desc *d = &ops[c->op];
	struct wr_desc wd[MAX_WRS + 1];
	struct wc_expect e[MAX_WRS + 1];
	unsigned int k, n = 0, ne = 0, i, half, ne_half = 0, first;
	bool fence = c->op == OP_WRITE && to == b->n;
	struct layout l;

	/* --sqd: the first half is signaled at its end, then drained. */
	half = (c->flags & CF_SQD) ? (to - from + 1) / 2 : 0;
	memset(wd, 0, sizeof(wd));
	for (k = from; k < to; k++) {
		const struct msg *m = &b->m[k];
		struct wr_desc *w;
		bool last_wr;

		req_layout(s, m, &l);
		poison(s, ep, (size_t)k * s->stride,
		       slot_extent(c, s->stride, m->size));
		if (!d->atomic && c->op != OP_READ &&
		    fill_message(s, ep, k, &l, m))
			return -1;
		first = n;
		n += msg_wrs(s, ep, k, m, &l, &wd[n]);
		w = &wd[first];	/* single-WR operations: the one WR */
		last_wr = (k == to - 1 && !fence) || n == half;
		if ((c->flags & CF_INLINE) && !d->atomic && c->op != OP_READ &&
		    m->size <= ep->max_inline)
			w->flags |= IBV_SEND_INLINE;
		if (k == b->n - 1 && d->recv && solicited_mode(s))
			w->flags |= IBV_SEND_SOLICITED;
		/*
		 * A message's last work request is signaled every --unsignaled
		 * messages (and at the end), the ones before it only when all
		 * are.
		 */
		for (i = first; i < n; i++) {
			if (i + 1 < n ? c->unsig > 1 :
			    (k + 1) % c->unsig != 0 && !last_wr)
				continue;
			wd[i].flags |= IBV_SEND_SIGNALED;
			e[ne++] = (struct wc_expect){
				.wr_id = wd[i].wr_id, .status = IBV_WC_SUCCESS,
				.opcode = ops[wd[i].op].req_wc,
				.byte_len = wr_byte_len(&wd[i]),
			};
		}
		if (n == half)
			ne_half = ne;
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
	/* --evict: the sources (or READ targets) must come from the disk. */
	if ((c->flags & CF_EVICT) && ep_evict(ep))
		return -1;
	if (half) {
		/*
		 * The first half, drained in SQD; the rest posted in SQD must
		 * wait for RTS.
		 */
		if (post_wrs(s, ep, wd, half) || qp_drain_sqd(s, ep) ||
		    expect_completions(s, ep, e, ne_half,
				       "requester completions before SQ_DRAINED") ||
		    (n > half && post_wrs(s, ep, wd + half, n - half)) ||
		    (n > half &&
		     cq_expect_quiet(ep, 200, "work requests posted in SQD")) ||
		    qp_resume_rts(ep))
			return -1;
	} else if (post_wrs(s, ep, wd, n)) {
		return -1;
	}
	/* Inline data is the device's once posted: spoil the source. */
	for (i = 0; i < n; i++)
		if (wd[i].flags & IBV_SEND_INLINE)
			poison(s, ep, (size_t)(from + i) * s->stride,
			       slot_extent(c, s->stride, b->m[from + i].size));
	return expect_completions(s, ep, e + ne_half, ne - ne_half,
				  "requester completions");
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

	if (s->c->inject == INJ_GRH && !s->injected) {
		s->injected = true;
		ep->grh[(size_t)slot * GRH_BYTES + 33] ^= 0x01;
		info(ep->role, "injected damage (grh) into the GRH of message %" PRIu64,
		     m->id);
		return;
	}
	if (!s->c->inject || s->c->inject == INJ_GRH || s->injected ||
	    m->size < 16 || p0->len < 16)
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
			if (verify_slot(&v, &l, m->size, extent, false) ||
			    verify_slot_file(&v, &l, m->size, extent))
				return -1;
		} else if (!((c->flags & CF_INLINE) && m->size <= ep->max_inline)) {
			/* Sending must leave the source as it was. */
			uint32_t len = msg_data_len(c, m);

			if (verify_slot(&v, &l, len, extent, false) ||
			    verify_slot_file(&v, &l, len, extent))
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
			.opcode = d->recv_wc,
			.byte_len = b->m[k].size +
				    (c->flags & CF_UD ? GRH_BYTES : 0),
			.imm = d->imm ? IMM_VALUE : IMM_NONE,
			.imm_data = imm_of(c->seed, b->m[k].id),
			.datagram = c->flags & CF_UD,
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
			resp_layout(s, m, &l);
		else
			recv_layout(s, m->size + RECV_SLACK, &l);
		if (c->op != OP_READ)
			inject_damage(s, ep, k, &l, m);
		/*
		 * -o atomic_write: each word holds the 8 bytes sent, byte for
		 * byte; -o persist: the record, then its commit word.
		 */
		if (verify_slot(&v, &l, msg_data_len(c, m), extent, false) ||
		    verify_slot_file(&v, &l, msg_data_len(c, m), extent) ||
		    ((c->flags & CF_UD) && verify_grh(ep, k)))
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

int run_batch(struct sess *s, const struct batch *b)
{
	bool mid = solicited_mode(s) && ops[s->c->op].recv && b->n > 1;
	int rc = 0;

	if (s->resp)
		rc = resp_prepare(s, b);
	if (s->resp && !rc && (s->c->flags & CF_EVICT))
		rc = ep_evict(s->resp);
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

uint32_t max_size(const struct cfg *c)
{
	uint32_t i, m = 0;

	if (ops[c->op].atomic)
		return 8;
	if (c->op == OP_ATOMIC_WRITE)
		return AW_SPAN;
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
	} else if (ops[c->op].atomic || c->op == OP_ATOMIC_WRITE) {
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
	} else if (ops[c->op].atomic || c->op == OP_ATOMIC_WRITE) {
		for (i = 0; i < n; i++)
			list[i] = (struct msg){ id++, c->op == OP_ATOMIC_WRITE ?
						AW_WORDS * 8 : 8 };
	} else {
		for (s = 0; s < c->nsizes; s++)
			for (i = 0; i < c->iters; i++)
				list[s * c->iters + i] = (struct msg){ id++, c->sizes[s] };
	}
	*count = n;
	return list;
}

int run_transfers(struct sess *s)
{
	const struct cfg *c = s->c;
	const struct phase_opts po = { .rnr_retry = 7 };
	const char *role = s->req ? s->req->role : s->resp->role;
	struct batch b = { 0 };
	struct msg *list;
	struct storm *storm = NULL;
	size_t count, i = 0;
	uint64_t t0, bytes = 0;
	double secs;
	int rc;

	list = message_list(c, &count);
	if (!list)
		return fail(role, "out of memory");
	rc = phase_begin(s, &po);
	if (!rc && (c->flags & CF_STORM)) {
		storm = storm_start(s, c->flags & CF_BUSY_STORM);
		if (!storm)
			rc = -1;
	}
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
		if (!rc && (c->flags & CF_INVALIDATE) && s->req)
			rc = ep_invalidate(s->req);
		if (!rc && (c->flags & CF_INVALIDATE) && s->resp &&
		    s->resp != s->req)
			rc = ep_invalidate(s->resp);
		b.index++;
	}
	secs = (now_ns() - t0) / 1e9;
	if (storm_stop(storm) && !rc)
		rc = -1;
	/* Every completion was expected: none may be left over. */
	if (!rc && s->req)
		rc = cq_expect_quiet(s->req, 0, "requester CQ after the last batch");
	if (!rc && s->resp)
		rc = cq_expect_quiet(s->resp, 0, "responder CQ after the last batch");
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
