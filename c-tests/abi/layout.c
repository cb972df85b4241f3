/* libevent-rs ABI check: prints the layout of every struct and the value of every constant
 * that the public headers event.h, event_struct.h, event_compat.h, util.h, thread.h,
 * keyvalq_struct.h, bufferevent.h, bufferevent_struct.h, bufferevent_compat.h, listener.h,
 * buffer.h, buffer_compat.h, dns.h, dns_compat.h, dns_struct.h, http.h, http_struct.h,
 * http_compat.h, rpc.h, rpc_struct.h and rpc_compat.h define. run.sh builds it once against upstream's installed
 * headers and once against include/, and compares the two outputs line by line.
 * SPDX-License-Identifier: BSD-3-Clause */
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/event_compat.h>
#include <event2/util.h>
#include <event2/thread.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/visibility.h>
#include <event2/event-config.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_struct.h>
#include <event2/bufferevent_compat.h>
#include <event2/buffer.h>
#include <event2/buffer_compat.h>
#include <event2/dns.h>
#include <event2/dns_compat.h>
#include <event2/dns_struct.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/http_compat.h>
#include <event2/rpc.h>
#include <event2/rpc_struct.h>
#include <event2/rpc_compat.h>

#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* The C type of an expression, as far as these headers use types: a field or constant whose
 * type changes (short -> int, const lost, other callback signature) prints differently. */
#define TYPE_NAME(x) _Generic((x),						\
	char: "char", signed char: "signed char", unsigned char: "unsigned char",	\
	short: "short", unsigned short: "unsigned short",			\
	int: "int", unsigned: "unsigned", long: "long", unsigned long: "unsigned long",	\
	long long: "long long", unsigned long long: "unsigned long long",	\
	void *: "void *", char *: "char *", const char *: "const char *",	\
	short *: "short *",							\
	struct event *: "struct event *", struct event **: "struct event **",	\
	struct event_callback *: "struct event_callback *",			\
	struct event_callback **: "struct event_callback **",			\
	struct event_base *: "struct event_base *",				\
	struct evkeyval *: "struct evkeyval *", struct evkeyval **: "struct evkeyval **", \
	struct sockaddr *: "struct sockaddr *",					\
	struct evutil_addrinfo *: "struct evutil_addrinfo *",			\
	struct evbuffer *: "struct evbuffer *",					\
	const struct bufferevent_ops *: "const struct bufferevent_ops *",	\
	void (*)(struct bufferevent *, void *): "void (*)(struct bufferevent *, void *)", \
	void (*)(struct bufferevent *, short, void *):				\
		"void (*)(struct bufferevent *, short, void *)",		\
	enum bufferevent_filter_result (*)(struct evbuffer *, struct evbuffer *, ev_ssize_t, \
	    enum bufferevent_flush_mode, void *):				\
		"enum bufferevent_filter_result (*)(struct evbuffer *, struct evbuffer *, " \
		"ev_ssize_t, enum bufferevent_flush_mode, void *)",		\
	void (*)(evutil_socket_t, short, void *): "void (*)(evutil_socket_t, short, void *)", \
	void (*)(struct event_callback *, void *): "void (*)(struct event_callback *, void *)", \
	void (*)(struct event *, void *): "void (*)(struct event *, void *)",	\
	void (*)(int, const char *): "void (*)(int, const char *)",		\
	void (*)(int): "void (*)(int)",						\
	struct evbuffer_iovec *: "struct evbuffer_iovec *",			\
	void (*)(const void *, size_t, void *): "void (*)(const void *, size_t, void *)", \
	void (*)(struct evbuffer_file_segment const *, int, void *):		\
		"void (*)(struct evbuffer_file_segment const *, int, void *)",	\
	void (*)(struct evbuffer *, const struct evbuffer_cb_info *, void *):	\
		"void (*)(struct evbuffer *, const struct evbuffer_cb_info *, void *)", \
	void (*)(struct evbuffer *, size_t, size_t, void *):			\
		"void (*)(struct evbuffer *, size_t, size_t, void *)",		\
	int (*)(const struct event_base *, const struct event *, void *):	\
		"int (*)(const struct event_base *, const struct event *, void *)", \
	void *(*)(unsigned): "void *(*)(unsigned)",				\
	void (*)(void *, unsigned): "void (*)(void *, unsigned)",		\
	int (*)(unsigned, void *): "int (*)(unsigned, void *)",			\
	void (*)(void *): "void (*)(void *)",					\
	int (*)(void *, int): "int (*)(void *, int)",				\
	int (*)(void *, void *, const struct timeval *):			\
		"int (*)(void *, void *, const struct timeval *)",		\
	void (*)(struct evconnlistener *, evutil_socket_t, struct sockaddr *, int, void *): \
		"void (*)(struct evconnlistener *, evutil_socket_t, struct sockaddr *, int, void *)", \
	void (*)(struct evconnlistener *, void *): "void (*)(struct evconnlistener *, void *)", \
	struct evdns_server_question **: "struct evdns_server_question **",	\
	void (*)(int, char, int, int, void *, void *):				\
		"void (*)(int, char, int, int, void *, void *)",		\
	void (*)(struct evdns_server_request *, void *):			\
		"void (*)(struct evdns_server_request *, void *)",		\
	void (*)(int, struct evutil_addrinfo *, void *):			\
		"void (*)(int, struct evutil_addrinfo *, void *)",		\
	struct evhttp_request *: "struct evhttp_request *",			\
	struct evhttp_request **: "struct evhttp_request **",			\
	struct evhttp_connection *: "struct evhttp_connection *",		\
	struct evkeyvalq *: "struct evkeyvalq *",				\
	struct evhttp_uri *: "struct evhttp_uri *",				\
	void (*)(struct evhttp_request *, void *):				\
		"void (*)(struct evhttp_request *, void *)",			\
	int (*)(struct evhttp_request *, void *):				\
		"int (*)(struct evhttp_request *, void *)",			\
	void (*)(enum evhttp_request_error, void *):				\
		"void (*)(enum evhttp_request_error, void *)",			\
	void (*)(struct evhttp_bound_socket *, void *):				\
		"void (*)(struct evhttp_bound_socket *, void *)",		\
	struct evbuffer **: "struct evbuffer **",					\
	struct evrpc *: "struct evrpc *", struct evrpc **: "struct evrpc **",	\
	struct evrpc_base *: "struct evrpc_base *",				\
	struct evrpc_hook_meta *: "struct evrpc_hook_meta *",			\
	struct rpc_probe_req *: "struct rpc_probe_req *",			\
	struct rpc_probe_rpl *: "struct rpc_probe_rpl *",			\
	void *(*)(void *): "void *(*)(void *)",					\
	int (*)(void *): "int (*)(void *)",					\
	int (*)(void *, struct evbuffer *): "int (*)(void *, struct evbuffer *)", \
	void (*)(struct evbuffer *, void *): "void (*)(struct evbuffer *, void *)", \
	void (*)(struct evrpc_req_generic *, void *):				\
		"void (*)(struct evrpc_req_generic *, void *)",			\
	default: "(aggregate)")

