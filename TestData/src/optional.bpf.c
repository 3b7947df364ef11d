// SPDX-License-Identifier: GPL-2.0
// libbpf's SEC("?...") prefix: a program of that section is not loaded unless
// the caller turns its autoload on; its kind is that of the rest of the name.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("?socket")
int maybe(struct __sk_buff *skb) { return 0; }

SEC("socket")
int always(struct __sk_buff *skb) { return 1; }
