/* The library claims to be libevent 2.1.12-stable, both as a number and as a string, because
 * programs compare them with LIBEVENT_VERSION_NUMBER / LIBEVENT_VERSION from the headers. */
#include <string.h>
#include <event2/event.h>
#include "check.h"

int main(void)
{
	const char *version = event_get_version();

	CHECK(event_get_version_number() == 0x02010c00);
	CHECK(version != NULL);
	CHECK(version != NULL && strcmp(version, "2.1.12-stable") == 0);
	/* The header the test was compiled with must agree with the library it runs on. */
	CHECK(event_get_version_number() == LIBEVENT_VERSION_NUMBER);
	CHECK_EXIT();
}
