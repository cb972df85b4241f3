/* evdns's hosts file (evdns_base_load_hosts, evdns_base_clear_host_addresses), evdns_getaddrinfo
 * answering from it, and bufferevent_socket_connect_hostname through an evdns base: connecting,
 * failing, and a lookup cancelled by bufferevent_free or bufferevent_setfd while it is pending;
 * pending lookups when their base is freed without failing requests.
 * Lookups that reach DNS go to a server of the test's own (evdns_add_server_port_with_base) on
 * 127.0.0.1; the evdns bases get no other nameserver, so nothing leaves the machine (run it in a
 * private network namespace all the same, as every DNS test). Passes against upstream 2.1.12 too
 * (LIBEVENT_UNDER_TEST=system). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/dns_struct.h>
#include <event2/listener.h>
#include <event2/util.h>
#include "check.h"
#include "loopback.h"

/* ---- the DNS server: host.example.com has 127.0.0.1, drop.example.com is never answered,
 * half.example.com has 127.0.0.1 but its AAAA query is never answered, every other name does
 * not exist. */

static int n_questions;

static void server_cb(struct evdns_server_request *req, void *arg)
{
	int i;
	(void)arg;
	for (i = 0; i < req->nquestions; i++) {
		const char *name = req->questions[i]->name;
		n_questions++;
		if (!evutil_ascii_strcasecmp(name, "drop.example.com") ||
		    (!evutil_ascii_strcasecmp(name, "half.example.com") &&
			req->questions[i]->type == EVDNS_TYPE_AAAA)) {
			evdns_server_request_drop(req);
			return;
		}
		if ((!evutil_ascii_strcasecmp(name, "host.example.com") ||
			!evutil_ascii_strcasecmp(name, "half.example.com")) &&
		    req->questions[i]->type == EVDNS_TYPE_A) {
			ev_uint32_t a = htonl(INADDR_LOOPBACK);
			evdns_server_request_add_a_reply(req, name, 1, &a, 60);
			evdns_server_request_respond(req, 0);
			return;
		}
	}
	evdns_server_request_respond(req, 3);
}

static struct evdns_server_port *start_server(struct event_base *base, unsigned short *port)
{
	struct sockaddr_in sin = loopback(0);
	evutil_socket_t fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct evdns_server_port *server;
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		perror("dns server socket");
		exit(2);
	}
	evutil_make_socket_nonblocking(fd);
	*port = port_of(fd);
	server = evdns_add_server_port_with_base(base, fd, 0, server_cb, NULL);
	CHECK(server != NULL);
	return server;
}

static struct evdns_base *dns_base_for(struct event_base *base, unsigned short port)
{
	char ns[32];
	struct evdns_base *dns = evdns_base_new(base, 0);
	CHECK(dns != NULL);
	snprintf(ns, sizeof(ns), "127.0.0.1:%u", port);
	CHECK(evdns_base_nameserver_ip_add(dns, ns) == 0);
	CHECK(evdns_base_set_option(dns, "timeout:", "0.5") == 0);
	return dns;
}

/* ---- evdns_getaddrinfo */

struct outcome {
	int done;
	int err;
	struct evutil_addrinfo *ai;
};

static void gai_cb(int err, struct evutil_addrinfo *ai, void *arg)
{
	struct outcome *o = arg;
	o->done++;
	o->err = err;
	o->ai = ai;
}

/* Looks name up (port 80, TCP) and returns the outcome; *immediate says whether it came before
 * evdns_getaddrinfo returned (which then returns NULL). Runs the loop for answers from DNS. */
static struct outcome lookup(struct event_base *base, struct evdns_base *dns, const char *name,
    int family, int *immediate)
{
	struct outcome o;
	struct evutil_addrinfo hints;
	struct evdns_getaddrinfo_request *req;
	memset(&o, 0, sizeof(o));
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	req = evdns_getaddrinfo(dns, name, "80", &hints, gai_cb, &o);
	*immediate = o.done == 1;
	CHECK((req == NULL) == *immediate);
	while (!o.done)
		event_base_loop(base, EVLOOP_ONCE);
	CHECK(o.done == 1);
	return o;
}

