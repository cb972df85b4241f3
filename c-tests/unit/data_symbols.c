/* Exported data objects read by programs (upstream's internal macros do): a PIE executable gets
 * its own copy of each by copy relocation, so the library must read and write them through the
 * interposable symbol. This program is built as PIE (Debian's default) and checks that what the
 * library does is visible in the program's copy, and the other way round. */
#include <stdint.h>
#include <event2/event.h>
#include <event2/event_compat.h>
#include "check.h"

extern int event_debug_mode_on_;
extern struct event_base *event_global_current_base_;
extern uint32_t event_debug_logging_mask_;

int main(void)
{
	struct event_base *base;

	CHECK(event_debug_mode_on_ == 0);
	event_enable_debug_mode();
	CHECK(event_debug_mode_on_ == 1);

	CHECK(event_global_current_base_ == NULL);
	base = event_init();
	CHECK(base != NULL && event_global_current_base_ == base);
	/* The 1.x API reads the current base through the same symbol. */
	CHECK(event_get_method() != NULL);
	event_global_current_base_ = NULL;
	CHECK(event_loop(EVLOOP_NONBLOCK) == -1);
	event_global_current_base_ = base;

	event_enable_debug_logging(EVENT_DBG_ALL);
	CHECK(event_debug_logging_mask_ == EVENT_DBG_ALL);
	event_enable_debug_logging(EVENT_DBG_NONE);

	event_base_free(base);
	CHECK(event_global_current_base_ == NULL);
	CHECK_EXIT();
}
