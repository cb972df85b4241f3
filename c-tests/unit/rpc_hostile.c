/* evrpc against bad arguments and awkward lifetimes (on 127.0.0.1, with upstream's generated
 * message code like rpc_gen.c): NULL everywhere and hook types that do not exist give the
 * failure result and a warning; a name registered twice is refused; RPCs made on a pool
 * without connections wait for one; replies that do not decode, or come with a status other
 * than 200, are EVRPC_STATUS_ERR_BADPAYLOAD; pools freed with RPCs queued, in flight (with a
 * timeout that must never fire), paused in either hook, or from inside a hook or a callback;
 * a base freed with requests paused or still held by a handler. Run under valgrind
 * (UNIT_VALGRIND=1) it also shows that all of it is freed. Upstream 2.1.12 fails here: it
 * crashes on NULL, asserts on bad hook types, leaks or reads freed memory in the lifetime
 * cases. */
#include <event2/rpc_compat.h>
#include "rpc_common.h"
#include "warnings.h"

/* Exported, but declared only in upstream's evrpc-internal.h: frees a server request without
 * answering it. */
void evrpc_reqstate_free_(struct evrpc_req_generic *rpc_state);

EVRPC_HEADER(Garbage, msg, kill)
EVRPC_HEADER(WrongStatus, msg, kill)
EVRPC_GENERATE(Garbage, msg, kill)
EVRPC_GENERATE(WrongStatus, msg, kill)

static void ignore_status(struct evrpc_status *status, void *request, void *reply, void *arg)
{
	(void)request;
	(void)reply;
	*(int *)arg = status->error;
}

static void *new_nothing(void *arg)
{
	(void)arg;
	return NULL;
}

/* ---- NULL and nonsense arguments ---- */

static void test_null_arguments(void)
{
	int error = -1;
	void *data = (void *)1;
	size_t len = 7;
	struct evrpc_pool *pool = evrpc_pool_new(base);

	CHECK(evrpc_init(NULL) == NULL && warned());
	evrpc_free(NULL);
	CHECK(warned());
	CHECK(evrpc_register_rpc(NULL, NULL, NULL, NULL) == -1 && warned());
	CHECK(evrpc_register_generic(rpcbase, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL) == -1 && warned());
	CHECK(evrpc_register_generic(rpcbase, "X", NULL, NULL, new_nothing, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL) == -1 && warned());
	CHECK(evrpc_unregister_rpc(NULL, "Message") == -1 && warned());
	CHECK(evrpc_unregister_rpc(rpcbase, NULL) == -1 && warned());
	evrpc_request_done(NULL);
	CHECK(warned());
	evrpc_reqstate_free_(NULL);
	CHECK(warned());
	CHECK(evrpc_get_request(NULL) == NULL && warned());
	CHECK(evrpc_get_reply(NULL) == NULL && warned());

	evrpc_pool_free(NULL);
	CHECK(warned());
	evrpc_pool_add_connection(NULL, NULL);
	CHECK(warned());
	evrpc_pool_add_connection(pool, NULL);
	CHECK(warned());
	evrpc_pool_remove_connection(NULL, NULL);
	CHECK(warned());
	evrpc_pool_remove_connection(pool, (struct evhttp_connection *)&error);
	CHECK(warned());
	evrpc_pool_set_timeout(NULL, 1);
	CHECK(warned());
	CHECK(evrpc_make_request_ctx(pool, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL) == NULL && warned());
	CHECK(evrpc_make_request(NULL) == -1 && warned());
	/* No name: the callback still learns that the RPC never started. */
	CHECK(evrpc_send_request_generic(pool, NULL, NULL, ignore_status, &error, NULL, NULL, NULL, NULL) == -1);
	CHECK(warned() && error == EVRPC_STATUS_ERR_UNSTARTED);
	CHECK(evrpc_request_get_pool(NULL) == NULL && warned());
	evrpc_request_set_pool(NULL, pool);
	CHECK(warned());
	evrpc_request_set_cb(NULL, NULL, NULL);
	CHECK(warned());

	CHECK(evrpc_add_hook(NULL, EVRPC_INPUT, NULL, NULL) == NULL && warned());
	CHECK(evrpc_add_hook(pool, EVRPC_INPUT, NULL, NULL) == NULL && warned());
	CHECK(evrpc_add_hook(pool, (enum EVRPC_HOOK_TYPE)7, NULL, NULL) == NULL && warned());
	CHECK(evrpc_remove_hook(NULL, EVRPC_INPUT, NULL) == 0 && warned());
	CHECK(evrpc_remove_hook(pool, (enum EVRPC_HOOK_TYPE)-1, NULL) == 0 && warned());
	CHECK(evrpc_remove_hook(pool, EVRPC_OUTPUT, &error) == 0);
	CHECK(evrpc_resume_request(NULL, NULL, EVRPC_CONTINUE) == -1 && warned());
	CHECK(evrpc_resume_request(pool, &error, EVRPC_CONTINUE) == -1);
	evrpc_hook_add_meta(NULL, "k", "v", 2);
	CHECK(warned());
	CHECK(evrpc_hook_find_meta(NULL, "k", &data, &len) == -1 && warned());
	CHECK(evrpc_hook_get_connection(NULL) == NULL && warned());
	CHECK(data == (void *)1 && len == 7);
	evrpc_pool_free(pool);
}