/* The addresses of a list as text, "a b c". */
static const char *addresses(const struct evutil_addrinfo *ai)
{
	static char out[512];
	size_t n = 0;
	out[0] = '\0';
	for (; ai; ai = ai->ai_next) {
		char ip[INET6_ADDRSTRLEN] = "?";
		if (ai->ai_family == AF_INET) {
			const struct sockaddr_in *sin = (const void *)ai->ai_addr;
			inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
			n += snprintf(out + n, sizeof(out) - n, "%s%s:%u", n ? " " : "", ip, ntohs(sin->sin_port));
		} else {
			const struct sockaddr_in6 *sin6 = (const void *)ai->ai_addr;
			inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip));
			n += snprintf(out + n, sizeof(out) - n, "%s[%s]:%u", n ? " " : "", ip, ntohs(sin6->sin6_port));
		}
	}
	return out;
}

static void check_lookup(struct event_base *base, struct evdns_base *dns, const char *name,
    int family, int want_immediate, int want_err, const char *want_addrs)
{
	int immediate;
	struct outcome o = lookup(base, dns, name, family, &immediate);
	if (immediate != want_immediate || o.err != want_err || strcmp(addresses(o.ai), want_addrs)) {
		fprintf(stderr, "lookup %s (family %d): immediate %d err %d addresses '%s'; expected %d %d '%s'\n",
		    name, family, immediate, o.err, addresses(o.ai), want_immediate, want_err, want_addrs);
		check_failures++;
	}
	if (o.ai) /* upstream crashes on NULL */
		evutil_freeaddrinfo(o.ai);
}

static const char *write_file(const char *contents, size_t len)
{
	static char path[64];
	int fd;
	strcpy(path, "/tmp/evdns-hosts-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, contents, len) != (ssize_t)len) {
		perror("hosts file");
		exit(2);
	}
	close(fd);
	return path;
}

static void test_hosts(struct event_base *base, struct evdns_base *dns)
{
	static const char hosts[] =
	    "# a comment\n"
	    "10.0.0.1 Alpha alpha-alias # trailing comment\n"
	    "::2\talpha\n"
	    "  garbage that is no address\n"
	    "1.2.3.4:80 withport\n"
	    "\x01\x02\xff binary\n"
	    "10.0.0.3 gamma#glued-comment not-a-name";
	const char *path = write_file(hosts, sizeof(hosts) - 1);

	CHECK(evdns_base_load_hosts(dns, path) == 0);
	check_lookup(base, dns, "ALPHA", AF_UNSPEC, 1, 0, "10.0.0.1:80 [::2]:80");
	check_lookup(base, dns, "alpha", AF_INET6, 1, 0, "[::2]:80");
	/* Only IPv4 entries for an IPv6 lookup: an empty answer, without asking DNS. */
	check_lookup(base, dns, "alpha-alias", AF_INET6, 1, 0, "");
	check_lookup(base, dns, "gamma", AF_UNSPEC, 1, 0, "10.0.0.3:80");
	CHECK(n_questions == 0);
	/* What the file did not define goes to DNS, which does not know it. */
	check_lookup(base, dns, "not-a-name", AF_INET, 0, EVUTIL_EAI_NONAME, "");
	check_lookup(base, dns, "withport", AF_INET, 0, EVUTIL_EAI_NONAME, "");
	CHECK(n_questions == 2);

	/* Loading appends. */
	path = write_file("10.0.0.9 alpha\n", 15);
	CHECK(evdns_base_load_hosts(dns, path) == 0);
	unlink(path);
	check_lookup(base, dns, "alpha", AF_UNSPEC, 1, 0, "10.0.0.1:80 [::2]:80 10.0.0.9:80");

	/* A file that cannot be read: -1, and localhost is there anyway. */
	CHECK(evdns_base_load_hosts(dns, path) == -1);
	check_lookup(base, dns, "LocalHost", AF_UNSPEC, 1, 0, "127.0.0.1:80 [::1]:80");

	evdns_base_clear_host_addresses(dns);
	n_questions = 0;
	check_lookup(base, dns, "gamma.example.com", AF_INET, 0, EVUTIL_EAI_NONAME, "");
	CHECK(n_questions == 1);
	/* NULL: only localhost. */
	CHECK(evdns_base_load_hosts(dns, NULL) == 0);
	check_lookup(base, dns, "localhost", AF_INET, 1, 0, "127.0.0.1:80");
}

/* ---- bufferevent_socket_connect_hostname */

struct conn {
	int events;
	short what;
	int dns_error;
};

static int n_accepted;

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len, void *arg)
{
	(void)l; (void)sa; (void)len; (void)arg;
	n_accepted++;
	close(fd);
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;
	c->events++;
	c->what = what;
	c->dns_error = bufferevent_socket_get_dns_error(bev);
}

