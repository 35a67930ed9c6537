/*
 * platform_io_native.c - block and packet I/O of platform.h on Linux.
 *
 * Block: the file named by blk.file, through io_uring; O_DIRECT when the
 * file system allows it, buffered otherwise (info->how says which). A batch
 * of requests is one io_uring_submit, then every completion is waited for.
 * Packets: the existing tap device named by net.tap, attached with
 * IFF_TAP|IFF_NO_PI, so this process plays the NIC; a fixed locally
 * administered MAC. Errors are printed once, where they are found, with
 * what to do, and returned as PLAT_E* codes.
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/fs.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "native.h"
#include "platform.h"

/* The MAC this process sends from: locally administered, "kv" in it. */
static const uint8_t native_mac[6] = { 0x52, 0x54, 0x00, 0x6b, 0x76, 0x02 };

struct native_blk {
	char path[256];          /* "" when blk.file was not given */
	int fd;                  /* -1 until plat_blk_open succeeds */
	int direct;              /* opened with O_DIRECT */
	int read_only;
	uint64_t sectors;
	struct io_uring ring;
};

struct native_net {
	char tap[IFNAMSIZ];      /* "" when net.tap was not given */
	int fd;                  /* -1 until plat_net_open succeeds */
};

static struct native_io {
	struct native_blk blk;
	struct native_net net;
} io = { .blk.fd = -1, .net.fd = -1 };

void native_io_opts(const struct bench_opts *o)
{
	snprintf(io.blk.path, sizeof(io.blk.path), "%s", o->blk_file);
	snprintf(io.net.tap, sizeof(io.net.tap), "%s", o->net_tap);
}

/* ---- block ---- */

/* Open path read-write (else read-only), O_DIRECT if allowed. */
static int blk_open_file(struct native_blk *b)
{
	static const int modes[] = { O_RDWR, O_RDONLY };
	unsigned int i;
	int fd = -1;

	for (i = 0; i < 2 && fd < 0; i++) {
		fd = open(b->path, modes[i] | O_DIRECT | O_CLOEXEC);
		b->direct = fd >= 0;
		if (fd < 0 && errno == EINVAL)   /* no O_DIRECT here (tmpfs, ...) */
			fd = open(b->path, modes[i] | O_CLOEXEC);
		b->read_only = i == 1;
		if (fd < 0 && errno != EACCES && errno != EROFS && errno != EPERM)
			break;
	}
	return fd < 0 ? -errno : fd;
}

int plat_blk_open(struct plat_blk_info *info)
{
	struct native_blk *b = &io.blk;
	struct stat st;
	uint64_t size = 0;
	int fd, r;

	if (!b->path[0])
		return -PLAT_ENODEV;
	if (b->fd < 0) {
		fd = blk_open_file(b);
		if (fd < 0) {
			con_printf("blk: cannot open blk.file=%s: %s\n", b->path, strerror(-fd));
			return -PLAT_EIO;
		}
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
			size = (uint64_t)st.st_size;
		} else if (fstat(fd, &st) == 0 && S_ISBLK(st.st_mode)) {
			if (ioctl(fd, BLKGETSIZE64, &size))
				size = 0;
		} else {
			con_printf("blk: blk.file=%s is neither a regular file nor a block device\n",
				   b->path);
			close(fd);
			return -PLAT_EIO;
		}
		if (size < PLAT_BLK_SECTOR) {
			con_printf("blk: blk.file=%s is smaller than one sector: make it larger "
				   "(e.g. truncate -s 64M %s)\n", b->path, b->path);
			close(fd);
			return -PLAT_EIO;
		}
		r = io_uring_queue_init(PLAT_BLK_MAX_BATCH, &b->ring, 0);
		if (r < 0) {
			con_printf("blk: io_uring_queue_init: %s\n", strerror(-r));
			close(fd);
			return -PLAT_EIO;
		}
		b->fd = fd;
		b->sectors = size / PLAT_BLK_SECTOR;
	}
	info->sectors = b->sectors;
	info->read_only = b->read_only;
	info->how = b->direct ? "io_uring-odirect" : "io_uring-buffered";
	return 0;
}

static int blk_req_ok(const struct native_blk *b, const struct plat_blk_req *q)
{
	uint64_t end;

	if (!q->buf || q->len == 0 || q->len % PLAT_BLK_SECTOR || q->len > PLAT_BLK_MAX_LEN)
		return 0;
	if (b->direct && ((uintptr_t)q->buf % PLAT_BLK_SECTOR))
		return 0;
	if (q->write && b->read_only)
		return 0;
	end = q->sector + q->len / PLAT_BLK_SECTOR;
	return end > q->sector && end <= b->sectors;
}

/* Reap n completions; each sets the status of the request it names. */
static int blk_reap(struct native_blk *b, struct plat_blk_req *reqs, unsigned int n)
{
	int bad = 0;

	while (n) {
		struct io_uring_cqe *cqe;
		uint64_t i;
		int r = io_uring_wait_cqe(&b->ring, &cqe);

		if (r == -EINTR)
			continue;
		if (r < 0)
			return -PLAT_EIO;
		i = io_uring_cqe_get_data64(cqe);
		if (reqs && i < PLAT_BLK_MAX_BATCH) {
			reqs[i].status = cqe->res == (int)reqs[i].len ? 0 : -PLAT_EIO;
			bad |= reqs[i].status != 0;
		} else if (!reqs) {
			bad |= cqe->res < 0;
		}
		io_uring_cqe_seen(&b->ring, cqe);
		n--;
	}
	return bad ? -PLAT_EIO : 0;
}

