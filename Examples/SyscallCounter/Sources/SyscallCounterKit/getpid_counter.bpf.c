// SPDX-License-Identifier: GPL-2.0
// Counts getpid() calls of one process (target_tgid, set from Swift before load).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 target_tgid = 0;
__u64 calls = 0;

SEC("tracepoint/syscalls/sys_enter_getpid")
int count_getpid(void *ctx)
{
    if ((bpf_get_current_pid_tgid() >> 32) == target_tgid)
        __sync_fetch_and_add(&calls, 1);
    return 0;
}