/* The bytes of a struct evhttp_request from its output_buffer field back to the end of
 * ntoread (where the bit-fields live), in hex: shows which bit a bit-field set. */
static const char *bitfield_bits(const struct evhttp_request *r)
{
	static char out[64];
	const unsigned char *p = (const unsigned char *)r;
	size_t from = offsetof(struct evhttp_request, ntoread) + sizeof(r->ntoread);
	size_t to = offsetof(struct evhttp_request, output_buffer), i, n = 0;

	for (i = from; i < to && n + 3 < sizeof(out); i++)
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%02x", p[i]);
	out[n] = '\0';
	return out;
}

static void type_size(const char *name, size_t size, size_t align)
{
	printf("type %s: size %zu align %zu\n", name, size, align);
}
#define TYPE(T) type_size(#T, sizeof(T), alignof(T))

/* An integer type: size and which C type it is. */
#define INT_TYPE(T) do { T v_ = 0; printf("type %s: size %zu is %s\n", #T, sizeof(T), TYPE_NAME(v_)); } while (0)

/* A function-pointer typedef: its signature. */
#define FN_TYPE(T) do { T fn_ = 0; printf("typedef %s: %s\n", #T, TYPE_NAME(fn_)); } while (0)

/* One field of struct S (a path such as ev_.ev_io.ev_timeout.tv_sec is allowed). */
#define FIELD(S, f) do {							\
	S obj_;									\
	printf("field %s.%s: offset %zu size %zu type %s\n", #S, #f,		\
	    offsetof(S, f), sizeof(obj_.f), TYPE_NAME(obj_.f));			\
} while (0)

/* An integer constant: value and type. */
#define CONST(c) printf("const %s = %lld / %llu (%s)\n", #c, (long long)(c),	\
	(unsigned long long)(c), TYPE_NAME(c))
#define STRING(c) printf("string %s = \"%s\"\n", #c, c)
/* What a macro expands to, as a string. */
#define SHOW_(x) #x
#define SHOW(x) SHOW_(x)

static void struct_event_callback(void)
{
	TYPE(struct event_callback);
	FIELD(struct event_callback, evcb_active_next);
	FIELD(struct event_callback, evcb_active_next.tqe_next);
	FIELD(struct event_callback, evcb_active_next.tqe_prev);
	FIELD(struct event_callback, evcb_flags);
	FIELD(struct event_callback, evcb_pri);
	FIELD(struct event_callback, evcb_closure);
	FIELD(struct event_callback, evcb_cb_union);
	FIELD(struct event_callback, evcb_cb_union.evcb_callback);
	FIELD(struct event_callback, evcb_cb_union.evcb_selfcb);
	FIELD(struct event_callback, evcb_cb_union.evcb_evfinalize);
	FIELD(struct event_callback, evcb_cb_union.evcb_cbfinalize);
	FIELD(struct event_callback, evcb_arg);
}

