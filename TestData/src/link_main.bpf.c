// SPDX-License-Identifier: GPL-2.0
// The other half of the linked object (see link_lib.bpf.c): it uses the library's map through
// an extern definition, calls its global function, reads its variable, overrides its weak
// function and has a static function of the same name as the library's.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

volatile const char bpf_metadata_application[] SEC(".rodata") = "link_main";

extern struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, __u64);
} shared_counts SEC(".maps");

extern int lib_add(int a, int b);
extern int lib_scale;

static __noinline int helper(int x)
{
    return x * 10;
}

__noinline int tweak(int x)
{
    return x * 2;
}

int main_total;

SEC("syscall")
int main_prog(void *ctx)
{
    __u32 key = 0;
    __u64 *value = bpf_map_lookup_elem(&shared_counts, &key);
    int sum = lib_add(helper(lib_scale), tweak(lib_scale));
    if (value)
        *value += sum;
    main_total += sum;
    return sum;
}
