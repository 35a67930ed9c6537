/* coalesce.c - see coalesce.h. */
#include "vmm/coalesce.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/log.h"

/* Ports whose writes are safe to defer until the next exit or flush. */
static const struct { uint64_t port, len; } zones[] = {
	{ 0x70, 1 },    /* RTC index: takes effect at the next 0x71 access */
	{ 0xcf8, 4 },   /* PCI config address: at the next 0xcfc access */
};

int coalesce_init(struct coalesce *c, int kvm_fd, int vm_fd, void *run, size_t run_size,
		  struct iobus *pio, struct iobus *mmio)
{
	long page = sysconf(_SC_PAGESIZE);
	int off;
	size_t i;

	memset(c, 0, sizeof(*c));
	c->pio = pio;
	c->mmio = mmio;
	pthread_mutex_init(&c->lock, NULL);
	off = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_MMIO);
	if (off <= 0 || ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_PIO) <= 0 ||
	    (size_t)(off + 1) * (size_t)page > run_size)
		return 0;
	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		struct kvm_coalesced_mmio_zone z = { .addr = zones[i].port,
						     .size = (uint32_t)zones[i].len, .pio = 1 };

		if (ioctl(vm_fd, KVM_REGISTER_COALESCED_MMIO, &z) < 0) {
			log_warn("cannot coalesce writes to port 0x%llx: %s",
				 (unsigned long long)zones[i].port, strerror(errno));
			while (i-- > 0) {  /* nothing may be queued that is never read */
				z = (struct kvm_coalesced_mmio_zone){ .addr = zones[i].port,
					.size = (uint32_t)zones[i].len, .pio = 1 };
				ioctl(vm_fd, KVM_UNREGISTER_COALESCED_MMIO, &z);
			}
			return 0;
		}
	}
	c->ring = (struct kvm_coalesced_mmio_ring *)((char *)run + (size_t)off * (size_t)page);
	c->max = (unsigned int)(((size_t)page - sizeof(*c->ring)) / sizeof(c->ring->coalesced_mmio[0]));
	return 0;
}

void coalesce_flush(struct coalesce *c)
{
	uint32_t first;

	if (!c->ring)
		return;
	pthread_mutex_lock(&c->lock);
	first = c->ring->first;
	while (first != __atomic_load_n(&c->ring->last, __ATOMIC_ACQUIRE)) {
		struct kvm_coalesced_mmio *e = &c->ring->coalesced_mmio[first % c->max];
		unsigned int len = e->len <= sizeof(e->data) ? e->len : sizeof(e->data);

		iobus_access(e->pio ? c->pio : c->mmio, e->phys_addr, e->data, len, 1);
		first = (first + 1) % c->max;
		__atomic_store_n(&c->ring->first, first, __ATOMIC_RELEASE);
		c->replayed++;
	}
	pthread_mutex_unlock(&c->lock);
}

void coalesce_destroy(struct coalesce *c)
{
	pthread_mutex_destroy(&c->lock);
	c->ring = NULL;
}
