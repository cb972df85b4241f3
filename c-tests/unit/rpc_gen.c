/* evrpc end to end, with the message code upstream's event_rpcgen.py generates from its
 * test/regress.rpc (rpc_gen.gen.sh makes it at build time; it is compiled with this file
 * against our headers, -Wall -Werror). An RPC server and pools of client connections on
 * 127.0.0.1: replies decoded, hooks of all four kinds with meta data and paused/resumed
 * RPCs, queueing on a busy connection, timeouts (the pool's, over a connection keeping its
 * own), what the server answers to malformed,
 * non-POST and unknown RPCs and to an incomplete reply. Everything is freed at the end (which
 * UNIT_VALGRIND=1 checks: the generated code frees what evtag allocates with free(), so
 * counting through event_set_mem_functions cannot). Passes against upstream
 * 2.1.12 too (LIBEVENT_UNDER_TEST=system). */
#include "rpc_common.h"

/* ---- 1. the generated code on its own ---- */

static void test_marshal(void)
{
	struct msg *m = new_msg(), *back = msg_new();
	struct kill *attack = NULL, *got = NULL;
	struct run *run, *run_back = NULL;
	struct evbuffer *buf = evbuffer_new();
	ev_uint32_t tag = 0, how = 0;
	char *note = NULL;
	ev_uint64_t big = 0;
	int i;

	CHECK(EVTAG_GET(m, attack, &attack) == 0 && attack != NULL);
	EVTAG_ASSIGN(attack, weapon, "feather");
	EVTAG_ASSIGN(attack, action, "tickle");
	for (i = 0; i < 3; i++)
		CHECK(EVTAG_ARRAY_ADD_VALUE(attack, how_often, i) != NULL);
	for (i = 0; i < 50; i++) {
		run = EVTAG_ARRAY_ADD(m, run);
		CHECK(run != NULL);
		EVTAG_ASSIGN(run, how, "very fast");
		EVTAG_ASSIGN(run, fixed_bytes, (const ev_uint8_t *)"012345678901234567890123");
		CHECK(EVTAG_ARRAY_ADD_VALUE(run, notes, "note") != NULL);
		EVTAG_ASSIGN(run, large_number, 0xdead0a0bcafebeefULL);
	}
	CHECK(msg_complete(m) == 0);
	evtag_marshal_msg(buf, 0xdeaf, m);
	CHECK(evtag_peek(buf, &tag) > 0 && tag == 0xdeaf);
	CHECK(evtag_unmarshal_msg(buf, 0xdeaf, back) == 0);
	CHECK(EVTAG_HAS(back, attack) && EVTAG_GET(back, attack, &got) == 0);
	CHECK(EVTAG_ARRAY_LEN(got, how_often) == 3 && EVTAG_ARRAY_GET(got, how_often, 2, &how) == 0 && how == 2);
	CHECK(EVTAG_ARRAY_LEN(back, run) == 50 && EVTAG_ARRAY_GET(back, run, 49, &run_back) == 0);
	CHECK(EVTAG_ARRAY_GET(run_back, notes, 0, &note) == 0 && strcmp(note, "note") == 0);
	CHECK(EVTAG_GET(run_back, large_number, &big) == 0 && big == 0xdead0a0bcafebeefULL);

	/* Cut short (inside its first field, where the generated code leaks nothing), a message
	 * does not decode. */
	msg_marshal(buf, m);
	{
		struct evbuffer *half = evbuffer_new();
		evbuffer_remove_buffer(buf, half, 4);
		msg_clear(back);
		CHECK(msg_unmarshal(back, half) == -1);
		evbuffer_free(half);
	}
	/* A required field missing: incomplete. */
	msg_clear(m);
	EVTAG_ASSIGN(m, from_name, "only");
	CHECK(msg_complete(m) == -1);

	msg_free(m);
	msg_free(back);
	evbuffer_free(buf);
}

/* ---- 2. hooks on both sides, meta data ---- */

static int hooks_run;

static int client_out(void *ctx, struct evhttp_request *req, struct evbuffer *body, void *arg)
{
	(void)arg;
	CHECK(evrpc_hook_get_connection(ctx) != NULL);
	CHECK(evbuffer_get_length(body) > 0);
	evhttp_add_header(evhttp_request_get_output_headers(req), "X-Client", "out");
	evrpc_hook_add_meta(ctx, "secret", "abc", 4);
	hooks_run |= 1;
	return EVRPC_CONTINUE;
}