static void struct_event(void)
{
	TYPE(struct event);
	FIELD(struct event, ev_evcallback);
	FIELD(struct event, ev_evcallback.evcb_active_next.tqe_next);
	FIELD(struct event, ev_evcallback.evcb_active_next.tqe_prev);
	FIELD(struct event, ev_evcallback.evcb_flags);
	FIELD(struct event, ev_evcallback.evcb_pri);
	FIELD(struct event, ev_evcallback.evcb_closure);
	FIELD(struct event, ev_evcallback.evcb_cb_union.evcb_callback);
	FIELD(struct event, ev_evcallback.evcb_arg);
	FIELD(struct event, ev_timeout_pos);
	FIELD(struct event, ev_timeout_pos.ev_next_with_common_timeout);
	FIELD(struct event, ev_timeout_pos.ev_next_with_common_timeout.tqe_next);
	FIELD(struct event, ev_timeout_pos.ev_next_with_common_timeout.tqe_prev);
	FIELD(struct event, ev_timeout_pos.min_heap_idx);
	FIELD(struct event, ev_fd);
	FIELD(struct event, ev_base);
	FIELD(struct event, ev_);
	FIELD(struct event, ev_.ev_io);
	FIELD(struct event, ev_.ev_io.ev_io_next);
	FIELD(struct event, ev_.ev_io.ev_io_next.le_next);
	FIELD(struct event, ev_.ev_io.ev_io_next.le_prev);
	FIELD(struct event, ev_.ev_io.ev_timeout);
	FIELD(struct event, ev_.ev_io.ev_timeout.tv_sec);
	FIELD(struct event, ev_.ev_io.ev_timeout.tv_usec);
	FIELD(struct event, ev_.ev_signal);
	FIELD(struct event, ev_.ev_signal.ev_signal_next);
	FIELD(struct event, ev_.ev_signal.ev_signal_next.le_next);
	FIELD(struct event, ev_.ev_signal.ev_signal_next.le_prev);
	FIELD(struct event, ev_.ev_signal.ev_ncalls);
	FIELD(struct event, ev_.ev_signal.ev_pncalls);
	FIELD(struct event, ev_events);
	FIELD(struct event, ev_res);
	FIELD(struct event, ev_timeout);
	FIELD(struct event, ev_timeout.tv_sec);
	FIELD(struct event, ev_timeout.tv_usec);

	TYPE(struct event_list);
	FIELD(struct event_list, tqh_first);
	FIELD(struct event_list, tqh_last);
	TYPE(struct event_dlist);
	FIELD(struct event_dlist, lh_first);
}

static void struct_evutil_addrinfo(void)
{
	TYPE(struct evutil_addrinfo);
	FIELD(struct evutil_addrinfo, ai_flags);
	FIELD(struct evutil_addrinfo, ai_family);
	FIELD(struct evutil_addrinfo, ai_socktype);
	FIELD(struct evutil_addrinfo, ai_protocol);
	FIELD(struct evutil_addrinfo, ai_addrlen);
	FIELD(struct evutil_addrinfo, ai_canonname);
	FIELD(struct evutil_addrinfo, ai_addr);
	FIELD(struct evutil_addrinfo, ai_next);
}

static void struct_evthread(void)
{
	TYPE(struct evthread_lock_callbacks);
	FIELD(struct evthread_lock_callbacks, lock_api_version);
	FIELD(struct evthread_lock_callbacks, supported_locktypes);
	FIELD(struct evthread_lock_callbacks, alloc);
	FIELD(struct evthread_lock_callbacks, free);
	FIELD(struct evthread_lock_callbacks, lock);
	FIELD(struct evthread_lock_callbacks, unlock);

	TYPE(struct evthread_condition_callbacks);
	FIELD(struct evthread_condition_callbacks, condition_api_version);
	FIELD(struct evthread_condition_callbacks, alloc_condition);
	FIELD(struct evthread_condition_callbacks, free_condition);
	FIELD(struct evthread_condition_callbacks, signal_condition);
	FIELD(struct evthread_condition_callbacks, wait_condition);
}

static void struct_evkeyval(void)
{
	TYPE(struct evkeyval);
	FIELD(struct evkeyval, next);
	FIELD(struct evkeyval, next.tqe_next);
	FIELD(struct evkeyval, next.tqe_prev);
	FIELD(struct evkeyval, key);
	FIELD(struct evkeyval, value);

	TYPE(struct evkeyvalq);
	FIELD(struct evkeyvalq, tqh_first);
	FIELD(struct evkeyvalq, tqh_last);
}