/* ---- registration ---- */

static int dup_called;

static void dup_cb(EVRPC_STRUCT(Message) *rpc, void *arg)
{
	(void)arg;
	dup_called++;
	EVRPC_REQUEST_DONE(rpc);
}

static void test_registration(void)
{
	struct evrpc_pool *pool = pool_with(1);
	struct evrpc *incomplete = calloc(1, sizeof(*incomplete));

	/* The name is taken: refused, and the first registration still serves it. */
	CHECK(EVRPC_REGISTER(rpcbase, Message, msg, kill, dup_cb, NULL) == -1 && warned());
	dup_called = 0;
	CHECK(run_one(pool, evrpc_send_request_Message) == EVRPC_STATUS_ERR_NONE);
	CHECK(dup_called == 0);

	/* A struct evrpc without its functions is refused (and stays the caller's). */
	incomplete->uri = "Incomplete2";
	CHECK(evrpc_register_rpc(rpcbase, incomplete, (void (*)(struct evrpc_req_generic *, void *))dup_cb, NULL) == -1);
	CHECK(warned());
	free(incomplete);
	CHECK(evrpc_unregister_rpc(rpcbase, "Incomplete2") == -1);
	evrpc_pool_free(pool);
}

/* ---- a pool without connections, contexts ---- */

static void test_no_connection(void)
{
	struct evrpc_pool *pool = evrpc_pool_new(base);
	struct msg *m = new_msg();
	struct kill *k = kill_new();
	struct evrpc_request_wrapper *ctx;
	int error = -1;

	/* It waits until the pool has a connection. */
	done_count = 0;
	expect_done = 1;
	CHECK(EVRPC_MAKE_REQUEST(Message, pool, m, k, got_kill, NULL) == 0);
	CHECK(done_count == 0);
	evrpc_pool_add_connection(pool, evhttp_connection_new("127.0.0.1", port));
	event_base_dispatch(base);
	CHECK(done_count == 1 && last_error == EVRPC_STATUS_ERR_NONE);
	kill_clear(k);

	/* A connection twice, or a server's, is refused. */
	{
		struct evhttp_connection *evcon = evhttp_connection_new("127.0.0.1", port);
		evrpc_pool_add_connection(pool, evcon);
		CHECK(!warned());
		evrpc_pool_add_connection(pool, evcon);
		CHECK(warned());
		evrpc_pool_remove_connection(pool, evcon);
		CHECK(!warned());
		evhttp_connection_free(evcon);
	}

	/* A context whose pool was taken away: not sent, its callback says so. */
	ctx = evrpc_make_request_ctx(pool, m, k, "Message", (void (*)(struct evbuffer *, void *))msg_marshal,
	    (void (*)(void *))kill_clear, (int (*)(void *, struct evbuffer *))kill_unmarshal, ignore_status, &error);
	CHECK(ctx != NULL);
	evrpc_request_set_pool(ctx, NULL);
	CHECK(evrpc_request_get_pool(ctx) == NULL);
	CHECK(evrpc_make_request(ctx) == -1 && warned());
	CHECK(error == EVRPC_STATUS_ERR_UNSTARTED);

	/* Another gets a new callback before it is sent. */
	ctx = EVRPC_MAKE_CTX(Message, msg, kill, pool, m, k, ignore_status, &error);
	evrpc_request_set_cb(ctx, (void (*)(struct evrpc_status *, void *, void *, void *))got_kill, NULL);
	done_count = 0;
	CHECK(evrpc_make_request(ctx) == 0);
	event_base_dispatch(base);
	CHECK(done_count == 1 && last_error == EVRPC_STATUS_ERR_NONE);

	msg_free(m);
	kill_free(k);
	evrpc_pool_free(pool);
}

