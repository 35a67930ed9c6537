/*
 * fake_power.h - a power sink for device tests: counts the requests a
 * device makes and remembers the last one (each request must say why).
 */
#ifndef KVMINI_TEST_FAKE_POWER_H
#define KVMINI_TEST_FAKE_POWER_H

#include <criterion/criterion.h>

#include "devices/power.h"

struct fake_power {
	int calls;
	enum power_event last;
};

static inline void fake_power_request(void *ctx, enum power_event ev, const char *why)
{
	struct fake_power *p = ctx;

	cr_assert_not_null(why);
	p->calls++;
	p->last = ev;
}

/* fake_power_sink - a sink that records into p. */
static inline struct power_sink fake_power_sink(struct fake_power *p)
{
	return (struct power_sink){ fake_power_request, p };
}

#endif
