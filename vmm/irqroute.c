/* irqroute.c - see irqroute.h. */
#include "vmm/irqroute.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#define PIC_MASTER 0
#define PIC_SLAVE  1
#define IOAPIC     2

static unsigned int add_irqchip(struct kvm_irq_routing *t, unsigned int n,
				unsigned int gsi, unsigned int chip, unsigned int pin)
{
	struct kvm_irq_routing_entry *e = &t->entries[n];

	memset(e, 0, sizeof(*e));
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_IRQCHIP;
	e->u.irqchip.irqchip = chip;
	e->u.irqchip.pin = pin;
	return n + 1;
}

/* Rebuild the whole table (KVM replaces it atomically). Caller holds lock. */
static int commit(struct irqroute *r)
{
	struct kvm_irq_routing *t = r->table;
	unsigned int n = 0, gsi, i;

	for (gsi = 0; gsi < IRQROUTE_LEGACY_GSIS; gsi++) {
		if (gsi < 16)
			n = add_irqchip(t, n, gsi, gsi < 8 ? PIC_MASTER : PIC_SLAVE, gsi % 8);
		n = add_irqchip(t, n, gsi, IOAPIC, gsi);
	}
	for (i = 0; i < r->nr_msi; i++) {
		struct kvm_irq_routing_entry *e = &t->entries[n++];

		memset(e, 0, sizeof(*e));
		e->gsi = IRQROUTE_LEGACY_GSIS + i;
		e->type = KVM_IRQ_ROUTING_MSI;
		e->u.msi.address_lo = (uint32_t)r->msi[i].addr;
		e->u.msi.address_hi = (uint32_t)(r->msi[i].addr >> 32);
		e->u.msi.data = r->msi[i].data;
	}
	t->nr = n;
	t->flags = 0;
	return ioctl(r->vm_fd, KVM_SET_GSI_ROUTING, t) < 0 ? -errno : 0;
}

int irqroute_init(struct irqroute *r, int vm_fd, struct kvmini_error *err)
{
	size_t max = 16 + IRQROUTE_LEGACY_GSIS + IRQROUTE_MAX_MSI;
	int e;

	memset(r, 0, sizeof(*r));
	r->vm_fd = vm_fd;
	pthread_mutex_init(&r->lock, NULL);
	r->table = calloc(1, sizeof(*r->table) + max * sizeof(r->table->entries[0]));
	if (!r->table)
		return set_err(err, ENOMEM, "out of memory");
	e = commit(r);
	if (e)
		return set_err_host(err, -e, "KVM_SET_GSI_ROUTING: %s", strerror(-e));
	return 0;
}

void irqroute_destroy(struct irqroute *r)
{
	free(r->table);
	r->table = NULL;
	pthread_mutex_destroy(&r->lock);
}

static int route(void *ctx, int *gsi, uint64_t addr, uint32_t data)
{
	struct irqroute *r = ctx;
	unsigned int i;
	int e;

	pthread_mutex_lock(&r->lock);
	if (*gsi < 0) {
		if (r->nr_msi == IRQROUTE_MAX_MSI) {
			pthread_mutex_unlock(&r->lock);
			return -ENOSPC;
		}
		i = r->nr_msi++;
		*gsi = (int)(IRQROUTE_LEGACY_GSIS + i);
	} else {
		i = (unsigned int)*gsi - IRQROUTE_LEGACY_GSIS;
		if (*gsi < IRQROUTE_LEGACY_GSIS || i >= r->nr_msi) {
			pthread_mutex_unlock(&r->lock);
			return -EINVAL;
		}
		if (r->msi[i].addr == addr && r->msi[i].data == data) {
			pthread_mutex_unlock(&r->lock);
			return 0;  /* unchanged: no ioctl */
		}
	}
	r->msi[i].addr = addr;
	r->msi[i].data = data;
	e = commit(r);
	pthread_mutex_unlock(&r->lock);
	return e;
}

static int irqfd(void *ctx, int gsi, int fd, int assign)
{
	struct irqroute *r = ctx;
	struct kvm_irqfd f = {
		.fd = (uint32_t)fd,
		.gsi = (uint32_t)gsi,
		.flags = assign ? 0 : KVM_IRQFD_FLAG_DEASSIGN,
	};

	return ioctl(r->vm_fd, KVM_IRQFD, &f) < 0 ? -errno : 0;
}

static int ioeventfd(void *ctx, uint64_t addr, unsigned int len, int fd, int assign)
{
	struct irqroute *r = ctx;
	struct kvm_ioeventfd f = {
		.addr = addr,
		.len = len,
		.fd = fd,
		.flags = assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN,
	};

	return ioctl(r->vm_fd, KVM_IOEVENTFD, &f) < 0 ? -errno : 0;
}

struct msi_host irqroute_msi_host(struct irqroute *r)
{
	return (struct msi_host){ .route = route, .irqfd = irqfd,
				  .ioeventfd = ioeventfd, .ctx = r };
}
