/* Bulk transfer through bufferevents: MIB mebibytes written in 64 KiB bufferevent_write calls by
 * one bufferevent and read by another, both on one event_base in one thread.
 *
 * usage: bev_bulk tcp|pair MIB [verify]
 *   tcp    the sender is a socket bufferevent that connected (bufferevent_socket_connect) over
 *          loopback TCP to an evconnlistener; the receiver is a socket bufferevent on the accepted fd
 *   pair   the two ends of bufferevent_pair_new (deferred callbacks, as pairs are normally used:
 *          without them every write would run the partner's read callback recursively)
 * prints RESULT bev_bulk_<mode> in MiB/s, timed from the first write to the last byte read.
 * The transfer itself (flow control, "verify") is bench_bulk.h's. */
#include "bench_bulk.h"

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct bulk_transfer *t = arg;

	if (what & BEV_EVENT_CONNECTED) {
		bulk_start(t);
		return;
	}
	fprintf(stderr, "bev_bulk: event 0x%x on the %s after %lld of %lld bytes\n", what,
	    bev == t->sender ? "sender" : "receiver", t->received, t->total);
	bench_fail("unexpected bufferevent event");
}

static void on_accept(struct evconnlistener *listener, evutil_socket_t fd, struct sockaddr *peer,
    int peer_len, void *arg)
{
	struct bulk_transfer *t = arg;
	(void)peer; (void)peer_len;

	if (t->receiver)
		bench_fail("a second connection arrived");
	bulk_setup_receiver(t, bench_accepted(listener, fd), on_event);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "tcp";
	struct bulk_transfer t = {0};
	struct evconnlistener *listener = NULL;
	char name[64];
	int status;

	bulk_init(&t, bench_start(), bench_arg(argc, argv, 2, 1024), argc > 3 && strcmp(argv[3], "verify") == 0);
	if (strcmp(mode, "tcp") == 0) {
		struct sockaddr_in addr;
		listener = bench_listen_loopback(t.base, on_accept, &t, &addr);
		bulk_setup_sender(&t, bench_connect(t.base, &addr), on_event);
	} else if (strcmp(mode, "pair") == 0) {
		struct bufferevent *pair[2];
		if (bufferevent_pair_new(t.base, BEV_OPT_DEFER_CALLBACKS, pair) != 0)
			bench_fail("bufferevent_pair_new");
		bulk_setup_receiver(&t, pair[1], on_event);
		bulk_setup_sender(&t, pair[0], on_event);
		bulk_start(&t);
	} else {
		bench_fail("the mode must be tcp or pair");
	}

	snprintf(name, sizeof(name), "bev_bulk_%s", mode);
	status = bulk_run(&t, "bev_bulk", name);
	if (listener)
		evconnlistener_free(listener);
	event_base_free(t.base);
	return status;
}
