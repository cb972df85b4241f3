/* Minimal assertions for the C unit tests in c-tests/unit/: each test is one program whose exit
 * status is the verdict (0 = pass), so a failed check prints where and why, and the program
 * reports failure from main with CHECK_EXIT(). */
#ifndef LIBEVENT_RS_CHECK_H
#define LIBEVENT_RS_CHECK_H

#include <stdio.h>

static int check_failures;

/* Records a failed condition without stopping, so one run shows every broken check. */
#define CHECK(cond)                                                                  \
	do {                                                                         \
		if (!(cond)) {                                                       \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,       \
			    __LINE__, #cond);                                        \
			check_failures++;                                            \
		}                                                                    \
	} while (0)

/* Ends main: exit status 1 if any check failed. */
#define CHECK_EXIT()                                                                 \
	do {                                                                         \
		if (check_failures)                                                  \
			fprintf(stderr, "%d check(s) failed\n", check_failures);    \
		return check_failures ? 1 : 0;                                       \
	} while (0)

#endif
