// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * prxe_stuck_fault: ODP page faults that never end hold up nothing but
 * their own requests.
 *
 * Usage: prxe_stuck_fault [options] DEVICE FILE
 *   --stall CMD          run (sh -c) once everything is set up and FILE's
 *                        pages are out of the page cache: makes FILE's
 *                        disk stop answering (e.g. dmsetup suspend)
 *   --while-stalled CMD  run (sh -c) while the faults are stuck; it must
 *                        exit 0 (e.g. rdma_cm and other traffic)
 *   --reads N, --atomics N, --sends N   stuck requests of each kind
 *                        (default 150, 150, 100)
 *
 * Two processes on DEVICE (loopback): the stuck side maps FILE (on a
 * disk that --stall stops) and registers it as an ODP region; the other
 * side makes N RDMA READs and N FETCH_ADDs into it, each on a QP of its
 * own and a page of its own, whose responders then fault on a page that
 * never comes, and the stuck side sends N SENDs out of it, whose
 * requesters fault the same way.  With more stuck QPs than a workqueue
 * has workers (256), a driver that faults in its QP tasks stops every QP
 * on the machine.  Checked, while they are stuck:
 *
 *   - posting the stuck SENDs returns (the doorbell does not fault);
 *   - a QP pair of pinned memory, and one whose responder is ODP on
 *     anonymous memory, move verified data (WRITE and READ, 64 rounds)
 *     within the usual time;
 *   - --while-stalled's command exits 0;
 *   - no stuck request completes successfully;
 *   - the other side destroys its QPs and regions promptly, and the stuck
 *     side, killed (it cannot tear down in order: its own munmap waits
 *     for the faults, which hold its mmap_lock), exits within 10 s.
 *
 * Output and exit status: the test library's convention (check.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <infiniband/verbs.h>

#include "check.h"
#include "dev.h"
#include "qp.h"
#include "wc.h"

#define PAGE		4096u
#define CTRL_SIZE	65536u
#define CTRL_ROUNDS	64
#define CTRL_MS		30000	/* for all the rounds, under TCG */
#define TEARDOWN_MS	10000

enum kind { K_READ, K_ATOMIC, K_SEND, K_CTRL_PINNED, K_CTRL_ODP, K_COUNT };

/* What the stuck side tells the other: its QPNs and its regions. */
struct hello {
	uint32_t qpn[K_COUNT];		/* first QPN of each kind */
	uint32_t nqp[K_COUNT];
	uint64_t stuck_addr;		/* the file's mapping */
	uint32_t stuck_rkey;
	uint64_t ctrl_addr[2];		/* K_CTRL_PINNED, K_CTRL_ODP */
	uint32_t ctrl_rkey[2];
};

struct side {
	struct dev dev;
	struct ibv_cq *cq;
	struct ibv_qp **qp[K_COUNT];
	unsigned int nqp[K_COUNT];
	int sock;			/* to the other side */
};

static unsigned int n_reads = 150, n_atomics = 150, n_sends = 100;
static const char *stall_cmd, *while_cmd;

static void xsend(int fd, const void *p, size_t n)
{
	if (send(fd, p, n, 0) != (ssize_t)n)
		die("socketpair send: %s", strerror(errno));
}

static void xrecv(int fd, void *p, size_t n)
{
	if (recv(fd, p, n, MSG_WAITALL) != (ssize_t)n)
		die("socketpair recv: the other side is gone");
}

/* The QPs of one side; their QPNs are consecutive only by chance, so all
 * are sent. */
static void side_open(struct side *s, const char *name)
{
	struct ibv_qp_init_attr init;
	unsigned int i, total = 0;
	int k;

	dev_open_roce(&s->dev, name);
	for (k = 0; k < K_COUNT; k++)
		total += s->nqp[k];
	s->cq = cq_create(&s->dev, 2 * total + 64);
	if (!s->cq)
		die("cannot create a CQ");
	for (k = 0; k < K_COUNT; k++) {
		s->qp[k] = calloc(s->nqp[k], sizeof(*s->qp[k]));
		for (i = 0; i < s->nqp[k]; i++) {
			qp_init_attr_fill(&init, IBV_QPT_RC, s->cq, s->cq, NULL,
					  4, 4);
			s->qp[k][i] = qp_create(&s->dev, &init);
			if (!s->qp[k][i])
				die("cannot create QP %u of kind %d", i, k);
		}
	}
}

