/*
 * irq.h - how a device raises an interrupt without knowing about KVM: the
 * machine hands it a line, the device sets its level.
 */
#ifndef KVMINI_IRQ_H
#define KVMINI_IRQ_H

struct irq_line {
	/* Set the level (0 or 1) of interrupt irq; may be called from any thread. */
	void (*set)(void *ctx, unsigned int irq, int level);
	void *ctx;
	unsigned int irq;
};

/* irq_line_set - drive the line to level; a line with no callback is ignored. */
static inline void irq_line_set(const struct irq_line *l, int level)
{
	if (l && l->set)
		l->set(l->ctx, l->irq, level);
}

#endif
