/* libevent-rs: libevent 2.1 rewritten in Rust, with the same C ABI.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * event2/rpc_struct.h: the two structs of the RPC layer (event2/rpc.h) whose fields programs
 * see. struct evrpc_status is what a client's completion callback receives; struct evrpc is
 * one registered RPC, which evrpc_register_generic fills in and evrpc_register_rpc takes from
 * a program that built it itself. Reading them ties a program to this layout, which is
 * libevent 2.1's. */
#ifndef EVENT2_RPC_STRUCT_H_INCLUDED_
#define EVENT2_RPC_STRUCT_H_INCLUDED_

#ifdef __cplusplus
extern "C" {
#endif

/* Declared here so that this header also stands alone (they appear in parameter lists). */
struct evbuffer;
struct evhttp_request;
struct evrpc_base;
struct evrpc_req_generic;

/* The list link of struct evrpc: the <sys/queue.h> shape, spelled out here (and removed again
 * at the end) when the program has not included that header. */
#ifndef TAILQ_ENTRY
#define EVENT_DEFINED_TQENTRY_
#define TAILQ_ENTRY(type)						\
struct {								\
	struct type *tqe_next;	/* following element, or NULL */	\
	struct type **tqe_prev;	/* the pointer that points to us */	\
}
#endif

/* The outcome of one RPC made through a pool. */
struct evrpc_status {
/* The reply arrived and was decoded into the reply struct. */
#define EVRPC_STATUS_ERR_NONE		0
/* No reply: the pool's timeout expired or the connection failed. */
#define EVRPC_STATUS_ERR_TIMEOUT	1
/* A reply arrived but could not be decoded (the reply struct has been cleared). */
#define EVRPC_STATUS_ERR_BADPAYLOAD	2
/* The request could not be sent at all. */
#define EVRPC_STATUS_ERR_UNSTARTED	3
/* An input hook of the pool answered EVRPC_TERMINATE. */
#define EVRPC_STATUS_ERR_HOOKABORTED	4
	int error;

	/* The HTTP reply, for its headers and code; NULL when there was none. Valid only
	 * during the callback. */
	struct evhttp_request *http_req;
};

/* One RPC served under "/.rpc.<uri>" of an HTTP server. The first fields after the link
 * describe the message types (the functions event_rpcgen.py generates for them, each given
 * its argument where it takes one); cb and cb_arg are the program's handler. */
struct evrpc {
	TAILQ_ENTRY(evrpc) next;

	/* The RPC's name (the URI without the "/.rpc." prefix); owned by the struct. */
	const char* uri;

	/* Allocate a request object; called with request_new_arg. */
	void *(*request_new)(void *);
	void *request_new_arg;

	/* Free a request object. */
	void (*request_free)(void *);

	/* Decode the POST body into a request object: 0, or -1 when it is malformed. */
	int (*request_unmarshal)(void *, struct evbuffer *);

	/* Allocate a reply object; called with reply_new_arg. */
	void *(*reply_new)(void *);
	void *reply_new_arg;

	/* Free a reply object. */
	void (*reply_free)(void *);

	/* Check that every required field of the reply is set: 0, or -1. */
	int (*reply_complete)(void *);

	/* Encode a reply object into the response body. */
	void (*reply_marshal)(struct evbuffer*, void *);

	/* The program's handler, called once per well-formed request. */
	void (*cb)(struct evrpc_req_generic *, void *);
	void *cb_arg;

	/* The RPC base it is registered with. */
	struct evrpc_base *base;
};

#ifdef EVENT_DEFINED_TQENTRY_
#undef TAILQ_ENTRY
#endif

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_RPC_STRUCT_H_INCLUDED_ */
