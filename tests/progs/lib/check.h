/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The one pass/fail/skip convention of the test programs.
 *
 * Every check prints one line on stdout:
 *
 *   ok: WHAT: SEEN
 *   FAIL: WHAT: expected X, seen Y
 *
 * and the run ends with a summary line, "PROG: PASS" or "PROG: FAIL (F of
 * N checks failed)"; a run without a single check fails.  A program that
 * cannot say anything on this machine prints "SKIP: REASON" and exits
 * EXIT_SKIP; a usage or setup error (nothing was tested) prints "PROG:
 * error: ..." on stderr and exits EXIT_SETUP.  Lines that are no check
 * (note()) are indented.
 *
 * Checks are counted in plain variables: make them from one thread.
 */
#ifndef PRXE_TESTLIB_CHECK_H
#define PRXE_TESTLIB_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#define EXIT_PASS	0
#define EXIT_FAIL	1
#define EXIT_SETUP	2	/* usage or setup error: nothing tested */
#define EXIT_SKIP	77	/* the guest harness reports it as SKIP */

#define CHECK_FMT(f, a)	__attribute__((format(printf, f, a)))

/* Names the program in the summary and die(); stdout line-buffered. */
void check_init(const char *prog);
const char *check_prog(void);

/* One check: "ok: WHAT: SEEN" if @pass, else "FAIL: WHAT: expected
 * @expected, seen @seen"; WHAT is the format.  Returns @pass. */
CHECK_FMT(4, 5) bool check(bool pass, const char *expected, const char *seen,
			const char *fmt, ...);
CHECK_FMT(2, 3) void check_pass(const char *seen, const char *fmt, ...);
CHECK_FMT(3, 4) void check_fail(const char *expected, const char *seen,
			     const char *fmt, ...);

/* A call ended with errno @seen and should have with @expected (0: it
 * should have succeeded). */
CHECK_FMT(3, 4) bool expect_err(int expected, int seen, const char *fmt, ...);
/* A number: @seen must be @expected. */
CHECK_FMT(3, 4) bool expect_eq(uint64_t expected, uint64_t seen,
			    const char *fmt, ...);

/* "EINVAL" for EINVAL, "success" for 0, "errno N" for what it has no
 * name for. */
const char *errno_name(int err);

/* A formatted string for check()'s @expected and @seen: one of eight
 * buffers used in turn, so it lives until eight more calls. */
CHECK_FMT(1, 2) const char *strf(const char *fmt, ...);

/* A line that is no check: what was set up, what was granted. */
CHECK_FMT(1, 2) void note(const char *fmt, ...);

/*
 * A part of the run (a scenario): part_begin() prints "== NAME";
 * part_end() prints "PASS: NAME (N checks)" if every check since passed
 * (and there was one), else "FAIL: NAME: ...".  Returns whether it passed.
 */
CHECK_FMT(1, 2) void part_begin(const char *fmt, ...);
bool part_end(void);

/* Prints the summary; returns the exit status: EXIT_PASS or EXIT_FAIL. */
int check_summary(void);
/* The summary, and exit with its status. */
__attribute__((noreturn)) void check_exit(void);
/*
 * For steps nothing after them can do without.  must(): if !@ok (a
 * failed check has said why), the summary and exit.  must_succeed(): a
 * call that ended with errno @err must have succeeded; nothing printed if
 * it did, else a failed check, the summary and exit.  fail_exit(): a
 * failed check, the summary and exit.
 */
void must(bool ok);
CHECK_FMT(2, 3) void must_succeed(int err, const char *fmt, ...);
CHECK_FMT(3, 4) __attribute__((noreturn))
void fail_exit(const char *expected, const char *seen, const char *fmt, ...);

/* A usage or setup error: "PROG: error: ..." on stderr, EXIT_SETUP. */
CHECK_FMT(1, 2) __attribute__((noreturn)) void die(const char *fmt, ...);
/* Nothing to test here: "SKIP: REASON", EXIT_SKIP. */
CHECK_FMT(1, 2) __attribute__((noreturn)) void skip(const char *fmt, ...);

#endif
