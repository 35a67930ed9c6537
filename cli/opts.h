/*
 * opts.h - what the kvmini commands share about their options: the message
 * for an option getopt_long() refused.
 */
#ifndef KVMINI_OPTS_H
#define KVMINI_OPTS_H

/*
 * opt_refused - for getopt_long()'s ':' (a value is missing) or '?' (an
 * unknown option) in command cmd ("run", "bench"): one line on stderr naming
 * the option and where the help is. Returns KVMINI_EXIT_USAGE.
 */
int opt_refused(const char *cmd, int c, char *const *argv, int optind_now);

#endif
