// Function aliases (`__attribute__((alias))`): symbols naming the same instructions. Each is a
// program of its own, as libbpf makes them, with the relocations (map loads) and calls of the
// function it names.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} hits SEC(".maps");

__noinline int sub(int x)
{
    __u32 key = 0;
    __u64 *value = bpf_map_lookup_elem(&hits, &key);
    if (value)
        *value += x;
    return x + 1;
}
int sub_alias(int x) __attribute__((alias("sub")));

SEC("xdp")
int prog(struct xdp_md *ctx)
{
    __u32 key = 0;
    __u64 *value = bpf_map_lookup_elem(&hits, &key);
    if (value)
        *value += 100;
    return XDP_PASS;
}
int prog_alias(struct xdp_md *ctx) __attribute__((alias("prog")));

SEC("xdp")
int caller(struct xdp_md *ctx)
{
    return sub_alias(1) + sub(2) > 0 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
