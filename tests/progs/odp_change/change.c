// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe_odp_change: the change of the changed buffer's mapping, made by a
 * thread of its own while the main thread's traffic goes on; what it
 * takes away; the child of a fork.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "odp_change.h"

bool changed(void)
{
	return __atomic_load_n(&run.changed, __ATOMIC_ACQUIRE);
}

bool changing(void)
{
	return __atomic_load_n(&run.changing, __ATOMIC_ACQUIRE);
}

bool chunk_in_hole(uint32_t c)
{
	size_t off = (size_t)c * opt.chunk;

	return run.hole_len && off < run.hole_off + run.hole_len &&
	       off + opt.chunk > run.hole_off;
}

/*
 * Does the change take away the access the changed buffer needs, for
 * chunk @c (the responder's chunk, or for --local any)?
 */
bool access_lost(uint32_t c)
{
	bool needs_write = opt.local ? opt.op == OP_READ : opt.op != OP_READ;

	switch (opt.kind) {
	case K_MUNMAP:
	case K_MREMAP:
		return true;
	case K_TRUNCATE:
		return (size_t)c * opt.chunk >= run.cut;
	case K_MPROTECT:
		return needs_write;
	default:
		return false;
	}
}

bool any_access_lost(void)
{
	uint32_t c;

	for (c = 0; c < opt.nchunk; c++)
		if (access_lost(c))
			return true;
	return false;
}

/*
 * The forked child: its copy of the buffer must keep what was there at
 * the fork.  It holds no work request written after the fork, and it does
 * not change while the parent's traffic goes on.  Touches no verbs; its
 * checks are its own (its exit status tells the parent).
 */
static void __attribute__((noreturn)) child_main(int fd)
{
	const struct buf *b = run.chg;
	size_t len = b->map.len, i;
	uint64_t *copy, *q = (uint64_t *)b->cpu;
	uint32_t c, w, bad = 0;
	char x;

	copy = malloc(len);
	if (!copy)
		_exit(EXIT_FAIL);
	memcpy(copy, q, len);
	if (b == &run.rbuf && opt.op != OP_READ) {
		for (c = 0; c < opt.nchunk; c++)
			for (w = 0; w < opt.chunk / 8; w++) {
				uint64_t v = copy[c * (opt.chunk / 8) + w];
				struct rule r = { .forbid_from = run.seq_at_fork };

				if (word_ok(v, c, w, &r))
					continue;
				if (bad++ < SHOW_BAD)
					check_fail(strf("a word of a write posted before the fork (< %u)",
							run.seq_at_fork),
						   word_kind(v), "child: chunk %u word %u",
						   c, w);
			}
	}
	/* The parent's traffic runs until it writes (or exits). */
	while (read(fd, &x, 1) < 0 && errno == EINTR)
		;
	for (i = 0; i < len / 8; i++) {
		if (q[i] == copy[i])
			continue;
		if (bad++ < SHOW_BAD)
			check_fail(strf("%s, as at the fork", word_kind(copy[i])),
				   word_kind(q[i]), "child: word %zu of its copy", i);
	}
	if (!bad)
		check_pass("kept the contents of the fork",
			   "child: its copy of the %s (%zu bytes)", b->what, len);
	fflush(stdout);
	_exit(bad ? EXIT_FAIL : EXIT_PASS);
}

static void do_change(void)
{
	struct buf *b = run.chg;
	struct mapping *m = &b->map;
	int pfd[2];

	switch (opt.kind) {
	case K_MUNMAP:
		if (munmap(m->addr, m->len))
			die("munmap: %s", strerror(errno));
		b->gone = true;
		canary_anon(m->len);
		break;
	case K_TRUNCATE:
		run.cut = m->len / 2;
		if (ftruncate(m->fd, run.cut))
			die("ftruncate to %zu: %s", run.cut, strerror(errno));
		b->cpu_end = run.cut;
		canary_file(m->len - run.cut);
		break;
	case K_PUNCH:
		run.hole_off = m->len / 4;
		run.hole_len = m->len / 2;
		if (fallocate(m->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      run.hole_off, run.hole_len))
			die("fallocate punch hole: %s", strerror(errno));
		canary_file(run.hole_len);
		break;
	case K_MREMAP:
		b->cpu = mremap(m->addr, m->len, m->len,
				MREMAP_MAYMOVE | MREMAP_FIXED, run.reserve);
		if (b->cpu == MAP_FAILED)
			die("mremap: %s", strerror(errno));
		run.reserve = NULL;
		if (opt.local)
			b->gone = true;
		break;
	case K_MPROTECT:
		if (mprotect(m->addr, m->len, PROT_READ))
			die("mprotect PROT_READ: %s", strerror(errno));
		break;
	case K_FORK:
		if (pipe(pfd))
			die("pipe: %s", strerror(errno));
		run.seq_at_fork = run.next_seq;
		fflush(NULL);
		run.child = fork();
		if (run.child < 0)
			die("fork: %s", strerror(errno));
		if (!run.child) {
			close(pfd[1]);
			child_main(pfd[0]);
		}
		close(pfd[0]);
		run.child_fd = pfd[1];
		break;
	case K_UNLINK:
		if (unlink(m->path))
			die("unlink %s: %s", m->path, strerror(errno));
		canary_file(m->len);
		break;
	default:
		break;
	}
}

/*
 * The change thread: once the "before" successes are in, a random moment
 * (up to --delay) into the traffic that goes on, the change, under the
 * lock that keeps the main thread's CPU accesses to the buffers out.
 */
void *change_thread(void *arg)
{
	(void)arg;
	while (__atomic_load_n(&run.ok, __ATOMIC_ACQUIRE) < opt.before)
		if (__atomic_load_n(&run.stop, __ATOMIC_ACQUIRE))
			return NULL;
		else
			usleep(50);
	usleep(run.delay);
	pthread_mutex_lock(&run.lock);
	run.seq_at_change = __atomic_load_n(&run.next_seq, __ATOMIC_ACQUIRE);
	run.done_at_change = __atomic_load_n(&run.completed, __ATOMIC_ACQUIRE);
	__atomic_store_n(&run.changing, true, __ATOMIC_RELEASE);
	do_change();
	__atomic_store_n(&run.changed, true, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&run.lock);
	return NULL;
}

/* The child of a fork checks its copy once the traffic is over. */
void child_join(void)
{
	uint64_t deadline = now_ms() + 1000ull * opt.timeout_s;
	int status;
	pid_t p;

	if (run.child < 0)
		return;
	if (write(run.child_fd, "x", 1) != 1)
		expect_err(0, errno, "fork: telling the child to check its copy");
	close(run.child_fd);
	for (;;) {
		p = waitpid(run.child, &status, WNOHANG);
		if (p == run.child)
			break;
		if (p < 0)
			die("waitpid: %s", strerror(errno));
		if (now_ms() > deadline) {
			kill(run.child, SIGKILL);
			waitpid(run.child, &status, 0);
			check_fail(strf("its exit within %d s", opt.timeout_s),
				   "still running: killed", "fork: the child");
			return;
		}
		usleep(1000);
	}
	check(WIFEXITED(status) && WEXITSTATUS(status) == EXIT_PASS,
	      "exit status 0",
	      WIFEXITED(status) ? strf("exit status %d", WEXITSTATUS(status)) :
	      strf("killed by signal %d", WTERMSIG(status)),
	      "fork: the child's copy kept the pre-fork contents");
}
