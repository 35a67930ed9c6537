/*
 * fuzz_net_ctrl.c - the virtio-net control queue (devices/virtio_net_ctrl.c
 * on devices/virtio_dev.c): commands laid out in guest RAM by the input
 * (fuzz_ring.h) and answered by virtio_net_ctrl_kick, with a set_pairs
 * callback that checks what it is asked and can be made to fail.
 *
 * Input: a header, then ops.
 *   max:u16     max_pairs (taken as is: 0 and > 0x8000 are refused, then
 *               1 is used)
 *   qsize:u8    queue size 1 << (qsize % 16) (too big for RAM: not started)
 *   flags:u8    bit 0 EVENT_IDX, bit 1 INDIRECT_DESC, bit 2 no set_pairs
 * Ops (opcode mod OP_COUNT), besides the shared ring ops:
 *   CMD cls:u8 cmd:u8 dlen:u8 ctl:u8 data[dlen % 16]
 *               a command as Linux lays it out (header, data, ack: three
 *               descriptors); ctl bit 0 indirect, bit 1 everything
 *               readable in one buffer, bit 2 the header split over two,
 *               bit 3 a 4-byte ack buffer, bit 4 no ack buffer, bit 5 only
 *               one header byte, bit 6 the ack buffer first
 *   PAIRS n:u16 ctl:u8   CMD for VQ_PAIRS_SET of n (ctl as for CMD)
 *   KICK        virtio_net_ctrl_kick
 *   RESET       virtio_net_ctrl_reset; START starts the queue again
 *   REFUSE r:u8 set_pairs fails while r & 1
 * Checked: used rings as in fuzz_ring.h (each used length 1: the ack),
 * every ack the device writes is OK or ERR and OK exactly when set_pairs
 * took an in-range count, pairs stays in 1..max_pairs, a broken queue is
 * reported with its own number.
 */
#include <errno.h>

#include "devices/virtio_net_ctrl.h"
#include "fuzz_ring.h"

#define QBASE 8

enum { OP_CMD = FZ_OP_FIRST_OWN, OP_PAIRS, OP_KICK, OP_RESET, OP_START, OP_REFUSE,
       OP_COUNT };

static struct virtio_net_ctrl ctrl;
static struct fz_q q;
/* What each command chain fz_chain() built asks, by head. */
static struct {
	uint64_t ack;
	uint8_t cls, cmd;
	unsigned int dlen;
	uint16_t pairs;
} rec[FZ_TRACK];
static struct virtq vq;
static int started, refuse, broken, has_cb;
static unsigned int calls, max_pairs;

static int set_pairs(void *ctx, unsigned int pairs)
{
	FZ_CHECK(ctx == &ctrl && pairs >= 1 && pairs <= max_pairs);
	calls++;
	return refuse ? -EIO : 0;
}

static void on_notify(void *ctx, unsigned int qn)
{
	FZ_CHECK(ctx == &ctrl && qn == QBASE && started);
	q.irq_calls++;
}

static void on_broken(void *ctx, unsigned int qn)
{
	FZ_CHECK(ctx == &ctrl && qn == QBASE);
	broken = 1;
}

static void start_queue(int event_idx, int indirect)
{
	fz_q_restart(&q);
	memset(fz_ram + q.desc, 0, FZ_QREGION);
	started = virtq_init(&vq, &fz_mem, q.size, q.desc, q.avail, q.used, event_idx,
			     indirect) == 0;
	if (started)
		virtio_net_ctrl_start(&ctrl, &vq);
	FZ_CHECK(ctrl.pairs == 1);
}

static void do_cmd(struct fz_in *in, uint8_t cls, uint8_t cmd, const uint8_t *data,
		   unsigned int dlen, uint8_t ctl, int indirect)
{
	uint8_t buf[2 + 16];
	struct fz_seg s[FZ_MAX_SEGS];
	unsigned int k = 0, hlen = (ctl & 0x20) ? 1 : 2;
	uint64_t g = fz_alloc(sizeof(buf), 8), ack;
	uint16_t h;

	(void)in;
	buf[0] = cls;
	buf[1] = cmd;
	memcpy(buf + 2, data, dlen);
	fz_put(g, buf, 2 + dlen);
	ack = fz_alloc(4, 4);
	fz_put(ack, "\xee\xee\xee\xee", 4);
	if ((ctl & 0x40) && !(ctl & 0x10))
		s[k++] = (struct fz_seg){ ack, (ctl & 8) ? 4 : 1, 1 };
	if (ctl & 2) {
		s[k++] = (struct fz_seg){ g, hlen == 2 ? 2 + dlen : 1, 0 };
	} else {
		if (ctl & 4)
			fz_split(s, &k, g, hlen, 2, 0);
		else
			s[k++] = (struct fz_seg){ g, hlen, 0 };
		if (dlen && hlen == 2)
			s[k++] = (struct fz_seg){ g + 2, dlen, 0 };
	}
	if (!(ctl & 0x40) && !(ctl & 0x10))
		s[k++] = (struct fz_seg){ ack, (ctl & 8) ? 4 : 1, 1 };
	h = fz_chain(&q, s, k, indirect && (ctl & 1));
	if (fz_q_tracked(&q) && q.known[h]) {
		rec[h].ack = ack;
		rec[h].cls = cls;
		rec[h].cmd = cmd;
		rec[h].dlen = dlen;
		rec[h].pairs = dlen >= 2 ? (uint16_t)(data[0] | data[1] << 8) : 0;
	}
}

