// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe_odp_change: the buffers, and the canary made after the change
 * (where the freed pages or blocks may go) that must never change.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "odp_change.h"

void buf_open(struct buf *b, const char *what, size_t len, bool file)
{
	int ret;

	b->what = what;
	b->cpu_end = len;
	ret = file ? map_file(&b->map, opt.dir, what, len) :
		     map_anon(&b->map, len);
	if (ret)
		die("%s: %zu bytes%s%s: %s", what, len,
		    file ? " of a file in " : "", file ? opt.dir : "",
		    strerror(errno));
	b->cpu = b->map.addr;
}

void buf_close(struct buf *b)
{
	if (b->cpu && !(b->gone && b->cpu == b->map.addr))
		munmap(b->cpu, b->map.len);
	b->cpu = NULL;
	b->map.addr = NULL;	/* unmapped above, or gone */
	unmap(&b->map);		/* the file may be gone already (unlink) */
}

/* A file the size of @len filled with canary words, its blocks allocated. */
void canary_file(size_t len)
{
	struct mapping *m = &run.canary.map;
	size_t i;
	ssize_t n;
	uint64_t *q;

	run.canary.what = "canary";
	m->len = len;
	snprintf(m->path, sizeof(m->path), "%s/%s-canary.%d", opt.dir,
		 check_prog(), (int)getpid());
	m->fd = open(m->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (m->fd < 0)
		die("open %s: %s", m->path, strerror(errno));
	if (fallocate(m->fd, 0, 0, len))
		die("fallocate %s: %s", m->path, strerror(errno));
	q = malloc(len);
	if (!q)
		die("out of memory");
	for (i = 0; i < len / 8; i++)
		q[i] = canary_word(i);
	n = pwrite(m->fd, q, len, 0);
	free(q);
	if (n != (ssize_t)len)
		die("pwrite %s: %s", m->path, n < 0 ? strerror(errno) : "short");
	if (fsync(m->fd))
		die("fsync %s: %s", m->path, strerror(errno));
}

/* Anonymous memory in the reserved room, populated, filled with canary. */
void canary_anon(size_t len)
{
	struct buf *b = &run.canary;
	size_t i;
	void *p;

	b->what = "canary";
	p = mmap(run.reserve, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED)
		die("mmap canary: %s", strerror(errno));
	run.reserve = NULL;
	b->map.addr = b->cpu = p;
	b->map.len = len;
	for (i = 0; i < len / 8; i++)
		((uint64_t *)p)[i] = canary_word(i);
}

void canary_check(void)
{
	const struct mapping *m = &run.canary.map;
	bool file = m->fd >= 0;
	size_t i, bad = 0;
	uint64_t *q;

	if (!m->len)
		return;
	if (opt.inject == 1) {
		/* What a late write through a stale page would leave. */
		uint64_t v = pattern(run.first_after, 0, 0);

		if (file ? pwrite(m->fd, &v, 8, m->len / 2) != 8 :
		    !memcpy(run.canary.cpu + m->len / 2, &v, 8))
			die("inject: %s", strerror(errno));
		note("inject: a late write's word in the middle of the canary");
	}
	if (file) {
		q = malloc(m->len);
		if (!q)
			die("out of memory");
		if (pread(m->fd, q, m->len, 0) != (ssize_t)m->len)
			die("pread %s: %s", m->path, strerror(errno));
	} else {
		q = (uint64_t *)run.canary.cpu;
	}
	for (i = 0; i < m->len / 8; i++) {
		if (q[i] == canary_word(i))
			continue;
		if (bad++ < SHOW_BAD)
			note("canary %s word %zu: %s, not %s", file ? "file" : "mapping",
			     i, word_kind(q[i]), word_kind(canary_word(i)));
	}
	if (file)
		free(q);
	check(!bad, "unchanged",
	      bad ? strf("%zu of %zu words changed: the device wrote through a stale page",
			 bad, m->len / 8) : "unchanged",
	      "canary %s (%zu bytes, made after the change)",
	      file ? "file" : "mapping", m->len);
}