static int server_in(void *ctx, struct evhttp_request *req, struct evbuffer *body, void *arg)
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "X-Client");
	void *data = NULL;
	size_t len = 0;
	(void)arg;
	CHECK(evrpc_hook_get_connection(ctx) != NULL);
	CHECK(evbuffer_get_length(body) > 0);
	CHECK(h != NULL && strcmp(h, "out") == 0);
	/* Meta data stays with its side's RPC: the server's has none of the client's. */
	CHECK(evrpc_hook_find_meta(ctx, "secret", &data, &len) == -1);
	evrpc_hook_add_meta(ctx, "server", "1", 2);
	hooks_run |= 2;
	return EVRPC_CONTINUE;
}

static int server_out(void *ctx, struct evhttp_request *req, struct evbuffer *body, void *arg)
{
	void *data = NULL;
	size_t len = 0;
	(void)arg;
	CHECK(evbuffer_get_length(body) > 0);
	CHECK(evrpc_hook_find_meta(ctx, "server", &data, &len) == 0 && len == 2 && strcmp(data, "1") == 0);
	evhttp_add_header(evhttp_request_get_output_headers(req), "X-Server", "out");
	hooks_run |= 4;
	return EVRPC_CONTINUE;
}

static int client_in(void *ctx, struct evhttp_request *req, struct evbuffer *body, void *arg)
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "X-Server");
	void *data = NULL;
	size_t len = 0;
	(void)arg;
	CHECK(evbuffer_get_length(body) > 0);
	CHECK(h != NULL && strcmp(h, "out") == 0);
	CHECK(evrpc_hook_find_meta(ctx, "secret", &data, &len) == 0 && len == 4 && strcmp(data, "abc") == 0);
	CHECK(evrpc_hook_find_meta(ctx, "absent", &data, &len) == -1);
	hooks_run |= 8;
	return EVRPC_CONTINUE;
}

static void test_hooks(void)
{
	struct evrpc_pool *pool = pool_with(1);
	void *h[4];
	h[0] = evrpc_add_hook(pool, EVRPC_OUTPUT, client_out, NULL);
	h[1] = evrpc_add_hook(rpcbase, EVRPC_INPUT, server_in, NULL);
	h[2] = evrpc_add_hook(rpcbase, EVRPC_OUTPUT, server_out, NULL);
	h[3] = evrpc_add_hook(pool, EVRPC_INPUT, client_in, NULL);
	CHECK(h[0] && h[1] && h[2] && h[3]);
	hooks_run = 0;
	CHECK(run_one(pool, evrpc_send_request_Message) == EVRPC_STATUS_ERR_NONE);
	CHECK(hooks_run == 15);
	/* A handle belongs to its list: the wrong type or owner removes nothing. */
	CHECK(evrpc_remove_hook(pool, EVRPC_INPUT, h[0]) == 0);
	CHECK(evrpc_remove_hook(rpcbase, EVRPC_OUTPUT, h[3]) == 0);
	CHECK(evrpc_remove_hook(rpcbase, EVRPC_INPUT, h[1]) == 1);
	CHECK(evrpc_remove_hook(rpcbase, EVRPC_INPUT, h[1]) == 0);
	CHECK(evrpc_remove_hook(rpcbase, EVRPC_OUTPUT, h[2]) == 1);
	/* The server's hooks are gone; the pool's still need the server's header. */
	CHECK(evrpc_remove_hook(pool, EVRPC_INPUT, h[3]) == 1);
	hooks_run = 0;
	CHECK(run_one(pool, evrpc_send_request_Message) == EVRPC_STATUS_ERR_NONE);
	CHECK(hooks_run == 1);
	evrpc_pool_free(pool);
}

/* ---- 3. pausing at every hook ---- */

struct paused {
	void *owner;
	void *ctx;
	int result;
};

static int resumed;

static void resume_later(evutil_socket_t fd, short what, void *arg)
{
	struct paused *p = arg;
	(void)fd;
	(void)what;
	resumed++;
	CHECK(evrpc_resume_request(p->owner, p->ctx, p->result) == 0);
	free(p);
}

static int pause_result = EVRPC_CONTINUE;

static int pause_hook(void *ctx, struct evhttp_request *req, struct evbuffer *body, void *owner)
{
	struct paused *p = malloc(sizeof(*p));
	struct timeval soon = {0, 1000};
	(void)req;
	(void)body;
	p->owner = owner;
	p->ctx = ctx;
	p->result = pause_result;
	event_base_once(base, -1, EV_TIMEOUT, resume_later, p, &soon);
	return EVRPC_PAUSE;
}

