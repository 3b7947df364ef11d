// SPDX-License-Identifier: GPL-2.0
// Global variables in .rodata, .data, .bss and a custom .data section, read
// and written from user space: a syscall program (run with BPF_PROG_TEST_RUN)
// adds `step` to `total` and counts its runs.
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 step = 1;
__u64 total = 5;
__u64 runs;
char label[8] SEC(".data.names") = "counter";

SEC("syscall")
int advance(void *ctx)
{
    runs++;
    total += step;
    label[0] = 'C';
    return 0;
}
