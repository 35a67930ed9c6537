/* i8042.c - see i8042.h. */
#include "devices/i8042.h"

#include <string.h>

#define STS_OBF     0x01  /* output buffer full */
#define STS_SYS     0x04  /* self test passed */
#define CMD_READ_CTR  0x20
#define CMD_WRITE_CTR 0x60
#define CMD_SELF_TEST 0xaa
#define CMD_WRITE_OUT 0xd1
#define CMD_RESET     0xfe
#define OUT_RESET_LOW 0x01 /* output port bit 0 low asserts CPU reset */

static void put_out(struct i8042 *k, uint8_t v)
{
	k->out = v;
	k->out_full = 1;
}

static void data_read(void *opaque, uint64_t off, void *data, unsigned int len)
{
	struct i8042 *k = opaque;

	(void)off;
	memset(data, 0, len);
	pthread_mutex_lock(&k->lock);
	*(uint8_t *)data = k->out;
	k->out_full = 0;
	pthread_mutex_unlock(&k->lock);
}

static void data_write(void *opaque, uint64_t off, const void *data, unsigned int len)
{
	struct i8042 *k = opaque;
	uint8_t v = *(const uint8_t *)data;
	int reset = 0;

	(void)off; (void)len;
	pthread_mutex_lock(&k->lock);
	if (k->cmd == CMD_WRITE_CTR)
		k->ctr = v;
	else if (k->cmd == CMD_WRITE_OUT && !(v & OUT_RESET_LOW))
		reset = 1;
	k->cmd = 0;
	pthread_mutex_unlock(&k->lock);
	if (reset)
		power_request(&k->power, POWER_RESET, "i8042 output port reset");
}

static void cmd_read(void *opaque, uint64_t off, void *data, unsigned int len)
{
	struct i8042 *k = opaque;

	(void)off;
	memset(data, 0, len);
	pthread_mutex_lock(&k->lock);
	*(uint8_t *)data = (uint8_t)(STS_SYS | (k->out_full ? STS_OBF : 0));
	pthread_mutex_unlock(&k->lock);
}

static void cmd_write(void *opaque, uint64_t off, const void *data, unsigned int len)
{
	struct i8042 *k = opaque;
	uint8_t v = *(const uint8_t *)data;

	(void)off; (void)len;
	if (v == CMD_RESET) {
		power_request(&k->power, POWER_RESET, "i8042 reset command");
		return;
	}
	pthread_mutex_lock(&k->lock);
	switch (v) {
	case CMD_READ_CTR:
		put_out(k, k->ctr);
		break;
	case CMD_SELF_TEST:
		put_out(k, 0x55);
		break;
	case CMD_WRITE_CTR:
	case CMD_WRITE_OUT:
		k->cmd = v;
		break;
	default:
		break;
	}
	pthread_mutex_unlock(&k->lock);
}

const struct iodev_ops i8042_data_ops = { .read = data_read, .write = data_write };
const struct iodev_ops i8042_cmd_ops = { .read = cmd_read, .write = cmd_write };

int i8042_init(struct i8042 *k, struct power_sink power)
{
	memset(k, 0, sizeof(*k));
	k->power = power;
	return -pthread_mutex_init(&k->lock, NULL);
}

void i8042_destroy(struct i8042 *k)
{
	pthread_mutex_destroy(&k->lock);
}
