/* What the evrpc C tests (rpc_gen.c, rpc_hostile.c) share: upstream's generated message code
 * (regress.gen.h, from rpc_gen.gen.sh), an RPC server on 127.0.0.1 with three RPCs, pools of
 * client connections, and a completion callback that checks the reply and stops the loop. */
#ifndef LIBEVENT_RS_RPC_COMMON_H
#define LIBEVENT_RS_RPC_COMMON_H

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/event_compat.h>
#include <event2/http.h>
#include <event2/http_compat.h>
#include <event2/http_struct.h>
#include <event2/rpc.h>
#include <event2/rpc_struct.h>
#include <event2/tag.h>
#include <sys/socket.h>
#include "check.h"
#include "regress.gen.h"

EVRPC_HEADER(Message, msg, kill)
EVRPC_HEADER(NeverReply, msg, kill)
EVRPC_HEADER(Incomplete, msg, kill)
EVRPC_GENERATE(Message, msg, kill)
EVRPC_GENERATE(NeverReply, msg, kill)
EVRPC_GENERATE(Incomplete, msg, kill)

/* ---- the server ---- */

static struct event_base *base;
static struct evhttp *http;
static struct evrpc_base *rpcbase;
static unsigned short port;
static EVRPC_STRUCT(NeverReply) *held;

static inline void message_cb(EVRPC_STRUCT(Message) *rpc, void *arg)
{
	char *from = NULL;
	CHECK(arg == (void *)&port);
	CHECK(evrpc_get_request((struct evrpc_req_generic *)rpc) == rpc->request);
	CHECK(evrpc_get_reply((struct evrpc_req_generic *)rpc) == rpc->reply);
	CHECK(EVTAG_GET(rpc->request, from_name, &from) == 0 && strcmp(from, "niels") == 0);
	CHECK(EVRPC_REQUEST_HTTP(rpc) != NULL);
	EVTAG_ASSIGN(rpc->reply, weapon, "dagger");
	EVTAG_ASSIGN(rpc->reply, action, "wave around like an idiot");
	EVRPC_REQUEST_DONE(rpc);
}

static inline void never_reply_cb(EVRPC_STRUCT(NeverReply) *rpc, void *arg)
{
	(void)arg;
	held = rpc;
}

/* Answers with a reply lacking its required fields: the server turns that into a 503. */
static inline void incomplete_cb(EVRPC_STRUCT(Incomplete) *rpc, void *arg)
{
	(void)arg;
	EVTAG_ASSIGN(rpc->reply, weapon, "only half");
	EVRPC_REQUEST_DONE(rpc);
}

static inline void server_up(void)
{
	struct evhttp_bound_socket *sock;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	http = evhttp_new(base);
	sock = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	CHECK(sock != NULL);
	CHECK(getsockname(evhttp_bound_socket_get_fd(sock), (struct sockaddr *)&sin, &len) == 0);
	port = ntohs(sin.sin_port);
	rpcbase = evrpc_init(http);
	CHECK(rpcbase != NULL);
	CHECK(EVRPC_REGISTER(rpcbase, Message, msg, kill, message_cb, &port) == 0);
	CHECK(EVRPC_REGISTER(rpcbase, NeverReply, msg, kill, never_reply_cb, NULL) == 0);
	CHECK(EVRPC_REGISTER(rpcbase, Incomplete, msg, kill, incomplete_cb, NULL) == 0);
}

static inline void server_down(void)
{
	CHECK(EVRPC_UNREGISTER(rpcbase, Message) == 0);
	CHECK(EVRPC_UNREGISTER(rpcbase, Message) == -1);
	CHECK(EVRPC_UNREGISTER(rpcbase, NeverReply) == 0);
	/* Incomplete goes with evrpc_free. */
	evrpc_free(rpcbase);
	evhttp_free(http);
}

static inline struct evhttp_connection *connection(void)
{
	struct evhttp_connection *evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1", port);
	CHECK(evcon != NULL);
	return evcon;
}

