# kvmini - one Makefile, out-of-tree builds.
#
#   make              build $(O)/kvmini (O defaults to build)
#   make run          install what is missing, build, boot a test guest
#   make test         the whole suite: unit tests under ASan/UBSan, then
#                     integration tests on /dev/kvm (or in the nested runner)
#   make unit         unit tests only
#   make bench-boot   boot benchmark: kvmini vs QEMU microvm vs QEMU pc
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
HOST_CFLAGS := -std=gnu11 $(WARN) $(CFLAGS) -D_GNU_SOURCE -MMD -MP \
	-Iinclude -Ivmm -Idevices -Ibios
LDLIBS := -lpthread
ifeq ($(SANITIZE),1)
HOST_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

LIB_SRCS := $(filter-out vmm/main.c vmm/term.c,$(wildcard vmm/*.c)) \
	$(wildcard devices/*.c) $(wildcard bios/*.c)
CLI_SRCS := vmm/main.c vmm/term.c
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(B)/%.o)
LIB := $(B)/libkvmini.a

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/unit/%)
CRITERION_LIBS := $(shell pkg-config --libs criterion 2>/dev/null || echo -lcriterion)

.PHONY: all deps run test unit unit-build integration bench-boot clean
all: $(B)/kvmini

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(HOST_CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/kvmini: $(CLI_OBJS) $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(LIB) $(LDLIBS)

$(B)/tests/unit/%: tests/unit/%.c $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TEST-CC $@")
	$(Q)$(CC) $(HOST_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(CRITERION_LIBS) $(LDLIBS)

unit-build: $(UNIT_BINS)

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
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 all unit-build
	$(Q)O=$(O) tests/run-all.sh

run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)O=$(O) tools/run-demo.sh

bench-boot: all
	$(Q)O=$(O) tools/bench-boot.sh

clean:
	rm -rf $(O)

-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d)
