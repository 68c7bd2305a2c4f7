// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe_ring_test: unit test of the provider's ring index arithmetic
 * (providers/prxe/ring.h), in ordinary memory, no device needed.
 *
 * Usage: prxe_ring_test [ENTRIES_TO_PASS]
 *
 * 1. One thread: empty and full rings, entry addressing, the wrap of the
 *    free-running u32 indices at 2^32, and broken indices (a producer more
 *    than a ring ahead, a consumer ahead of the producer).
 * 2. Two threads: a producer writes ENTRIES_TO_PASS (default 1000000)
 *    entries in batches of varying size into a small ring whose indices
 *    start just below 2^32, a consumer reads them back in batches of its
 *    own; every entry must arrive once, in order, with all of its bytes as
 *    written before the producer published it.
 *
 * Prints "ok: ..." per check; on a failure, what was expected and what was
 * seen, and exits 1.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ring.h"

/* A two-thread run without progress for this long has lost entries. */
#define STALL_SECONDS	30

static void fail(const char *what, uint64_t expected, uint64_t seen)
{
	fprintf(stderr, "prxe_ring_test: FAIL: %s: expected %" PRIu64
		", seen %" PRIu64 "\n", what, expected, seen);
	exit(1);
}

static void expect(const char *what, uint64_t expected, uint64_t seen)
{
	if (expected != seen)
		fail(what, expected, seen);
}

/* A ring in ordinary memory, indices set to @start. */
static void *ring_alloc(struct prxe_uring *ring, uint32_t num_entries,
			uint32_t entry_size, uint32_t start)
{
	size_t size = PRXE_RING_HDR_SIZE + (size_t)num_entries * entry_size;
	void *mem = aligned_alloc(64, size);

	if (!mem) {
		perror("prxe_ring_test: aligned_alloc");
		exit(1);
	}
	memset(mem, 0, size);
	prxe_uring_init(ring, mem, size, num_entries, entry_size);
	ring->hdr->producer = start;
	ring->hdr->consumer = start;
	return mem;
}

/* --- 1. single thread -------------------------------------------------- */

static void test_addressing(void)
{
	struct prxe_uring ring;
	void *mem = ring_alloc(&ring, 8, 48, 0);
	uint8_t *base = (uint8_t *)mem + PRXE_RING_HDR_SIZE;
	uint32_t i;

	for (i = 0; i < 8; i++)
		expect("entry i at HDR_SIZE + i * entry_size",
		       (uintptr_t)(base + i * 48),
		       (uintptr_t)prxe_uring_entry(&ring, i));
	expect("index 8 wraps to entry 0", (uintptr_t)base,
	       (uintptr_t)prxe_uring_entry(&ring, 8));
	expect("index 2^32 - 1 is entry 7", (uintptr_t)(base + 7 * 48),
	       (uintptr_t)prxe_uring_entry(&ring, UINT32_MAX));
	free(mem);
	printf("ok: entries at PRXE_RING_HDR_SIZE + (index & mask) * entry_size\n");
}

/* Fill the ring completely and drain it, starting at index @start. */
static void test_fill_drain(uint32_t start)
{
	const uint32_t n = 16;
	struct prxe_uring ring;
	void *mem = ring_alloc(&ring, n, 16, start);
	uint32_t prod, cons, i;

	prod = prxe_uring_producer(&ring);
	cons = prxe_uring_consumer(&ring);
	expect("own producer index read back", start, prod);
	expect("own consumer index read back", start, cons);
	expect("new ring: used", 0, prxe_uring_used(&ring, prod));
	expect("new ring: avail", 0, prxe_uring_avail(&ring, cons));

	for (i = 0; i < n; i++) {
		if (prxe_uring_used(&ring, prod) >= n)
			fail("ring full early (entries written)", n, i);
		*(uint64_t *)prxe_uring_entry(&ring, prod) = prod;
		prod++;
		prxe_uring_publish_producer(&ring, prod);
	}
	expect("full ring: used == num_entries", n,
	       prxe_uring_used(&ring, prod));
	expect("full ring: avail == num_entries", n,
	       prxe_uring_avail(&ring, cons));

	for (i = 0; i < n; i++) {
		expect("entry holds its index", cons,
		       *(uint64_t *)prxe_uring_entry(&ring, cons));
		cons++;
		prxe_uring_publish_consumer(&ring, cons);
		expect("avail after one read", n - i - 1,
		       prxe_uring_avail(&ring, cons));
		expect("used after one read", n - i - 1,
		       prxe_uring_used(&ring, prod));
	}
	expect("drained: producer index", start + n,
	       prxe_uring_producer(&ring));
	expect("drained: consumer index", start + n,
	       prxe_uring_consumer(&ring));
	free(mem);
	printf("ok: fill and drain 16 entries from index %" PRIu32
	       " (ends at %" PRIu32 ")\n", start, start + n);
}

static void test_broken_indices(void)
{
	struct prxe_uring ring;
	void *mem = ring_alloc(&ring, 8, 16, UINT32_MAX - 3);

	/* Producer 9 ahead of the consumer in a ring of 8. */
	ring.hdr->producer = ring.hdr->consumer + 9;
	expect("producer more than a ring ahead: avail", 0,
	       prxe_uring_avail(&ring, ring.hdr->consumer));
	/* Exactly a ring ahead is a full ring, not a broken one. */
	ring.hdr->producer = ring.hdr->consumer + 8;
	expect("producer exactly a ring ahead: avail", 8,
	       prxe_uring_avail(&ring, ring.hdr->consumer));
	/* Consumer ahead of the producer: the producer sees no room. */
	ring.hdr->producer = UINT32_MAX - 3;
	ring.hdr->consumer = ring.hdr->producer + 1;
	if (prxe_uring_used(&ring, ring.hdr->producer) < 8)
		fail("consumer ahead of producer: used >= num_entries", 8,
		     prxe_uring_used(&ring, ring.hdr->producer));
	free(mem);
	printf("ok: broken indices give nothing to read and no room to write\n");
}

