// SPDX-License-Identifier: GPL-2.0
// A CO-RE tracing program written against a generated vmlinux.h: the tests
// compile it against `swiftbpf btf dump /sys/kernel/btf/vmlinux --format c`.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct event {
    __u32 pid;
    __u32 parent_tgid;
    char comm[16];
};

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4096);
} events SEC(".maps");

SEC("tp_btf/sched_process_exec")
int BPF_PROG_exec(void *ctx)
{
    struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
    struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e)
        return 0;
    e->pid = BPF_CORE_READ(task, pid);
    e->parent_tgid = BPF_CORE_READ(task, real_parent, tgid);
    bpf_core_read_str(e->comm, sizeof(e->comm), &task->comm);
    bpf_ringbuf_submit(e, 0);
    return 0;
}

SEC("iter/task")
int dump_task(struct bpf_iter__task *ctx)
{
    struct seq_file *seq = ctx->meta->seq;
    struct task_struct *task = ctx->task;
    if (!task)
        return 0;
    BPF_SEQ_PRINTF(seq, "%d %s\n", task->pid, task->comm);
    return 0;
}
