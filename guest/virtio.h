/*
 * virtio.h - the virtio 1.x PCI transport for the guest's drivers (modern
 * interface only, virtio 1.x 4.1): find the device, map the regions its
 * vendor capabilities describe (common configuration, notifications, ISR,
 * device configuration), negotiate features and set up polled queues with
 * no interrupt vectors. Problems are reported on the console as lines
 * starting with "# TAG:" (TAG "blk", "net"). Guest-only.
 */
#ifndef GUEST_VIRTIO_H
#define GUEST_VIRTIO_H

#include <stdint.h>

#include "pci.h"
#include "vring.h"

#define VIRTIO_PCI_VENDOR 0x1af4

/* Device status bits. */
#define VIRTIO_S_ACKNOWLEDGE 0x01
#define VIRTIO_S_DRIVER      0x02
#define VIRTIO_S_DRIVER_OK   0x04
#define VIRTIO_S_FEATURES_OK 0x08
#define VIRTIO_S_NEEDS_RESET 0x40
#define VIRTIO_S_FAILED      0x80

struct virtio_dev {
	const char *tag;                 /* "blk", "net" */
	struct pci_dev pci;
	volatile uint8_t *common;        /* common configuration */
	volatile uint8_t *isr;
	volatile uint8_t *device;        /* device-specific configuration */
	volatile uint8_t *notify;        /* notification area */
	uint32_t device_len, notify_len, notify_mult;
	uint64_t features;               /* negotiated */
};

/*
 * virtio_find - find the first PCI function of virtio device type type
 * (VIRTIO_ID_NET, VIRTIO_ID_BLOCK) with the modern interface (device ID
 * 0x1040 + type, or a transitional ID with the modern capabilities), enable
 * memory decoding and bus mastering, and map its regions. Returns 0 or
 * -PLAT_ENODEV (with a console line when a device was there but unusable).
 */
int virtio_find(uint16_t type, const char *tag, struct virtio_dev *vd);

/*
 * virtio_open_begin - what every driver's open() starts with, on its state
 * (0 never opened, 1 open, -1 failed for good): 1 if already open, 0 when
 * the device of type was found and vd is ready for virtio_negotiate(), or
 * -PLAT_ENODEV (failed before, or none: "# TAG: no WHAT PCI device").
 */
int virtio_open_begin(int *state, uint16_t type, const char *tag, const char *what,
		      struct virtio_dev *vd);

/*
 * virtio_negotiate - reset the device, acknowledge it, and accept the
 * features in wanted that it offers; VIRTIO_F_VERSION_1 is always asked for
 * and must be offered. FEATURES_OK is read back. Sets vd->features.
 * Returns 0 or -PLAT_ENODEV (the device is then marked FAILED).
 */
int virtio_negotiate(struct virtio_dev *vd, uint64_t wanted);

/*
 * virtio_queue_setup - set up queue idx with the largest power of two not
 * above max_size or the device's maximum, no MSI-X vector, rings from
 * vring_init, and enable it. Returns 0, -PLAT_ENODEV or -PLAT_ENOMEM.
 */
int virtio_queue_setup(struct virtio_dev *vd, unsigned int idx, uint16_t max_size,
		       struct vring *r);

/* virtio_driver_ok - set DRIVER_OK. Returns 0, or -PLAT_ENODEV when the
 * device then says it needs a reset or has failed. */
int virtio_driver_ok(struct virtio_dev *vd);

/* virtio_status - the device status byte. */
uint8_t virtio_status(const struct virtio_dev *vd);

/* virtio_reset - reset the device (it stops using the queues); returns 0,
 * or -PLAT_EIO when it does not finish within a second. */
int virtio_reset(struct virtio_dev *vd);

/* virtio_fail - tell the device the driver gave up (status FAILED). */
void virtio_fail(struct virtio_dev *vd);

/*
 * virtio_cfg_read - the device configuration field of width bytes (1, 2, 4
 * or 8) at off, read with accesses of its own width (8: two 32-bit halves)
 * and consistent per the configuration generation. Returns 0 or -PLAT_EIO
 * (outside the region, or it never stopped changing).
 */
int virtio_cfg_read(const struct virtio_dev *vd, unsigned int off, unsigned int width,
		    uint64_t *val);

/* virtio_has - whether feature bit was negotiated. */
static inline int virtio_has(const struct virtio_dev *vd, unsigned int bit)
{
	return !!(vd->features & (1ull << bit));
}

#endif
