// SPDX-License-Identifier: GPL-2.0
// Declares link_lib.bpf.c's map with another size: linking the two is an error naming the
// field (libbpf: "global 'shared_counts': map max_entries mismatch").
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

extern struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 8);
    __type(key, __u32);
    __type(value, __u64);
} shared_counts SEC(".maps");

SEC("syscall")
int badmap_prog(void *ctx)
{
    __u32 key = 0;
    return bpf_map_lookup_elem(&shared_counts, &key) != 0;
}
