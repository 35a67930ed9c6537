/*
 * virtio_pci.h - the virtio 1.x modern PCI transport: a PCI function whose
 * BAR 0 holds the common configuration, ISR, device configuration, queue
 * doorbells (notify) and the MSI-X table and PBA, described to the driver by
 * vendor capabilities. Doorbells become ioeventfds and interrupts MSI-X
 * irqfds, so neither a kick nor an interrupt passes through a vCPU exit.
 * No legacy interface.
 *
 * The device behind it is a struct virtio_device_ops (devices/virtio_dev.h)
 * and reaches its driver through virtio_pci_irq(): queue interrupts and
 * broken queues, each by its own number.
 *
 * Threads and locking: vCPU threads call the BAR and config handlers; the
 * I/O thread calls virtio_pci_kick_ready(). Both take vp->lock, and the
 * device ops are always called with it held, so a device sees one caller at
 * a time. A device raises a queue interrupt with virtio_pci_notify(), which
 * must be called with vp->lock held (i.e. from inside a device op, or
 * between virtio_pci_lock and virtio_pci_unlock).
 */
#ifndef KVMINI_VIRTIO_PCI_H
#define KVMINI_VIRTIO_PCI_H

#include <pthread.h>
#include <stdint.h>

#include "base/guestmem.h"
#include "devices/irq.h"
#include "devices/msi.h"
#include "devices/pci.h"
#include "devices/virtio_dev.h"
#include "devices/virtq.h"

#define VIRTIO_PCI_MAX_QUEUES 64
/* One vector per queue and one for configuration changes. */
#define VIRTIO_PCI_MAX_VECTORS (VIRTIO_PCI_MAX_QUEUES + 1)
/* The pending-bit array: one bit per vector, in 64-bit words. */
#define VIRTIO_PCI_PBA_WORDS ((VIRTIO_PCI_MAX_VECTORS + 63) / 64)
#define VIRTIO_PCI_NO_VECTOR 0xffff

/* Device status bits. */
#define VIRTIO_STATUS_ACKNOWLEDGE       0x01
#define VIRTIO_STATUS_DRIVER            0x02
#define VIRTIO_STATUS_DRIVER_OK         0x04
#define VIRTIO_STATUS_FEATURES_OK       0x08
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED            0x80

/* Transport feature bits the transport itself understands. */
#define VIRTIO_FEATURE_BIT(n) (1ULL << (n))
#define VIRTIO_F_INDIRECT_DESC_BIT 28
#define VIRTIO_F_EVENT_IDX_BIT     29
#define VIRTIO_F_VERSION_1_BIT     32

struct virtio_pci_queue {
	uint16_t size, max_size, msix_vector, enabled;
	uint64_t desc, avail, used;
	struct virtq vq;
	int started;
	int kick_fd;               /* eventfd: ioeventfd target for the doorbell */
};

struct virtio_pci_msix {
	uint32_t addr_lo, addr_hi, data, ctrl;
};

struct virtio_pci {
	pthread_mutex_t lock;
	struct pci_function pci;
	const struct virtio_device_ops *ops;
	void *dev;
	const struct guest_mem *mem;
	struct msi_host msi;
	struct irq_line intx;      /* fallback when MSI-X is off */

	unsigned int nqueues;
	uint64_t dev_features, drv_features;
	uint32_t dfselect, gfselect;
	uint16_t msix_config, queue_select;
	uint8_t status, config_gen, isr;
	struct virtio_pci_queue q[VIRTIO_PCI_MAX_QUEUES];

	unsigned int nvec;
	struct virtio_pci_msix table[VIRTIO_PCI_MAX_VECTORS];
	uint64_t pba[VIRTIO_PCI_PBA_WORDS];   /* bit v: vector v is pending */
	int vec_gsi[VIRTIO_PCI_MAX_VECTORS];
	int vec_fd[VIRTIO_PCI_MAX_VECTORS];
	uint8_t vec_bound[VIRTIO_PCI_MAX_VECTORS]; /* vec_fd attached to vec_gsi */
	int msix_cap;              /* config offset of the MSI-X capability */
	uint64_t notify_addr;      /* where the doorbell ioeventfds are bound, or 0 */

	uint64_t broken_queues;    /* bit q: the device found queue q broken (since reset) */
	uint64_t interrupts, kicks_in_userspace;
};

_Static_assert(VIRTIO_PCI_MAX_QUEUES <= 64, "broken_queues has a bit per queue");

/*
 * virtio_pci_init - a transport for dev with nqueues queues of up to
 * max_queue_size entries each. msi may have NULL members (then doorbells go
 * through the BAR handler and interrupts are not delivered by KVM).
 */
int virtio_pci_init(struct virtio_pci *vp, const struct virtio_device_ops *ops, void *dev,
		    const struct guest_mem *mem, struct msi_host msi, struct irq_line intx,
		    unsigned int nqueues, uint16_t max_queue_size) MUST_CHECK;

/* virtio_pci_destroy - detach eventfds and close them. */
void virtio_pci_destroy(struct virtio_pci *vp);

/* virtio_pci_kick_fd - the eventfd that signals a kick of queue q. */
int virtio_pci_kick_fd(struct virtio_pci *vp, unsigned int q);

/* virtio_pci_kick_ready - the I/O thread saw kick_fd(q) readable: run the device. */
void virtio_pci_kick_ready(struct virtio_pci *vp, unsigned int q);

/*
 * virtio_pci_queue_irqfd - the eventfd that raises queue q's MSI-X vector
 * in the kernel (an irqfd), for a backend that interrupts the driver without
 * userspace (vhost); -1 when MSI-X is off or q has no vector. Call with
 * vp->lock held, at queue_start. The transport's masking is done in
 * userspace: a write to this fd is delivered even while the vector is
 * masked, and the pending bit is not set.
 */
int virtio_pci_queue_irqfd(struct virtio_pci *vp, unsigned int q);

/* virtio_pci_notify - raise queue q's interrupt (vp->lock held). */
void virtio_pci_notify(struct virtio_pci *vp, unsigned int q);

/* virtio_pci_lock - take vp->lock, for device completion paths on the I/O thread. */
void virtio_pci_lock(struct virtio_pci *vp);

/* virtio_pci_unlock - release what virtio_pci_lock took. */
void virtio_pci_unlock(struct virtio_pci *vp);

/*
 * virtio_pci_queue_broken - the device found a malformed ring on queue q:
 * note it in broken_queues, set DEVICE_NEEDS_RESET and raise the
 * configuration interrupt (lock held). Once the status says so, a call
 * only notes its queue.
 */
void virtio_pci_queue_broken(struct virtio_pci *vp, unsigned int q);

/*
 * virtio_pci_irq - how a device on vp reaches its driver (virtio_dev_set_irq):
 * virtio_pci_notify and virtio_pci_queue_broken, its queue 0 being the
 * transport's queue qbase. Both are called with vp->lock held, as the
 * device ops and the I/O thread's completion paths are.
 */
struct virtio_irq virtio_pci_irq(struct virtio_pci *vp, unsigned int qbase);

#endif