/* ---- hooks stopping, meta data of every size ---- */

static int bad_result_hook(void *ctx, struct evhttp_request *req, struct evbuffer *body, void *arg)
{
	(void)ctx;
	(void)req;
	(void)body;
	(void)arg;
	return 42;
}

static int meta_hook(void *ctx, struct evhttp_request *req, struct evbuffer *body, void *arg)
{
	void *data = (void *)1;
	size_t len = 9;
	(void)req;
	(void)body;
	(void)arg;
	evrpc_hook_add_meta(ctx, "empty", NULL, 0);
	CHECK(!warned());
	evrpc_hook_add_meta(ctx, "bad", NULL, 3);
	CHECK(warned());
	evrpc_hook_add_meta(ctx, NULL, "x", 1);
	CHECK(warned());
	CHECK(evrpc_hook_find_meta(ctx, "empty", &data, &len) == 0 && data == NULL && len == 0);
	CHECK(evrpc_hook_find_meta(ctx, "bad", &data, &len) == -1);
	CHECK(evrpc_hook_find_meta(ctx, NULL, &data, &len) == -1 && warned());
	CHECK(evrpc_hook_find_meta(ctx, "empty", NULL, &len) == -1 && warned());
	/* The first value of a key is the one found. */
	evrpc_hook_add_meta(ctx, "k", "one", 4);
	evrpc_hook_add_meta(ctx, "k", "two", 4);
	CHECK(evrpc_hook_find_meta(ctx, "k", &data, &len) == 0 && strcmp(data, "one") == 0);
	return EVRPC_CONTINUE;
}

static void test_hook_results(void)
{
	struct evrpc_pool *pool = pool_with(1);
	struct msg *m = new_msg();
	struct kill *k = kill_new();
	void *h = evrpc_add_hook(pool, EVRPC_OUTPUT, stop_hook, NULL);

	/* Stopped on the way out: never started, reported at once, nothing left behind. */
	done_count = 0;
	expect_done = 0; /* no loop to stop */
	CHECK(EVRPC_MAKE_REQUEST(Message, pool, m, k, got_kill, NULL) == 0);
	CHECK(done_count == 1 && last_error == EVRPC_STATUS_ERR_UNSTARTED);
	CHECK(evrpc_remove_hook(pool, EVRPC_OUTPUT, h) == 1);

	/* A hook returning something else stops the RPC too, with a warning. */
	h = evrpc_add_hook(pool, EVRPC_INPUT, bad_result_hook, NULL);
	CHECK(run_one(pool, evrpc_send_request_Message) == EVRPC_STATUS_ERR_HOOKABORTED && warned());
	CHECK(evrpc_remove_hook(pool, EVRPC_INPUT, h) == 1);

	h = evrpc_add_hook(rpcbase, EVRPC_INPUT, meta_hook, NULL);
	CHECK(run_one(pool, evrpc_send_request_Message) == EVRPC_STATUS_ERR_NONE);
	CHECK(evrpc_remove_hook(rpcbase, EVRPC_INPUT, h) == 1);
	msg_free(m);
	kill_free(k);
	evrpc_pool_free(pool);
}

/* ---- replies that do not decode ---- */

static void garbage_reply(struct evhttp_request *req, void *arg)
{
	struct evbuffer *body = evbuffer_new();
	(void)arg;
	evbuffer_add_printf(body, "\x01\x7f not a tagged message");
	evhttp_send_reply(req, 200, "OK", body);
	evbuffer_free(body);
}

/* A reply that decodes, under a status that says it failed. */
static void wrong_status_reply(struct evhttp_request *req, void *arg)
{
	struct evbuffer *body = evbuffer_new();
	struct kill *k = kill_new();
	(void)arg;
	EVTAG_ASSIGN(k, weapon, "dagger");
	EVTAG_ASSIGN(k, action, "none");
	kill_marshal(body, k);
	evhttp_send_reply(req, 500, "Internal Error", body);
	kill_free(k);
	evbuffer_free(body);
}

