/* The bulk transfer shared by bev_bulk.c (socket and pair bufferevents) and tls_bulk.c (TLS
 * bufferevents): one bufferevent writes `total` bytes in 64 KiB bufferevent_write calls, another
 * reads them, both on one event_base in one thread.
 *
 * Flow control is the library's: the sender tops its output up to OUTPUT_FILL whenever it drains
 * to the write low watermark, the receiver's read high watermark bounds its input. The receiver
 * drains what arrives; with verify it copies every byte out instead and compares it with what was
 * sent (the timed runs leave that out so they measure the library, not memcmp). The programs
 * make the two bufferevents and handle their events; the transfer's timing starts when the
 * program calls bulk_start. */
#ifndef BENCH_BULK_H
#define BENCH_BULK_H

#include "bench_bev.h"

#define BULK_CHUNK (64 * 1024)
#define BULK_OUTPUT_FILL (1024 * 1024)
#define BULK_READ_HIGH (1024 * 1024)
/* Byte i of the stream is i % BULK_PATTERN_PERIOD (a prime, so that a lost or repeated 64 KiB
 * piece shows as a shifted pattern). */
#define BULK_PATTERN_PERIOD 251

static unsigned char bulk_pattern[BULK_CHUNK + BULK_PATTERN_PERIOD];
static unsigned char bulk_copy_out[BULK_READ_HIGH];

struct bulk_transfer {
	struct event_base *base;
	struct bufferevent *sender, *receiver;
	long long total, sent, received;
	int verify;
	double started;
};

static inline void bulk_init(struct bulk_transfer *t, struct event_base *base, long mib, int verify)
{
	t->base = base;
	t->total = (long long)mib * 1024 * 1024;
	t->verify = verify;
	for (size_t i = 0; i < sizeof(bulk_pattern); i++)
		bulk_pattern[i] = (unsigned char)(i % BULK_PATTERN_PERIOD);
}

static inline void bulk_fill(struct bulk_transfer *t)
{
	struct evbuffer *output = bufferevent_get_output(t->sender);

	while (t->sent < t->total && evbuffer_get_length(output) < BULK_OUTPUT_FILL) {
		if (bufferevent_write(t->sender, bulk_pattern + t->sent % BULK_PATTERN_PERIOD, BULK_CHUNK) != 0)
			bench_fail("bufferevent_write");
		t->sent += BULK_CHUNK;
	}
}

/* The sender is connected: the clock starts, the first output goes out. */
static inline void bulk_start(struct bulk_transfer *t)
{
	t->started = bench_now();
	bulk_fill(t);
}

static void bulk_on_writable(struct bufferevent *bev, void *arg)
{
	(void)bev;
	bulk_fill(arg);
}

static void bulk_on_readable(struct bufferevent *bev, void *arg)
{
	struct bulk_transfer *t = arg;
	struct evbuffer *input = bufferevent_get_input(bev);
	size_t len = evbuffer_get_length(input);

	if (!t->verify) {
		evbuffer_drain(input, len);
		t->received += (long long)len;
	}
	while (t->verify && len > 0) {
		size_t piece = len < BULK_CHUNK ? len : BULK_CHUNK;
		if (evbuffer_remove(input, bulk_copy_out, piece) != (int)piece)
			bench_fail("evbuffer_remove");
		if (memcmp(bulk_copy_out, bulk_pattern + t->received % BULK_PATTERN_PERIOD, piece) != 0)
			bench_fail("the received bytes differ from the sent ones");
		t->received += (long long)piece;
		len -= piece;
	}
	if (t->received > t->total)
		bench_fail("received more bytes than were sent");
	if (t->received == t->total)
		event_base_loopbreak(t->base);
}

static inline void bulk_setup_receiver(struct bulk_transfer *t, struct bufferevent *bev, bufferevent_event_cb on_event)
{
	t->receiver = bev;
	bufferevent_setcb(bev, bulk_on_readable, NULL, on_event, t);
	bufferevent_setwatermark(bev, EV_READ, 0, BULK_READ_HIGH);
	if (bufferevent_enable(bev, EV_READ) != 0)
		bench_fail("bufferevent_enable on the receiver");
}

static inline void bulk_setup_sender(struct bulk_transfer *t, struct bufferevent *bev, bufferevent_event_cb on_event)
{
	t->sender = bev;
	bufferevent_setcb(bev, NULL, bulk_on_writable, on_event, t);
	bufferevent_setwatermark(bev, EV_WRITE, BULK_OUTPUT_FILL / 2, 0);
	if (bufferevent_enable(bev, EV_WRITE) != 0)
		bench_fail("bufferevent_enable on the sender");
}

/* Runs the loop until every byte arrived; prints RESULT <name> in MiB/s, timed from bulk_start
 * to the last byte read; frees both bufferevents. Returns the exit status. */
static inline int bulk_run(struct bulk_transfer *t, const char *program, const char *name)
{
	if (event_base_dispatch(t->base) < 0)
		bench_fail("event_base_dispatch");
	double elapsed = bench_now() - t->started;
	if (t->received != t->total) {
		fprintf(stderr, "%s: %lld of %lld bytes arrived\n", program, t->received, t->total);
		return 1;
	}
	bench_result(name, (double)t->total / (1024.0 * 1024.0) / elapsed, "MiB/s");
	if (t->verify)
		fprintf(stderr, "%s: all %lld bytes arrived intact\n", program, t->total);
	bufferevent_free(t->sender);
	bufferevent_free(t->receiver);
	return 0;
}

#endif
