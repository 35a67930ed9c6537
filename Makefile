# kvmini - one Makefile, out-of-tree builds.
#
#   make              build $(O)/kvmini (O defaults to build)
#   make run          install what is missing, build, boot a test guest
#   make test         the whole suite: unit tests under ASan/UBSan, then
#                     integration tests on /dev/kvm (or in the nested runner)
#   make unit         unit tests only
#   make bench-boot   boot benchmark: kvmini vs QEMU microvm vs QEMU pc
#   make bench-blk    block benchmark: kvmini vs QEMU virtio-blk vs native
#   make bench-net    network benchmark: iperf3 and ping, kvmini vhost on/off
#                     vs QEMU vhost=on vs native veth
#   make bench        kvmini bench: guest/ workloads natively and in a VM,
#                     interleaved; table, CSV, JSON, chart in $(O)/bench
#   make V=1 ...      show the commands
#   make SANITIZE=1   build with AddressSanitizer and UBSan (into $(O)/san)

O ?= build
SANITIZE ?= 0
ifeq ($(SANITIZE),1)
B := $(O)/san
else
B := $(O)
endif

CC ?= cc
ifeq ($(V),1)
Q :=
else
Q := @
endif

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wformat=2 -Wundef -Wvla -Wcast-align -Wwrite-strings \
	-Wimplicit-fallthrough
CFLAGS ?= -O2 -g
# Includes name their layer ("base/util.h", "devices/pci.h"); cli/ sees
# include/ alone, so the command is built on the public API only.
HOST_BASE_CFLAGS := -std=gnu11 $(WARN) $(CFLAGS) -D_GNU_SOURCE -MMD -MP
ifeq ($(SANITIZE),1)
HOST_BASE_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif
HOST_CFLAGS := $(HOST_BASE_CFLAGS) -Iinclude -I.
CLI_CFLAGS := $(HOST_BASE_CFLAGS) -Iinclude
# The library's own objects: nothing visible outside it but KVMINI_API.
LIB_CFLAGS := $(HOST_CFLAGS) -fvisibility=hidden
LDLIBS := -luring -lfdt -lcap-ng -lseccomp -lpthread -lm

