// SPDX-License-Identifier: GPL-2.0
// User-space probes attached in tests: count entries to and returns from a
// function of process `pid` (set before loading), and sum what it returned.
#include <linux/bpf.h>
#include <linux/types.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 pid = 0;
__u64 entries = 0;
__u64 returns = 0;

SEC("uprobe")
int count_entry(struct pt_regs *ctx)
{
    if ((bpf_get_current_pid_tgid() >> 32) == pid)
        __sync_fetch_and_add(&entries, 1);
    return 0;
}

SEC("uretprobe")
int count_return(struct pt_regs *ctx)
{
    if ((bpf_get_current_pid_tgid() >> 32) == pid)
        __sync_fetch_and_add(&returns, 1);
    return 0;
}