static void test_bad_replies(void)
{
	struct evrpc_pool *pool = pool_with(1);
	CHECK(evhttp_set_cb(http, "/.rpc.Garbage", garbage_reply, NULL) == 0);
	CHECK(evhttp_set_cb(http, "/.rpc.WrongStatus", wrong_status_reply, NULL) == 0);
	CHECK(run_one(pool, evrpc_send_request_Garbage) == EVRPC_STATUS_ERR_BADPAYLOAD);
	CHECK(run_one(pool, evrpc_send_request_WrongStatus) == EVRPC_STATUS_ERR_BADPAYLOAD);
	/* The evhttp path is not an RPC's: registering that name is refused. */
	CHECK(EVRPC_REGISTER(rpcbase, Garbage, msg, kill, dup_cb, NULL) == -1 && warned());
	CHECK(evhttp_del_cb(http, "/.rpc.Garbage") == 0);
	CHECK(evhttp_del_cb(http, "/.rpc.WrongStatus") == 0);
	evrpc_pool_free(pool);
}

/* ---- pools freed with RPCs pending ---- */

static void never_called(struct evrpc_status *status, struct msg *m, struct kill *k, void *arg)
{
	(void)status;
	(void)m;
	(void)k;
	(void)arg;
	CHECK(!"the callback of an RPC of a freed pool");
}

