// SPDX-License-Identifier: GPL-2.0
// Several programs in several sections (two in one), BTF-defined maps,
// global data in .data/.rodata/.bss and a custom section, and BPF-to-BPF
// calls to a static and a global subprogram shared by several programs.
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct stats {
    __u64 packets;
    __u64 bytes;
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 128);
    __type(key, __u32);
    __type(value, __u64);
} counts SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, struct stats);
} totals SEC(".maps");

__u64 packets_seen = 0;                   /* .bss */
__u32 sample_rate = 7;                    /* .data */
const volatile __u32 size_limit = 1000;   /* .rodata */
__u32 custom_counter SEC(".data.custom") = 3;

static __attribute__((noinline)) __u64 bump(__u32 key)
{
    __u64 *value = bpf_map_lookup_elem(&counts, &key);
    if (value) {
        __sync_fetch_and_add(value, 1);
        return *value;
    }
    __u64 one = 1;
    bpf_map_update_elem(&counts, &key, &one, BPF_ANY);
    return 1;
}

__attribute__((noinline)) int oversized(__u32 len)
{
    return len > size_limit;
}

static __always_inline void account(__u32 slot, __u32 len)
{
    struct stats *s = bpf_map_lookup_elem(&totals, &slot);
    if (s) {
        __sync_fetch_and_add(&s->packets, 1);
        __sync_fetch_and_add(&s->bytes, len);
    }
}

SEC("socket")
int count_packets(struct __sk_buff *skb)
{
    packets_seen++;
    bump(skb->protocol);
    account(0, skb->len);
    return oversized(skb->len) ? 0 : skb->len;
}

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
    bump(ctx->ingress_ifindex);
    account(1, ctx->data_end - ctx->data);
    return XDP_PASS;
}

SEC("xdp")
int xdp_drop_large(struct xdp_md *ctx)
{
    return oversized(ctx->data_end - ctx->data) ? XDP_DROP : XDP_PASS;
}

SEC("tracepoint/syscalls/sys_enter_openat")
int trace_openat(void *ctx)
{
    custom_counter++;
    bump(sample_rate);
    return 0;
}

SEC("tc")
int tc_ingress(struct __sk_buff *skb)
{
    account(2, skb->len);
    return 0; /* TC_ACT_OK */
}
