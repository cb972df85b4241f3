/* The evdns resolver under load: QUERIES evdns_base_resolve_ipv4 calls, INFLIGHT at a time.
 *
 *   dns_resolve QUERIES INFLIGHT
 *
 * The nameserver is dns_plain respond, a child process that links no libevent (so both
 * libraries meet the same server), on an ephemeral UDP port of 127.0.0.1 that this program
 * binds and hands down. The resolver's max-inflight is INFLIGHT too, so every request goes
 * out at once; each completion checks the answer (NOERROR, one A record, the address
 * bench_dns_answer gives for that name) and starts the next resolve until QUERIES are done.
 * The figure is resolutions per second over the whole run. */
#include "bench_util.h" /* first: it defines _GNU_SOURCE (dladdr) */

#include <event2/dns.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_dns.h"

struct load;

/* The names and their answers, made once so that the timed loop formats nothing. */
static char names[BENCH_DNS_NAMES][32];
static uint32_t answers[BENCH_DNS_NAMES];

/* One of the INFLIGHT slots: which name it resolves now. */
struct slot {
	struct load *load;
	unsigned name;
};

struct load {
	struct event_base *base;
	struct evdns_base *dns;
	long queries, started, done;
};

static void on_resolved(int result, char type, int count, int ttl, void *addresses, void *arg);

/* Starts the next resolve in this slot, if any are left. */
static void start_next(struct slot *slot)
{
	struct load *l = slot->load;

	if (l->started == l->queries)
		return;
	slot->name = (unsigned)(l->started++ % BENCH_DNS_NAMES);
	if (!evdns_base_resolve_ipv4(l->dns, names[slot->name], DNS_QUERY_NO_SEARCH, on_resolved, slot))
		bench_fail("evdns_base_resolve_ipv4");
}

static void on_resolved(int result, char type, int count, int ttl, void *addresses, void *arg)
{
	struct slot *slot = arg;
	struct load *l = slot->load;
	(void)ttl;

	if (result != DNS_ERR_NONE || type != DNS_IPv4_A || count != 1 ||
	    ntohl(((const struct in_addr *)addresses)[0].s_addr) != answers[slot->name]) {
		fprintf(stderr, "dns_resolve: %s: result %d (%s), type %d, %d answers\n", names[slot->name], result,
		    evdns_err_to_string(result), type, count);
		bench_fail("a resolve failed or got a wrong answer");
	}
	if (++l->done == l->queries)
		event_base_loopbreak(l->base);
	else
		start_next(slot);
}

int main(int argc, char **argv)
{
	struct load l = {0};
	struct sockaddr_in sin;
	char nameserver[64], inflight_text[16];
	long inflight;

	l.queries = bench_arg(argc, argv, 1, 100000);
	inflight = bench_arg(argc, argv, 2, 256);
	if (l.queries < 1 || inflight < 1 || inflight > 10000)
		bench_fail("usage: dns_resolve QUERIES INFLIGHT (1-10000)");
	if (inflight > l.queries)
		inflight = l.queries;
	l.base = bench_start();
	for (unsigned i = 0; i < BENCH_DNS_NAMES; i++) {
		bench_dns_name(names[i], sizeof(names[i]), i);
		answers[i] = bench_dns_answer(names[i]);
	}

	/* The nameserver's socket, bound here so that its port is known before it starts. */
	int fd = bench_dns_socket(&sin);
	if (fd < 0)
		bench_fail("UDP socket on 127.0.0.1");
	pid_t child = bench_dns_responder(fd);
	if (child < 0)
		bench_fail("fork");
	close(fd);

	l.dns = evdns_base_new(l.base, 0);
	snprintf(nameserver, sizeof(nameserver), "127.0.0.1:%d", ntohs(sin.sin_port));
	snprintf(inflight_text, sizeof(inflight_text), "%ld", inflight);
	if (!l.dns || evdns_base_nameserver_ip_add(l.dns, nameserver) != 0 ||
	    evdns_base_set_option(l.dns, "max-inflight", inflight_text) != 0)
		bench_fail("evdns_base_new with the nameserver and max-inflight");

	struct slot *slots = calloc((size_t)inflight, sizeof(*slots));
	if (!slots)
		bench_fail("calloc");
	double started = bench_now();
	for (long i = 0; i < inflight; i++) {
		slots[i].load = &l;
		start_next(&slots[i]);
	}
	if (event_base_dispatch(l.base) < 0)
		bench_fail("event_base_dispatch");
	double elapsed = bench_now() - started;
	if (l.done != l.queries)
		bench_fail("the loop ended before every resolve was done");
	bench_result("dns_resolve", (double)l.done / elapsed, "resolutions/s");

	evdns_base_free(l.dns, 0);
	event_base_free(l.base);
	free(slots);
	kill(child, SIGTERM);
	waitpid(child, NULL, 0);
	return 0;
}
