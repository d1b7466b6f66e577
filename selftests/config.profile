# SPDX-License-Identifier: GPL-2.0
# Kernel configuration fragment added to config.timing for the profiling
# kernel (scripts/profile.sh): the function profiler, which counts the calls
# of every traced function and their time, to show where a benchmark's
# time goes (Documentation/performance.rst).
CONFIG_FTRACE=y
CONFIG_FUNCTION_TRACER=y
CONFIG_FUNCTION_GRAPH_TRACER=y
CONFIG_DYNAMIC_FTRACE=y
CONFIG_FUNCTION_PROFILER=y
