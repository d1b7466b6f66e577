# SPDX-License-Identifier: GPL-2.0
#
# The kernels io_uring_rs builds against, and the cfg that selects the
# glue's side for each (Documentation/design.rst, "One core, two kernels").
# Included by this directory's Kbuild and by the compile-fail harness.
ifeq ($(VERSION).$(PATCHLEVEL),7.2)
rustflags-y += --cfg kernel_7_2
else ifneq ($(VERSION).$(PATCHLEVEL),6.12)
$(error io_uring_rs builds against Linux 6.12 and 7.2, not $(VERSION).$(PATCHLEVEL))
endif
