/*
 * i8042.h - the PC keyboard controller, only as much as a guest needs to
 * reset the machine: status and command ports, the output port, and the
 * pulse-reset command (0xfe on port 0x64). No keyboard is attached.
 */
#ifndef KVMINI_I8042_H
#define KVMINI_I8042_H

#include <pthread.h>
#include <stdint.h>

#include "devices/iobus.h"
#include "devices/power.h"

#define I8042_DATA_PORT 0x60
#define I8042_CMD_PORT  0x64

struct i8042 {
	pthread_mutex_t lock;
	struct power_sink power;
	uint8_t cmd;       /* last command awaiting a data byte, or 0 */
	uint8_t ctr;       /* controller configuration byte */
	uint8_t out;       /* byte waiting in the output buffer */
	int out_full;
};

/* Handlers for a one-port range each: register at 0x60 and at 0x64. */
extern const struct iodev_ops i8042_data_ops;
extern const struct iodev_ops i8042_cmd_ops;

/* i8042_init - reset state; reset requests go to power. */
int i8042_init(struct i8042 *k, struct power_sink power);

/* i8042_destroy - release the lock. */
void i8042_destroy(struct i8042 *k);

#endif
