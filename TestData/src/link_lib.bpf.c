// SPDX-License-Identifier: GPL-2.0
// One half of a statically linked object (swiftbpf gen object / bpftool gen object), with
// link_main.bpf.c: this file defines the shared map, a global function, a weak function the
// other file overrides, a global variable the other file declares extern, and a static
// function whose name the other file uses for its own.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

volatile const char bpf_metadata_library[] SEC(".rodata") = "link_lib";

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, __u64);
} shared_counts SEC(".maps");

int lib_scale = 3;

static __noinline int helper(int x)
{
    return x + 100;
}

__noinline int lib_add(int a, int b)
{
    return helper(a) + b * lib_scale;
}

__weak __noinline int tweak(int x)
{
    return x + 1;
}

SEC("syscall")
int lib_prog(void *ctx)
{
    __u32 key = 1;
    __u64 *value = bpf_map_lookup_elem(&shared_counts, &key);
    if (value)
        *value += tweak(5);
    return helper(1);
}
