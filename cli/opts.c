/* opts.c - see opts.h. */
#include "opts.h"

#include <stdio.h>

#include "kvmini.h"

int opt_refused(const char *cmd, int c, char *const *argv, int optind_now)
{
	const char *opt = optind_now > 0 ? argv[optind_now - 1] : "?";

	if (c == ':')
		fprintf(stderr, "kvmini: option '%s' needs a value (see kvmini %s --help)\n", opt,
			cmd);
	else
		fprintf(stderr, "kvmini: unknown option '%s' (see kvmini %s --help)\n", opt, cmd);
	return KVMINI_EXIT_USAGE;
}
