// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The pass/fail/skip convention: see check.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"

static const char *prog = "test";
static unsigned int n_checks, n_failed;

/* The part under way: its name, and the counts when it began. */
static char part_name[160];
static unsigned int part_checks, part_failed;
static bool in_part;

void check_init(const char *name)
{
	prog = name;
	/* Keep stdout and stderr in order when both go to one log. */
	setvbuf(stdout, NULL, _IOLBF, 0);
}

const char *check_prog(void)
{
	return prog;
}

CHECK_FMT(3, 0)
static void vreport(const char *expected, const char *seen, const char *fmt,
		    va_list ap)
{
	n_checks++;
	if (expected)
		n_failed++;
	fputs(expected ? "FAIL: " : "ok: ", stdout);
	vprintf(fmt, ap);
	if (expected)
		printf(": expected %s, seen %s\n", expected, seen);
	else
		printf(": %s\n", seen);
}

bool check(bool pass, const char *expected, const char *seen,
	   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(pass ? NULL : expected, seen, fmt, ap);
	va_end(ap);
	return pass;
}

void check_pass(const char *seen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(NULL, seen, fmt, ap);
	va_end(ap);
}

void check_fail(const char *expected, const char *seen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(expected, seen, fmt, ap);
	va_end(ap);
}

bool expect_err(int expected, int seen, const char *fmt, ...)
{
	bool pass = seen == expected;
	va_list ap;

	va_start(ap, fmt);
	vreport(pass ? NULL : errno_name(expected), errno_name(seen), fmt, ap);
	va_end(ap);
	return pass;
}

bool expect_eq(uint64_t expected, uint64_t seen, const char *fmt, ...)
{
	bool pass = seen == expected;
	va_list ap;

	va_start(ap, fmt);
	vreport(pass ? NULL : strf("%" PRIu64, expected),
		strf("%" PRIu64, seen), fmt, ap);
	va_end(ap);
	return pass;
}

const char *errno_name(int err)
{
	switch (err) {
	case 0: return "success";
	case EINVAL: return "EINVAL";
	case ENOMEM: return "ENOMEM";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ENOSYS: return "ENOSYS";
	case ENOSPC: return "ENOSPC";
	case ERANGE: return "ERANGE";
	case EOVERFLOW: return "EOVERFLOW";
	case EIO: return "EIO";
	case ENODEV: return "ENODEV";
	case ENOENT: return "ENOENT";
	case ENODATA: return "ENODATA";
	case EAGAIN: return "EAGAIN";
	case ETIMEDOUT: return "ETIMEDOUT";
	default: return strf("errno %d", err);
	}
}

const char *strf(const char *fmt, ...)
{
	static char bufs[8][256];
	static unsigned int next;
	char *s = bufs[next++ % 8];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s, sizeof(bufs[0]), fmt, ap);
	va_end(ap);
	return s;
}

void note(const char *fmt, ...)
{
	va_list ap;

	fputs("  ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

void part_begin(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(part_name, sizeof(part_name), fmt, ap);
	va_end(ap);
	part_checks = n_checks;
	part_failed = n_failed;
	in_part = true;
	printf("== %s\n", part_name);
}

bool part_end(void)
{
	unsigned int checks = n_checks - part_checks;
	unsigned int failed = n_failed - part_failed;

	in_part = false;
	if (!checks) {
		/* Counted: a part that checked nothing must not pass. */
		check_fail("at least one check", "none", "%s", part_name);
		return false;
	}
	if (failed) {
		printf("FAIL: %s: expected every check to pass, seen %u of %u failed\n",
		       part_name, failed, checks);
		return false;
	}
	printf("PASS: %s (%u checks)\n", part_name, checks);
	return true;
}

int check_summary(void)
{
	if (in_part)
		printf("  (in part %s)\n", part_name);
	printf("%s: %u checks, %u failed\n", prog, n_checks, n_failed);
	if (!n_checks) {
		printf("%s: FAIL (no check was made)\n", prog);
		return EXIT_FAIL;
	}
	if (n_failed) {
		printf("%s: FAIL (%u of %u checks failed)\n", prog, n_failed,
		       n_checks);
		return EXIT_FAIL;
	}
	printf("%s: PASS\n", prog);
	return EXIT_PASS;
}

void check_exit(void)
{
	exit(check_summary());
}

void must(bool ok)
{
	if (!ok)
		check_exit();
}

void must_succeed(int err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vreport(errno_name(0), errno_name(err), fmt, ap);
	va_end(ap);
	check_exit();
}

void fail_exit(const char *expected, const char *seen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(expected, seen, fmt, ap);
	va_end(ap);
	check_exit();
}

void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: error: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_SETUP);
}

void skip(const char *fmt, ...)
{
	va_list ap;

	fputs("SKIP: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	exit(EXIT_SKIP);
}
