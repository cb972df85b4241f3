/* A DNS server on evdns_add_server_port_with_base answering A queries, under load.
 *
 *   dns_server LOADER QUERIES [bare]
 *
 * The server listens on an ephemeral UDP port of 127.0.0.1; every A question gets one A
 * record (bench_dns_answer), anything else an empty NOERROR reply. The load comes from a child
 * process that links no libevent: LOADER "dnsperf" runs Debian's dnsperf (100 queries
 * outstanding, the names of bench_dns.h, QUERIES rounded up to whole passes over them), "plain"
 * runs dns_plain load (the same, written by us, for machines without dnsperf). The child's
 * report is read through a pipe on the server's own event_base; the figure is the load
 * generator's queries per second, and the run fails unless every query was answered, and
 * answered right (dnsperf: all NOERROR; dns_plain checks each address). Two more figures tell
 * whether the load generator or the server is the bottleneck: the CPU time (user and system)
 * each used per query, from getrusage of the server's own process and of its waited child.
 *
 * With "bare", no evdns: the same socket is served by `dns_plain respond` in a second child (plain
 * C, batched recvmmsg/sendmmsg), under the same load, checked and reported the same way, its CPU
 * time standing for the server's. That is the ceiling of the figure on this machine: what a server
 * costing nothing beyond the kernel's UDP path would let the load generator reach. */
#include "bench_util.h" /* first: it defines _GNU_SOURCE (dladdr) */

#include <errno.h>
#include <event2/dns.h>
#include <event2/dns_struct.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "bench_dns.h"

#define OUTSTANDING 100

struct server {
	struct event_base *base;
	long answered;
	char report[8192];
	size_t report_len;
};

static void on_query(struct evdns_server_request *req, void *arg)
{
	struct server *s = arg;
	for (int i = 0; i < req->nquestions; i++) {
		const struct evdns_server_question *q = req->questions[i];
		if (q->type != EVDNS_TYPE_A || q->dns_question_class != EVDNS_CLASS_INET)
			continue;
		uint32_t addr = htonl(bench_dns_answer(q->name));
		if (evdns_server_request_add_a_reply(req, q->name, 1, &addr, 60) != 0)
			bench_fail("evdns_server_request_add_a_reply");
	}
	if (evdns_server_request_respond(req, 0) != 0)
		bench_fail("evdns_server_request_respond");
	s->answered++;
}

static void on_report(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;
	(void)what;
	ssize_t n = read(fd, s->report + s->report_len, sizeof(s->report) - 1 - s->report_len);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		/* The load generator is done (or gone): its report is complete. */
		event_base_loopbreak(s->base);
		return;
	}
	s->report_len += (size_t)n;
	s->report[s->report_len] = '\0';
	if (s->report_len == sizeof(s->report) - 1)
		bench_fail("the load generator wrote more than expected");
}

/* User and system CPU time of a getrusage result, in microseconds. */
static double cpu_us(const struct rusage *r)
{
	return (r->ru_utime.tv_sec + r->ru_stime.tv_sec) * 1e6 + r->ru_utime.tv_usec + r->ru_stime.tv_usec;
}

/* The number after "label" in the report, or -1. */
static double report_value(const struct server *s, const char *label)
{
	const char *at = strstr(s->report, label);
	return at ? atof(at + strlen(label)) : -1;
}

/* The data file dnsperf reads: one "name A" line per name. */
static void write_dnsperf_data(const char *path)
{
	FILE *f = fopen(path, "w");
	char name[64];
	if (!f)
		bench_fail("cannot write dnsperf's data file");
	for (unsigned i = 0; i < BENCH_DNS_NAMES; i++) {
		bench_dns_name(name, sizeof(name), i);
		fprintf(f, "%s A\n", name);
	}
	if (fclose(f) != 0)
		bench_fail("cannot write dnsperf's data file");
}

