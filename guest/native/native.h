/* native.h - what the native platform's parts tell each other. */
#ifndef GUEST_NATIVE_H
#define GUEST_NATIVE_H

#include "platform.h"

/* native_io_opts - take blk.file and net.tap from the parsed options. */
void native_io_opts(const struct bench_opts *o);

#endif