static void test_pause(void)
{
	struct evrpc_pool *pool = pool_with(1);
	void *h[4];
	h[0] = evrpc_add_hook(rpcbase, EVRPC_INPUT, pause_hook, rpcbase);
	h[1] = evrpc_add_hook(rpcbase, EVRPC_OUTPUT, pause_hook, rpcbase);
	h[2] = evrpc_add_hook(pool, EVRPC_INPUT, pause_hook, pool);
	h[3] = evrpc_add_hook(pool, EVRPC_OUTPUT, pause_hook, pool);
	resumed = 0;
	CHECK(run_one(pool, evrpc_send_request_Message) == EVRPC_STATUS_ERR_NONE);
	CHECK(resumed == 4);
	CHECK(evrpc_remove_hook(rpcbase, EVRPC_INPUT, h[0]) == 1);
	CHECK(evrpc_remove_hook(rpcbase, EVRPC_OUTPUT, h[1]) == 1);
	CHECK(evrpc_remove_hook(pool, EVRPC_OUTPUT, h[3]) == 1);

	/* Resumed with EVRPC_TERMINATE on the way in: the RPC is aborted by the hook. */
	pause_result = EVRPC_TERMINATE;
	resumed = 0;
	CHECK(run_one(pool, evrpc_send_request_Message) == EVRPC_STATUS_ERR_HOOKABORTED);
	CHECK(resumed == 1);
	pause_result = EVRPC_CONTINUE;
	CHECK(evrpc_remove_hook(pool, EVRPC_INPUT, h[2]) == 1);
	evrpc_pool_free(pool);
}

/* ---- 4. hooks stopping RPCs ---- */

static void test_terminate(void)
{
	struct evrpc_pool *pool = pool_with(1);
	void *h;

	/* (A client output hook stopping an RPC: rpc_hostile.c, 2.1.12 leaks its request.) */

	/* A server input hook: 503, which the client cannot decode. */
	h = evrpc_add_hook(rpcbase, EVRPC_INPUT, stop_hook, NULL);
	CHECK(run_one(pool, evrpc_send_request_Message) == EVRPC_STATUS_ERR_BADPAYLOAD);
	CHECK(evrpc_remove_hook(rpcbase, EVRPC_INPUT, h) == 1);

	/* A server output hook: the same. */
	h = evrpc_add_hook(rpcbase, EVRPC_OUTPUT, stop_hook, NULL);
	CHECK(run_one(pool, evrpc_send_request_Message) == EVRPC_STATUS_ERR_BADPAYLOAD);
	CHECK(evrpc_remove_hook(rpcbase, EVRPC_OUTPUT, h) == 1);

	/* A client input hook: aborted. */
	h = evrpc_add_hook(pool, EVRPC_INPUT, stop_hook, NULL);
	CHECK(run_one(pool, evrpc_send_request_Message) == EVRPC_STATUS_ERR_HOOKABORTED);
	CHECK(evrpc_remove_hook(pool, EVRPC_INPUT, h) == 1);

	/* And with no hooks left, it works again over the same connection. */
	CHECK(run_one(pool, evrpc_send_request_Message) == EVRPC_STATUS_ERR_NONE);
	evrpc_pool_free(pool);
}

/* ---- 5. queueing ---- */

static void test_queue(void)
{
	struct evrpc_pool *pool = pool_with(1);
	struct msg *m = new_msg();
	struct kill *k[5];
	int i;

	done_count = 0;
	expect_done = 5;
	for (i = 0; i < 5; i++) {
		k[i] = kill_new();
		CHECK(EVRPC_MAKE_REQUEST(Message, pool, m, k[i], got_kill, (void *)(long)i) == 0);
	}
	event_base_dispatch(base);
	CHECK(done_count == 5);
	/* One connection: one RPC at a time, in the order they were made. */
	for (i = 0; i < 5; i++) {
		CHECK(order[i] == i);
		kill_free(k[i]);
	}

	/* Two more connections share the next batch; a context made by hand goes too. */
	evrpc_pool_add_connection(pool, evhttp_connection_new("127.0.0.1", port));
	evrpc_pool_add_connection(pool, evhttp_connection_new("127.0.0.1", port));
	done_count = 0;
	expect_done = 5;
	for (i = 0; i < 4; i++) {
		k[i] = kill_new();
		CHECK(EVRPC_MAKE_REQUEST(Message, pool, m, k[i], got_kill, (void *)(long)i) == 0);
	}
	k[4] = kill_new();
	{
		struct evrpc_request_wrapper *ctx =
		    EVRPC_MAKE_CTX(Message, msg, kill, pool, m, k[4], got_kill, (void *)4L);
		CHECK(ctx != NULL && evrpc_request_get_pool(ctx) == pool);
		CHECK(evrpc_make_request(ctx) == 0);
	}
	event_base_dispatch(base);
	CHECK(done_count == 5);
	for (i = 0; i < 5; i++)
		kill_free(k[i]);
	msg_free(m);
	evrpc_pool_free(pool);
}

