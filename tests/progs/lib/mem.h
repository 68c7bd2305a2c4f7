/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Buffers: anonymous memory, a file of a given size (on an fsdax mount,
 * say) mapped shared, and guarded regions whose neighbourhood is checked
 * for writes that should not have happened.
 *
 * These are the machine's, not the device's: they return -1 with errno
 * set, and the caller says whether that is a setup error or a check.
 */
#ifndef PRXE_TESTLIB_MEM_H
#define PRXE_TESTLIB_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check.h"

struct mapping {
	uint8_t *addr;		/* NULL: not mapped (any more) */
	size_t len;
	int fd;			/* the file, or -1 */
	char path[512];		/* the file's name, "" if anonymous */
};

/* @len bytes of private anonymous memory, read-write and zeroed. */
int map_anon(struct mapping *m, size_t len);
/* A new file DIR/PROG-NAME.PID of @len bytes (ftruncate: a hole) mapped
 * shared, read-write. */
int map_file(struct mapping *m, const char *dir, const char *name, size_t len);
/* Unmaps what is still mapped, closes the file and deletes it (if it is
 * still there).  Set m->addr to NULL first if the mapping went away. */
void unmap(struct mapping *m);

/*
 * A region of @len bytes with guard bytes of known contents right before
 * and after it: @guard bytes (a page multiple) before, and after it the
 * rest of its last page plus @guard bytes.  Guards are ordinary mapped
 * memory, so that a device write beyond the region lands there and is
 * seen, not faulted.  The region starts on a page boundary and is zeroed.
 */
struct guarded {
	uint8_t *addr;		/* the region */
	size_t len;
	size_t guard;
	uint8_t *map;		/* the whole mapping: guard, region, guard */
	size_t map_len;
};

int guarded_map(struct guarded *g, size_t len, size_t guard);
/* The guards hold what they were given (a check): if not, the first
 * changed byte, at its offset from the region's start. */
CHECK_FMT(2, 3) bool guarded_check(const struct guarded *g,
				   const char *fmt, ...);
void guarded_unmap(struct guarded *g);

#endif
