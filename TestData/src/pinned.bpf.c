// SPDX-License-Identifier: GPL-2.0
// Maps pinned by name (LIBBPF_PIN_BY_NAME), shared by every load of this
// object: `bump` (a syscall program, run with BPF_PROG_TEST_RUN) adds one to
// shared_counts[0] and sets shared_flags[0].
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16);
    __type(key, __u32);
    __type(value, __u64);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
} shared_counts SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, __u32);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
} shared_flags SEC(".maps");

SEC("syscall")
int bump(void *ctx)
{
    __u32 key = 0, one = 1;
    __u64 first = 1, *count = bpf_map_lookup_elem(&shared_counts, &key);
    if (count)
        __sync_fetch_and_add(count, 1);
    else
        bpf_map_update_elem(&shared_counts, &key, &first, BPF_NOEXIST);
    bpf_map_update_elem(&shared_flags, &key, &one, BPF_ANY);
    return 0;
}
