/* kvm.c - see kvm.h. */
#include "vmm/kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Capabilities without which kvmini cannot build its machine. */
static const struct { int cap; const char *name; } required_caps[] = {
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
	{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
	{ KVM_CAP_PIT2, "KVM_CAP_PIT2" },
	{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
	{ KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING" },
	{ KVM_CAP_IRQFD, "KVM_CAP_IRQFD" },
	{ KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD" },
	{ KVM_CAP_SIGNAL_MSI, "KVM_CAP_SIGNAL_MSI" },
	{ KVM_CAP_NR_MEMSLOTS, "KVM_CAP_NR_MEMSLOTS" },
};

/*
 * A /dev/kvm without VMX or SVM underneath (for instance kvm-pvm, which
 * runs only specially built guests) cannot boot an unmodified kernel.
 */
static int host_has_hw_virt(void)
{
	char line[4096];
	FILE *f = fopen("/proc/cpuinfo", "re");
	int found = 0;

	if (!f)
		return 1;  /* cannot tell: let KVM decide */
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5))
			continue;
		found = strstr(line, " vmx") || strstr(line, " svm");
		break;
	}
	fclose(f);
	return found;
}

int kvm_open(const char *path, struct kvmini_error *err)
{
	size_t i;
	int fd, v;

	if (!path)
		path = "/dev/kvm";
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		if (e == ENOENT)
			return set_err_host(err, e,
				       "%s does not exist: this machine has no KVM (enable VT-x/AMD-V, load kvm_intel or kvm_amd, or use tests/nested/l1run)",
				       path);
		if (e == EACCES || e == EPERM)
			return set_err_host(err, e,
				       "permission denied opening %s: add your user to the 'kvm' group (sudo usermod -aG kvm $USER) and log in again",
				       path);
		return set_err_host(err, e, "cannot open %s: %s", path, strerror(e));
	}
	if (!getenv("KVMINI_ALLOW_NO_HW_VIRT") && !host_has_hw_virt()) {
		close(fd);
		return set_err(err, ENOTSUP,
			       "%s exists but the CPU has no VMX/SVM: this KVM is not hardware-assisted and cannot boot unmodified guests (use tests/nested/l1run)",
			       path);
	}
	v = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (v != KVM_API_VERSION) {
		close(fd);
		return set_err(err, ENOTSUP, "%s speaks KVM API %d; kvmini needs %d",
			       path, v, KVM_API_VERSION);
	}
	for (i = 0; i < ARRAY_SIZE(required_caps); i++) {
		if (ioctl(fd, KVM_CHECK_EXTENSION, required_caps[i].cap) <= 0) {
			close(fd);
			return set_err(err, ENOTSUP, "KVM lacks %s, which kvmini needs",
				       required_caps[i].name);
		}
	}
	return fd;
}

static int read_param(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

const char *kvm_tdp_status(void)
{
	char b[16];

	if (!read_param("/sys/module/kvm_intel/parameters/ept", b, sizeof(b)))
		return (b[0] == 'Y' || b[0] == '1') ? "EPT on" : "EPT off";
	if (!read_param("/sys/module/kvm_amd/parameters/npt", b, sizeof(b)))
		return (b[0] == 'Y' || b[0] == '1') ? "NPT on" : "NPT off";
	return "unknown";
}

int kvm_stat_open(int fd, const char *name, uint64_t *offset)
{
	struct kvm_stats_header hdr;
	struct kvm_stats_desc *d;
	size_t dsz;
	uint32_t i;
	int sfd;
	char *descs = NULL;

	sfd = ioctl(fd, KVM_GET_STATS_FD, NULL);
	if (sfd < 0)
		return -errno;
	if (pread(sfd, &hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr))
		goto fail;
	dsz = sizeof(*d) + hdr.name_size;
	descs = malloc(dsz * hdr.num_desc);
	if (!descs || pread(sfd, descs, dsz * hdr.num_desc, hdr.desc_offset) !=
			      (ssize_t)(dsz * hdr.num_desc))
		goto fail;
	for (i = 0; i < hdr.num_desc; i++) {
		d = (struct kvm_stats_desc *)(descs + i * dsz);
		if (strncmp(d->name, name, hdr.name_size) == 0) {
			*offset = hdr.data_offset + d->offset;
			free(descs);
			return sfd;
		}
	}
fail:
	free(descs);
	close(sfd);
	return -ENOTSUP;
}

int kvm_stat_read(int stats_fd, uint64_t offset, uint64_t *value)
{
	if (pread(stats_fd, value, sizeof(*value), (off_t)offset) != (ssize_t)sizeof(*value))
		return -EIO;
	return 0;
}
