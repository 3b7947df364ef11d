// SPDX-License-Identifier: GPL-2.0
// Program types that load without attaching, and one long program
// (several thousand instructions) to exercise large loads.
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

__u64 hits = 0;

SEC("xdp") int on_xdp(struct xdp_md *ctx) { hits++; return XDP_PASS; }
SEC("tc") int on_tc(struct __sk_buff *skb) { hits++; return 0; }
SEC("tracepoint/syscalls/sys_enter_getpid") int on_tracepoint(void *ctx) { hits++; return 0; }
SEC("raw_tp/sys_enter") int on_raw_tp(void *ctx) { hits++; return 0; }
SEC("cgroup_skb/ingress") int on_cgroup_skb(struct __sk_buff *skb) { hits++; return 1; }
SEC("sk_msg") int on_sk_msg(struct sk_msg_md *msg) { hits++; return SK_PASS; }
SEC("perf_event") int on_perf_event(void *ctx) { hits++; return 0; }
SEC("cgroup/connect4") int on_connect4(struct bpf_sock_addr *ctx) { hits++; return 1; }

SEC("socket")
int long_program(struct __sk_buff *skb)
{
    __u64 acc = skb->len;
#pragma clang loop unroll(full)
    for (int i = 0; i < 1500; i++)
        acc = acc * 31 + (i ^ (acc >> 7));
    return acc & 1;
}
