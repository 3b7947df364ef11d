// SPDX-License-Identifier: GPL-2.0
// kfuncs from a tp_btf program: acquire and release a task reference; and a
// weak kfunc no kernel has, guarded by bpf_ksym_exists.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

/* libbpf-dev 1.1 predates bpf_ksym_exists. */
#ifndef bpf_ksym_exists
#define bpf_ksym_exists(sym) (!!(sym))
#endif

extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;
extern void swiftbpf_no_such_kfunc(void) __ksym __weak;

SEC("tp_btf/sched_process_exec")
int acquire_release(u64 *ctx)
{
    struct task_struct *task = bpf_task_acquire(bpf_get_current_task_btf());
    if (task)
        bpf_task_release(task);
    if (bpf_ksym_exists(swiftbpf_no_such_kfunc))
        swiftbpf_no_such_kfunc();
    return 0;
}