/* ---- 6. timeouts ---- */

static void stop_loop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	event_base_loopexit(base, NULL);
}

static void test_timeout(void)
{
	struct evrpc_pool *pool = pool_with(1);
	held = NULL;
	evrpc_pool_set_timeout(pool, 1);
	CHECK(run_one(pool, evrpc_send_request_NeverReply) == EVRPC_STATUS_ERR_TIMEOUT);
	/* The server still holds the request; answering it now is harmless. */
	CHECK(held != NULL);
	if (held)
		EVRPC_REQUEST_DONE(held);
	/* The pool carries on over the same connection. */
	CHECK(run_one(pool, evrpc_send_request_Message) == EVRPC_STATUS_ERR_NONE);
	evrpc_pool_free(pool);

	/* A connection with a timeout of its own keeps it; the pool's (1 s) still ends the RPC,
	 * long before the connection's (60 s) and the loop's deadline (10 s). */
	pool = evrpc_pool_new(base);
	evrpc_pool_set_timeout(pool, 1);
	{
		struct evhttp_connection *evcon = evhttp_connection_new("127.0.0.1", port);
		struct timeval ten = {10, 0};
		struct event *deadline = evtimer_new(base, stop_loop, NULL);
		struct msg *m = new_msg();
		struct kill *k = kill_new();
		evhttp_connection_set_timeout(evcon, 60);
		evrpc_pool_add_connection(pool, evcon);
		held = NULL;
		done_count = 0;
		expect_done = 1;
		CHECK(EVRPC_MAKE_REQUEST(NeverReply, pool, m, k, got_kill, NULL) == 0);
		evtimer_add(deadline, &ten);
		event_base_dispatch(base);
		event_free(deadline);
		CHECK(done_count == 1 && last_error == EVRPC_STATUS_ERR_TIMEOUT);
		if (held)
			EVRPC_REQUEST_DONE(held);
		msg_free(m);
		kill_free(k);
	}
	evrpc_pool_free(pool);
}

/* ---- 7. what the server answers to broken RPCs ---- */

static void test_server_answers(void)
{
	struct evrpc_pool *pool = pool_with(1);
	struct evbuffer *nonsense = evbuffer_new(), *good = evbuffer_new();
	struct msg *m = new_msg();

	evbuffer_add_printf(nonsense, "Some Nonsense");
	msg_marshal(good, m);
	CHECK(raw_request(EVHTTP_REQ_POST, "/.rpc.Message", nonsense) == 503);
	CHECK(raw_request(EVHTTP_REQ_POST, "/.rpc.Message", NULL) == 503);
	CHECK(raw_request(EVHTTP_REQ_POST, "/.rpc.NoSuchRpc", good) == 404);
	/* A well-formed request, but not POSTed. */
	CHECK(raw_request(EVHTTP_REQ_GET, "/.rpc.Message", good) == 503);
	CHECK(raw_request(EVHTTP_REQ_POST, "/.rpc.Message", good) == 200);
	evbuffer_free(nonsense);
	evbuffer_free(good);
	msg_free(m);

	/* The handler's reply lacks a required field. */
	CHECK(run_one(pool, evrpc_send_request_Incomplete) == EVRPC_STATUS_ERR_BADPAYLOAD);
	evrpc_pool_free(pool);
}

int main(void)
{
	/* The current base of the 1.x API too: evhttp_connection_new's connections start on it. */
	base = event_init();
	server_up();

	test_marshal();
	test_hooks();
	test_pause();
	test_terminate();
	test_queue();
	test_timeout();
	test_server_answers();

	server_down();
	event_base_free(base);
	CHECK_EXIT();
}
