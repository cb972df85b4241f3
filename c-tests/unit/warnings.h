/* Counts the warnings the library logs, for the C unit tests that check that bad input is
 * reported: install log_cb with event_set_log_callback(), then warned() says whether any
 * warning arrived since it was last asked. */
#ifndef LIBEVENT_RS_WARNINGS_H
#define LIBEVENT_RS_WARNINGS_H

#include <event2/event.h>

static int warnings;

static void log_cb(int severity, const char *msg)
{
	(void)msg;
	if (severity >= EVENT_LOG_WARN)
		warnings++;
}

/* True if at least one warning arrived since the last call. */
static inline int warned(void)
{
	int w = warnings;
	warnings = 0;
	return w > 0;
}

#endif
