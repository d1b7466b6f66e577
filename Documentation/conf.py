# SPDX-License-Identifier: GPL-2.0
#
# Sphinx configuration for `make htmldocs` (Debian 12's python3-sphinx,
# installed by scripts/bootstrap.sh). The Makefile builds with -W --keep-going:
# any warning fails the build.

project = "io_uring_rs"
root_doc = "index"
html_theme = "alabaster"
