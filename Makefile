# SPDX-License-Identifier: GPL-2.0
#
# pvguest: out-of-tree build, and the QEMU harness.
#
#   make [KDIR=<kernel build dir>]   build the modules (default: running kernel)
#   make install / clean
#   make version                      the version the modules and dkms get
#   make demo                        boot a guest and show the modules working
#   make check [ONLY='glob ...']     every test, on the debug guest kernel
#   make bench [ONLY=glob]           the benchmarks (ONLY=tmem: one module's),
#                                    on the release guest kernel
#   make shell                       an interactive guest
#   make lint                        checkpatch --strict, sparse, W=1
#   make deps                        install what the harness needs (Debian)
#
# Build products go under out/; guest kernels are cached outside the clone,
# in $(PVGUEST_CACHE) (default ~/.cache/pvguest).

KDIR ?= /lib/modules/$(shell uname -r)/build
OUT := $(CURDIR)/out
PYTHON ?= python3
RUN := $(PYTHON) $(CURDIR)/selftests/run.py
ONLY ?=
ONLY_ARGS = $(foreach pat,$(ONLY),--only '$(pat)')
MODULE_DIRS := $(wildcard virtio_serial pvlock tmem)

KREL = $(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null)
BUILD = $(OUT)/build/$(KREL)

# The modules' version: scripts/version.sh is the one place that computes
# it (override with PVGUEST_VERSION=...).
ifeq ($(origin PVGUEST_VERSION),undefined)
PVGUEST_VERSION := $(shell sh $(CURDIR)/scripts/version.sh)
endif

all: modules

kdir:
	@test -f "$(KDIR)/Makefile" || { \
	echo "error: no kernel build tree at KDIR=$(KDIR): install Debian's" \
	     "linux-headers-$$(uname -r), pass KDIR=<kernel build dir>, or run" \
	     "'make demo' to try the modules in a QEMU guest." >&2; exit 1; }

# Kbuild writes its objects beside the sources, so build a mirror of the
# tree under out/, one per kernel.
sync: kdir
	@mkdir -p $(BUILD)
	@rsync -a --delete --include='*/' --include=Kbuild --include=Kconfig \
		--include='*.[ch]' --exclude='*' Kbuild Kconfig $(MODULE_DIRS) \
		$(BUILD)/

modules: sync
	$(MAKE) -C $(KDIR) M=$(BUILD) PVGUEST_VERSION=$(PVGUEST_VERSION) modules

version:
	@echo $(PVGUEST_VERSION)

install: modules
	$(MAKE) -C $(KDIR) M=$(BUILD) INSTALL_MOD_DIR=extra modules_install
	depmod -a $(KREL)

clean:
	rm -rf $(OUT)

deps:
	@sh selftests/deps.sh

check: deps
	@sh selftests/deps.sh stock
	$(RUN) check $(ONLY_ARGS)

lint: deps
	$(RUN) check --only 'lint.*'

selfcheck: deps
	$(RUN) check --only 'harness.selfcheck'

demo: deps
	$(RUN) demo

shell: deps
	$(RUN) shell

bench: deps
	$(RUN) bench $(ONLY_ARGS)

.PHONY: all kdir sync modules version install clean deps check lint selfcheck demo \
	shell bench
