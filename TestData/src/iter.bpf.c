// SPDX-License-Identifier: GPL-2.0
// A task iterator: one line per task (tgid, pid, comm) under a header, as
// `cat` of a pinned iterator or a BPF_ITER_CREATE descriptor shows it.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("iter/task")
int list_tasks(struct bpf_iter__task *ctx)
{
    struct seq_file *seq = ctx->meta->seq;
    struct task_struct *task = ctx->task;

    if (!task)
        return 0;
    if (ctx->meta->seq_num == 0)
        BPF_SEQ_PRINTF(seq, "tgid pid comm\n");
    BPF_SEQ_PRINTF(seq, "%d %d %s\n", task->tgid, task->pid, task->comm);
    return 0;
}