static struct bufferevent *connecting(struct event_base *base, struct evdns_base *dns,
    const char *name, unsigned short port, struct conn *c)
{
	struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	memset(c, 0, sizeof(*c));
	bufferevent_setcb(bev, NULL, NULL, event_cb, c);
	CHECK(bufferevent_socket_connect_hostname(bev, dns, AF_INET, name, port) == 0);
	return bev;
}

/* Runs the loop for a while (the DNS server's and the listener's events keep it busy forever):
 * long enough for deferred callbacks and for anything that should not happen. */
static void run_awhile(struct event_base *base)
{
	struct timeval grace = { 0, 100 * 1000 };
	event_base_loopexit(base, &grace);
	event_base_dispatch(base);
}

static void test_connect_hostname(struct event_base *base, struct evdns_base *dns)
{
	struct sockaddr_in sin = loopback(0);
	struct evconnlistener *lev = evconnlistener_new_bind(base, accept_cb, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, -1, (struct sockaddr *)&sin, sizeof(sin));
	unsigned short port = port_of(evconnlistener_get_fd(lev));
	struct conn ok, fail, freed, reset;
	struct bufferevent *bev_ok, *bev_fail, *bev_freed, *bev_reset;
	int before;

	bev_ok = connecting(base, dns, "host.example.com", port, &ok);
	bev_fail = connecting(base, dns, "nosuch.example.com", port, &fail);
	while (!fail.events || !ok.events || !n_accepted)
		event_base_loop(base, EVLOOP_ONCE);
	run_awhile(base);
	CHECK(ok.events == 1 && ok.what == BEV_EVENT_CONNECTED && ok.dns_error == 0);
	CHECK(fail.events == 1 && fail.what == BEV_EVENT_ERROR && fail.dns_error == EVUTIL_EAI_NONAME);
	CHECK(n_accepted == 1);
	bufferevent_free(bev_ok);
	bufferevent_free(bev_fail);

	/* Freed while its lookup is pending: nothing is reported. Ours cancels the lookup, which
	 * drops the bufferevent's last reference; upstream 2.1.12's socket bufferevents ignore
	 * CANCEL_ALL, so there the lookup runs on and the bufferevent stays until it ends (here:
	 * never, the base is freed first, which memcheck reports as a leak of upstream's). */
	before = n_questions;
	bev_freed = connecting(base, dns, "drop.example.com", port, &freed);
	while (n_questions == before)
		event_base_loop(base, EVLOOP_ONCE);
	bufferevent_free(bev_freed);
	run_awhile(base);
	CHECK(freed.events == 0);

	/* A socket set while the lookup is pending cancels it: no event, the cancel as DNS error. */
	before = n_questions;
	bev_reset = connecting(base, dns, "drop.example.com", port, &reset);
	while (n_questions == before)
		event_base_loop(base, EVLOOP_ONCE);
	bufferevent_setfd(bev_reset, -1);
	run_awhile(base);
	CHECK(reset.events == 0);
	CHECK(bufferevent_socket_get_dns_error(bev_reset) == EVUTIL_EAI_CANCEL);
	bufferevent_free(bev_reset);
	CHECK(n_accepted == 1);

	evconnlistener_free(lev);
}

/* evdns_base_free(base, 0) while lookups are pending: nobody is told, as upstream. Ours also
 * frees the lookups (memcheck), including one whose A answer is in and whose skew timer waits
 * for the AAAA one; upstream leaves both behind. */
static void test_free_without_failing(struct event_base *base, unsigned short port)
{
	struct evdns_base *dns = dns_base_for(base, port);
	struct outcome half, dropped;
	int before = n_questions;
	memset(&half, 0, sizeof(half));
	memset(&dropped, 0, sizeof(dropped));
	CHECK(evdns_getaddrinfo(dns, "half.example.com", "80", NULL, gai_cb, &half) != NULL);
	CHECK(evdns_getaddrinfo(dns, "drop.example.com", "80", NULL, gai_cb, &dropped) != NULL);
	while (n_questions < before + 4)
		event_base_loop(base, EVLOOP_ONCE);
	run_awhile(base);
	evdns_base_free(dns, 0);
	run_awhile(base);
	CHECK(half.done == 0 && dropped.done == 0);
}

int main(void)
{
	struct event_base *base = event_base_new();
	unsigned short port;
	struct evdns_server_port *server = start_server(base, &port);
	struct evdns_base *dns = dns_base_for(base, port);

	test_hosts(base, dns);
	test_connect_hostname(base, dns);
	test_free_without_failing(base, port);

	evdns_base_free(dns, 0);
	evdns_close_server_port(server);
	event_base_free(base);
	CHECK_EXIT();
}
