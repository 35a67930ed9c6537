/*
 * test_virtio_pci.c - the transport's MSI-X vectors against a recording
 * interrupt host: an eventfd is attached to a GSI only while its vector is
 * unmasked and MSI-X is on; a half-written entry is never routed; a signal
 * raised while masked (by the device model, or by vhost-net writing the
 * eventfd itself) is held and delivered on unmask; the PBA shows it, up to
 * the last vector of a transport with the most queues.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "fake_power.h"
#include "base/guestmem.h"
#include "devices/pci.h"
#include "devices/virtio_pci.h"
#include "fake_driver.c"

#define RAM_SIZE (1ULL << 20)
#define MSIX_CAP_ID 0x11
#define CTRL_ENABLE 0x8000
#define CTRL_MASKALL 0x4000

struct rec {
	int routes, attaches, detaches;
	int attached_gsi[8];          /* 1 while gsi i has an eventfd */
	uint64_t addr[8];
	uint32_t data[8];
	int next_gsi;
};

static int rec_route(void *ctx, int *gsi, uint64_t addr, uint32_t data)
{
	struct rec *r = ctx;

	if (*gsi < 0)
		*gsi = r->next_gsi++;
	cr_assert_lt(*gsi, 8);
	r->routes++;
	r->addr[*gsi] = addr;
	r->data[*gsi] = data;
	return 0;
}

static int rec_irqfd(void *ctx, int gsi, int fd, int assign)
{
	struct rec *r = ctx;

	cr_assert_geq(fd, 0);
	cr_assert(gsi >= 0 && gsi < 8);
	cr_assert_neq(r->attached_gsi[gsi], assign, "irqfd %s twice for gsi %d",
		      assign ? "attached" : "detached", gsi);
	r->attached_gsi[gsi] = assign;
	if (assign)
		r->attaches++;
	else
		r->detaches++;
	return 0;
}

static uint64_t dev_features(void *dev) { (void)dev; return 0; }
static void dev_config_read(void *dev, uint64_t off, void *data, unsigned int len)
{
	(void)dev; (void)off;
	memset(data, 0, len);
}
static int dev_queue_start(void *dev, unsigned int q, struct virtq *vq, uint64_t f)
{
	(void)dev; (void)q; (void)vq; (void)f;
	return 0;
}
static int dev_kick(void *dev, unsigned int q) { (void)dev; (void)q; return 0; }
static void dev_reset(void *dev) { (void)dev; }

static const struct virtio_device_ops ops = {
	.device_id = 2, .class_code = 0x018000, .features = dev_features,
	.config_read = dev_config_read, .queue_start = dev_queue_start,
	.kick = dev_kick, .reset = dev_reset,
};

static uint8_t *ram;
static struct guest_mem mem;
static struct pci_bus bus;
static struct fake_power power;
static struct virtio_pci vp;
static struct rec rec;
static int slot;
static unsigned int cap, table;

static void setup(void)
{
	struct msi_host msi = { .route = rec_route, .irqfd = rec_irqfd, .ctx = &rec };
	unsigned int p;

	memset(&rec, 0, sizeof(rec));
	ram = calloc(1, RAM_SIZE);
	cr_assert_not_null(ram);
	gmem_init_buffer(&mem, ram, RAM_SIZE);
	cr_assert_eq(pci_bus_init(&bus, fake_power_sink(&power), 0xc0000000ULL,
				  0xfec00000ULL), 0);
	cr_assert_eq(virtio_pci_init(&vp, &ops, NULL, &mem, msi, (struct irq_line){ 0 }, 2,
				     16), 0);
	slot = pci_bus_add(&bus, &vp.pci);
	cr_assert_geq(slot, 0);
	for (p = vp.pci.cfg[0x34]; p; p = vp.pci.cfg[p + 1])
		if (vp.pci.cfg[p] == MSIX_CAP_ID)
			cap = p;
	cr_assert_neq(cap, 0u, "no MSI-X capability");
	table = pci_config_read(&bus, (unsigned int)slot, 0, cap + 4, 4) & ~7u;
}

static void teardown(void)
{
	virtio_pci_destroy(&vp);
	pci_bus_destroy(&bus);
	free(ram);
}

TestSuite(virtio_pci_msix, .init = setup, .fini = teardown);

static void msix_ctrl(uint16_t v)
{
	pci_config_write(&bus, (unsigned int)slot, 0, cap + 2, 2, v);
}

static void entry_write(unsigned int v, unsigned int field, uint32_t val)
{
	vp.pci.ops->bar_write(vp.pci.opaque, 0, table + 16 * v + field, &val, 4);
}

