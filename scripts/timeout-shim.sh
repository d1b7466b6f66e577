#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /usr/bin/timeout in the test VM: kselftest's runner.sh calls GNU timeout
# with --foreground, which busybox timeout does not know. Drop it.
[ "$1" = "--foreground" ] && shift
exec /bin/busybox timeout "$@"
