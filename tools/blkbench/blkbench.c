/*
 * blkbench - a small block I/O benchmark on io_uring, built static so that
 * the very same binary runs inside a Linux guest (on /dev/vda) and natively
 * (on the disk image file), for an honest VM-vs-native comparison.
 *
 * Usage: blkbench PATH MODE BS QD COUNT [--buffered]
 *   MODE   seqread | seqwrite | randread
 *   BS     block size in bytes (e.g. 4096, 1048576)
 *   QD     requests kept in flight (1..256)
 *   COUNT  requests to complete
 * Opens PATH with O_DIRECT unless --buffered (or unless O_DIRECT is refused,
 * which it reports). Prints one line:
 *   BLKBENCH mode=M bs=B qd=Q ops=N bytes=N ns=N iops=X mbps=Y direct=0|1
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>

enum mode { SEQREAD, SEQWRITE, RANDREAD };

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t dev_size(int fd)
{
	struct stat st;
	uint64_t sz = 0;

	if (fstat(fd, &st) < 0)
		return 0;
	if (S_ISBLK(st.st_mode) && ioctl(fd, BLKGETSIZE64, &sz) == 0)
		return sz;
	return (uint64_t)st.st_size;
}

int main(int argc, char **argv)
{
	struct io_uring ring;
	enum mode mode;
	uint64_t bs, count, size, blocks, issued = 0, done = 0, next = 0, seed = 0x9e3779b97f4a7c15ull;
	unsigned int qd, i;
	int fd, direct = 1, buffered = argc > 6 && !strcmp(argv[6], "--buffered");
	char **bufs;
	uint64_t t0, t1;

	if (argc < 6) {
		fprintf(stderr, "usage: blkbench PATH seqread|seqwrite|randread BS QD COUNT [--buffered]\n");
		return 2;
	}
	mode = !strcmp(argv[2], "seqread") ? SEQREAD : !strcmp(argv[2], "seqwrite") ? SEQWRITE :
	       !strcmp(argv[2], "randread") ? RANDREAD : (enum mode)-1;
	bs = strtoull(argv[3], NULL, 0);
	qd = (unsigned int)strtoul(argv[4], NULL, 0);
	count = strtoull(argv[5], NULL, 0);
	if ((int)mode < 0 || bs < 512 || bs % 512 || qd < 1 || qd > 256 || !count) {
		fprintf(stderr, "blkbench: bad arguments\n");
		return 2;
	}
	fd = buffered ? -1 : open(argv[1], (mode == SEQWRITE ? O_RDWR : O_RDONLY) | O_DIRECT);
	if (fd < 0) {
		direct = 0;
		fd = open(argv[1], mode == SEQWRITE ? O_RDWR : O_RDONLY);
	}
	if (fd < 0) {
		fprintf(stderr, "blkbench: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	size = dev_size(fd);
	blocks = size / bs;
	if (blocks == 0) {
		fprintf(stderr, "blkbench: %s is smaller than one block\n", argv[1]);
		return 1;
	}
	if (io_uring_queue_init(qd, &ring, 0) < 0) {
		fprintf(stderr, "blkbench: io_uring_queue_init failed\n");
		return 1;
	}
	bufs = calloc(qd, sizeof(*bufs));
	for (i = 0; i < qd; i++) {
		if (posix_memalign((void **)&bufs[i], 4096, bs))
			return 1;
		memset(bufs[i], 0x5a ^ (int)i, bs);
	}

	t0 = now_ns();
	while (done < count) {
		while (issued < count && issued - done < qd) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
			unsigned int slot = (unsigned int)(issued % qd);
			uint64_t blk = mode == RANDREAD ? xorshift(&seed) % blocks : next++ % blocks;

			if (!sqe)
				break;
			if (mode == SEQWRITE)
				io_uring_prep_write(sqe, fd, bufs[slot], (unsigned int)bs, blk * bs);
			else
				io_uring_prep_read(sqe, fd, bufs[slot], (unsigned int)bs, blk * bs);
			sqe->user_data = slot;
			issued++;
		}
		io_uring_submit_and_wait(&ring, 1);
		for (;;) {
			struct io_uring_cqe *cqe;

			if (io_uring_peek_cqe(&ring, &cqe) != 0)
				break;
			if (cqe->res != (int)bs) {
				fprintf(stderr, "blkbench: I/O returned %d\n", cqe->res);
				return 1;
			}
			io_uring_cqe_seen(&ring, cqe);
			done++;
		}
	}
	t1 = now_ns();
	if (mode == SEQWRITE)
		fsync(fd);
	printf("BLKBENCH mode=%s bs=%llu qd=%u ops=%llu bytes=%llu ns=%llu iops=%.0f mbps=%.1f direct=%d\n",
	       argv[2], (unsigned long long)bs, qd, (unsigned long long)done,
	       (unsigned long long)(done * bs), (unsigned long long)(t1 - t0),
	       (double)done * 1e9 / (double)(t1 - t0),
	       (double)done * (double)bs * 1e9 / (double)(t1 - t0) / 1e6, direct);
	return 0;
}
