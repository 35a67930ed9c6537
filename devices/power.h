/*
 * power.h - how a device asks the machine to power off or reset, without
 * knowing what the machine does about it.
 */
#ifndef KVMINI_POWER_H
#define KVMINI_POWER_H

enum power_event { POWER_OFF = 1, POWER_RESET = 2 };

struct power_sink {
	void (*request)(void *ctx, enum power_event ev, const char *why);
	void *ctx;
};

/* power_request - forward ev to the sink, if there is one. */
static inline void power_request(const struct power_sink *s, enum power_event ev,
				 const char *why)
{
	if (s && s->request)
		s->request(s->ctx, ev, why);
}

#endif
