/*
 * stress.h - reader threads for concurrency tests: each calls a round
 * function over and over until stopped; the test's own thread changes
 * things meanwhile, for as long as it takes the readers to have run a
 * given number of rounds (a count, never a time). Meant to run under ASan.
 */
#ifndef KVMINI_TEST_STRESS_H
#define KVMINI_TEST_STRESS_H

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#define STRESS_MAX_READERS 8

/* One round of a reader: n counts its rounds; 0 if all was as expected. */
typedef int (*stress_round_fn)(unsigned long n);

struct stress {
	pthread_t t[STRESS_MAX_READERS];
	unsigned int readers;
	stress_round_fn round;
	atomic_int done, rounds;
};

static inline void *stress_reader(void *arg)
{
	struct stress *s = arg;
	unsigned long n;
	int r;

	for (n = 0; !atomic_load(&s->done); n++) {
		if ((r = s->round(n)))
			return (void *)(intptr_t)r;
		atomic_fetch_add(&s->rounds, 1);
	}
	return NULL;
}

/* stress_start - start readers threads running round. */
static inline void stress_start(struct stress *s, unsigned int readers, stress_round_fn round)
{
	unsigned int i;

	cr_assert_leq(readers, STRESS_MAX_READERS);
	s->readers = readers;
	s->round = round;
	atomic_store(&s->done, 0);
	atomic_store(&s->rounds, 0);
	for (i = 0; i < readers; i++)
		cr_assert_eq(pthread_create(&s->t[i], NULL, stress_reader, s), 0);
}

/* stress_short - the readers have not run min_rounds rounds (all together) yet. */
static inline int stress_short(struct stress *s, int min_rounds)
{
	return atomic_load(&s->rounds) < min_rounds;
}

/* stress_stop - stop and join the readers; fail if one saw a wrong answer. */
static inline void stress_stop(struct stress *s)
{
	unsigned int i;

	atomic_store(&s->done, 1);
	for (i = 0; i < s->readers; i++) {
		void *r;

		cr_assert_eq(pthread_join(s->t[i], &r), 0);
		cr_assert_null(r, "reader %u saw a wrong answer (check %d)", i, (int)(intptr_t)r);
	}
}

#endif
