# SPDX-License-Identifier: GPL-2.0
#
# pvguest: out-of-tree build, and the QEMU harness.
#
#   make [KDIR=<kernel build dir>]   build the modules (default: running kernel)
#   make install / uninstall / clean
#   make install-config              only the udev rule and modprobe.d files
#                                    (with DKMS installing the modules)
#   make version                     the version the modules and dkms get
#   make demo                        boot a guest and show the modules working
#   make check [ONLY='glob ...']     every test, on the debug guest kernel
#   make bench [ONLY=glob]           the benchmarks (ONLY=tmem: one module's),
#                                    on the release guest kernel
#   make shell                       an interactive guest
#   make lint                        checkpatch --strict, sparse, W=1
#   make htmldocs                    Documentation/ as HTML, in out/htmldocs
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

# The release the modules are built for (their vermagic): Debian's 6.1
# headers say 6.1.<sublevel> in include/config/kernel.release.
KREL ?= $(shell sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' \
	$(KDIR)/include/generated/utsrelease.h 2>/dev/null)
BUILD = $(OUT)/build/$(KREL)

# The modules' version: selftests/pkg/version.sh is the one place that
# computes it (override with PVGUEST_VERSION=...).
ifeq ($(origin PVGUEST_VERSION),undefined)
PVGUEST_VERSION := $(shell sh $(CURDIR)/selftests/pkg/version.sh)
endif

# Installation.  DESTDIR stages everything under another root (packaging,
# tests); INSTALL_MOD_PATH, as in the kernel's modules_install, only the
# modules.  The configuration goes where the administrator's own lives.
DESTDIR ?=
INSTALL_MOD_PATH ?= $(DESTDIR)
UDEVRULESDIR ?= /etc/udev/rules.d
MODPROBEDIR ?= /etc/modprobe.d
MODDIR = $(INSTALL_MOD_PATH)/lib/modules/$(KREL)/extra
# Every module the out-of-tree build can make (the KUnit ones only against
# a kernel with KUnit), as folder/name: uninstall removes exactly these.
MODULE_NAMES := virtio_serial/virtio_serial virtio_serial/virtio_serial_kunit \
	pvlock/pvlock pvlock/pvlock_torture pvlock/pvlock_kunit \
	tmem/tmem tmem/tmem_kunit
# Installed name: source file.
CONFIG_FILES := \
	$(UDEVRULESDIR)/90-pvguest-virtio-ports.rules:virtio_serial/90-virtio-ports.rules \
	$(MODPROBEDIR)/pvguest.conf:virtio_serial/pvguest.conf
DEPMOD = depmod $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) -a $(KREL)

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

install: install-modules install-config

install-modules: modules
	$(MAKE) -C $(KDIR) M=$(BUILD) KERNELRELEASE=$(KREL) \
		INSTALL_MOD_PATH=$(INSTALL_MOD_PATH) INSTALL_MOD_DIR=extra \
		modules_install
	$(DEPMOD)

install-config:
	@set -e; for f in $(CONFIG_FILES); do \
		echo "  INSTALL $(DESTDIR)$${f%%:*}"; \
		install -D -m 0644 "$${f#*:}" "$(DESTDIR)$${f%%:*}"; \
	done

# Without KDIR's tree, give the kernel release: make uninstall KREL=...
uninstall: uninstall-modules uninstall-config

uninstall-modules:
	@test -n "$(KREL)" || { echo "error: no kernel release: pass KREL=" >&2; exit 1; }
	@for m in $(MODULE_NAMES); do \
		for s in "" .gz .xz .zst; do \
			for f in $(MODDIR)/$$m.ko$$s $(MODDIR)/$${m#*/}.ko$$s; do \
				if [ -e "$$f" ]; then echo "  RM      $$f"; rm -f "$$f"; fi; \
			done; \
		done; \
	done
	@for d in $(addprefix $(MODDIR)/,$(sort $(dir $(MODULE_NAMES)))) $(MODDIR); do \
		if [ -d "$$d" ]; then rmdir --ignore-fail-on-non-empty "$$d"; fi; \
	done
	$(DEPMOD)

uninstall-config:
	@for f in $(CONFIG_FILES); do \
		echo "  RM      $(DESTDIR)$${f%%:*}"; rm -f "$(DESTDIR)$${f%%:*}"; \
	done

clean:
	rm -rf $(OUT)

deps:
	@sh selftests/deps.sh

check: deps
	@sh selftests/deps.sh stock
	$(RUN) check $(ONLY_ARGS)

lint: deps
	$(RUN) check --only 'lint.*'

# Sphinx, with the kernel's kernel-doc extension (see the script).
htmldocs: deps
	@sh Documentation/htmldocs.sh $(OUT)/htmldocs

.PHONY: htmldocs

selfcheck: deps
	$(RUN) check --only 'harness.selfcheck*'

demo: deps
	$(RUN) demo

shell: deps
	$(RUN) shell

bench: deps
	$(RUN) bench $(ONLY_ARGS)

.PHONY: all kdir sync modules version install install-modules install-config \
	uninstall uninstall-modules uninstall-config clean deps check lint \
	selfcheck demo shell bench
