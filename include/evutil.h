/* libevent-rs: libevent 2.1 rewritten in Rust, with the same C ABI.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * evutil.h: the libevent 1.x name of the portability helpers; everything is in event2/util.h,
 * which new code should include instead. */
#ifndef EVENT1_EVUTIL_H_INCLUDED_
#define EVENT1_EVUTIL_H_INCLUDED_

#include <event2/util.h>

#endif /* EVENT1_EVUTIL_H_INCLUDED_ */
