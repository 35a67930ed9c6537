/*
 * acpi.c - see acpi.h. Field offsets follow the ACPI 6.x specification;
 * the FADT describes a PC with legacy PIC/PIT and a PM1 block at
 * PM_BASE_PORT, which devices/acpi_pm.c implements.
 */
#include "bios/acpi.h"

#include <errno.h>
#include <string.h>

#include "bios/aml.h"
#include "bios/layout.h"

#define OEM_ID        "KVMINI"
#define OEM_TABLE_ID  "KVMINI  "
#define CREATOR_ID    "KVMI"

struct acpi_gas {
	uint8_t space_id;     /* 1: system I/O */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;  /* 1: byte */
	uint64_t address;
} __attribute__((packed));

struct acpi_fadt {
	struct acpi_sdt_header h;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved0;
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
	uint32_t pm1a_evt_blk, pm1b_evt_blk, pm1a_cnt_blk, pm1b_cnt_blk;
	uint32_t pm2_cnt_blk, pm_tmr_blk, gpe0_blk, gpe1_blk;
	uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;
	uint8_t gpe0_blk_len, gpe1_blk_len, gpe1_base, cst_cnt;
	uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
	uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl, x_dsdt;
	struct acpi_gas x_pm1a_evt_blk, x_pm1b_evt_blk, x_pm1a_cnt_blk;
	struct acpi_gas x_pm1b_cnt_blk, x_pm2_cnt_blk, x_pm_tmr_blk;
	struct acpi_gas x_gpe0_blk, x_gpe1_blk, sleep_control, sleep_status;
	uint64_t hypervisor_id;
} __attribute__((packed));

struct acpi_facs {
	char signature[4];
	uint32_t length;
	uint32_t hw_signature;
	uint32_t waking_vector;
	uint32_t global_lock;
	uint32_t flags;
	uint64_t x_waking_vector;
	uint8_t version;
	uint8_t reserved[31];
} __attribute__((packed));

struct madt_lapic {
	uint8_t type, length, processor_id, apic_id;
	uint32_t flags;
} __attribute__((packed));

struct madt_ioapic {
	uint8_t type, length, id, reserved;
	uint32_t address, gsi_base;
} __attribute__((packed));

struct madt_iso {
	uint8_t type, length, bus, source;
	uint32_t gsi;
	uint16_t flags;
} __attribute__((packed));

_Static_assert(sizeof(struct acpi_sdt_header) == 36, "SDT header");
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP");
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT rev 6");
_Static_assert(sizeof(struct acpi_facs) == 64, "FACS");

#define FADT_F_WBINVD        (1u << 0)
#define FADT_F_PROC_C1       (1u << 2)
#define FADT_F_PWR_BUTTON    (1u << 4)  /* no fixed power button */
#define FADT_F_SLP_BUTTON    (1u << 5)  /* no fixed sleep button */
#define FADT_F_RESET_REG_SUP (1u << 10)
#define BOOT_ARCH_NO_VGA     (1u << 2)
#define MADT_PCAT_COMPAT     1u
#define ISO_LEVEL_HIGH       0x000d     /* active high, level triggered */

/* Small and word resource descriptors for the PCI root bridge's _CRS. */
static void word_range(struct aml *a, uint8_t type, uint8_t tflags, uint16_t min,
		       uint16_t max)
{
	uint16_t len = (uint16_t)(max - min + 1);
	uint8_t d[16] = { 0x88, 13, 0, type, 0x0c /* min, max fixed */, tflags };

	memcpy(&d[8], &min, 2);
	memcpy(&d[10], &max, 2);
	memcpy(&d[14], &len, 2);
	aml_bytes(a, d, sizeof(d));
}

static void dword_memory(struct aml *a, uint32_t min, uint32_t max)
{
	uint32_t len = max - min + 1;
	uint8_t d[26] = { 0x87, 23, 0, 0 /* memory */, 0x0c, 0x01 /* read-write */ };

	memcpy(&d[10], &min, 4);
	memcpy(&d[14], &max, 4);
	memcpy(&d[22], &len, 4);
	aml_bytes(a, d, sizeof(d));
}