/*
 * The acks of what was answered since the last check: OK exactly for an
 * in-range VQ_PAIRS_SET that set_pairs took; pairs follows the last one.
 */
static void check_acks(void)
{
	uint16_t k, nu = (uint16_t)(vq.used_idx - q.used_seen);
	int last = -1, unsure = 0;

	for (k = 0; k < nu && fz_q_tracked(&q) && !fz_dirty; k++) {
		const struct virtq_used_elem *e =
			&vq.used_host->ring[(uint16_t)(q.used_seen + k) & (vq.size - 1u)];
		uint32_t id = le32toh(e->id);
		int ok;

		FZ_CHECK(le32toh(e->len) == 1);   /* every answer is one ack byte */
		if (id >= vq.size || !q.known[id]) {
			unsure = 1;   /* a command the books do not know may set pairs */
			continue;
		}
		ok = rec[id].cls == VIRTIO_NET_CTRL_MQ &&
		     rec[id].cmd == VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET && rec[id].dlen >= 2 &&
		     rec[id].pairs >= 1 && rec[id].pairs <= max_pairs && !(refuse && has_cb);
		FZ_CHECK(fz_ram[rec[id].ack] == (ok ? VIRTIO_NET_OK : VIRTIO_NET_ERR));
		if (ok) {
			last = rec[id].pairs;
			unsure = 0;
		}
	}
	if (last >= 0 && !fz_dirty && !unsure)
		FZ_CHECK(ctrl.pairs == (unsigned int)last);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size, 0 };
	uint16_t max, qsize;
	uint8_t flags, d[16];
	uint64_t cmds;
	unsigned int pairs_before, calls_before;
	int event_idx, indirect, r;

	fz_ram_reset();
	max = fz_u16(&in);
	qsize = (uint16_t)(1u << (fz_u8(&in) % 16));
	flags = fz_u8(&in);
	event_idx = flags & 1;
	indirect = !!(flags & 2);
	r = virtio_net_ctrl_init(&ctrl, max, (flags & 4) ? NULL : set_pairs, &ctrl);
	if (r) {
		FZ_CHECK(r == -EINVAL && (max < 1 || max > VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MAX));
		max = 1;
		if (virtio_net_ctrl_init(&ctrl, max, (flags & 4) ? NULL : set_pairs, &ctrl))
			abort();
	}
	max_pairs = max;
	has_cb = !(flags & 4);
	refuse = 0;
	broken = 0;
	calls = 0;
	virtio_net_ctrl_set_irq(&ctrl, (struct virtio_irq){ .notify = on_notify,
		.broken = on_broken, .ctx = &ctrl, .qbase = QBASE });
	fz_q_layout(&q, 0, qsize);
	start_queue(event_idx, indirect);
	while (fz_more(&in)) {
		unsigned int op = fz_u8(&in) % OP_COUNT, dlen, i;
		uint8_t cls, cmd, ctl;
		uint16_t n;

		if (fz_ring_op(&in, op, &q, 1))
			continue;
		switch (op) {
		case OP_CMD:
			cls = fz_u8(&in);
			cmd = fz_u8(&in);
			dlen = fz_u8(&in) % 16;
			ctl = fz_u8(&in);
			for (i = 0; i < dlen; i++)
				d[i] = fz_u8(&in);
			do_cmd(&in, cls, cmd, d, dlen, ctl, indirect);
			break;
		case OP_PAIRS:
			n = htole16(fz_u16(&in));
			ctl = fz_u8(&in);
			do_cmd(&in, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET,
			       (const uint8_t *)&n, 2, ctl, indirect);
			break;
		case OP_KICK:
			cmds = ctrl.commands;
			pairs_before = ctrl.pairs;
			calls_before = calls;
			if (started)
				fz_irq_before(&q, &vq);
			r = virtio_net_ctrl_kick(&ctrl);
			if (started)
				fz_irq_after(&q, &vq);
			FZ_CHECK(started ? r >= 0 || (r == -EIO && broken) : r == -EINVAL);
			FZ_CHECK(r < 0 || (uint64_t)r == ctrl.commands - cmds);
			FZ_CHECK(ctrl.pairs >= 1 && ctrl.pairs <= max_pairs);
			/* pairs only changes through a successful set_pairs. */
			if (calls == calls_before && (flags & 4) == 0)
				FZ_CHECK(ctrl.pairs == pairs_before);
			break;
		case OP_RESET:
			virtio_net_ctrl_reset(&ctrl);
			FZ_CHECK(ctrl.pairs == 1);
			started = 0;
			broken = 0;
			break;
		case OP_START:
			if (!started)
				start_queue(event_idx, indirect);
			break;
		case OP_REFUSE:
			refuse = fz_u8(&in) & 1;
			break;
		}
		if (started) {
			check_acks();
			fz_check_used(&q, &vq);
		}
	}
	virtio_net_ctrl_reset(&ctrl);
	virtio_net_ctrl_destroy(&ctrl);
	return 0;
}
