// SPDX-License-Identifier: GPL-2.0
/*
 * A QEMU TCG plugin for scripts/insn-profile.sh: counts the guest
 * instructions each translation block executes and how often it runs, and
 * at exit writes one line per block that ran, "<start address in hex>
 * <instructions> <executions>". Executions tell how many block
 * boundaries a path crosses: under TCG an indirect branch or a return
 * costs a lookup of the next block, so of two paths with the same
 * instructions the one of more, shorter blocks takes longer.
 * Symbolised against System.map and the module's /proc/kallsyms lines,
 * the counts are an exact instruction profile of the guest, Rust code
 * included (which ftrace's function profiler does not see).
 *
 * With window=ON:OFF (two guest addresses in hex, the entries of two
 * system calls the benchmark makes around the phase it measures), only
 * what runs between a block at ON and the next block at OFF is counted,
 * summed over every such window: each block's count is read at ON and
 * again at OFF.
 *
 * With split, each line also carries the instructions each vCPU ran in
 * the block, vCPU 0 first ("<address> <instructions> <executions>
 * <vCPU 0> <vCPU 1>"; a third vCPU counts as the second's): with the
 * benchmark's thread pinned to vCPU 0, what it runs and what the other
 * threads run on the other vCPU are told apart. This counts by a
 * callback a block, slower than inline counting.
 *
 * Written against the plugin interface of QEMU 7.2 (Debian 12's),
 * QEMU_PLUGIN_VERSION 1; the few declarations it uses are repeated here so
 * that no QEMU headers are needed. Counting is inline and unsynchronised:
 * with two vCPUs, a block that both run at the same instant may lose an
 * increment, which is noise far below what the profile is read for.
 *
 *   qemu-system-x86_64 ... -plugin tbcount.so,out=FILE[,window=ON:OFF][,split=on]
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_info_t;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, qemu_plugin_vcpu_udata_cb_t cb,
					  enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op,
					      void *ptr, uint64_t imm);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

#define NR_VCPUS 2

/* One translation of a block; a block translated again gets another. */
struct block {
	uint64_t vaddr;
	uint64_t n_insns;
	uint64_t insns;
	uint64_t execs;
	/* The counts when the open window opened, and the windows' sums. */
	uint64_t base, base_execs;
	uint64_t window, window_execs;
	/* With split: the instructions by vCPU, likewise. */
	uint64_t vcpu[NR_VCPUS], vcpu_base[NR_VCPUS], vcpu_window[NR_VCPUS];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct block **blocks;
static size_t nr_blocks, max_blocks;
static const char *out_path = "tbcount.out";
static uint64_t window_on, window_off;
static int windowed, window_open, split;

/* A block at ON or OFF ran: open or close the window. */
static void window_edge(unsigned int vcpu_index, void *userdata)
{
	int on = userdata != NULL;

	pthread_mutex_lock(&lock);
	if (on && !window_open) {
		for (size_t i = 0; i < nr_blocks; i++) {
			blocks[i]->base = blocks[i]->insns;
			blocks[i]->base_execs = blocks[i]->execs;
			for (int c = 0; c < NR_VCPUS; c++)
				blocks[i]->vcpu_base[c] = blocks[i]->vcpu[c];
		}
		window_open = 1;
	} else if (!on && window_open) {
		for (size_t i = 0; i < nr_blocks; i++) {
			blocks[i]->window += blocks[i]->insns - blocks[i]->base;
			blocks[i]->window_execs += blocks[i]->execs - blocks[i]->base_execs;
			for (int c = 0; c < NR_VCPUS; c++)
				blocks[i]->vcpu_window[c] +=
					blocks[i]->vcpu[c] - blocks[i]->vcpu_base[c];
		}
		window_open = 0;
	}
	pthread_mutex_unlock(&lock);
}

/* A block ran on vCPU vcpu_index (split). */
static void count_vcpu(unsigned int vcpu_index, void *userdata)
{
	struct block *b = userdata;
	unsigned int c = vcpu_index < NR_VCPUS ? vcpu_index : NR_VCPUS - 1;

	b->vcpu[c] += b->n_insns;
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	struct block *b = calloc(1, sizeof(*b));

	if (!b)
		return;
	b->vaddr = qemu_plugin_tb_vaddr(tb);
	b->n_insns = qemu_plugin_tb_n_insns(tb);
	pthread_mutex_lock(&lock);
	if (nr_blocks == max_blocks) {
		size_t n = max_blocks ? 2 * max_blocks : 1 << 16;
		struct block **p = realloc(blocks, n * sizeof(*p));

		if (!p) {
			pthread_mutex_unlock(&lock);
			free(b);
			return;
		}
		blocks = p;
		max_blocks = n;
	}
	blocks[nr_blocks++] = b;
	pthread_mutex_unlock(&lock);
	if (windowed && (b->vaddr == window_on || b->vaddr == window_off))
		qemu_plugin_register_vcpu_tb_exec_cb(tb, window_edge, QEMU_PLUGIN_CB_NO_REGS,
						     b->vaddr == window_on ? (void *)1 : NULL);
	if (split)
		qemu_plugin_register_vcpu_tb_exec_cb(tb, count_vcpu, QEMU_PLUGIN_CB_NO_REGS, b);
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &b->insns,
						 b->n_insns);
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &b->execs, 1);
}

static void at_exit(qemu_plugin_id_t id, void *userdata)
{
	FILE *f = fopen(out_path, "w");

	if (!f)
		return;
	for (size_t i = 0; i < nr_blocks; i++) {
		uint64_t n = windowed ? blocks[i]->window : blocks[i]->insns;
		uint64_t e = windowed ? blocks[i]->window_execs : blocks[i]->execs;

		const uint64_t *v = windowed ? blocks[i]->vcpu_window : blocks[i]->vcpu;

		if (!n)
			continue;
		fprintf(f, "%llx %llu %llu", (unsigned long long)blocks[i]->vaddr,
			(unsigned long long)n, (unsigned long long)e);
		if (split)
			fprintf(f, " %llu %llu", (unsigned long long)v[0], (unsigned long long)v[1]);
		fputc('\n', f);
	}
	fclose(f);
}

__attribute__((visibility("default"))) int
qemu_plugin_install(qemu_plugin_id_t id, const struct qemu_info_t *info, int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (!strncmp(argv[i], "out=", 4))
			out_path = strdup(argv[i] + 4);
		else if (!strncmp(argv[i], "window=", 7))
			windowed = sscanf(argv[i] + 7, "%llx:%llx", (unsigned long long *)&window_on,
					  (unsigned long long *)&window_off) == 2;
		else if (!strcmp(argv[i], "split") || !strcmp(argv[i], "split=on"))
			split = 1;
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
