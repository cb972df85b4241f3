/* libevent-rs: libevent 2.1 rewritten in Rust, with the same C ABI.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * event2/visibility.h: the annotation placed before every exported declaration.
 * Programs that use the library see it expand to nothing; only a build of the library itself
 * (which defines one of the *_shared_EXPORTS names, as libevent's own build does) turns it into
 * a visibility or dllexport attribute. */
#ifndef EVENT2_VISIBILITY_H_INCLUDED_
#define EVENT2_VISIBILITY_H_INCLUDED_

#include <event2/event-config.h>

/* Building one of the shared libraries: mark the declaration as exported. */
#if defined(event_shared_EXPORTS) || defined(event_extra_shared_EXPORTS) || \
	defined(event_core_shared_EXPORTS) || defined(event_pthreads_shared_EXPORTS) || \
	defined(event_openssl_shared_EXPORTS)
# if defined(__SUNPRO_C) && (__SUNPRO_C >= 0x550)
#  define EVENT2_EXPORT_SYMBOL __global
# elif defined __GNUC__
#  define EVENT2_EXPORT_SYMBOL __attribute__ ((visibility("default")))
# elif defined(_MSC_VER)
#  define EVENT2_EXPORT_SYMBOL __declspec(dllexport)
# else
#  define EVENT2_EXPORT_SYMBOL /* nothing */
# endif
#else
# define EVENT2_EXPORT_SYMBOL
#endif

/* Declarations of the core library seen from the extra library on Windows need dllimport;
 * everywhere else the core annotation is the ordinary one. */
#if defined(_MSC_VER)
# if defined(event_core_shared_EXPORTS)
#  define EVENT2_CORE_EXPORT_SYMBOL __declspec(dllexport)
# elif defined(event_extra_shared_EXPORTS) || defined(EVENT_VISIBILITY_WANT_DLLIMPORT)
#  define EVENT2_CORE_EXPORT_SYMBOL __declspec(dllimport)
# endif
#endif
#if !defined(EVENT2_CORE_EXPORT_SYMBOL)
# define EVENT2_CORE_EXPORT_SYMBOL EVENT2_EXPORT_SYMBOL
#endif

#endif /* EVENT2_VISIBILITY_H_INCLUDED_ */
