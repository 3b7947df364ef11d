// SPDX-License-Identifier: GPL-2.0
// Programs to attach in tests: count getpid() calls of one process through a
// tracepoint and all its syscalls through a raw tracepoint; a socket filter
// that drops every packet; a kprobe (this host cannot attach kprobes).
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u32);
} target_pid SEC(".maps");

__u64 getpid_calls = 0;
__u64 syscalls = 0;

static __always_inline int is_target(void)
{
    __u32 key = 0;
    __u32 *pid = bpf_map_lookup_elem(&target_pid, &key);
    return pid && *pid == (__u32)(bpf_get_current_pid_tgid() >> 32);
}

SEC("tracepoint/syscalls/sys_enter_getpid")
int count_getpid(void *ctx)
{
    if (is_target())
        __sync_fetch_and_add(&getpid_calls, 1);
    return 0;
}

SEC("raw_tp/sys_enter")
int count_syscalls(void *ctx)
{
    if (is_target())
        __sync_fetch_and_add(&syscalls, 1);
    return 0;
}

SEC("socket")
int drop_all(struct __sk_buff *skb)
{
    return 0;
}

SEC("kprobe/do_sys_openat2")
int probe_open(void *ctx)
{
    return 0;
}
