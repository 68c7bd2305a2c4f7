// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe_odp_change: data patterns; the checks of the words of a chunk and,
 * at the end, of the responder's buffer.
 *
 * The 8-byte word w of chunk c written by work request s is pattern(s, c,
 * w): its tag, s, c and w, so that a word out of place says where it
 * came from.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "odp_change.h"

uint64_t pattern(uint32_t seq, uint32_t c, uint32_t w)
{
	return PAT_TAG << 48 | (uint64_t)(seq & MAX_SEQ) << 24 |
	       (uint64_t)(c & 0xfff) << 12 | (w & 0xfff);
}

uint64_t canary_word(size_t i)
{
	return CANARY_TAG << 48 | (i & 0xffffffffffffull);
}

void fill_chunk(void *p, uint32_t seq, uint32_t c)
{
	uint64_t *q = p;
	uint32_t w;

	for (w = 0; w < opt.chunk / 8; w++)
		q[w] = pattern(seq, c, w);
}

void fill_words(void *p, size_t len, uint64_t v)
{
	uint64_t *q = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		q[i] = v;
}

/* Word @v and what it looks like. */
const char *word_kind(uint64_t v)
{
	const char *kind;

	if (v >> 48 == PAT_TAG)
		kind = strf("write %" PRIu64 " to chunk %" PRIu64 " word %" PRIu64,
			    (v >> 24) & MAX_SEQ, (v >> 12) & 0xfff, v & 0xfff);
	else if (v >> 48 == CANARY_TAG)
		kind = strf("canary word %" PRIu64,
			    (uint64_t)(v & 0xffffffffffffull));
	else if (v == POISON)
		kind = "poison";
	else if (!v)
		kind = "zero";
	else
		kind = "foreign data";
	return strf("0x%016" PRIx64 " (%s)", v, kind);
}

/* Whether word @v at word @w of chunk @c keeps @r. */
bool word_ok(uint64_t v, uint32_t c, uint32_t w, const struct rule *r)
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
	return s == run.last_ok[c] ||
	       (s > run.last_ok[c] && s < run.next_seq && (s - 1) % opt.nchunk == c);
}

/* What @r allows, in words. */
static const char *rule_str(const struct rule *r, uint32_t c)
{
	if (r->zero_only)
		return "zero";
	if (r->exact)
		return strf("write %u%s", r->seq, r->zero_ok ? " or zero" : "");
	return strf("write %u (the last completed) or a later failed one%s%s",
		    run.last_ok[c], r->zero_ok ? ", or zero" : "",
		    r->forbid_from ? "; none posted after the change" : "");
}

/*
 * Check chunk @c's words at @q against @r: a bad word is a failed check
 * (the first SHOW_BAD of them said); returns the bad words.
 */
uint32_t check_chunk(const uint64_t *q, uint32_t c, const struct rule *r,
		     const char *where)
{
	uint32_t w, bad = 0;

	for (w = 0; w < opt.chunk / 8; w++) {
		if (word_ok(q[w], c, w, r))
			continue;
		if (bad++ >= SHOW_BAD)
			continue;
		check_fail(rule_str(r, c), word_kind(q[w]), "%s chunk %u word %u",
			   where, c, w);
	}
	if (bad > SHOW_BAD)
		note("%s chunk %u: %u bad words in all", where, c, bad);
	return bad;
}

/* --inject data: a word of a work request that was never to reach chunk
 * @c, in a copy of @p; the copy's bad words. */
static uint32_t check_injected(const uint64_t *p, uint32_t c,
			       const struct rule *r)
{
	uint32_t stale = run.last_ok[c] > opt.nchunk ?
			 run.last_ok[c] - opt.nchunk : run.next_seq;
	uint64_t *x = malloc(opt.chunk);
	uint32_t bad;

	if (!x)
		die("out of memory");
	memcpy(x, p, opt.chunk);
	x[opt.chunk / 16] = pattern(stale, c, opt.chunk / 16);
	note("inject: chunk %u word %u holds a word of write %u", c,
	     opt.chunk / 16, stale);
	bad = check_chunk(x, c, r, "end:");
	free(x);
	return bad;
}

/*
 * The responder's buffer at the end, where it can still be read: every
 * chunk holds the last write that completed to it (or, only where a
 * failed or flushed work request may have been partly placed, that one's
 * words), never a word of one posted after a change that took the memory
 * away.
 */
void check_memory(void)
{
	uint32_t c, bad = 0, checked = 0;
	size_t readable = run.rbuf.map.len;
	uint64_t *q = NULL;

	if (opt.op == OP_READ)
		return;		/* checked in the requester's slots */
	if (run.rbuf.gone && run.rbuf.cpu == run.rbuf.map.addr) {
		note("the %s is gone: nothing to read back (the canary says the rest)",
		     run.rbuf.what);
		return;
	}
	if (opt.kind == K_TRUNCATE && !opt.local) {
		/* What is left of the file, read with pread. */
		readable = run.cut;
		q = malloc(readable);
		if (!q)
			die("out of memory");
		if (pread(run.rbuf.map.fd, q, readable, 0) != (ssize_t)readable)
			die("pread %s: %s", run.rbuf.map.path, strerror(errno));
	}
	for (c = 0; c < opt.nchunk; c++) {
		struct rule r = { 0 };
		const uint64_t *p;

		if ((size_t)(c + 1) * opt.chunk > readable)
			break;
		p = (const uint64_t *)((q ? (uint8_t *)q : run.rbuf.cpu) +
				       (size_t)c * opt.chunk);
		checked++;
		if (opt.inject == 2 && c == opt.nchunk / 2 - 1) {
			bad += check_injected(p, c, &r) != 0;
			continue;
		}
		if (access_lost(c) || (opt.local && run.lbuf.gone))
			r.forbid_from = run.first_after;
		if (chunk_in_hole(c) && run.last_ok[c] < run.first_after)
			r.zero_ok = true;
		bad += check_chunk(p, c, &r, "end:") != 0;
	}
	free(q);
	/* Each bad word was a failed check: this says all the others held. */
	if (!bad)
		check_pass(strf("%u chunks of the %s%s hold the last write completed to them%s%s",
				checked, run.rbuf.what,
				opt.kind == K_MREMAP && !opt.local ? " (moved)" :
				opt.kind == K_TRUNCATE && !opt.local ?
				" (before the cut, pread)" : "",
				run.hole_len ? " or zero in the hole" : "",
				any_access_lost() ? ", nothing written after the change" : ""),
			   "end");
}