/* --- 2. two threads ---------------------------------------------------- */

#define TT_ENTRIES	64
#define TT_ENTRY_SIZE	64
#define TT_WORDS	(TT_ENTRY_SIZE / sizeof(uint64_t))

struct two_threads {
	struct prxe_uring ring;
	uint64_t count;		/* entries to pass */
	uint32_t start;		/* first index */
	uint64_t wraps_seen;	/* consumer: times its index wrapped */
};

/* Entry number @seq: its number in every word, each word tagged. */
static void tt_fill(uint64_t *words, uint64_t seq)
{
	size_t i;

	for (i = 0; i < TT_WORDS; i++)
		words[i] = seq ^ ((uint64_t)i << 56);
}

static void *tt_producer(void *arg)
{
	struct two_threads *tt = arg;
	uint32_t prod = prxe_uring_producer(&tt->ring);
	uint64_t seq = 0;
	unsigned int batch = 1;

	while (seq < tt->count) {
		uint32_t room = TT_ENTRIES - prxe_uring_used(&tt->ring, prod);
		uint32_t n, i;

		if (!room) {
			sched_yield();
			continue;
		}
		/* Batches of 1, 2, ... 11 entries, as room allows. */
		n = batch < room ? batch : room;
		if (n > tt->count - seq)
			n = tt->count - seq;
		for (i = 0; i < n; i++)
			tt_fill(prxe_uring_entry(&tt->ring, prod + i), seq + i);
		prod += n;
		seq += n;
		prxe_uring_publish_producer(&tt->ring, prod);
		batch = batch % 11 + 1;
	}
	return NULL;
}

static time_t now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void *tt_consumer(void *arg)
{
	struct two_threads *tt = arg;
	uint32_t cons = prxe_uring_consumer(&tt->ring);
	uint64_t seq = 0;
	unsigned int batch = 1;
	time_t progress = now();

	while (seq < tt->count) {
		uint32_t avail = prxe_uring_avail(&tt->ring, cons);
		uint32_t n, i;
		size_t w;

		if (!avail) {
			if (now() - progress > STALL_SECONDS)
				fail("two threads: entries passed before the "
				     "ring stalled", tt->count, seq);
			sched_yield();
			continue;
		}
		progress = now();
		/* Batches of 1, 2, ... 7 entries, as available. */
		n = batch < avail ? batch : avail;
		for (i = 0; i < n; i++) {
			const uint64_t *words =
				prxe_uring_entry(&tt->ring, cons + i);

			for (w = 0; w < TT_WORDS; w++)
				if (words[w] != ((seq + i) ^ ((uint64_t)w << 56)))
					fail("two threads: entry word (in order, "
					     "written before published)",
					     (seq + i) ^ ((uint64_t)w << 56),
					     words[w]);
		}
		if ((uint32_t)(cons + n) < cons)
			tt->wraps_seen++;
		cons += n;
		seq += n;
		prxe_uring_publish_consumer(&tt->ring, cons);
		batch = batch % 7 + 1;
	}
	return NULL;
}

static void test_two_threads(uint64_t count)
{
	struct two_threads tt = { .count = count };
	pthread_t prod, cons;
	void *mem;
	int err;

	/* Start so that the indices wrap at 2^32 half way through. */
	tt.start = (uint32_t)(0 - (uint32_t)(count / 2));
	mem = ring_alloc(&tt.ring, TT_ENTRIES, TT_ENTRY_SIZE, tt.start);

	err = pthread_create(&cons, NULL, tt_consumer, &tt);
	if (!err)
		err = pthread_create(&prod, NULL, tt_producer, &tt);
	if (err) {
		fprintf(stderr, "prxe_ring_test: pthread_create: %s\n",
			strerror(err));
		exit(1);
	}
	pthread_join(prod, NULL);
	pthread_join(cons, NULL);

	expect("two threads: final producer index", tt.start + (uint32_t)count,
	       prxe_uring_producer(&tt.ring));
	expect("two threads: final consumer index", tt.start + (uint32_t)count,
	       prxe_uring_consumer(&tt.ring));
	expect("two threads: consumer index wrapped at 2^32",
	       count / 2 ? 1 : 0, tt.wraps_seen);
	free(mem);
	printf("ok: two threads passed %" PRIu64 " entries through a ring of %d,"
	       " in order and intact, indices %" PRIu32 " .. %" PRIu32
	       " (wrapping at 2^32)\n", count, TT_ENTRIES, tt.start,
	       tt.start + (uint32_t)count);
}

int main(int argc, char **argv)
{
	uint64_t count = 1000000;

	if (argc > 2 || (argc == 2 && !(count = strtoull(argv[1], NULL, 0)))) {
		fprintf(stderr, "usage: prxe_ring_test [ENTRIES_TO_PASS]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (count > UINT32_MAX / 2) {
		fprintf(stderr, "prxe_ring_test: at most %u entries\n",
			UINT32_MAX / 2);
		return 2;
	}

	test_addressing();
	test_fill_drain(0);
	test_fill_drain(UINT32_MAX - 7);	/* wraps half way */
	test_fill_drain(UINT32_MAX);		/* wraps after one */
	test_broken_indices();
	test_two_threads(count);
	printf("prxe_ring_test: all passed\n");
	return 0;
}
