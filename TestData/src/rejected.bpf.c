// SPDX-License-Identifier: GPL-2.0
// A program the verifier must reject: it dereferences a scalar.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u32);
} unused SEC(".maps");

SEC("socket")
int dereference_scalar(struct __sk_buff *skb)
{
    int *pointer = (int *)(long)skb->len;
    return *pointer;
}
