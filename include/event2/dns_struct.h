/* libevent-rs: libevent 2.1 rewritten in Rust, with the same C ABI.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * event2/dns_struct.h: the layout of the query a DNS server callback receives
 * (evdns_request_callback_fn_type in event2/dns.h). The library allocates both structs;
 * the program only reads them, and only until it responds to or drops the request. */
#ifndef EVENT2_DNS_STRUCT_H_INCLUDED_
#define EVENT2_DNS_STRUCT_H_INCLUDED_

#ifdef __cplusplus
extern "C" {
#endif

#include <event2/event-config.h>
#include <sys/types.h>
#include <sys/time.h>

#include <event2/util.h>

/* A query: its header flags (RD and the others as received) and its questions. */
struct evdns_server_request {
	int flags;
	int nquestions;
	struct evdns_server_question **questions;
};

/* One question: the record type (EVDNS_TYPE_* or EVDNS_QTYPE_*), the class, and the name
 * as a NUL-terminated string in dotted form, stored inline past the struct's end. */
struct evdns_server_question {
	int type;
#ifdef __cplusplus
	int dns_question_class;
#else
	/* "class" is a keyword in C++; C programs too should write dns_question_class. */
	int class;
#define dns_question_class class
#endif
	char name[1];
};

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_DNS_STRUCT_H_INCLUDED_ */
