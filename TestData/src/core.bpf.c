// SPDX-License-Identifier: GPL-2.0
// CO-RE against the running kernel: field reads through pointers, existence,
// size, type and enum relocations, a bitfield, a ___flavor local type, and a
// field the kernel lacks (guarded, so the program still loads).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

/* A local view of task_struct: the flavor suffix is ignored when matching, and
 * one field exists nowhere in the kernel. */
struct task_struct___local {
    int pid;
    int tgid;
    struct task_struct___local *real_parent;
    int no_such_field_in_kernel;
} __attribute__((preserve_access_index));

struct result {
    int pid;
    int parent_tgid;
    int flavor_pid;
    int missing;
    __u32 has_pid;
    __u32 pid_size;
    __u32 task_exists;
    __u32 xdp_value;
    __u64 reset_on_fork;
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct result);
} results SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getpid")
int core_reads(void *ctx)
{
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    struct task_struct___local *local = (void *)task;
    struct result r = {};
    __u32 zero = 0;

    r.pid = BPF_CORE_READ(task, pid);
    r.parent_tgid = BPF_CORE_READ(task, real_parent, tgid);
    r.flavor_pid = BPF_CORE_READ(local, pid);
    r.has_pid = bpf_core_field_exists(task->pid);
    r.pid_size = bpf_core_field_size(task->pid);
    r.task_exists = bpf_core_type_exists(struct task_struct);
    r.xdp_value = bpf_core_enum_value(enum bpf_prog_type, BPF_PROG_TYPE_XDP);
    r.reset_on_fork = BPF_CORE_READ_BITFIELD_PROBED(task, sched_reset_on_fork);
    if (bpf_core_field_exists(local->no_such_field_in_kernel))
        r.missing = BPF_CORE_READ(local, no_such_field_in_kernel);
    bpf_map_update_elem(&results, &zero, &r, BPF_ANY);
    return 0;
}
