// SPDX-License-Identifier: GPL-2.0
// Writes one record per getppid() call of process `pid` (set before loading)
// to a perf event array: a sequence number and a payload of 1-40 bytes.
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
    __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
    __uint(key_size, sizeof(__u32));
    __uint(value_size, sizeof(__u32));
} events SEC(".maps");

const volatile __u32 pid = 0;
__u32 sequence = 0;

struct record {
    __u32 seq;
    __u8 payload[40];
};

SEC("tp/syscalls/sys_enter_getppid")
int emit(void *ctx)
{
    if ((bpf_get_current_pid_tgid() >> 32) != pid)
        return 0;
    struct record r = {};
    r.seq = __sync_fetch_and_add(&sequence, 1);
    for (int i = 0; i < 40; i++)
        r.payload[i] = r.seq + i;
    /* 4 + (seq % 40 + 1) bytes: sizes vary, so records are not all aligned alike. */
    __u32 size = 4 + (r.seq % 40) + 1;
    asm volatile("" : "+r"(size)); /* keep the bound check the verifier needs */
    if (size > sizeof(r))
        return 0;
    bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &r, size);
    return 0;
}