static void struct_bufferevent(void)
{
	TYPE(struct event_watermark);
	FIELD(struct event_watermark, low);
	FIELD(struct event_watermark, high);

	TYPE(struct bufferevent);
	FIELD(struct bufferevent, ev_base);
	FIELD(struct bufferevent, be_ops);
	FIELD(struct bufferevent, ev_read);
	FIELD(struct bufferevent, ev_read.ev_fd);
	FIELD(struct bufferevent, ev_read.ev_evcallback.evcb_flags);
	FIELD(struct bufferevent, ev_write);
	FIELD(struct bufferevent, ev_write.ev_fd);
	FIELD(struct bufferevent, ev_write.ev_evcallback.evcb_flags);
	FIELD(struct bufferevent, input);
	FIELD(struct bufferevent, output);
	FIELD(struct bufferevent, wm_read);
	FIELD(struct bufferevent, wm_read.low);
	FIELD(struct bufferevent, wm_read.high);
	FIELD(struct bufferevent, wm_write);
	FIELD(struct bufferevent, wm_write.low);
	FIELD(struct bufferevent, wm_write.high);
	FIELD(struct bufferevent, readcb);
	FIELD(struct bufferevent, writecb);
	FIELD(struct bufferevent, errorcb);
	FIELD(struct bufferevent, cbarg);
	FIELD(struct bufferevent, timeout_read);
	FIELD(struct bufferevent, timeout_read.tv_sec);
	FIELD(struct bufferevent, timeout_read.tv_usec);
	FIELD(struct bufferevent, timeout_write);
	FIELD(struct bufferevent, timeout_write.tv_sec);
	FIELD(struct bufferevent, timeout_write.tv_usec);
	FIELD(struct bufferevent, enabled);
}

static void struct_evbuffer(void)
{
	TYPE(struct evbuffer_ptr);
	FIELD(struct evbuffer_ptr, pos);
	FIELD(struct evbuffer_ptr, internal_);
	FIELD(struct evbuffer_ptr, internal_.chain);
	FIELD(struct evbuffer_ptr, internal_.pos_in_chain);

	TYPE(struct evbuffer_iovec);
	FIELD(struct evbuffer_iovec, iov_base);
	FIELD(struct evbuffer_iovec, iov_len);

	TYPE(struct evbuffer_cb_info);
	FIELD(struct evbuffer_cb_info, orig_size);
	FIELD(struct evbuffer_cb_info, n_added);
	FIELD(struct evbuffer_cb_info, n_deleted);
}

/* The two structs of dns_struct.h; a question's name is stored from its "name" field on. */
static void struct_evdns_server(void)
{
	TYPE(struct evdns_server_request);
	FIELD(struct evdns_server_request, flags);
	FIELD(struct evdns_server_request, nquestions);
	FIELD(struct evdns_server_request, questions);

	TYPE(struct evdns_server_question);
	FIELD(struct evdns_server_question, type);
	FIELD(struct evdns_server_question, dns_question_class);
	FIELD(struct evdns_server_question, name);
}

/* rpc_struct.h, and the handler struct EVRPC_HEADER declares (for two stand-in message
 * types): its fields must line up with struct evrpc_req_generic's. */
struct rpc_probe_req;
struct rpc_probe_rpl;
EVRPC_HEADER(Probe, rpc_probe_req, rpc_probe_rpl)

static void struct_evrpc(void)
{
	TYPE(struct evrpc_status);
	FIELD(struct evrpc_status, error);
	FIELD(struct evrpc_status, http_req);

	TYPE(struct evrpc);
	FIELD(struct evrpc, next);
	FIELD(struct evrpc, next.tqe_next);
	FIELD(struct evrpc, next.tqe_prev);
	FIELD(struct evrpc, uri);
	FIELD(struct evrpc, request_new);
	FIELD(struct evrpc, request_new_arg);
	FIELD(struct evrpc, request_free);
	FIELD(struct evrpc, request_unmarshal);
	FIELD(struct evrpc, reply_new);
	FIELD(struct evrpc, reply_new_arg);
	FIELD(struct evrpc, reply_free);
	FIELD(struct evrpc, reply_complete);
	FIELD(struct evrpc, reply_marshal);
	FIELD(struct evrpc, cb);
	FIELD(struct evrpc, cb_arg);
	FIELD(struct evrpc, base);

	TYPE(EVRPC_STRUCT(Probe));
	FIELD(EVRPC_STRUCT(Probe), hook_meta);
	FIELD(EVRPC_STRUCT(Probe), request);
	FIELD(EVRPC_STRUCT(Probe), reply);
	FIELD(EVRPC_STRUCT(Probe), rpc);
	FIELD(EVRPC_STRUCT(Probe), http_req);
	FIELD(EVRPC_STRUCT(Probe), rpc_data);

	CONST(EVRPC_STATUS_ERR_NONE);
	CONST(EVRPC_STATUS_ERR_TIMEOUT);
	CONST(EVRPC_STATUS_ERR_BADPAYLOAD);
	CONST(EVRPC_STATUS_ERR_UNSTARTED);
	CONST(EVRPC_STATUS_ERR_HOOKABORTED);
	CONST(EVRPC_INPUT);
	CONST(EVRPC_OUTPUT);
	CONST(INPUT);
	CONST(OUTPUT);
	CONST(EVRPC_TERMINATE);
	CONST(EVRPC_CONTINUE);
	CONST(EVRPC_PAUSE);
	STRING(SHOW(EVRPC_STRUCT(Name)));
	STRING(SHOW(EVRPC_REQUEST_HTTP(r)));
	STRING(SHOW(EVTAG_HAS(m, f)));
	STRING(SHOW(EVTAG_ARRAY_LEN(m, f)));
	STRING(SHOW(EVTAG_LEN(m, f)));
	STRING(SHOW(EVTAG_ASSIGN(m, f, v)));
	STRING(SHOW(EVTAG_GET(m, f, v)));
}