static uint64_t pba(void)
{
	uint64_t val = 0;
	unsigned int pba_off = pci_config_read(&bus, (unsigned int)slot, 0, cap + 8, 4) & ~7u;

	vp.pci.ops->bar_read(vp.pci.opaque, 0, pba_off, &val, 8);
	return val;
}

/* Program vector v as Linux does: entry masked, address, data, unmask. */
static void program(unsigned int v, uint32_t addr, uint32_t data)
{
	entry_write(v, 12, 1);
	entry_write(v, 0, addr);
	entry_write(v, 4, 0);
	entry_write(v, 8, data);
	entry_write(v, 12, 0);
}

static int gsi_of(unsigned int v)
{
	return vp.vec_gsi[v];
}

Test(virtio_pci_msix, nothing_is_attached_before_the_driver_unmasks)
{
	msix_ctrl(CTRL_ENABLE | CTRL_MASKALL);
	entry_write(0, 0, 0xfee00000);
	entry_write(0, 8, 0x41);
	cr_assert_eq(rec.attaches, 0);
	cr_assert_eq(rec.routes, 0, "a masked entry was routed");
	entry_write(0, 12, 0);             /* entry unmasked, function still masked */
	cr_assert_eq(rec.attaches, 0);
	msix_ctrl(CTRL_ENABLE);
	cr_assert_eq(rec.attaches, 1);
	cr_assert_eq(rec.addr[gsi_of(0)], 0xfee00000ULL);
	cr_assert_eq(rec.data[gsi_of(0)], 0x41u);
}

Test(virtio_pci_msix, a_half_written_entry_is_never_routed)
{
	msix_ctrl(CTRL_ENABLE);
	program(1, 0xfee00000, 0x41);
	cr_assert_eq(rec.attached_gsi[gsi_of(1)], 1);
	/* Move the vector to another CPU: address first, then data. */
	entry_write(1, 12, 1);
	cr_assert_eq(rec.attached_gsi[gsi_of(1)], 0, "masked but still attached");
	entry_write(1, 0, 0xfee01000);
	cr_assert_eq(rec.addr[gsi_of(1)], 0xfee00000ULL, "route changed while masked");
	entry_write(1, 8, 0x52);
	cr_assert_eq(rec.data[gsi_of(1)], 0x41u);
	entry_write(1, 12, 0);
	cr_assert_eq(rec.attached_gsi[gsi_of(1)], 1);
	cr_assert_eq(rec.addr[gsi_of(1)], 0xfee01000ULL);
	cr_assert_eq(rec.data[gsi_of(1)], 0x52u);
}

Test(virtio_pci_msix, a_signal_while_masked_waits_in_the_eventfd)
{
	uint64_t one = 1, got = 0;
	int fd;

	msix_ctrl(CTRL_ENABLE);
	program(0, 0xfee00000, 0x41);
	vp.q[0].msix_vector = 0;
	fd = virtio_pci_queue_irqfd(&vp, 0);
	cr_assert_eq(fd, vp.vec_fd[0], "vhost gets the vector's eventfd");
	entry_write(0, 12, 1);
	/* The device model's own signal: held in the PBA, eventfd untouched. */
	virtio_pci_notify(&vp, 0);
	cr_assert_eq(pba() & 1, 1u);
	cr_assert_eq(read(fd, &got, sizeof(got)), -1, "signalled while masked");
	/* vhost-net's signal: written into the detached eventfd, kept there. */
	cr_assert_eq(write(fd, &one, sizeof(one)), (ssize_t)sizeof(one));
	cr_assert_eq(rec.attached_gsi[gsi_of(0)], 0);
	entry_write(0, 12, 0);
	cr_assert_eq(rec.attached_gsi[gsi_of(0)], 1, "not attached again on unmask");
	cr_assert_eq(pba() & 1, 0u, "PBA bit not cleared on delivery");
	/* Both signals are now in the attached eventfd, for KVM to inject. */
	cr_assert_eq(read(fd, &got, sizeof(got)), (ssize_t)sizeof(got));
	cr_assert_eq(got, 2u);
}

Test(virtio_pci_msix, disabling_msix_detaches_every_vector)
{
	msix_ctrl(CTRL_ENABLE);
	program(0, 0xfee00000, 0x41);
	program(2, 0xfee00000, 0x43);
	cr_assert_eq(rec.attaches, 2);
	msix_ctrl(0);
	cr_assert_eq(rec.detaches, 2);
	cr_assert_eq(virtio_pci_queue_irqfd(&vp, 0), -1);
	msix_ctrl(CTRL_ENABLE);
	cr_assert_eq(rec.attaches, 4);
}