/* Send our QPNs, receive the peer's, connect QP i of each kind to its i. */
static void side_connect(struct side *s)
{
	unsigned int i;
	int k;

	for (k = 0; k < K_COUNT; k++) {
		uint32_t *mine = calloc(s->nqp[k] + 1, sizeof(*mine));
		uint32_t *theirs = calloc(s->nqp[k] + 1, sizeof(*theirs));

		for (i = 0; i < s->nqp[k]; i++)
			mine[i] = s->qp[k][i]->qp_num;
		xsend(s->sock, mine, s->nqp[k] * sizeof(*mine));
		xrecv(s->sock, theirs, s->nqp[k] * sizeof(*theirs));
		for (i = 0; i < s->nqp[k]; i++) {
			struct rc_attr r;

			rc_attr_default(&r, &s->dev, theirs[i]);
			r.access = IBV_ACCESS_REMOTE_READ |
				   IBV_ACCESS_REMOTE_WRITE |
				   IBV_ACCESS_REMOTE_ATOMIC;
			if (!rc_connect(s->qp[k][i], &r))
				die("cannot connect QP %u of kind %d", i, k);
		}
		free(mine);
		free(theirs);
	}
}

static void side_nqp(struct side *s)
{
	s->nqp[K_READ] = n_reads;
	s->nqp[K_ATOMIC] = n_atomics;
	s->nqp[K_SEND] = n_sends;
	s->nqp[K_CTRL_PINNED] = 1;
	s->nqp[K_CTRL_ODP] = 1;
}

/* ------------------------------------------------------------------------
 * The stuck side (the child): its memory is the file that stops answering.
 */

static void __attribute__((noreturn)) stuck_side(int sock, const char *name,
						 const char *file)
{
	int access = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_READ |
		     IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_ATOMIC;
	size_t len = (size_t)(n_reads + n_atomics + n_sends) * PAGE;
	struct side s = { .sock = sock };
	struct hello h = {};
	struct ibv_mr *stuck_mr, *ctrl_mr[2];
	uint8_t *stuck, *ctrl[2];
	unsigned int i;
	char go;
	int fd;

	side_nqp(&s);
	side_open(&s, name);
	fd = open(file, O_RDWR);
	if (fd < 0)
		die("open %s: %s", file, strerror(errno));
	stuck = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (stuck == MAP_FAILED)
		die("mmap %s: %s", file, strerror(errno));
	stuck_mr = ibv_reg_mr(s.dev.pd, stuck, len,
			      access | IBV_ACCESS_ON_DEMAND);
	ctrl[0] = aligned_alloc(PAGE, CTRL_SIZE);
	ctrl[1] = mmap(NULL, CTRL_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!stuck_mr || !ctrl[0] || ctrl[1] == MAP_FAILED)
		die("cannot register the stuck region: %s", strerror(errno));
	ctrl_mr[0] = ibv_reg_mr(s.dev.pd, ctrl[0], CTRL_SIZE, access);
	ctrl_mr[1] = ibv_reg_mr(s.dev.pd, ctrl[1], CTRL_SIZE,
				access | IBV_ACCESS_ON_DEMAND);
	if (!ctrl_mr[0] || !ctrl_mr[1])
		die("cannot register the control regions: %s", strerror(errno));

	h.stuck_addr = (uintptr_t)stuck;
	h.stuck_rkey = stuck_mr->rkey;
	for (i = 0; i < 2; i++) {
		h.ctrl_addr[i] = (uintptr_t)ctrl[i];
		h.ctrl_rkey[i] = ctrl_mr[i]->rkey;
	}
	xsend(sock, &h, sizeof(h));
	side_connect(&s);

	/* The file's pages out of the page cache, then its disk stops. */
	if (fsync(fd) || posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED))
		die("evicting %s: %s", file, strerror(errno));
	if (stall_cmd && system(stall_cmd) != 0)
		die("--stall command failed: %s", stall_cmd);
	xsend(sock, "g", 1);

	/* SENDs out of pages that never come: each post must return. */
	for (i = 0; i < n_sends; i++) {
		struct ibv_sge sge = {
			.addr = (uintptr_t)stuck +
				(size_t)(n_reads + n_atomics + i) * PAGE,
			.length = 64, .lkey = stuck_mr->lkey,
		};
		int err = post_send_one(s.qp[K_SEND][i], i, IBV_WR_SEND, &sge,
					0, 0);

		if (err)
			die("posting stuck SEND %u: %s", i, strerror(err));
	}
	xsend(sock, "s", 1);
	/* Until killed: the other side checks everything. */
	for (;;)
		if (recv(sock, &go, 1, 0) <= 0)
			_exit(0);
}

