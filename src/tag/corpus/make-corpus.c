/* Writes the evtag fuzz corpus (see README.md): structures of upstream's test/regress.rpc,
 * marshalled by the code event_rpcgen.py generated for them (test/regress.gen.c), and streams
 * of records and numbers, each written to a file of its own. Built and run by make-corpus.sh
 * against Debian's libevent, so the bytes are upstream's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/rpc.h>
#include <event2/tag.h>
#include "regress.gen.h"

/* Not in tag.h; upstream exports it. */
int evtag_encode_tag(struct evbuffer *evbuf, ev_uint32_t tag);

static void save(const char *name, struct evbuffer *b)
{
	FILE *f = fopen(name, "wb");
	size_t n = evbuffer_get_length(b);
	if (!f || (n && fwrite(evbuffer_pullup(b, -1), 1, n, f) != n) || fclose(f)) {
		perror(name);
		exit(1);
	}
	evbuffer_drain(b, n);
}

/* A run as upstream's rpc_test fills it, with the optional fields when full is set. */
static void fill_run(struct run *run, int full, int i)
{
	static const ev_uint8_t some[] = { 0x00, 0xff, 0x80, 0x7f, 0x00, 'x' };
	EVTAG_ASSIGN(run, how, "very fast but with some data in it");
	EVTAG_ASSIGN(run, fixed_bytes, (ev_uint8_t *)"012345678901234567890123");
	if (!full)
		return;
	EVTAG_ARRAY_ADD_VALUE(run, notes, "this is my note");
	EVTAG_ARRAY_ADD_VALUE(run, notes, "pps");
	EVTAG_ASSIGN_WITH_LEN(run, some_bytes, some, sizeof(some));
	EVTAG_ASSIGN(run, large_number, 0xdead0a0bcafebeefULL + i);
	EVTAG_ARRAY_ADD_VALUE(run, other_numbers, 0xdead0a0b);
	EVTAG_ARRAY_ADD_VALUE(run, other_numbers, (ev_uint32_t)i);
}

static struct msg *make_msg(int runs)
{
	struct msg *msg = msg_new();
	struct kill *attack;
	int i;
	EVTAG_ASSIGN(msg, from_name, "niels");
	EVTAG_ASSIGN(msg, to_name, "phoenix");
	EVTAG_GET(msg, attack, &attack);
	EVTAG_ASSIGN(attack, weapon, "feather");
	EVTAG_ASSIGN(attack, action, "tickle");
	for (i = 0; i < 3; i++)
		EVTAG_ARRAY_ADD_VALUE(attack, how_often, i);
	for (i = 0; i < runs; i++)
		fill_run(EVTAG_ARRAY_ADD(msg, run), 1, i);
	if (msg_complete(msg) == -1) {
		fprintf(stderr, "incomplete msg\n");
		exit(1);
	}
	return msg;
}

int main(void)
{
	struct evbuffer *b = evbuffer_new();
	struct msg *msg;
	struct kill *kill;
	struct run *run;
	struct timeval tv;
	static const ev_uint32_t ints[] = { 0xaf0, 0x1000, 0x1, 0xdeadbeef, 0x00, 0xbef000 };
	ev_uint8_t fixed[24];
	int i;

	/* What an evrpc request carries: the message as a record with its own tag. */
	msg = make_msg(3);
	evtag_marshal_msg(b, 0xdeaf, msg);
	save("msg-tagged-3-runs.bin", b);
	msg_free(msg);

	/* An evrpc reply body: the message's fields alone. */
	msg = make_msg(1);
	msg_marshal(b, msg);
	save("msg-1-run.bin", b);
	msg_free(msg);

	msg = make_msg(40);
	msg_marshal(b, msg);
	save("msg-40-runs.bin", b);
	msg_free(msg);

	kill = kill_new();
	EVTAG_ASSIGN(kill, weapon, "dagger");
	EVTAG_ASSIGN(kill, action, "wave");
	for (i = 0; i < 5; i++)
		EVTAG_ARRAY_ADD_VALUE(kill, how_often, 1u << (7 * i));
	kill_marshal(b, kill);
	save("kill.bin", b);
	kill_free(kill);

	run = run_new();
	fill_run(run, 0, 0);
	run_marshal(b, run);
	save("run-required-only.bin", b);
	run_free(run);

	run = run_new();
	fill_run(run, 1, 7);
	evtag_marshal_run(b, 0x10121, run);
	save("run-full-tagged.bin", b);
	run_free(run);

	/* One record of every kind evtag writes, in a stream. */
	evtag_marshal_int(b, 30, 0);
	evtag_marshal_int(b, 31, 0xffffffff);
	evtag_marshal_int64(b, 0x166, 0xdead0a0bcafebeefULL);
	evutil_timerclear(&tv);
	tv.tv_sec = 1700000000;
	tv.tv_usec = 999999;
	evtag_marshal_timeval(b, 0, &tv);
	evtag_marshal_string(b, 40, "Hello world");
	evtag_marshal_string(b, 41, "");
	for (i = 0; i < 24; i++)
		fixed[i] = (ev_uint8_t)(i * 11);
	evtag_marshal(b, 0xffffffff, fixed, sizeof(fixed));
	evtag_marshal(b, 0x10000000, NULL, 0);
	save("records.bin", b);

	/* regress.c's evtag/int and evtag/encoding streams. */
	for (i = 0; i < 6; i++) {
		evtag_encode_int(b, ints[i]);
		evtag_encode_int64(b, (ev_uint64_t)ints[i] * 1000000000);
	}
	save("ints.bin", b);
	for (i = 0; i < 6; i++)
		evtag_encode_tag(b, ints[i]);
	save("tags.bin", b);

	evbuffer_free(b);
	return 0;
}
