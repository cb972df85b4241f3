/* libevent-rs: libevent 2.1 rewritten in Rust, with the same C ABI.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * event.h: the libevent 1.x entry point. Programs written for 1.x include this one file and get
 * the whole core API, the 2.x one together with its 1.x-compatible forms (event_set,
 * event_dispatch, evbuffer_readline, bufferevent_new, ...), buffers, bufferevents and evtag.
 * New code should include the event2/ headers it needs instead. */
#ifndef EVENT1_EVENT_H_INCLUDED_
#define EVENT1_EVENT_H_INCLUDED_

/* The system types 1.x programs expect this header to have brought in. */
#include <event2/event-config.h>
#include <sys/types.h>
#include <sys/time.h>
#include <stdint.h>
#include <stdarg.h>

#include <evutil.h>

#include <event2/event_struct.h>
#include <event2/event.h>
#include <event2/event_compat.h>
#include <event2/buffer.h>
#include <event2/buffer_compat.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_struct.h>
#include <event2/bufferevent_compat.h>
#include <event2/tag.h>
#include <event2/tag_compat.h>

#endif /* EVENT1_EVENT_H_INCLUDED_ */
