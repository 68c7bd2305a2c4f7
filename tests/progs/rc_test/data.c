// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe_rc_test: data patterns, where messages lie in their slots, and
 * the checks of memory that say what was wrong.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rc_test.h"

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

uint64_t data_key(uint64_t seed, uint64_t msg)
{
	return mix64(seed ^ mix64(msg));
}

static uint64_t poison_key(uint64_t seed)
{
	return mix64(~seed ^ 0x706f69736f6e2121ull);
}

uint32_t imm_of(uint64_t seed, uint64_t msg)
{
	return (uint32_t)mix64(seed ^ msg ^ 0x696d6d6564696174ull);
}

void pattern_fill(uint8_t *dst, uint64_t key, uint64_t off, size_t len)
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

uint64_t atomic_initial(uint64_t seed, uint64_t msg)
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
uint64_t atomic_operands(enum op op, uint64_t seed, uint64_t msg,
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

void layout_contig(struct layout *l, uint32_t off, uint32_t len)
{
	l->n = len ? 1 : 0;
	l->p[0].off = off;
	l->p[0].len = len;
}

/*
 * Split @len bytes into at most @nsge pieces, each at least one byte, of
 * lengths growing with the piece number (or shrinking if @descending).
 */
void layout_split(struct layout *l, uint32_t off, uint32_t len,
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

uint32_t slot_stride(const struct cfg *c, uint32_t max_size)
{
	uint32_t s = c->offset + max_size + RECV_SLACK + c->nsge * SGE_GAP +
		     GUARD;

	return (s + 63) & ~63u;
}

/* Bytes of a slot that a message of @size touches and that are checked. */
uint32_t slot_extent(const struct cfg *c, uint32_t stride, uint32_t size)
{
	uint32_t e = c->offset + size + RECV_SLACK + c->nsge * SGE_GAP + GUARD;

	return e < stride ? e : stride;
}

/* ------------------------------------------------------------------------
 * Verification of memory
 */

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

int region_check(const struct vctx *v, const struct region *r)
{
	const uint8_t *p = (v->mem ? v->mem : v->ep->buf) + r->off;
	uint64_t seed = v->s->c->seed;
	uint8_t want[16];
	char ws[64], ss[64], desc[160];
	size_t bad, n;

	switch (r->kind) {
	case EXP_ANY:
		return 0;
	case EXP_POISON:
		if (v->ep->holes) {	/* a hole reads as zeros */
			for (bad = 0; bad < r->len && !p[bad]; bad++)
				;
			break;
		}
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
		if (v->ep->holes)
			memset(want, 0, n);
		else
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
		     "message %" PRIu64 " (size %u, slot %u): %s, byte %zu%s: buffer offset 0x%zx%s%s: expected %s, seen %s (%s)",
		     v->m->id, v->m->size, v->slot, r->what,
		     (size_t)(r->kind == EXP_DATA ? r->logical + bad : bad),
		     r->kind == EXP_DATA ? " of the message" : "",
		     r->off + bad, v->mem ? v->mem_how : "",
		     v->mem ? v->ep->file : "", ws, ss, desc);
	else
		fail(v->ep->role, "%s, byte %zu: buffer offset 0x%zx%s%s: expected %s, seen %s (%s)",
		     r->what, bad, r->off + bad,
		     v->mem ? v->mem_how : "", v->mem ? v->ep->file : "",
		     ws, ss, desc);
	return -1;
}

/*
 * Check slot @slot against @l holding the message's first @size bytes:
 * data in the pieces, poison in the gaps, in the rest of the pieces and up
 * to @extent.  @data_any: the pieces' content is not checked (error
 * scenarios may place part of a message).
 */
int verify_slot(struct vctx *v, const struct layout *l, uint32_t size,
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
int verify_atomic_slot(struct vctx *v, uint32_t off, uint64_t value,
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

/*
 * --file-io: the slot's first @extent bytes as the file holds them, read
 * with pread(2) into the shadow buffer and through a second mapping of the
 * file (not the one the region is on), each checked like the mapping: what
 * the device wrote reached the file, and the file holds what was there
 * before.
 */
int verify_slot_file(struct vctx *v, const struct layout *l, uint32_t size,
		     uint32_t extent)
{
	struct ep *ep = v->ep;
	size_t base = (size_t)v->slot * v->s->stride, done = 0;
	ssize_t n;
	int rc;

	if (!ep->file_io)
		return 0;
	while (done < extent) {
		n = pread(ep->fd, ep->shadow + base + done, extent - done,
			  ep->file_off + base + done);
		if (n <= 0)
			return fail(ep->role, "pread %s at %jd: %s", ep->file,
				    (intmax_t)(ep->file_off + base + done),
				    n ? strerror(errno) : "end of file");
		done += n;
	}
	v->mem = ep->shadow;
	v->mem_how = " as pread(2) from ";
	rc = verify_slot(v, l, size, extent, false);
	if (!rc) {
		v->mem = ep->map2;
		v->mem_how = " through a second mapping of ";
		rc = verify_slot(v, l, size, extent, false);
	}
	v->mem = NULL;
	return rc;
}

void poison(struct sess *s, struct ep *ep, size_t off, size_t len)
{
	if (ep->holes)	/* punch_holes() made the whole buffer zeros */
		return;
	pattern_fill(ep->buf + off, poison_key(s->c->seed), off, len);
}

/*
 * --holes: the responder's buffer becomes a hole in its file again (before
 * each batch), so that the device's own writes must allocate the blocks:
 * no CPU store touches it.  Its "poison" is zeros.
 */
int punch_holes(struct ep *ep)
{
	if (!ep->holes)
		return 0;
	if (fallocate(ep->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      ep->file_off, ep->map_len))
		return fail(ep->role, "punching a hole of %zu bytes in %s: %s",
			    ep->map_len, ep->file, strerror(errno));
	return 0;
}

/*
 * Copy message data into the pieces of @l in slot @slot: through the
 * mapping, or with --file-io written into the file with pwrite(2).
 */
int fill_message(struct sess *s, struct ep *ep, unsigned int slot,
		 const struct layout *l, const struct msg *m)
{
	size_t base = (size_t)slot * s->stride;
	uint64_t key = data_key(s->c->seed, m->id), logical = 0;
	unsigned int i;
	uint8_t *tmp;
	ssize_t n;

	for (i = 0; i < l->n; i++) {
		const struct piece *p = &l->p[i];

		if (!ep->file_io) {
			pattern_fill(ep->buf + base + p->off, key, logical, p->len);
			logical += p->len;
			continue;
		}
		tmp = malloc(p->len);
		if (!tmp)
			return fail(ep->role, "out of memory");
		pattern_fill(tmp, key, logical, p->len);
		n = pwrite(ep->fd, tmp, p->len, ep->file_off + base + p->off);
		free(tmp);
		if (n != (ssize_t)p->len)
			return fail(ep->role, "pwrite of %u bytes to %s at %jd: %s",
				    p->len, ep->file,
				    (intmax_t)(ep->file_off + base + p->off),
				    n < 0 ? strerror(errno) : "short write");
		logical += p->len;
	}
	return 0;
}
