// SPDX-License-Identifier: GPL-2.0
// Program metadata as libbpf and bpftool define it: read-only globals named
// bpf_metadata_* in .rodata. `quiet` never reads .rodata (the loader must bind
// the map for the metadata to be found); `reads_limit` does (binding: EEXIST).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

volatile const char bpf_metadata_owner[] SEC(".rodata") = "team-observability";
volatile const int bpf_metadata_build = 20261129;
volatile const _Bool bpf_metadata_debug = 1;
volatile const unsigned int limit = 64;

SEC("socket")
int quiet(struct __sk_buff *skb)
{
    return 0;
}

SEC("socket")
int reads_limit(struct __sk_buff *skb)
{
    return skb->len > limit ? 0 : skb->len;
}
