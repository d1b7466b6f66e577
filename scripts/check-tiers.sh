#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The core's tiers: model <- lifecycle <- entry. A file may name only its
# own tier and the ones below it (and the glue); the glue's primitives
# (everything but the entry-point files chardev.rs, work.rs, timer.rs and
# tctx.rs, whose task-work callback and fallback item are entry points)
# name nothing of the lifecycle or the entry tier. Prints each import that goes
# up and fails if there is one.
set -uo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
cd "$root/io_uring_rs"
bad=0
check() { # files... -- forbidden-pattern
	local pat=${*: -1} hits
	hits=$(grep -nE "$pat" "${@:1:$#-2}" 2>/dev/null)
	if [ -n "$hits" ]; then
		echo "$hits"
		bad=1
	fi
}
mapfile -t model < <(find uring/model -name '*.rs')
mapfile -t lifecycle < <(find uring/lifecycle -name '*.rs')
mapfile -t prims < <(ls glue/*.rs | grep -vE 'glue/(chardev|work|timer|tctx)\.rs$')
check "${model[@]}" -- 'uring::(lifecycle|entry)|super::super::(lifecycle|entry)'
check "${lifecycle[@]}" -- 'uring::entry'
check "${prims[@]}" -- 'uring::(model|lifecycle|entry)::'
if [ $bad -ne 0 ]; then
	echo "check-tiers: an import goes up a tier (see above)"
	exit 1
fi
echo "check-tiers: model <- lifecycle <- entry; glue primitives below the core"
