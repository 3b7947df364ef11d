// SPDX-License-Identifier: GPL-2.0
// The smallest useful object: one socket filter that accepts every packet.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("socket")
int accept_all(struct __sk_buff *skb)
{
    return skb->len;
}
