/*
 * mc146818.h - the PC CMOS real-time clock: index port 0x70, data port
 * 0x71. The clock registers read the host's UTC time in BCD, 24-hour mode;
 * the update-in-progress bit is never set; other bytes are plain CMOS RAM.
 * No alarm or periodic interrupt.
 */
#ifndef KVMINI_MC146818_H
#define KVMINI_MC146818_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "devices/iobus.h"

#define MC146818_PORT 0x70
#define MC146818_PORT_COUNT 2

struct mc146818 {
	pthread_mutex_t lock;
	uint8_t index;
	uint8_t ram[128];
	time_t (*now)(time_t *);  /* clock source; time() unless a test sets it */
};

/* Handlers for the two ports. */
extern const struct iodev_ops mc146818_ops;

/* mc146818_init - reset state, clock source time(). */
int mc146818_init(struct mc146818 *rtc);

/* mc146818_destroy - release the lock. */
void mc146818_destroy(struct mc146818 *rtc);

#endif