int main(int argc, char **argv)
{
	struct server s = {0};
	struct sockaddr_in sin;
	char port[16], count[32], runs[32], outstanding[16], plain[PATH_MAX];
	char data[] = "/tmp/dns_server.XXXXXX";
	int out[2], use_dnsperf, bare;
	long queries;

	if ((argc != 3 && argc != 4) || (strcmp(argv[1], "dnsperf") && strcmp(argv[1], "plain")) ||
	    (argc == 4 && strcmp(argv[3], "bare")))
		bench_fail("usage: dns_server dnsperf|plain QUERIES [bare]");
	use_dnsperf = !strcmp(argv[1], "dnsperf");
	bare = argc == 4;
	queries = atol(argv[2]);
	if (queries < 1)
		bench_fail("QUERIES must be positive");
	s.base = bench_start();

	evutil_socket_t fd = bench_dns_socket(&sin);
	if (fd < 0)
		bench_fail("UDP socket on 127.0.0.1");
	struct evdns_server_port *server = NULL;
	pid_t responder = -1;
	bench_dns_sibling(plain, sizeof(plain), "dns_plain");
	if (bare) {
		/* The socket stays blocking: the responder waits in recvmmsg. */
		if ((responder = bench_dns_responder(fd)) < 0)
			bench_fail("fork");
	} else if (evutil_make_socket_nonblocking(fd) != 0 ||
	    !(server = evdns_add_server_port_with_base(s.base, fd, 0, on_query, &s)))
		bench_fail("evdns_add_server_port_with_base");

	snprintf(port, sizeof(port), "%d", ntohs(sin.sin_port));
	snprintf(outstanding, sizeof(outstanding), "%d", OUTSTANDING);
	if (use_dnsperf) {
		int tmp = mkstemp(data);
		if (tmp < 0)
			bench_fail("mkstemp");
		close(tmp);
		write_dnsperf_data(data);
		queries = (queries + BENCH_DNS_NAMES - 1) / BENCH_DNS_NAMES * BENCH_DNS_NAMES;
		snprintf(runs, sizeof(runs), "%ld", queries / BENCH_DNS_NAMES);
	} else
		snprintf(count, sizeof(count), "%ld", queries);
	if (pipe(out) != 0)
		bench_fail("pipe");
	pid_t child = fork();
	if (child < 0)
		bench_fail("fork");
	if (child == 0) {
		dup2(out[1], 1);
		close(out[0]);
		close(out[1]);
		close(fd);
		if (use_dnsperf)
			execlp("dnsperf", "dnsperf", "-s", "127.0.0.1", "-p", port, "-d", data, "-n", runs,
			    "-c", "1", "-q", outstanding, "-t", "5", "-l", "600", (char *)NULL);
		else
			execl(plain, plain, "load", port, count, outstanding, (char *)NULL);
		fprintf(stderr, "dns_server: cannot run the load generator: %s\n", strerror(errno));
		_exit(127);
	}
	close(out[1]);
	struct event *report = event_new(s.base, out[0], EV_READ | EV_PERSIST, on_report, &s);
	if (!report || event_add(report, NULL) != 0)
		bench_fail("event for the load generator's report");

	if (event_base_dispatch(s.base) < 0)
		bench_fail("event_base_dispatch");
	int status, responder_status;
	struct rusage self, loader;
	if (wait4(child, &status, 0, &loader) != child)
		bench_fail("waitpid");
	if (bare) {
		/* Every query of a successful load was answered, so the responder is only waiting; its
		 * CPU time is the bare server's. */
		if (kill(responder, SIGTERM) != 0 || wait4(responder, &responder_status, 0, &self) != responder ||
		    !WIFSIGNALED(responder_status) || WTERMSIG(responder_status) != SIGTERM)
			bench_fail("the plain responder did not run until stopped");
	} else if (getrusage(RUSAGE_SELF, &self) != 0)
		bench_fail("getrusage");
	if (use_dnsperf)
		unlink(data);
	double sent = report_value(&s, "Queries sent:"), completed = report_value(&s, "Queries completed:");
	double qps = report_value(&s, "Queries per second:");
	double noerror = use_dnsperf ? report_value(&s, "NOERROR") : completed;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || sent != (double)queries || completed != sent ||
	    noerror != sent || qps <= 0 || (!bare && s.answered < queries)) {
		fprintf(stderr, "dns_server: %ld queries wanted, %ld answered by the server; load generator "
		    "exit status 0x%x, its report:\n%s\n", queries, s.answered, status, s.report);
		bench_fail("not every query was answered right");
	}
	bench_result(use_dnsperf ? "dns_server_dnsperf" : "dns_server_plain", qps, "queries/s");
	bench_result("dns_server_cpu", cpu_us(&self) / (double)queries, "us/query");
	bench_result("dns_loader_cpu", cpu_us(&loader) / (double)queries, "us/query");

	event_free(report);
	close(out[0]);
	if (server)
		evdns_close_server_port(server);
	close(fd);
	event_base_free(s.base);
	return 0;
}
