/* Bulk transfer through bufferevents: MIB mebibytes written in 64 KiB bufferevent_write calls by
 * one bufferevent and read by another, both on one event_base in one thread.
 *
 * usage: bev_bulk tcp|pair MIB [verify]
 *   tcp    the sender is a socket bufferevent that connected (bufferevent_socket_connect) over
 *          loopback TCP to an evconnlistener; the receiver is a socket bufferevent on the accepted fd
 *   pair   the two ends of bufferevent_pair_new (deferred callbacks, as pairs are normally used:
 *          without them every write would run the partner's read callback recursively)
 * prints RESULT bev_bulk_<mode> in MiB/s, timed from the first write to the last byte read.
 *
 * Flow control is the library's: the sender tops its output up to OUTPUT_FILL whenever it drains
 * to the write low watermark, the receiver's read high watermark bounds its input. The receiver
 * drains what arrives; with "verify" it copies every byte out instead and compares it with what
 * was sent (the timed runs leave that out so they measure the library, not memcmp). */
#include "bench_bev.h"

#define CHUNK (64 * 1024)
#define OUTPUT_FILL (1024 * 1024)
#define READ_HIGH (1024 * 1024)
/* Byte i of the stream is i % PATTERN_PERIOD (a prime, so that a lost or repeated 64 KiB piece
 * shows as a shifted pattern). */
#define PATTERN_PERIOD 251

static unsigned char pattern[CHUNK + PATTERN_PERIOD];
static unsigned char copy_out[READ_HIGH];

struct transfer {
	struct event_base *base;
	struct bufferevent *sender, *receiver;
	long long total, sent, received;
	int verify;
	double started;
};

static void fill(struct transfer *t)
{
	struct evbuffer *output = bufferevent_get_output(t->sender);

	while (t->sent < t->total && evbuffer_get_length(output) < OUTPUT_FILL) {
		if (bufferevent_write(t->sender, pattern + t->sent % PATTERN_PERIOD, CHUNK) != 0)
			bench_fail("bufferevent_write");
		t->sent += CHUNK;
	}
}

static void on_writable(struct bufferevent *bev, void *arg)
{
	(void)bev;
	fill(arg);
}

static void on_readable(struct bufferevent *bev, void *arg)
{
	struct transfer *t = arg;
	struct evbuffer *input = bufferevent_get_input(bev);
	size_t len = evbuffer_get_length(input);

	if (!t->verify) {
		evbuffer_drain(input, len);
		t->received += (long long)len;
	}
	while (t->verify && len > 0) {
		size_t piece = len < CHUNK ? len : CHUNK;
		if (evbuffer_remove(input, copy_out, piece) != (int)piece)
			bench_fail("evbuffer_remove");
		if (memcmp(copy_out, pattern + t->received % PATTERN_PERIOD, piece) != 0)
			bench_fail("the received bytes differ from the sent ones");
		t->received += (long long)piece;
		len -= piece;
	}
	if (t->received > t->total)
		bench_fail("received more bytes than were sent");
	if (t->received == t->total)
		event_base_loopbreak(t->base);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct transfer *t = arg;

	if (what & BEV_EVENT_CONNECTED) {
		t->started = bench_now();
		fill(t);
		return;
	}
	fprintf(stderr, "bev_bulk: event 0x%x on the %s after %lld of %lld bytes\n", what,
	    bev == t->sender ? "sender" : "receiver", t->received, t->total);
	bench_fail("unexpected bufferevent event");
}

static void setup_receiver(struct transfer *t, struct bufferevent *bev)
{
	t->receiver = bev;
	bufferevent_setcb(bev, on_readable, NULL, on_event, t);
	bufferevent_setwatermark(bev, EV_READ, 0, READ_HIGH);
	if (bufferevent_enable(bev, EV_READ) != 0)
		bench_fail("bufferevent_enable on the receiver");
}

static void setup_sender(struct transfer *t, struct bufferevent *bev)
{
	t->sender = bev;
	bufferevent_setcb(bev, NULL, on_writable, on_event, t);
	bufferevent_setwatermark(bev, EV_WRITE, OUTPUT_FILL / 2, 0);
	if (bufferevent_enable(bev, EV_WRITE) != 0)
		bench_fail("bufferevent_enable on the sender");
}

static void on_accept(struct evconnlistener *listener, evutil_socket_t fd, struct sockaddr *peer,
    int peer_len, void *arg)
{
	struct transfer *t = arg;
	(void)peer; (void)peer_len;

	if (t->receiver)
		bench_fail("a second connection arrived");
	setup_receiver(t, bench_accepted(listener, fd));
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "tcp";
	long mib = bench_arg(argc, argv, 2, 1024);
	struct transfer t = {0};
	struct evconnlistener *listener = NULL;
	char name[64];

	t.base = bench_start();
	t.total = (long long)mib * 1024 * 1024;
	t.verify = argc > 3 && strcmp(argv[3], "verify") == 0;
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (unsigned char)(i % PATTERN_PERIOD);

	if (strcmp(mode, "tcp") == 0) {
		struct sockaddr_in addr;
		listener = bench_listen_loopback(t.base, on_accept, &t, &addr);
		setup_sender(&t, bench_connect(t.base, &addr));
	} else if (strcmp(mode, "pair") == 0) {
		struct bufferevent *pair[2];
		if (bufferevent_pair_new(t.base, BEV_OPT_DEFER_CALLBACKS, pair) != 0)
			bench_fail("bufferevent_pair_new");
		setup_receiver(&t, pair[1]);
		setup_sender(&t, pair[0]);
		on_event(pair[0], BEV_EVENT_CONNECTED, &t);
	} else {
		bench_fail("the mode must be tcp or pair");
	}

	if (event_base_dispatch(t.base) < 0)
		bench_fail("event_base_dispatch");
	double elapsed = bench_now() - t.started;
	if (t.received != t.total) {
		fprintf(stderr, "bev_bulk: %lld of %lld bytes arrived\n", t.received, t.total);
		return 1;
	}
	snprintf(name, sizeof(name), "bev_bulk_%s", mode);
	bench_result(name, (double)mib / elapsed, "MiB/s");
	if (t.verify)
		fprintf(stderr, "bev_bulk: all %lld bytes arrived intact\n", t.total);
	bufferevent_free(t.sender);
	bufferevent_free(t.receiver);
	if (listener)
		evconnlistener_free(listener);
	event_base_free(t.base);
	return 0;
}