/* ------------------------------------------------------------------------
 * The other side (the parent): makes the stuck requests and the checks.
 */

/* READ or FETCH_ADD @k on each of its QPs, page i of the stuck region. */
static void post_stuck(struct side *s, const struct hello *h, enum kind k,
		       struct ibv_mr *mr, uint8_t *buf)
{
	unsigned int i, first = k == K_READ ? 0 : n_reads;

	for (i = 0; i < s->nqp[k]; i++) {
		struct ibv_sge sge = {
			.addr = (uintptr_t)buf + i * 8, .length = 8,
			.lkey = mr->lkey,
		};
		int err = post_send_one(s->qp[k][i], 1000000 + i,
					k == K_READ ? IBV_WR_RDMA_READ :
					IBV_WR_ATOMIC_FETCH_AND_ADD, &sge,
					h->stuck_addr + (uint64_t)(first + i) * PAGE,
					h->stuck_rkey);

		if (err)
			die("posting stuck request %u: %s", i, strerror(err));
	}
}

/*
 * WRITE a round's pattern to the control region @c of the stuck side,
 * READ it back, compare: CTRL_ROUNDS times.  Completions of stuck
 * requests may come in between (retries exhausted): they are counted.
 */
static unsigned int stuck_successes;

static bool ctrl_round(struct side *s, const struct hello *h, int c,
		       struct ibv_mr *mr, uint8_t *buf, uint32_t round)
{
	struct ibv_qp *qp = s->qp[K_CTRL_PINNED + c][0];
	struct ibv_sge sge = { .addr = (uintptr_t)buf, .length = CTRL_SIZE / 2,
			       .lkey = mr->lkey };
	uint64_t wr_id = (uint64_t)c << 32 | round;
	unsigned int i, done = 0;
	struct ibv_wc wc;

	for (i = 0; i < CTRL_SIZE / 2; i++)
		buf[i] = (uint8_t)(round * 7 + i + c);
	memset(buf + CTRL_SIZE / 2, 0, CTRL_SIZE / 2);
	if (post_send_one(qp, wr_id, IBV_WR_RDMA_WRITE, &sge,
			  h->ctrl_addr[c], h->ctrl_rkey[c]))
		return false;
	sge.addr += CTRL_SIZE / 2;
	if (post_send_one(qp, wr_id, IBV_WR_RDMA_READ, &sge,
			  h->ctrl_addr[c], h->ctrl_rkey[c]))
		return false;
	while (done < 2) {
		if (poll_wc(s->cq, &wc, CTRL_MS) != 1)
			return false;
		if (wc.wr_id != wr_id) {
			stuck_successes += wc.status == IBV_WC_SUCCESS;
			continue;
		}
		if (wc.status != IBV_WC_SUCCESS)
			return false;
		done++;
	}
	return !memcmp(buf, buf + CTRL_SIZE / 2, CTRL_SIZE / 2);
}

static void check_ctrl(struct side *s, const struct hello *h, int c,
		       struct ibv_mr *mr, uint8_t *buf)
{
	uint64_t t0 = now_ms();
	uint32_t round;

	for (round = 0; round < CTRL_ROUNDS; round++)
		if (!ctrl_round(s, h, c, mr, buf, round))
			break;
	check(round == CTRL_ROUNDS, strf("%u verified rounds", CTRL_ROUNDS),
	      strf("%u rounds, the next one failed or took over %u ms",
		   round, CTRL_MS),
	      "WRITE + READ of 32 KiB on a %s QP pair while %u faults are stuck (%" PRIu64 " ms)",
	      c ? "ODP (anonymous)" : "pinned",
	      n_reads + n_atomics + n_sends, now_ms() - t0);
}