static void pci_crs(struct aml *a)
{
	static const uint8_t buffer_op = 0x11;
	static const uint8_t cfg_ports[] = { 0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08 };
	static const uint8_t end_tag[] = { 0x79, 0x00 };
	size_t m, size_at;

	aml_name(a, "_CRS");
	m = aml_open(a, &buffer_op, 1);
	aml_int(a, 0xff);              /* BufferSize, patched below */
	size_at = a->len - 1;
	word_range(a, 2, 0, 0, 0xff);  /* bus numbers 0-255 */
	aml_bytes(a, cfg_ports, sizeof(cfg_ports));
	word_range(a, 1, 3, 0x0000, 0x0cf7);
	word_range(a, 1, 3, 0x0d00, 0xffff);
	dword_memory(a, (uint32_t)PCI_MMIO_BASE, (uint32_t)PCI_MMIO_END - 1);
	aml_bytes(a, end_tag, sizeof(end_tag));
	if (!a->overflow)
		a->buf[size_at] = (uint8_t)(a->len - size_at - 1);
	aml_close(a, m);
}

/* _PRT: static INTx routing, slot s pin p -> pci_intx_gsi(s, p). */
static void pci_prt(struct aml *a)
{
	static const uint8_t package_op = 0x12;
	unsigned int slot, pin;
	uint8_t count = 31 * 4;
	size_t outer, inner;

	aml_name(a, "_PRT");
	outer = aml_open(a, &package_op, 1);
	aml_bytes(a, &count, 1);
	for (slot = 1; slot < 32; slot++) {
		for (pin = 0; pin < 4; pin++) {
			uint8_t four = 4;

			inner = aml_open(a, &package_op, 1);
			aml_bytes(a, &four, 1);
			aml_int(a, (uint64_t)slot << 16 | 0xffff);
			aml_int(a, pin);
			aml_int(a, 0);
			aml_int(a, pci_intx_gsi(slot, pin));
			aml_close(a, inner);
		}
	}
	aml_close(a, outer);
}

/*
 * The DSDT body: \_S5 (so "poweroff" works) and the PCI root bridge
 * \_SB.PCI0 (PNP0A03) with its resources and interrupt routing, through
 * which a stock kernel finds the devices on bus 0.
 */
static int build_dsdt_body(uint8_t *buf, size_t cap)
{
	static const uint8_t package_op = 0x12, scope_op = 0x10;
	static const uint8_t device_op[] = { 0x5b, 0x82 };
	struct aml a;
	size_t m, scope, dev;
	uint8_t four = 4;

	aml_init(&a, buf, cap);
	aml_name(&a, "_S5_");
	m = aml_open(&a, &package_op, 1);
	aml_bytes(&a, &four, 1);
	aml_int(&a, PM_SLP_TYP_S5);
	aml_int(&a, PM_SLP_TYP_S5);
	aml_int(&a, 0);
	aml_int(&a, 0);
	aml_close(&a, m);

	scope = aml_open(&a, &scope_op, 1);
	aml_namestring(&a, "\\_SB_");
	dev = aml_open(&a, device_op, sizeof(device_op));
	aml_namestring(&a, "PCI0");
	aml_name(&a, "_HID");
	aml_int(&a, aml_eisaid("PNP0A03"));
	aml_name(&a, "_UID");
	aml_int(&a, 0);
	aml_name(&a, "_BBN");
	aml_int(&a, 0);
	aml_name(&a, "_SEG");
	aml_int(&a, 0);
	pci_crs(&a);
	pci_prt(&a);
	aml_close(&a, dev);
	aml_close(&a, scope);
	return aml_ok(&a) ? aml_ok(&a) : (int)a.len;
}

uint8_t acpi_sum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (len--)
		s = (uint8_t)(s + *b++);
	return s;
}

uint8_t acpi_checksum(const void *p, size_t len)
{
	return (uint8_t)(0 - acpi_sum(p, len));
}