/* Runs the loop for `ms` milliseconds. */
static void spin(int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

static void test_free_pending(void)
{
	struct msg *m = new_msg();
	struct kill *k = kill_new();
	struct evrpc_pool *pool;
	int i;

	/* One in flight (with a timeout, which must not fire after the pool is gone), two
	 * waiting for the connection. */
	pool = pool_with(1);
	evrpc_pool_set_timeout(pool, 1);
	held = NULL;
	for (i = 0; i < 3; i++)
		CHECK(EVRPC_MAKE_REQUEST(NeverReply, pool, m, k, never_called, NULL) == 0);
	spin(200);
	CHECK(held != NULL);
	evrpc_pool_free(pool);
	spin(1300);
	if (held)
		EVRPC_REQUEST_DONE(held);

	/* In flight on a connection taken out of the pool: freeing the pool withdraws it, so the
	 * answer that comes later reaches nothing. */
	{
		struct evhttp_connection *evcon = evhttp_connection_new("127.0.0.1", port);
		pool = evrpc_pool_new(base);
		evrpc_pool_add_connection(pool, evcon);
		held = NULL;
		CHECK(EVRPC_MAKE_REQUEST(NeverReply, pool, m, k, never_called, NULL) == 0);
		spin(200);
		CHECK(held != NULL);
		evrpc_pool_remove_connection(pool, evcon);
		evrpc_pool_free(pool);
		if (held) {
			EVTAG_ASSIGN(held->reply, weapon, "dagger");
			EVTAG_ASSIGN(held->reply, action, "late");
			EVRPC_REQUEST_DONE(held);
		}
		spin(200);
		evhttp_connection_free(evcon);
	}

	/* Paused on the way out, then on the way in. */
	pool = pool_with(1);
	evrpc_add_hook(pool, EVRPC_OUTPUT, pause_forever, NULL);
	CHECK(EVRPC_MAKE_REQUEST(Message, pool, m, k, never_called, NULL) == 0);
	spin(50);
	evrpc_pool_free(pool);

	pool = pool_with(1);
	evrpc_add_hook(pool, EVRPC_INPUT, pause_forever, NULL);
	CHECK(EVRPC_MAKE_REQUEST(Message, pool, m, k, never_called, NULL) == 0);
	spin(200);
	evrpc_pool_free(pool);
	spin(50);

	msg_free(m);
	kill_free(k);
}

/* Frees its pool from the first RPC's callback; the others queued behind it are dropped. */
static struct evrpc_pool *doomed;

static void free_pool_cb(struct evrpc_status *status, struct msg *m, struct kill *k, void *arg)
{
	(void)m;
	(void)k;
	(void)arg;
	CHECK(status->error == EVRPC_STATUS_ERR_NONE);
	evrpc_pool_free(doomed);
	done_count++;
}

static int free_pool_hook(void *ctx, struct evhttp_request *req, struct evbuffer *body, void *arg)
{
	(void)ctx;
	(void)req;
	(void)body;
	(void)arg;
	evrpc_pool_free(doomed);
	done_count++;
	return EVRPC_CONTINUE;
}

/* Makes n RPCs on a pool that its first hook of `type` frees. */
static void free_from_hook(enum EVRPC_HOOK_TYPE type, struct msg *m, struct kill **k, int n)
{
	int i;
	doomed = pool_with(1);
	evrpc_add_hook(doomed, type, free_pool_hook, NULL);
	done_count = 0;
	for (i = 0; i < n; i++)
		CHECK(EVRPC_MAKE_REQUEST(Message, doomed, m, k[i], never_called, NULL) == 0);
	spin(300);
	CHECK(done_count == 1);
}

static void test_free_from_callbacks(void)
{
	struct msg *m = new_msg();
	struct kill *k[3];
	int i;

	doomed = pool_with(1);
	done_count = 0;
	for (i = 0; i < 3; i++) {
		k[i] = kill_new();
		CHECK(EVRPC_MAKE_REQUEST(Message, doomed, m, k[i], i == 0 ? free_pool_cb : never_called, NULL) == 0);
	}
	spin(300);
	CHECK(done_count == 1);

	/* From an input hook: the RPC it was looking at goes without its callback, and so does the
	 * one queued behind it. From an output hook, before anything was sent (the pool is gone
	 * when EVRPC_MAKE_REQUEST returns, so one RPC only). */
	free_from_hook(EVRPC_INPUT, m, k, 2);
	free_from_hook(EVRPC_OUTPUT, m, k, 1);

	for (i = 0; i < 3; i++)
		kill_free(k[i]);
	msg_free(m);
}

/* ---- server requests never answered, a base freed with requests pending ---- */

static void test_unanswered(void)
{
	struct evrpc_pool *pool = pool_with(1);
	evrpc_pool_set_timeout(pool, 1);
	held = NULL;
	done_count = 0;
	expect_done = 1;
	{
		struct msg *m = new_msg();
		struct kill *k = kill_new();
		CHECK(EVRPC_MAKE_REQUEST(NeverReply, pool, m, k, got_kill, NULL) == 0);
		spin(200);
		/* Dropped by the server without an answer: the client times out. */
		CHECK(held != NULL);
		if (held)
			evrpc_reqstate_free_((struct evrpc_req_generic *)held);
		event_base_dispatch(base);
		CHECK(done_count == 1 && last_error == EVRPC_STATUS_ERR_TIMEOUT);
		msg_free(m);
		kill_free(k);
	}
	evrpc_pool_free(pool);
}

static void test_free_base(void)
{
	struct evrpc_pool *pool = pool_with(2);
	struct msg *m = new_msg();
	struct kill *k1 = kill_new(), *k2 = kill_new();
	void *h;

	/* One request paused in a server hook, one held by its handler. */
	h = evrpc_add_hook(rpcbase, EVRPC_INPUT, pause_forever, NULL);
	done_count = 0;
	expect_done = 0;
	CHECK(EVRPC_MAKE_REQUEST(Message, pool, m, k1, got_kill, NULL) == 0);
	spin(200);
	CHECK(evrpc_remove_hook(rpcbase, EVRPC_INPUT, h) == 1);
	held = NULL;
	CHECK(EVRPC_MAKE_REQUEST(NeverReply, pool, m, k2, got_kill, NULL) == 0);
	spin(200);
	CHECK(held != NULL && done_count == 0);

	/* The paused one is answered 503 (not decodable), every RPC unregistered. */
	evrpc_free(rpcbase);
	rpcbase = NULL;
	spin(200);
	CHECK(done_count == 1 && last_error == EVRPC_STATUS_ERR_BADPAYLOAD);

	/* The held one can still be answered. */
	if (held) {
		EVTAG_ASSIGN(held->reply, weapon, "dagger");
		EVTAG_ASSIGN(held->reply, action, "late");
		EVRPC_REQUEST_DONE(held);
	}
	spin(200);
	CHECK(done_count == 2 && last_error == EVRPC_STATUS_ERR_NONE);
	{
		struct evbuffer *body = evbuffer_new();
		evbuffer_add_printf(body, "body");
		CHECK(raw_request(EVHTTP_REQ_POST, "/.rpc.Message", body) == 404);
		evbuffer_free(body);
	}

	msg_free(m);
	kill_free(k1);
	kill_free(k2);
	evrpc_pool_free(pool);
}

int main(void)
{
	event_set_log_callback(log_cb);
	base = event_init();
	server_up();

	test_null_arguments();
	test_registration();
	test_no_connection();
	test_hook_results();
	test_bad_replies();
	test_free_pending();
	test_free_from_callbacks();
	test_unanswered();
	test_free_base();

	evhttp_free(http);
	event_base_free(base);
	CHECK_EXIT();
}