/* Destroying our QPs and regions takes no longer than TEARDOWN_MS. */
static void teardown(struct side *s, struct ibv_mr **mrs, int nmr)
{
	uint64_t t0 = now_ms();
	unsigned int i;
	int k, err = 0;

	for (k = 0; k < K_COUNT; k++)
		for (i = 0; i < s->nqp[k]; i++)
			err = err ?: ibv_destroy_qp(s->qp[k][i]);
	for (k = 0; k < nmr; k++)
		err = err ?: ibv_dereg_mr(mrs[k]);
	err = err ?: ibv_destroy_cq(s->cq);
	expect_err(0, err, "destroying the QPs (a stuck request on each) and regions");
	check(now_ms() - t0 < TEARDOWN_MS, strf("under %u ms", TEARDOWN_MS),
	      strf("%" PRIu64 " ms", now_ms() - t0), "time to tear down");
	dev_close(&s->dev);
}

/* The stuck side, killed, is gone within TEARDOWN_MS. */
static void kill_stuck_side(pid_t pid)
{
	uint64_t t0 = now_ms();
	int status;

	kill(pid, SIGKILL);
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (now_ms() - t0 > TEARDOWN_MS) {
			check_fail(strf("gone within %u ms", TEARDOWN_MS),
				   "still there", "the stuck side, killed");
			return;
		}
		usleep(10000);
	}
	check_pass(strf("gone after %" PRIu64 " ms", now_ms() - t0),
		   "the stuck side, killed");
}

static void other_side(int sock, pid_t child, const char *name)
{
	struct side s = { .sock = sock };
	struct ibv_mr *mr;
	struct hello h;
	struct ibv_wc wc;
	uint8_t *buf;
	char go;
	int c, got;

	side_nqp(&s);
	side_open(&s, name);
	buf = aligned_alloc(PAGE, CTRL_SIZE);
	mr = buf ? ibv_reg_mr(s.dev.pd, buf, CTRL_SIZE,
			      IBV_ACCESS_LOCAL_WRITE) : NULL;
	if (!mr)
		die("cannot register a buffer: %s", strerror(errno));
	xrecv(sock, &h, sizeof(h));
	side_connect(&s);
	xrecv(sock, &go, 1);

	part_begin("stuck");
	post_stuck(&s, &h, K_READ, mr, buf);
	post_stuck(&s, &h, K_ATOMIC, mr, buf + CTRL_SIZE / 2);
	note("%u READs and %u FETCH_ADDs posted into pages that never come",
	     n_reads, n_atomics);
	/* A driver that faults in the doorbell never returns from a post. */
	setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO,
		   &(struct timeval){ .tv_sec = CTRL_MS / 1000 },
		   sizeof(struct timeval));
	got = recv(sock, &go, 1, 0) == 1;
	check(got, "posting returns", got ? "every post returned" :
	      "the stuck side died", "%u SENDs out of pages that never come",
	      n_sends);
	for (c = 0; c < 2; c++)
		check_ctrl(&s, &h, c, mr, buf);
	if (while_cmd) {
		int rc = system(while_cmd);

		check(rc == 0, "exit 0", strf("status %d", rc),
		      "while stalled: %s", while_cmd);
	}
	while (poll_wc(s.cq, &wc, 0) == 1)
		stuck_successes += wc.status == IBV_WC_SUCCESS;
	expect_eq(0, stuck_successes, "stuck requests that completed successfully");
	part_end();

	part_begin("teardown");
	teardown(&s, &mr, 1);
	kill_stuck_side(child);
	part_end();
	free(buf);
}

static void __attribute__((noreturn)) usage(void)
{
	die("usage: prxe_stuck_fault [--stall CMD] [--while-stalled CMD] [--reads N] [--atomics N] [--sends N] DEVICE FILE");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "stall", required_argument, NULL, 's' },
		{ "while-stalled", required_argument, NULL, 'w' },
		{ "reads", required_argument, NULL, 'r' },
		{ "atomics", required_argument, NULL, 'a' },
		{ "sends", required_argument, NULL, 'n' },
		{}
	};
	int sv[2], c;
	pid_t pid;

	check_init("prxe_stuck_fault");
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': stall_cmd = optarg; break;
		case 'w': while_cmd = optarg; break;
		case 'r': n_reads = strtoul(optarg, NULL, 0); break;
		case 'a': n_atomics = strtoul(optarg, NULL, 0); break;
		case 'n': n_sends = strtoul(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (optind + 2 != argc)
		usage();
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		die("socketpair: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		close(sv[0]);
		stuck_side(sv[1], argv[optind], argv[optind + 1]);
	}
	close(sv[1]);
	other_side(sv[0], pid, argv[optind]);
	return check_summary();
}