/* A bump allocator over the output buffer, 16-byte aligned. */
struct acpi_out {
	uint8_t *buf;
	size_t len, used;
	gpa_t base;
};

static void *take(struct acpi_out *o, size_t n, gpa_t *gpa)
{
	size_t at = ALIGN_UP(o->used, 16);
	void *p;

	if (at > o->len || n > o->len - at)
		return NULL;
	p = o->buf + at;
	memset(p, 0, n);
	*gpa = o->base + at;
	o->used = at + n;
	return p;
}

static void header(struct acpi_sdt_header *h, const char *sig, uint32_t len,
		   uint8_t rev)
{
	memcpy(h->signature, sig, 4);
	h->length = len;
	h->revision = rev;
	memcpy(h->oem_id, OEM_ID, 6);
	memcpy(h->oem_table_id, OEM_TABLE_ID, 8);
	h->oem_revision = 1;
	memcpy(h->creator_id, CREATOR_ID, 4);
	h->creator_revision = 1;
}

static void seal(struct acpi_sdt_header *h)
{
	h->checksum = 0;
	h->checksum = acpi_checksum(h, h->length);
}

static void build_fadt(struct acpi_fadt *f, gpa_t facs, gpa_t dsdt)
{
	header(&f->h, "FACP", sizeof(*f), 6);
	f->firmware_ctrl = (uint32_t)facs;
	f->dsdt = (uint32_t)dsdt;
	f->sci_int = ACPI_SCI_IRQ;
	f->smi_cmd = 0;   /* no SMM: the platform is always in ACPI mode */
	f->pm1a_evt_blk = PM1A_EVT_PORT;
	f->pm1a_cnt_blk = PM1A_CNT_PORT;
	f->pm1_evt_len = 4;
	f->pm1_cnt_len = 2;
	f->p_lvl2_lat = 101;  /* > 100: C2 not supported */
	f->p_lvl3_lat = 1001; /* > 1000: C3 not supported */
	f->iapc_boot_arch = BOOT_ARCH_NO_VGA;
	f->flags = FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_PWR_BUTTON |
		   FADT_F_SLP_BUTTON | FADT_F_RESET_REG_SUP;
	f->reset_reg = (struct acpi_gas){ .space_id = 1, .bit_width = 8,
					  .access_size = 1,
					  .address = PM_RESET_PORT };
	f->reset_value = PM_RESET_VALUE;
	f->minor_version = 0;
	f->hypervisor_id = 0;
	seal(&f->h);
}

static int build_madt(struct acpi_out *o, unsigned int ncpus, gpa_t *gpa)
{
	size_t len = sizeof(struct acpi_sdt_header) + 8 +
		     ncpus * sizeof(struct madt_lapic) +
		     sizeof(struct madt_ioapic) + sizeof(struct madt_iso);
	struct acpi_sdt_header *h = take(o, len, gpa);
	struct madt_ioapic *io;
	struct madt_iso *iso;
	uint8_t *p;
	unsigned int i;

	if (!h)
		return -ENOSPC;
	header(h, "APIC", (uint32_t)len, 4);
	p = (uint8_t *)(h + 1);
	{
		uint32_t fields[2] = { (uint32_t)LAPIC_ADDR, MADT_PCAT_COMPAT };

		memcpy(p, fields, sizeof(fields));
	}
	p += 8;
	for (i = 0; i < ncpus; i++, p += sizeof(struct madt_lapic)) {
		struct madt_lapic *l = (struct madt_lapic *)p;

		l->type = 0;
		l->length = sizeof(*l);
		l->processor_id = (uint8_t)i;
		l->apic_id = (uint8_t)i;
		l->flags = 1;  /* enabled */
	}
	io = (struct madt_ioapic *)p;
	io->type = 1;
	io->length = sizeof(*io);
	io->id = (uint8_t)ncpus;
	io->address = (uint32_t)IOAPIC_ADDR;
	io->gsi_base = 0;
	iso = (struct madt_iso *)(io + 1);
	iso->type = 2;
	iso->length = sizeof(*iso);
	iso->bus = 0;
	iso->source = ACPI_SCI_IRQ;
	iso->gsi = ACPI_SCI_IRQ;
	iso->flags = ISO_LEVEL_HIGH;
	seal(h);
	return 0;
}

