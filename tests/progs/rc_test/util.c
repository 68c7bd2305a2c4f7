// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe_rc_test: messages and time.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>

#include "rc_test.h"

bool verbose;		/* -v */

static void vsay(FILE *f, const char *role, const char *tag, const char *fmt,
		 va_list ap)
{
	fprintf(f, "%s: %s%s%s", PROG, role ? role : "", role ? ": " : "", tag);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
	fflush(f);
}

void info(const char *role, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(stdout, role, "", fmt, ap);
	va_end(ap);
}

void dbg(const char *role, const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	vsay(stdout, role, "", fmt, ap);
	va_end(ap);
}

/* Report a failure; returns -1 for "return fail(...)". */
int fail(const char *role, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(stderr, role, "FAIL: ", fmt, ap);
	va_end(ap);
	return -1;
}

/* The device lacks something asked for: exit status 77. */
int unsupported(const char *role, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(stderr, role, "UNSUPPORTED: ", fmt, ap);
	va_end(ap);
	return -EXIT_UNSUPPORTED;
}

uint64_t deadline_after(uint32_t ms)
{
	return now_ns() + (uint64_t)ms * 1000000ull;
}

int ms_left(uint64_t deadline)
{
	uint64_t t = now_ns();

	return t >= deadline ? 0 : (int)((deadline - t + 999999) / 1000000);
}
