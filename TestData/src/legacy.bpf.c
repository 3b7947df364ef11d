// SPDX-License-Identifier: GPL-2.0
// Legacy `struct bpf_map_def` maps in the `maps` section (libbpf 1.x refuses these), a
// `version` section, and a program in an old-style section name (`socket/1`).
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

struct bpf_map_def {
    unsigned int type;
    unsigned int key_size;
    unsigned int value_size;
    unsigned int max_entries;
    unsigned int map_flags;
};

struct bpf_map_def SEC("maps") legacy_counts = {
    .type = BPF_MAP_TYPE_ARRAY,
    .key_size = sizeof(__u32),
    .value_size = sizeof(__u64),
    .max_entries = 2,
};

struct bpf_map_def SEC("maps") legacy_hash = {
    .type = BPF_MAP_TYPE_HASH,
    .key_size = sizeof(__u32),
    .value_size = sizeof(__u32),
    .max_entries = 16,
};

char LICENSE[] SEC("license") = "GPL";
__u32 _version SEC("version") = 0x060000;

SEC("socket/1")
int count_legacy(struct __sk_buff *skb)
{
    __u32 key = 1;
    __u64 *value = bpf_map_lookup_elem(&legacy_counts, &key);
    if (value)
        __sync_fetch_and_add(value, 1);
    bpf_map_update_elem(&legacy_hash, &key, &key, BPF_ANY);
    return 0;
}