int acpi_build(uint8_t *buf, size_t len, gpa_t base, unsigned int ncpus,
	       struct kvmini_error *err)
{
	struct acpi_out o = { .buf = buf, .len = len, .base = base };
	gpa_t rsdp_gpa = 0, rsdt_gpa = 0, xsdt_gpa = 0, fadt_gpa = 0;
	gpa_t facs_gpa = 0, dsdt_gpa = 0, madt_gpa = 0;
	struct acpi_sdt_header *rsdt, *xsdt, *dsdt;
	struct acpi_rsdp *rsdp;
	struct acpi_fadt *fadt;
	struct acpi_facs *facs;
	uint32_t *rsdt_e;
	uint64_t *xsdt_e;
	uint8_t aml[4096];
	int aml_len;

	if (ncpus == 0 || ncpus > 254)
		return set_err(err, EINVAL, "ACPI: %u vCPUs is out of range (1-254)", ncpus);
	if (base + len > 4 * GiB)
		return set_err(err, EINVAL, "ACPI tables must lie below 4 GiB");

	aml_len = build_dsdt_body(aml, sizeof(aml));
	if (aml_len < 0)
		goto nospace;
	rsdp = take(&o, sizeof(*rsdp), &rsdp_gpa);
	facs = take(&o, sizeof(*facs), &facs_gpa);
	dsdt = take(&o, sizeof(*dsdt) + (size_t)aml_len, &dsdt_gpa);
	fadt = take(&o, sizeof(*fadt), &fadt_gpa);
	if (!rsdp || !facs || !dsdt || !fadt || build_madt(&o, ncpus, &madt_gpa))
		goto nospace;
	rsdt = take(&o, sizeof(*rsdt) + 2 * sizeof(uint32_t), &rsdt_gpa);
	xsdt = take(&o, sizeof(*xsdt) + 2 * sizeof(uint64_t), &xsdt_gpa);
	if (!rsdt || !xsdt)
		goto nospace;

	memcpy(facs->signature, "FACS", 4);
	facs->length = sizeof(*facs);
	facs->version = 2;

	header(dsdt, "DSDT", (uint32_t)(sizeof(*dsdt) + (size_t)aml_len), 2);
	memcpy(dsdt + 1, aml, (size_t)aml_len);
	seal(dsdt);

	build_fadt(fadt, facs_gpa, dsdt_gpa);

	header(rsdt, "RSDT", sizeof(*rsdt) + 8, 1);
	rsdt_e = (uint32_t *)(rsdt + 1);
	rsdt_e[0] = (uint32_t)fadt_gpa;
	rsdt_e[1] = (uint32_t)madt_gpa;
	seal(rsdt);

	header(xsdt, "XSDT", sizeof(*xsdt) + 16, 1);
	xsdt_e = (uint64_t *)(xsdt + 1);
	memcpy(&xsdt_e[0], &fadt_gpa, 8);
	memcpy(&xsdt_e[1], &madt_gpa, 8);
	seal(xsdt);

	memcpy(rsdp->signature, "RSD PTR ", 8);
	memcpy(rsdp->oem_id, OEM_ID, 6);
	rsdp->revision = 2;
	rsdp->rsdt_addr = (uint32_t)rsdt_gpa;
	rsdp->length = sizeof(*rsdp);
	rsdp->xsdt_addr = xsdt_gpa;
	rsdp->checksum = acpi_checksum(rsdp, 20);
	rsdp->ext_checksum = acpi_checksum(rsdp, sizeof(*rsdp));
	return (int)o.used;

nospace:
	return set_err(err, ENOSPC, "ACPI tables do not fit in %zu bytes", len);
}