# Layers, top to bottom: cli -> vmm -> devices -> bios -> base.
CLI_SRCS := $(wildcard cli/*.c)
LIB_SRCS := $(wildcard vmm/*.c) $(wildcard devices/*.c) $(wildcard bios/*.c) \
	$(wildcard base/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(B)/%.o)
# libkvmini.a holds one relocatable object whose hidden globals are local:
# nm -g lists kvmini_* only. Unit tests and tools that test internals link
# the plain archive of the same objects, libkvmini-internal.a.
LIB := $(B)/libkvmini.a
LIB_INT := $(B)/libkvmini-internal.a

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/unit/%)
CRITERION_LIBS := $(shell pkg-config --libs criterion 2>/dev/null || echo -lcriterion)

.PHONY: all deps run test unit unit-build integration bench-boot bench-blk bench-net clean
all: $(B)/kvmini $(B)/tests/two-vms

# $(call compile,LABEL,FLAGS[,COMPILER]): every compile rule's recipe.
define compile
@mkdir -p $(dir $@)
@$(if $(Q),echo "  $(1) $@")
$(Q)$(or $(3),$(CC)) $(2) -c -o $@ $<
endef

$(B)/%.o: %.c
	$(call compile,CC     ,$(LIB_CFLAGS))

$(B)/cli/%.o: cli/%.c
	$(call compile,CC     ,$(CLI_CFLAGS))

$(LIB_INT): $(LIB_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/libkvmini.o: $(LIB_OBJS)
	@$(if $(Q),echo "  LD -r   $@")
	$(Q)ld -r -o $@.tmp $^ && objcopy --localize-hidden $@.tmp $@ && rm -f $@.tmp

$(LIB): $(B)/libkvmini.o
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/kvmini: $(CLI_OBJS) $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(LIB) $(LDLIBS)

$(B)/tests/unit/%: tests/unit/%.c $(LIB_INT)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TEST-CC $@")
	$(Q)$(CC) $(HOST_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_INT) $(CRITERION_LIBS) $(LDLIBS)

unit-build: $(UNIT_BINS)

# An embedding example that is also a test: two VMs in one process.
$(B)/tests/two-vms: tests/integration/two_vms.c $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CLI_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

deps:
	$(Q)tools/deps.sh

# Unit tests always run under the sanitizers.
unit:
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 unit-build
	$(Q)tests/unit/run.sh $(O)/san/tests/unit

integration: all
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 all
	$(Q)O=$(O) tests/integration/run.sh

test: deps
	$(Q)$(MAKE) --no-print-directory all native guest $(MKFDT) $(MB32_ELF)
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 all unit-build
	$(Q)O=$(O) tests/run-all.sh

run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)O=$(O) tools/run-demo.sh

bench-boot: all
	$(Q)O=$(O) tools/bench-boot.sh

# kvmini bench on /dev/kvm, or in the nested runner, with a scratch disk and
# a tap for the blk and net workloads (tools/bench-inner.sh; BENCH_IO=0 leaves
# them out); BENCH_ARGS adds options (e.g. BENCH_ARGS="--reps 10 --cpu 1").
.PHONY: bench
bench: all guest native
	$(Q)tests/nested/with-kvm --out $(O)/bench -- tools/bench-inner.sh $(O)/kvmini $(O)/bench $(BENCH_ARGS)

# The block benchmark's load generator: static, so the same binary runs in a
# Linux guest and natively.
$(O)/blkbench: tools/blkbench/blkbench.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@ (static)")
	$(Q)$(CC) -std=gnu11 $(WARN) -O2 -static -o $@ $< -luring

bench-blk: all $(O)/blkbench
	$(Q)O=$(O) tools/bench-blk.sh

# REPS (rounds), NET_T (seconds per iperf3 direction), NET_PINGS pass through.
bench-net: all
	$(Q)O=$(O) tools/bench-net.sh

clean:
	rm -rf $(O)

-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(UNIT_BINS:=.d)

# --- guest and native builds ---
#   make guest        $(O)/guest/kvmini-guest.elf, a Multiboot 1 test guest
#   make native       $(O)/kvmini-native, the same workloads as a Linux process
#   make guest-qemu   boot the guest under QEMU (TCG) and compare its
#                     checksums with kvmini-native's
# The workload sources (and the driver they share) are compiled with
# WORKLOAD_CFLAGS in both worlds, so their code is the same.
GUEST_O := $(O)/guest
NATIVE_O := $(O)/native
WORKLOAD_CFLAGS := -std=gnu11 -O2 -march=x86-64 -mtune=generic -fno-pic \
	-mcmodel=small -mno-red-zone -ffreestanding -fno-stack-protector \
	-fno-strict-aliasing -ffp-contract=off -fno-asynchronous-unwind-tables
WORKLOAD_SRCS := guest/bench.c guest/fmt.c guest/wl_cpu.c guest/wl_mem.c \
	guest/wl_exits.c guest/wl_blk.c guest/wl_net.c guest/pkt.c
GUEST_RT_SRCS := guest/start.c guest/serial.c guest/idt.c guest/timer.c \
	guest/mm.c guest/bootinfo.c guest/platform_guest.c guest/libc.c \
	guest/pci.c guest/virtio.c guest/vring.c guest/virtio_blk.c \
	guest/virtio_net.c guest/platform_io_guest.c
GUEST_INC := -nostdinc -isystem $(shell $(CC) -print-file-name=include) \
	-Iinclude -Iguest
GUEST_CFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-pic -mcmodel=small \
	-mno-red-zone -mgeneral-regs-only -fno-stack-protector -fno-builtin \
	-fno-tree-loop-distribute-patterns -fno-asynchronous-unwind-tables \
	$(GUEST_INC) $(WARN) -MMD -MP
GUEST_WL_CFLAGS := $(WORKLOAD_CFLAGS) -g $(GUEST_INC) $(WARN) -MMD -MP
LIBFDT_A ?= /usr/lib/x86_64-linux-gnu/libfdt.a
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,-T,guest/guest.ld \
	-Wl,-z,max-page-size=0x1000 -Wl,--build-id=none -Wl,--no-warn-rwx-segments
GUEST_OBJS := $(GUEST_RT_SRCS:guest/%.c=$(GUEST_O)/%.o) $(GUEST_O)/boot.o $(GUEST_O)/note.o \
	$(WORKLOAD_SRCS:guest/%.c=$(GUEST_O)/wl/%.o)
GUEST_ELF := $(GUEST_O)/kvmini-guest.elf
NATIVE_CFLAGS := -std=gnu11 -O2 -g -D_GNU_SOURCE -Iinclude -Iguest $(WARN) -MMD -MP
NATIVE_OBJS := $(WORKLOAD_SRCS:guest/%.c=$(NATIVE_O)/wl/%.o) \
	$(NATIVE_O)/platform_native.o $(NATIVE_O)/main.o \
	$(NATIVE_O)/platform_io_native.o
NATIVE_BIN := $(O)/kvmini-native

.PHONY: guest native guest-qemu
guest: $(GUEST_ELF)
native: $(NATIVE_BIN)

$(GUEST_O)/%.o: guest/%.c
	$(call compile,GUESTCC,$(GUEST_CFLAGS))

$(GUEST_O)/wl/%.o: guest/%.c
	$(call compile,WLCC   ,$(GUEST_WL_CFLAGS))

$(GUEST_O)/%.o: guest/%.S
	$(call compile,GUESTAS,$(GUEST_CFLAGS))

$(GUEST_ELF): $(GUEST_OBJS) guest/guest.ld
	@$(if $(Q),echo "  GUESTLD $@")
	$(Q)$(CC) $(GUEST_LDFLAGS) -o $@ $(GUEST_OBJS) $(LIBFDT_A)

$(NATIVE_O)/wl/%.o: guest/%.c
	$(call compile,WLCC   ,$(WORKLOAD_CFLAGS) -g -Iinclude -Iguest $(WARN) -MMD -MP)

$(NATIVE_O)/%.o: guest/native/%.c
	$(call compile,CC     ,$(NATIVE_CFLAGS))

$(NATIVE_BIN): $(NATIVE_OBJS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -no-pie -o $@ $(NATIVE_OBJS) -luring

MKFDT := $(O)/tests/guest/mkfdt

$(MKFDT): tests/guest/mkfdt.c $(LIB_INT)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(HOST_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_INT) -lfdt $(LDLIBS)

guest-qemu: guest native $(MKFDT)
	$(Q)O=$(O) tests/guest/run-qemu.sh

# A standard Multiboot kernel (ELF32, higher half) for tests/integration/multiboot.sh.
MB32_O := $(O)/tests/multiboot
MB32_ELF := $(MB32_O)/mb32.elf
MB32_OBJS := $(MB32_O)/boot.o $(MB32_O)/mb32.o
MB32_CFLAGS := -m32 -march=i686 -std=gnu11 -O2 -g -ffreestanding -fno-pic -fno-stack-protector \
	-fno-builtin -fno-tree-loop-distribute-patterns -fno-asynchronous-unwind-tables \
	-mgeneral-regs-only -nostdinc -isystem $(shell $(CC) -print-file-name=include) $(WARN) -MMD -MP

$(MB32_O)/%.o: tests/multiboot/%.c
	$(call compile,MB32CC ,$(MB32_CFLAGS))

$(MB32_O)/%.o: tests/multiboot/%.S
	$(call compile,MB32AS ,$(MB32_CFLAGS))

$(MB32_ELF): $(MB32_OBJS) tests/multiboot/mb32.ld
	@$(if $(Q),echo "  MB32LD  $@")
	$(Q)$(CC) -m32 -nostdlib -static -no-pie -Wl,-T,tests/multiboot/mb32.ld -Wl,-z,max-page-size=0x1000 \
		-Wl,--build-id=none -Wl,--no-warn-rwx-segments -o $@ $(MB32_OBJS)

# The bench statistics live in the command, not the library.
$(B)/tests/unit/test_stats: $(B)/cli/stats.o
$(B)/tests/unit/test_stats: LIB_INT += $(B)/cli/stats.o
# The FDT builder's test links libfdt.
$(B)/tests/unit/test_fdt: LDLIBS += -lfdt
# Tests of guest/ code include the source they test.
$(B)/tests/unit/test_pkt: guest/pkt.c guest/pkt.h
$(B)/tests/unit/test_wl_util: guest/wl_util.h guest/platform.h
$(B)/tests/unit/test_bench_opts: guest/bench.c guest/platform.h

-include $(GUEST_OBJS:.o=.d) $(NATIVE_OBJS:.o=.d) $(MB32_OBJS:.o=.d)

# --- fuzzing (libFuzzer, clang-14) ---
#   make fuzz          build every tests/fuzz/fuzz_*.c target and run each for
#                      FUZZ_S seconds (default 60) under ASan and UBSan, from
#                      its seed corpus in tests/fuzz/corpus/NAME; a crash is
#                      kept in $(O)/fuzz/crash-NAME-* (move it to
#                      tests/fuzz/crashes/NAME/ once fixed: the unit tests
#                      replay it)
#   make fuzz-build    the targets only
# The same harnesses, built with $(CC) and the sanitizers around replay.c,
# are unit tests: they replay the seeds and every stored crash.
FUZZ_CC ?= clang-14
FUZZ_S ?= 60
FUZZ_O := $(O)/fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
FUZZ_CFLAGS := -std=gnu11 $(WARN) -Wno-cast-align -Wno-gnu-variable-sized-type-not-at-end -g -O1 -D_GNU_SOURCE -Iinclude -I. $(FUZZ_SAN)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES := $(FUZZ_SRCS:tests/fuzz/fuzz_%.c=%)
FUZZ_BINS := $(FUZZ_NAMES:%=$(FUZZ_O)/fuzz_%)
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(FUZZ_O)/%.o)
FUZZ_LIB := $(FUZZ_O)/libkvmini-fuzz.a
REPLAY_BINS := $(FUZZ_NAMES:%=$(B)/tests/fuzz/replay_%)

$(FUZZ_O)/%.o: %.c
	$(call compile,FUZZCC ,$(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP,$(FUZZ_CC))

$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_O)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB)
	@$(if $(Q),echo "  FUZZLD  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -MMD -MP -o $@ $< $(FUZZ_LIB) $(LDLIBS)

$(B)/tests/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(LIB_INT)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  REPLAY  $@")
	$(Q)$(CC) $(HOST_CFLAGS) $(LDFLAGS) -DFUZZ_NAME='"$*"' -o $@ $< tests/fuzz/replay.c \
		$(LIB_INT) $(LDLIBS)
# (HOST_CFLAGS has -MMD: the replay's header dependencies land in $@.d)

.PHONY: fuzz fuzz-build replay-build
fuzz-build: $(FUZZ_BINS)
replay-build: $(REPLAY_BINS)
# The replays are unit tests.
unit-build: $(REPLAY_BINS)

fuzz: deps
	$(Q)$(MAKE) --no-print-directory fuzz-build
	$(Q)FUZZ_S=$(FUZZ_S) tools/fuzz.sh $(FUZZ_O) $(FUZZ_NAMES)

-include $(FUZZ_LIB_OBJS:.o=.d) $(FUZZ_BINS:=.d) $(REPLAY_BINS:=.d)