/* http_struct.h's request; the bit-fields chunked and userdone have no offset to print, the
 * fields around them and the struct's size pin them down. */
static void struct_evhttp_request(void)
{
	TYPE(struct evhttp_request);
	FIELD(struct evhttp_request, next);
	FIELD(struct evhttp_request, next.tqe_next);
	FIELD(struct evhttp_request, next.tqe_prev);
	FIELD(struct evhttp_request, evcon);
	FIELD(struct evhttp_request, flags);
	FIELD(struct evhttp_request, input_headers);
	FIELD(struct evhttp_request, output_headers);
	FIELD(struct evhttp_request, remote_host);
	FIELD(struct evhttp_request, remote_port);
	FIELD(struct evhttp_request, host_cache);
	FIELD(struct evhttp_request, kind);
	FIELD(struct evhttp_request, type);
	FIELD(struct evhttp_request, headers_size);
	FIELD(struct evhttp_request, body_size);
	FIELD(struct evhttp_request, uri);
	FIELD(struct evhttp_request, uri_elems);
	FIELD(struct evhttp_request, major);
	FIELD(struct evhttp_request, minor);
	FIELD(struct evhttp_request, response_code);
	FIELD(struct evhttp_request, response_code_line);
	FIELD(struct evhttp_request, input_buffer);
	FIELD(struct evhttp_request, ntoread);
	FIELD(struct evhttp_request, output_buffer);
	FIELD(struct evhttp_request, cb);
	FIELD(struct evhttp_request, cb_arg);
	FIELD(struct evhttp_request, chunk_cb);
	FIELD(struct evhttp_request, header_cb);
	FIELD(struct evhttp_request, error_cb);
	FIELD(struct evhttp_request, on_complete_cb);
	FIELD(struct evhttp_request, on_complete_cb_arg);

	/* Which bit of the word after ntoread each bit-field is. */
	struct evhttp_request r;
	memset(&r, 0, sizeof(r));
	r.chunked = 1;
	printf("bitfield struct evhttp_request.chunked: %s\n", bitfield_bits(&r));
	memset(&r, 0, sizeof(r));
	r.userdone = 1;
	printf("bitfield struct evhttp_request.userdone: %s\n", bitfield_bits(&r));
}

static void types(void)
{
	INT_TYPE(ev_uint64_t);
	INT_TYPE(ev_int64_t);
	INT_TYPE(ev_uint32_t);
	INT_TYPE(ev_int32_t);
	INT_TYPE(ev_uint16_t);
	INT_TYPE(ev_int16_t);
	INT_TYPE(ev_uint8_t);
	INT_TYPE(ev_int8_t);
	INT_TYPE(ev_uintptr_t);
	INT_TYPE(ev_intptr_t);
	INT_TYPE(ev_ssize_t);
	INT_TYPE(ev_off_t);
	INT_TYPE(ev_socklen_t);
	INT_TYPE(evutil_socket_t);

	TYPE(enum event_method_feature);
	TYPE(enum event_base_config_flag);
	TYPE(enum bufferevent_options);
	TYPE(enum bufferevent_flush_mode);
	TYPE(enum bufferevent_trigger_options);
	TYPE(enum bufferevent_filter_result);

	FN_TYPE(event_callback_fn);
	FN_TYPE(event_finalize_callback_fn);
	FN_TYPE(event_log_cb);
	FN_TYPE(event_fatal_cb);
	FN_TYPE(event_base_foreach_event_cb);
	FN_TYPE(bufferevent_data_cb);
	FN_TYPE(bufferevent_event_cb);
	FN_TYPE(bufferevent_filter_cb);
	FN_TYPE(evbuffercb);
	FN_TYPE(everrorcb);
	FN_TYPE(evconnlistener_cb);
	FN_TYPE(evconnlistener_errorcb);

	TYPE(enum evbuffer_eol_style);
	TYPE(enum evbuffer_ptr_how);
	FN_TYPE(evbuffer_ref_cleanup_cb);
	FN_TYPE(evbuffer_file_segment_cleanup_cb);
	FN_TYPE(evbuffer_cb_func);
	FN_TYPE(evbuffer_cb);

	FN_TYPE(evdns_callback_type);
	FN_TYPE(evdns_debug_log_fn_type);
	FN_TYPE(evdns_request_callback_fn_type);
	FN_TYPE(evdns_getaddrinfo_cb);

	TYPE(enum evhttp_cmd_type);
	TYPE(enum evhttp_request_kind);
	TYPE(enum evhttp_request_error);
	{
		/* A function type, not a pointer one. */
		evhttp_bound_socket_foreach_fn *fn_ = 0;
		printf("typedef evhttp_bound_socket_foreach_fn: %s\n", TYPE_NAME(fn_));
	}
}

