// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Buffers: see mem.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mem.h"

int map_anon(struct mapping *m, size_t len)
{
	void *p;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (p == MAP_FAILED)
		return -1;
	m->addr = p;
	m->len = len;
	return 0;
}

int map_file(struct mapping *m, const char *dir, const char *name, size_t len)
{
	void *p;
	int err;

	memset(m, 0, sizeof(*m));
	snprintf(m->path, sizeof(m->path), "%s/%s-%s.%d", dir, check_prog(),
		 name, (int)getpid());
	m->fd = open(m->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (m->fd < 0)
		return -1;
	if (ftruncate(m->fd, len))
		goto err;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
	if (p == MAP_FAILED)
		goto err;
	m->addr = p;
	m->len = len;
	return 0;
err:
	err = errno;
	unmap(m);
	errno = err;
	return -1;
}

void unmap(struct mapping *m)
{
	if (m->addr)
		munmap(m->addr, m->len);
	if (m->fd >= 0)
		close(m->fd);
	if (m->path[0])
		unlink(m->path);
	memset(m, 0, sizeof(*m));
	m->fd = -1;
}

/* What guard byte @i (from the mapping's start) holds: not one value, so
 * that a write of any one value is seen. */
static uint8_t guard_byte(size_t i)
{
	return (uint8_t)(0xa5 ^ (i * 7) ^ (i >> 8));
}

int guarded_map(struct guarded *g, size_t len, size_t guard)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), i;
	void *p;

	memset(g, 0, sizeof(*g));
	if (guard % page) {
		errno = EINVAL;
		return -1;
	}
	g->map_len = guard + (len + page - 1) / page * page + guard;
	p = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	g->map = p;
	g->addr = g->map + guard;
	g->len = len;
	g->guard = guard;
	for (i = 0; i < g->map_len; i++)
		if (i < guard || i >= guard + len)
			g->map[i] = guard_byte(i);
	return 0;
}

bool guarded_check(const struct guarded *g, const char *fmt, ...)
{
	size_t i, first = SIZE_MAX, changed = 0;
	char what[256];
	va_list ap;

	for (i = 0; i < g->map_len; i++) {
		if (i >= g->guard && i < g->guard + g->len)
			continue;
		if (g->map[i] == guard_byte(i))
			continue;
		if (!changed++)
			first = i;
	}
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (!changed) {
		check_pass(strf("%zu guard bytes before it and %zu after it unchanged",
				g->guard, g->map_len - g->guard - g->len),
			   "%s", what);
		return true;
	}
	check_fail("the guard bytes around the region unchanged",
		   strf("%zu changed, the first at region offset %lld: 0x%02x, not 0x%02x",
			changed, (long long)first - (long long)g->guard,
			g->map[first], guard_byte(first)),
		   "%s", what);
	return false;
}

void guarded_unmap(struct guarded *g)
{
	if (g->map)
		munmap(g->map, g->map_len);
	memset(g, 0, sizeof(*g));
}