Test(virtio_pci_msix, out_of_range_and_odd_writes_are_ignored)
{
	uint32_t v = 0xdeadbeef;

	msix_ctrl(CTRL_ENABLE);
	vp.pci.ops->bar_write(vp.pci.opaque, 0, table + 16 * vp.nvec, &v, 4);
	vp.pci.ops->bar_write(vp.pci.opaque, 0, table + 2, &v, 4);
	vp.pci.ops->bar_write(vp.pci.opaque, 0, table, &v, 2);
	cr_assert_eq(rec.routes, 0);
	cr_assert_eq(vp.table[0].addr_lo, 0u);
}

Test(virtio_pci_msix, the_last_vector_of_the_largest_transport)
{
	static struct virtio_pci big;
	struct msi_host msi = { .route = rec_route, .irqfd = rec_irqfd, .ctx = &rec };
	unsigned int last = VIRTIO_PCI_MAX_VECTORS - 1, bcap = 0, p, btable, bpba;
	uint64_t words[VIRTIO_PCI_PBA_WORDS + 1] = { 0 };
	struct fd_pci drv;
	int bslot;

	cr_assert_eq(virtio_pci_init(&big, &ops, NULL, &mem, msi, (struct irq_line){ 0 },
				     VIRTIO_PCI_MAX_QUEUES, 16), 0);
	cr_assert_eq(big.nvec, VIRTIO_PCI_MAX_VECTORS, "a vector per queue and one more");
	bslot = pci_bus_add(&bus, &big.pci);
	cr_assert_geq(bslot, 0);
	for (p = big.pci.cfg[0x34]; p; p = big.pci.cfg[p + 1])
		if (big.pci.cfg[p] == MSIX_CAP_ID)
			bcap = p;
	cr_assert_eq((pci_config_read(&bus, (unsigned int)bslot, 0, bcap + 2, 2) & 0x7ff) + 1,
		     VIRTIO_PCI_MAX_VECTORS, "the table size the driver sees");
	btable = pci_config_read(&bus, (unsigned int)bslot, 0, bcap + 4, 4) & ~7u;
	bpba = pci_config_read(&bus, (unsigned int)bslot, 0, bcap + 8, 4) & ~7u;
	pci_config_write(&bus, (unsigned int)bslot, 0, bcap + 2, 2, CTRL_ENABLE);

	/* The driver puts the last queue on the last vector; one more is refused. */
	fd_pci_attach(&drv, &big);
	fd_pci_write(&drv, drv.common + 0x16, VIRTIO_PCI_MAX_QUEUES - 1, 2);
	fd_pci_write(&drv, drv.common + 0x1a, last + 1, 2);
	cr_assert_eq(fd_pci_read(&drv, drv.common + 0x1a, 2), VIRTIO_PCI_NO_VECTOR);
	fd_pci_write(&drv, drv.common + 0x1a, last, 2);
	cr_assert_eq(fd_pci_read(&drv, drv.common + 0x1a, 2), last);

	/* Masked, it is held in the PBA's second word, bit 0. */
	fd_pci_write(&drv, btable + 16 * last + 0, 0xfee00000, 4);
	fd_pci_write(&drv, btable + 16 * last + 8, 0x4f, 4);
	virtio_pci_lock(&big);
	virtio_pci_notify(&big, VIRTIO_PCI_MAX_QUEUES - 1);
	virtio_pci_unlock(&big);
	big.pci.ops->bar_read(big.pci.opaque, 0, bpba, words, sizeof(words));
	cr_assert_eq(words[0], 0, "not read: past the PBA");
	big.pci.ops->bar_read(big.pci.opaque, 0, bpba, words, 8 * VIRTIO_PCI_PBA_WORDS);
	cr_assert_eq(words[0], 0);
	cr_assert_eq(words[last / 64], 1ULL << (last % 64), "the last vector is pending");
	cr_assert_eq(fd_pci_read(&drv, bpba + 8 * (last / 64), 8), 1ULL << (last % 64));

	/* Unmasked, it is delivered and the bit clears. */
	fd_pci_write(&drv, btable + 16 * last + 12, 0, 4);
	cr_assert_eq(rec.attached_gsi[big.vec_gsi[last]], 1);
	cr_assert_eq(rec.data[big.vec_gsi[last]], 0x4fu);
	cr_assert_eq(fd_pci_read(&drv, bpba + 8 * (last / 64), 8), 0);
	cr_assert_eq(big.interrupts, 1);
	/* An entry past the last is not there. */
	fd_pci_write(&drv, btable + 16 * (last + 1), 0xfee00000, 4);
	cr_assert_eq(fd_pci_read(&drv, btable + 16 * (last + 1), 4), 0);
	virtio_pci_destroy(&big);
}