int plat_blk_io(struct plat_blk_req *reqs, unsigned int n)
{
	struct native_blk *b = &io.blk;
	unsigned int i;
	int r;

	if (b->fd < 0)
		return -PLAT_ENODEV;
	if (n == 0 || n > PLAT_BLK_MAX_BATCH)
		return -PLAT_EINVAL;
	for (i = 0; i < n; i++)
		if (!blk_req_ok(b, &reqs[i]))
			return -PLAT_EINVAL;
	for (i = 0; i < n; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&b->ring);
		off_t off = (off_t)(reqs[i].sector * PLAT_BLK_SECTOR);

		if (!sqe)   /* cannot happen: the ring holds a whole batch */
			return -PLAT_EIO;
		if (reqs[i].write)
			io_uring_prep_write(sqe, b->fd, reqs[i].buf, reqs[i].len, off);
		else
			io_uring_prep_read(sqe, b->fd, reqs[i].buf, reqs[i].len, off);
		io_uring_sqe_set_data64(sqe, i);
		reqs[i].status = -PLAT_EIO;
	}
	r = io_uring_submit(&b->ring);
	if (r != (int)n) {
		con_printf("blk: io_uring_submit: %s\n", r < 0 ? strerror(-r) : "short submit");
		if (r > 0)
			blk_reap(b, reqs, (unsigned int)r);
		return -PLAT_EIO;
	}
	return blk_reap(b, reqs, n);
}

int plat_blk_flush(void)
{
	struct native_blk *b = &io.blk;
	struct io_uring_sqe *sqe;

	if (b->fd < 0)
		return -PLAT_ENODEV;
	sqe = io_uring_get_sqe(&b->ring);
	if (!sqe)
		return -PLAT_EIO;
	io_uring_prep_fsync(sqe, b->fd, IORING_FSYNC_DATASYNC);
	io_uring_sqe_set_data64(sqe, PLAT_BLK_MAX_BATCH);
	if (io_uring_submit(&b->ring) != 1)
		return -PLAT_EIO;
	return blk_reap(b, NULL, 1);
}

/* ---- packets ---- */

/* Is the interface up? -1 when it cannot be asked. */
static int if_up(const char *name)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = -1;

	if (s < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0)
		r = !!(ifr.ifr_flags & IFF_UP);
	close(s);
	return r;
}

int plat_net_open(struct plat_net_info *info)
{
	struct native_net *n = &io.net;
	struct ifreq ifr;
	int fd;

	if (!n->tap[0])
		return -PLAT_ENODEV;
	if (n->fd < 0) {
		if (!if_nametoindex(n->tap)) {
			con_printf("net: no network interface net.tap=%s: create the tap first "
				   "(ip tuntap add %s mode tap; ip addr add 10.79.0.1/24 dev %s; "
				   "ip link set %s up)\n", n->tap, n->tap, n->tap, n->tap);
			return -PLAT_EIO;
		}
		fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0) {
			con_printf("net: cannot open /dev/net/tun: %s\n", strerror(errno));
			return -PLAT_EIO;
		}
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", n->tap);
		ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
		if (ioctl(fd, TUNSETIFF, &ifr)) {
			con_printf("net: cannot attach to tap %s: %s (is it a tap, not a tun "
				   "or another kind of interface, and free?)\n", n->tap,
				   strerror(errno));
			close(fd);
			return -PLAT_EIO;
		}
		if (if_up(n->tap) == 0) {
			con_printf("net: tap %s is down: ip link set %s up\n", n->tap, n->tap);
			close(fd);
			return -PLAT_EIO;
		}
		n->fd = fd;
	}
	memcpy(info->mac, native_mac, sizeof(native_mac));
	info->how = "tap-fd";
	return 0;
}

int plat_net_send(const void *frame, size_t len)
{
	struct native_net *n = &io.net;
	ssize_t w;

	if (n->fd < 0)
		return -PLAT_ENODEV;
	if (len == 0 || len > PLAT_NET_MTU_FRAME)
		return -PLAT_EINVAL;
	for (;;) {
		struct pollfd p = { .fd = n->fd, .events = POLLOUT };

		w = write(n->fd, frame, len);
		if (w == (ssize_t)len)
			return 0;
		if (w >= 0 || (errno != EAGAIN && errno != EINTR))
			return -PLAT_EIO;
		if (errno == EAGAIN && poll(&p, 1, 1000) < 0 && errno != EINTR)
			return -PLAT_EIO;
	}
}

int plat_net_recv(void *frame, size_t size, uint64_t timeout_ns)
{
	struct native_net *n = &io.net;
	uint64_t deadline = plat_time_ns() + timeout_ns;

	if (n->fd < 0)
		return -PLAT_ENODEV;
	for (;;) {
		struct pollfd p = { .fd = n->fd, .events = POLLIN };
		struct timespec ts;
		uint64_t now, left;
		ssize_t got = read(n->fd, frame, size);

		if (got >= 0)
			return (int)got;
		if (errno != EAGAIN && errno != EINTR)
			return -PLAT_EIO;
		now = plat_time_ns();
		if (now >= deadline)
			return 0;
		left = deadline - now;
		ts.tv_sec = (time_t)(left / 1000000000ull);
		ts.tv_nsec = (long)(left % 1000000000ull);
		if (ppoll(&p, 1, &ts, NULL) < 0 && errno != EINTR)
			return -PLAT_EIO;
	}
}
