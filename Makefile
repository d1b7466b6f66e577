# SPDX-License-Identifier: GPL-2.0
#
# io_uring_rs: build the test kernel and the module, run it in a VM.
#
#   make            build io_uring_rs.ko (and the debug test kernel, cached)
#   make run        boot the debug kernel, load the module, run the demo
#   make check      host tests, then the kselftests in the debug VM
#   make kernel     only build (or find in the cache) the debug test kernel
#   make clippy     build the module with CLIPPY=1; any warning fails
#   make fmt        rustfmt with the kernel's .rustfmt.toml (fmt-check: verify)
#   make rust-analyzer   write rust-project.json for editors
#   make host-test  cargo test of the host mirror (rust/)
#   make loom       the loom models (--cfg loom)
#   make miri       the host tests under miri, Stacked and Tree Borrows (nightly)
#   make compile-fail    the series' bugs must not compile (host and Kbuild)
#   make bench      benchmarks on the timing kernel and the host (results in out/)
#   make fuzz       the long fuzz in the debug VM: FUZZ_OPS (1,000,000) operations
#                   or FUZZ_SECS seconds from SEED; a failing epoch is reduced into
#                   out/fuzz/seed-SEED.toml (fuzz-replay); not part of make check
#   make htmldocs   Documentation/ as HTML in out/htmldocs; any Sphinx warning fails
#   make liburing-suite  liburing 2.3's whole test suite on io_uring and on
#                   io_uring_rs in the VM, against selftests/liburing/suite-expected.txt
#                   (UPDATE=1 rewrites it); not part of make check
#   make liburing-kselftest   only io_uring_rs_liburing.sh in the VM
#   make liburing-demo   the liburing demo on both backends in the VM
#
# KERNEL=6.12 (the default) or KERNEL=7.2 selects the kernel of every target
# but check, which runs on each of KERNELS (default: both). KDIR=/path uses a
# kernel tree you already built (CONFIG_RUST=y, `make all` done in it) and
# overrides both; otherwise each debug kernel is built once into
# ~/.cache/io_uring_rs (IO_URING_RS_CACHE overrides) and reused.

SHELL := /bin/bash
ROOT := $(CURDIR)
SCRIPTS := $(ROOT)/scripts
# Resolves (and if needed builds) the kernel tree; honours KDIR=.
KDIR_OF := $(SCRIPTS)/kdir.sh
# A module is built with the LLVM its kernel was built with (-19 for 7.2).
KMAKE = $(MAKE) -C $$kdir M=$(ROOT) LLVM=$$($(SCRIPTS)/kllvm.sh $$kdir)
RS_SOURCES = $(shell find $(ROOT)/io_uring_rs $(ROOT)/rust -name '*.rs' -not -path '*/target/*')
# 6.12 by default: its source is a bookworm package, and its kernel is the
# one a newcomer waits least for (README.md).
KERNEL ?= 6.12
KERNELS ?= 6.12 7.2
export KDIR KERNEL KERNELS

.PHONY: all module kernel clean clippy fmt fmt-check rust-analyzer check run \
	host-test loom miri compile-fail bench fuzz htmldocs liburing-suite liburing-kselftest \
	liburing-demo

all: module

kernel:
	@$(KDIR_OF) debug

module:
	@kdir=$$($(KDIR_OF) debug) && $(KMAKE) modules

# Kbuild rebuilds an object whose command line changed, so CLIPPY=1 re-checks
# every Rust object without a clean (which would also delete rust/target).
clippy:
	@kdir=$$($(KDIR_OF) debug) && $(KMAKE) CLIPPY=1 KRUSTFLAGS=-Dwarnings modules

fmt:
	@kdir=$$($(KDIR_OF) debug) && \
		rustfmt --edition 2021 --config-path $$kdir/.rustfmt.toml $(RS_SOURCES)

fmt-check:
	@kdir=$$($(KDIR_OF) debug) && \
		rustfmt --check --edition 2021 --config-path $$kdir/.rustfmt.toml $(RS_SOURCES)

rust-analyzer:
	@kdir=$$($(KDIR_OF) debug) && $(KMAKE) rust-analyzer

host-test:
	cd rust && cargo test --workspace

loom:
	cd rust && RUSTFLAGS="--cfg loom" cargo test --release -p io_uring_rs_host \
		--target-dir target/loom -- --test-threads=1 --nocapture

miri:
	cd rust && MIRIFLAGS=-Zmiri-disable-isolation cargo +nightly miri test -p io_uring_rs_host --lib
	cd rust && MIRIFLAGS="-Zmiri-disable-isolation -Zmiri-tree-borrows" \
		cargo +nightly miri test -p io_uring_rs_host --lib --target-dir target/miri-tree

compile-fail: module
	@$(SCRIPTS)/compile-fail.sh host
	@KDIR=$$($(KDIR_OF) debug) $(SCRIPTS)/compile-fail.sh kbuild

bench:
	@$(SCRIPTS)/bench.sh

fuzz:
	@$(SCRIPTS)/fuzz.sh

# Sphinx from Debian's python3-sphinx (scripts/bootstrap.sh installs it);
# warnings are errors, and --keep-going reports all of them before failing.
# -E rereads every page: an incremental build would skip an unchanged page and
# so pass a second time with the warning still in it.
htmldocs:
	@$(SCRIPTS)/bootstrap.sh --docs
	sphinx-build -b html -E -q -W --keep-going -d $(ROOT)/out/htmldocs/.doctrees \
		$(ROOT)/Documentation $(ROOT)/out/htmldocs
	@echo "htmldocs: $(ROOT)/out/htmldocs/index.html"

# check.sh builds each kernel of KERNELS (or uses KDIR) and the module for it.
check:
	@$(SCRIPTS)/check.sh

run: module
	@KDIR=$$($(KDIR_OF) debug) $(SCRIPTS)/vm-run.sh run

# The liburing oracle (scripts/liburing.sh fetches and builds liburing 2.3).
liburing-suite: module
	@KDIR=$$($(KDIR_OF) debug) UPDATE=$(UPDATE) $(SCRIPTS)/liburing-suite.sh

liburing-kselftest: module
	@KDIR=$$($(KDIR_OF) debug) $(SCRIPTS)/vm-run.sh liburing

liburing-demo: module
	@KDIR=$$($(KDIR_OF) debug) $(SCRIPTS)/vm-run.sh liburing-demo

clean:
	@if kdir=$${KDIR:-$$($(SCRIPTS)/build-kernel.sh --dir debug $(ROOT)/selftests/config)} && \
		[ -f $$kdir/Makefile ]; then $(KMAKE) clean; fi
	rm -rf $(ROOT)/out $(ROOT)/rust/target