static void constants(void)
{
	/* event.h */
	CONST(EVENT_BASE_COUNT_ACTIVE);
	CONST(EVENT_BASE_COUNT_VIRTUAL);
	CONST(EVENT_BASE_COUNT_ADDED);
	CONST(EV_FEATURE_ET);
	CONST(EV_FEATURE_O1);
	CONST(EV_FEATURE_FDS);
	CONST(EV_FEATURE_EARLY_CLOSE);
	CONST(EVENT_BASE_FLAG_NOLOCK);
	CONST(EVENT_BASE_FLAG_IGNORE_ENV);
	CONST(EVENT_BASE_FLAG_STARTUP_IOCP);
	CONST(EVENT_BASE_FLAG_NO_CACHE_TIME);
	CONST(EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	CONST(EVENT_BASE_FLAG_PRECISE_TIMER);
	CONST(EVENT_LOG_DEBUG);
	CONST(EVENT_LOG_MSG);
	CONST(EVENT_LOG_WARN);
	CONST(EVENT_LOG_ERR);
	CONST(_EVENT_LOG_DEBUG);
	CONST(_EVENT_LOG_MSG);
	CONST(_EVENT_LOG_WARN);
	CONST(_EVENT_LOG_ERR);
	CONST(EVENT_DBG_ALL);
	CONST(EVENT_DBG_NONE);
	CONST(EVLOOP_ONCE);
	CONST(EVLOOP_NONBLOCK);
	CONST(EVLOOP_NO_EXIT_ON_EMPTY);
	CONST(EV_TIMEOUT);
	CONST(EV_READ);
	CONST(EV_WRITE);
	CONST(EV_SIGNAL);
	CONST(EV_PERSIST);
	CONST(EV_ET);
	CONST(EV_FINALIZE);
	CONST(EV_CLOSED);
	CONST(EVENT_MAX_PRIORITIES);
	CONST(LIBEVENT_VERSION_NUMBER);
	STRING(LIBEVENT_VERSION);

	/* event_struct.h */
	CONST(EVLIST_TIMEOUT);
	CONST(EVLIST_INSERTED);
	CONST(EVLIST_SIGNAL);
	CONST(EVLIST_ACTIVE);
	CONST(EVLIST_INTERNAL);
	CONST(EVLIST_ACTIVE_LATER);
	CONST(EVLIST_FINALIZING);
	CONST(EVLIST_INIT);
	CONST(EVLIST_ALL);

	/* thread.h */
	CONST(EVTHREAD_WRITE);
	CONST(EVTHREAD_READ);
	CONST(EVTHREAD_TRY);
	CONST(EVTHREAD_LOCK_API_VERSION);
	CONST(EVTHREAD_LOCKTYPE_RECURSIVE);
	CONST(EVTHREAD_LOCKTYPE_READWRITE);
	CONST(EVTHREAD_CONDITION_API_VERSION);
	CONST(EVTHREAD_USE_PTHREADS_IMPLEMENTED);

	/* buffer.h */
	CONST(EVBUFFER_FLAG_DRAINS_TO_FD);
	CONST(EVBUFFER_EOL_ANY);
	CONST(EVBUFFER_EOL_CRLF);
	CONST(EVBUFFER_EOL_CRLF_STRICT);
	CONST(EVBUFFER_EOL_LF);
	CONST(EVBUFFER_EOL_NUL);
	CONST(EVBUFFER_PTR_SET);
	CONST(EVBUFFER_PTR_ADD);
	CONST(EVBUF_FS_CLOSE_ON_FREE);
	CONST(EVBUF_FS_DISABLE_MMAP);
	CONST(EVBUF_FS_DISABLE_SENDFILE);
	CONST(EVBUF_FS_DISABLE_LOCKING);
	CONST(EVBUFFER_CB_ENABLED);

	/* util.h */
	CONST(EV_UINT64_MAX);
	CONST(EV_INT64_MAX);
	CONST(EV_INT64_MIN);
	CONST(EV_UINT32_MAX);
	CONST(EV_INT32_MAX);
	CONST(EV_INT32_MIN);
	CONST(EV_UINT16_MAX);
	CONST(EV_INT16_MAX);
	CONST(EV_INT16_MIN);
	CONST(EV_UINT8_MAX);
	CONST(EV_INT8_MAX);
	CONST(EV_INT8_MIN);
	CONST(EV_SIZE_MAX);
	CONST(EV_SSIZE_MAX);
	CONST(EV_SSIZE_MIN);
	CONST(EV_MONOT_PRECISE);
	CONST(EV_MONOT_FALLBACK);
	CONST(EVUTIL_INVALID_SOCKET);
	CONST(EVUTIL_EAI_ADDRFAMILY);
	CONST(EVUTIL_EAI_AGAIN);
	CONST(EVUTIL_EAI_BADFLAGS);
	CONST(EVUTIL_EAI_FAIL);
	CONST(EVUTIL_EAI_FAMILY);
	CONST(EVUTIL_EAI_MEMORY);
	CONST(EVUTIL_EAI_NODATA);
	CONST(EVUTIL_EAI_NONAME);
	CONST(EVUTIL_EAI_SERVICE);
	CONST(EVUTIL_EAI_SOCKTYPE);
	CONST(EVUTIL_EAI_SYSTEM);
	CONST(EVUTIL_EAI_CANCEL);
	CONST(EVUTIL_AI_PASSIVE);
	CONST(EVUTIL_AI_CANONNAME);
	CONST(EVUTIL_AI_NUMERICHOST);
	CONST(EVUTIL_AI_NUMERICSERV);
	CONST(EVUTIL_AI_V4MAPPED);
	CONST(EVUTIL_AI_ALL);
	CONST(EVUTIL_AI_ADDRCONFIG);

	/* bufferevent.h, bufferevent_compat.h */
	CONST(BEV_EVENT_READING);
	CONST(BEV_EVENT_WRITING);
	CONST(BEV_EVENT_EOF);
	CONST(BEV_EVENT_ERROR);
	CONST(BEV_EVENT_TIMEOUT);
	CONST(BEV_EVENT_CONNECTED);
	CONST(BEV_OPT_CLOSE_ON_FREE);
	CONST(BEV_OPT_THREADSAFE);
	CONST(BEV_OPT_DEFER_CALLBACKS);
	CONST(BEV_OPT_UNLOCK_CALLBACKS);
	CONST(BEV_NORMAL);
	CONST(BEV_FLUSH);
	CONST(BEV_FINISHED);
	CONST(BEV_TRIG_IGNORE_WATERMARKS);
	CONST(BEV_TRIG_DEFER_CALLBACKS);
	CONST(BEV_OK);
	CONST(BEV_NEED_MORE);
	CONST(BEV_ERROR);
	CONST(EV_RATE_LIMIT_MAX);
	CONST(EVBUFFER_READ);
	CONST(EVBUFFER_WRITE);
	CONST(EVBUFFER_EOF);
	CONST(EVBUFFER_ERROR);
	CONST(EVBUFFER_TIMEOUT);

	/* event-config.h: the numbers programs test */
	CONST(EVENT__NUMERIC_VERSION);
	CONST(EVENT__SIZEOF_INT);
	CONST(EVENT__SIZEOF_LONG);
	CONST(EVENT__SIZEOF_LONG_LONG);
	CONST(EVENT__SIZEOF_OFF_T);
	CONST(EVENT__SIZEOF_PTHREAD_T);
	CONST(EVENT__SIZEOF_SHORT);
	CONST(EVENT__SIZEOF_SIZE_T);
	CONST(EVENT__SIZEOF_TIME_T);
	CONST(EVENT__SIZEOF_VOID_P);
	STRING(EVENT__VERSION);
	STRING(EVENT__PACKAGE_STRING);
	STRING(EVENT__PACKAGE_VERSION);

	/* listener.h */
	CONST(LEV_OPT_LEAVE_SOCKETS_BLOCKING);
	CONST(LEV_OPT_CLOSE_ON_FREE);
	CONST(LEV_OPT_CLOSE_ON_EXEC);
	CONST(LEV_OPT_REUSEABLE);
	CONST(LEV_OPT_THREADSAFE);
	CONST(LEV_OPT_DISABLED);
	CONST(LEV_OPT_DEFERRED_ACCEPT);
	CONST(LEV_OPT_REUSEABLE_PORT);
	CONST(LEV_OPT_BIND_IPV6ONLY);

	/* dns.h */
	CONST(DNS_ERR_NONE);
	CONST(DNS_ERR_FORMAT);
	CONST(DNS_ERR_SERVERFAILED);
	CONST(DNS_ERR_NOTEXIST);
	CONST(DNS_ERR_NOTIMPL);
	CONST(DNS_ERR_REFUSED);
	CONST(DNS_ERR_TRUNCATED);
	CONST(DNS_ERR_UNKNOWN);
	CONST(DNS_ERR_TIMEOUT);
	CONST(DNS_ERR_SHUTDOWN);
	CONST(DNS_ERR_CANCEL);
	CONST(DNS_ERR_NODATA);
	CONST(DNS_IPv4_A);
	CONST(DNS_PTR);
	CONST(DNS_IPv6_AAAA);
	CONST(DNS_QUERY_NO_SEARCH);
	CONST(DNS_OPTION_SEARCH);
	CONST(DNS_OPTION_NAMESERVERS);
	CONST(DNS_OPTION_MISC);
	CONST(DNS_OPTION_HOSTSFILE);
	CONST(DNS_OPTIONS_ALL);
	CONST(DNS_OPTION_NAMESERVERS_NO_DEFAULT);
	CONST(DNS_NO_SEARCH);
	CONST(EVDNS_BASE_INITIALIZE_NAMESERVERS);
	CONST(EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	CONST(EVDNS_BASE_NAMESERVERS_NO_DEFAULT);
	CONST(EVDNS_ANSWER_SECTION);
	CONST(EVDNS_AUTHORITY_SECTION);
	CONST(EVDNS_ADDITIONAL_SECTION);
	CONST(EVDNS_TYPE_A);
	CONST(EVDNS_TYPE_NS);
	CONST(EVDNS_TYPE_CNAME);
	CONST(EVDNS_TYPE_SOA);
	CONST(EVDNS_TYPE_PTR);
	CONST(EVDNS_TYPE_MX);
	CONST(EVDNS_TYPE_TXT);
	CONST(EVDNS_TYPE_AAAA);
	CONST(EVDNS_QTYPE_AXFR);
	CONST(EVDNS_QTYPE_ALL);
	CONST(EVDNS_CLASS_INET);
	CONST(EVDNS_FLAGS_AA);
	CONST(EVDNS_FLAGS_RD);

	/* http.h, http_struct.h */
	CONST(HTTP_OK);
	CONST(HTTP_NOCONTENT);
	CONST(HTTP_MOVEPERM);
	CONST(HTTP_MOVETEMP);
	CONST(HTTP_NOTMODIFIED);
	CONST(HTTP_BADREQUEST);
	CONST(HTTP_NOTFOUND);
	CONST(HTTP_BADMETHOD);
	CONST(HTTP_ENTITYTOOLARGE);
	CONST(HTTP_EXPECTATIONFAILED);
	CONST(HTTP_INTERNAL);
	CONST(HTTP_NOTIMPLEMENTED);
	CONST(HTTP_SERVUNAVAIL);
	CONST(EVHTTP_REQ_GET);
	CONST(EVHTTP_REQ_POST);
	CONST(EVHTTP_REQ_HEAD);
	CONST(EVHTTP_REQ_PUT);
	CONST(EVHTTP_REQ_DELETE);
	CONST(EVHTTP_REQ_OPTIONS);
	CONST(EVHTTP_REQ_TRACE);
	CONST(EVHTTP_REQ_CONNECT);
	CONST(EVHTTP_REQ_PATCH);
	CONST(EVHTTP_REQUEST);
	CONST(EVHTTP_RESPONSE);
	CONST(EVREQ_HTTP_TIMEOUT);
	CONST(EVREQ_HTTP_EOF);
	CONST(EVREQ_HTTP_INVALID_HEADER);
	CONST(EVREQ_HTTP_BUFFER_ERROR);
	CONST(EVREQ_HTTP_REQUEST_CANCEL);
	CONST(EVREQ_HTTP_DATA_TOO_LONG);
	CONST(EVHTTP_SERVER_LINGERING_CLOSE);
	CONST(EVHTTP_CON_REUSE_CONNECTED_ADDR);
	CONST(EVHTTP_CON_READ_ON_WRITE_ERROR);
	CONST(EVHTTP_CON_LINGERING_CLOSE);
	CONST(EVHTTP_CON_PUBLIC_FLAGS_END);
	CONST(EVHTTP_URI_NONCONFORMANT);
	CONST(EVHTTP_REQ_OWN_CONNECTION);
	CONST(EVHTTP_PROXY_REQUEST);
	CONST(EVHTTP_USER_OWNED);
	CONST(EVHTTP_REQ_DEFER_FREE);
	CONST(EVHTTP_REQ_NEEDS_FREE);
}

/* Function-like macros that expand to expressions: their results on fixed inputs. */
static void macro_results(void)
{
	struct timeval a = { 5, 900000 }, b = { 2, 200000 }, r;

	evutil_timeradd(&a, &b, &r);
	printf("macro evutil_timeradd: %ld.%06ld\n", (long)r.tv_sec, (long)r.tv_usec);
	evutil_timersub(&a, &b, &r);
	printf("macro evutil_timersub: %ld.%06ld\n", (long)r.tv_sec, (long)r.tv_usec);
	printf("macro evutil_timercmp: %d %d %d\n", evutil_timercmp(&a, &b, <),
	    evutil_timercmp(&a, &b, >), evutil_timercmp(&a, &a, ==));
	printf("macro evutil_timerisset: %d\n", evutil_timerisset(&a));
	evutil_timerclear(&r);
	printf("macro evutil_timerclear: %d\n", evutil_timerisset(&r));
	printf("macro evutil_offsetof: %zu\n", evutil_offsetof(struct event, ev_res));
	EVUTIL_SET_SOCKET_ERROR(42);
	printf("macro EVUTIL_SOCKET_ERROR: %d\n", EVUTIL_SOCKET_ERROR());
	/* buffer_compat.h: what the 1.x macros expand to, as a string. */
	printf("macro EVBUFFER_LENGTH: %s\n", SHOW(EVBUFFER_LENGTH(b)));
	printf("macro EVBUFFER_DATA: %s\n", SHOW(EVBUFFER_DATA(b)));
}

int main(void)
{
	struct_event_callback();
	struct_event();
	struct_evutil_addrinfo();
	struct_evthread();
	struct_evkeyval();
	struct_bufferevent();
	struct_evbuffer();
	struct_evdns_server();
	struct_evhttp_request();
	struct_evrpc();
	types();
	constants();
	macro_results();
	return 0;
}
