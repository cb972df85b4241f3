/* libevent-rs: libevent 2.1 rewritten in Rust, with the same C ABI.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * event2/rpc_compat.h: the field accessors of libevent 1.4's generated RPC structs, for old
 * code. EVTAG_ASSIGN and EVTAG_GET take any number of value arguments here (a GNU C
 * extension, so only with GCC-compatible compilers outside strict ISO mode), which covers
 * the _WITH_LEN forms of event2/rpc.h too. Include it before or after event2/rpc.h. */
#ifndef EVENT2_RPC_COMPAT_H_INCLUDED_
#define EVENT2_RPC_COMPAT_H_INCLUDED_

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && !defined(__STRICT_ANSI__)

/* Drop rpc.h's fixed-arity versions when it came first. */
#undef EVTAG_ASSIGN
#undef EVTAG_GET
#undef EVTAG_ADD

#define EVTAG_ASSIGN(msg, member, args...) \
	(*(msg)->base->member##_assign)(msg, ## args)
#define EVTAG_GET(msg, member, args...) \
	(*(msg)->base->member##_get)(msg, ## args)
#define EVTAG_ADD(msg, member, args...) \
	(*(msg)->base->member##_add)(msg, ## args)
#endif
/* The number of elements of an array field (EVTAG_ARRAY_LEN in rpc.h). */
#define EVTAG_LEN(msg, member) ((msg)->member##_length)

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_RPC_COMPAT_H_INCLUDED_ */
