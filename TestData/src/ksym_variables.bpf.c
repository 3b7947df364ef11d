// SPDX-License-Identifier: GPL-2.0
// Kernel variables as __ksym externs: typed (BTF) and typeless (kallsyms). They
// need CONFIG_KALLSYMS_ALL, which the project's host lacks: the load must fail
// with a clear, typed error there.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

extern const int bpf_prog_active __ksym;
extern const void bpf_init __ksym;

__u64 seen = 0;

SEC("raw_tp/sys_enter")
int read_kernel_variables(void *ctx)
{
    int *active = bpf_this_cpu_ptr(&bpf_prog_active);
    seen = *active + (__u64)&bpf_init;
    return 0;
}