/* A pool on `base`, its connections made without one (the pool moves them to its base; 2.1.12
 * refuses to move a connection that has a base already). */
static inline struct evrpc_pool *pool_with(int nconn)
{
	struct evrpc_pool *pool = evrpc_pool_new(base);
	CHECK(pool != NULL);
	while (nconn-- > 0)
		evrpc_pool_add_connection(pool, evhttp_connection_new("127.0.0.1", port));
	return pool;
}

static inline struct msg *new_msg(void)
{
	struct msg *m = msg_new();
	EVTAG_ASSIGN(m, from_name, "niels");
	EVTAG_ASSIGN(m, to_name, "tester");
	return m;
}

/* ---- client callbacks ---- */

static int done_count, expect_done;
static int last_error;
static int order[8];

/* Stops the loop once expect_done RPCs have finished. */
static inline void finished(void)
{
	if (++done_count == expect_done)
		event_base_loopexit(base, NULL);
}

static inline void got_kill(struct evrpc_status *status, struct msg *m, struct kill *k, void *arg)
{
	char *weapon = NULL;
	(void)m;
	if (done_count < 8)
		order[done_count] = (int)(long)arg;
	last_error = status->error;
	if (status->error == EVRPC_STATUS_ERR_NONE) {
		const char *ctype;
		CHECK(status->http_req != NULL);
		CHECK(evhttp_request_get_response_code(status->http_req) == 200);
		ctype = evhttp_find_header(evhttp_request_get_input_headers(status->http_req), "Content-Type");
		CHECK(ctype != NULL && strcmp(ctype, "application/octet-stream") == 0);
		CHECK(EVTAG_GET(k, weapon, &weapon) == 0 && strcmp(weapon, "dagger") == 0);
	} else {
		/* A failed RPC's reply has been cleared. */
		CHECK(!EVTAG_HAS(k, weapon));
	}
	finished();
}

/* Runs one RPC of `name` over `pool` to completion; its error. */
static inline int run_one(struct evrpc_pool *pool, int (*send)(struct evrpc_pool *, struct msg *, struct kill *,
    void (*)(struct evrpc_status *, struct msg *, struct kill *, void *), void *))
{
	struct msg *m = new_msg();
	struct kill *k = kill_new();
	done_count = 0;
	expect_done = 1;
	last_error = -1;
	CHECK(send(pool, m, k, got_kill, NULL) == 0);
	event_base_dispatch(base);
	CHECK(done_count == 1);
	msg_free(m);
	kill_free(k);
	return last_error;
}

/* ---- hooks ---- */

/* Stops every RPC it sees. */
static inline int stop_hook(void *ctx, struct evhttp_request *req, struct evbuffer *body, void *arg)
{
	(void)ctx;
	(void)req;
	(void)body;
	(void)arg;
	return EVRPC_TERMINATE;
}

/* Pauses every RPC it sees, for good. */
static inline int pause_forever(void *ctx, struct evhttp_request *req, struct evbuffer *body, void *arg)
{
	(void)ctx;
	(void)req;
	(void)body;
	(void)arg;
	return EVRPC_PAUSE;
}

/* ---- plain HTTP to the RPC server ---- */

static int http_code;

static inline void http_done(struct evhttp_request *req, void *arg)
{
	(void)arg;
	http_code = req ? evhttp_request_get_response_code(req) : -1;
	event_base_loopexit(base, NULL);
}

/* The status of a plain HTTP request with `body` (or none) to the RPC server. */
static inline int raw_request(enum evhttp_cmd_type type, const char *uri, struct evbuffer *body)
{
	struct evhttp_connection *evcon = connection();
	struct evhttp_request *req = evhttp_request_new(http_done, NULL);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host", "somehost");
	if (body)
		evbuffer_add_buffer_reference(evhttp_request_get_output_buffer(req), body);
	http_code = 0;
	CHECK(evhttp_make_request(evcon, req, type, uri) == 0);
	event_base_dispatch(base);
	evhttp_connection_free(evcon);
	return http_code;
}

#endif
