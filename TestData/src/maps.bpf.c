// SPDX-License-Identifier: GPL-2.0
// BTF-defined maps of many kinds, a program array and an array of maps with
// initial values, callbacks (bpf_loop, bpf_for_each_map_elem) and tail calls.
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 64); __type(key, __u32); __type(value, __u64); } hash SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 8); __type(key, __u32); __type(value, __u64); } array SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_HASH); __uint(max_entries, 16); __type(key, __u32); __type(value, __u32); } percpu_hash SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 4); __type(key, __u32); __type(value, __u64); } percpu_array SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_LRU_HASH); __uint(max_entries, 32); __type(key, __u64); __type(value, __u32); } lru SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } ringbuf SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY); __uint(key_size, sizeof(__u32)); __uint(value_size, sizeof(__u32)); } perf_events SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_QUEUE); __uint(max_entries, 8); __type(value, __u32); } queue SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_STACK); __uint(max_entries, 8); __type(value, __u32); } stack SEC(".maps");

struct lpm_key { __u32 prefixlen; __u32 addr; };
struct { __uint(type, BPF_MAP_TYPE_LPM_TRIE); __uint(max_entries, 16); __type(key, struct lpm_key); __type(value, __u32);
         __uint(map_flags, BPF_F_NO_PREALLOC); } lpm SEC(".maps");

struct inner { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u32); };
struct inner inner_a SEC(".maps"), inner_b SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS); __uint(max_entries, 4); __type(key, __u32);
         __array(values, struct inner); } outer SEC(".maps") = { .values = { [0] = &inner_a, [2] = &inner_b } };
struct { __uint(type, BPF_MAP_TYPE_HASH_OF_MAPS); __uint(max_entries, 4); __type(key, __u32);
         __array(values, struct inner); } outer_hash SEC(".maps");

int tail_target(struct __sk_buff *skb);
struct { __uint(type, BPF_MAP_TYPE_PROG_ARRAY); __uint(max_entries, 2); __type(key, __u32);
         __array(values, int (void *)); } jumps SEC(".maps") = { .values = { [1] = (void *)&tail_target } };

static long add_index(__u32 index, void *ctx)
{
    *(__u64 *)ctx += index;
    return 0;
}

static long sum_value(void *map, __u32 *key, __u64 *value, void *ctx)
{
    *(__u64 *)ctx += *value;
    return 0;
}

SEC("socket")
int tail_target(struct __sk_buff *skb)
{
    return 1;
}

SEC("socket")
int use_maps(struct __sk_buff *skb)
{
    __u32 key = 0, small = 7;
    __u64 total = 0, *slot;
    struct lpm_key lk = { 32, skb->len };

    bpf_loop(8, add_index, &total, 0);
    bpf_for_each_map_elem(&array, sum_value, &total, 0);
    bpf_map_update_elem(&hash, &key, &total, BPF_ANY);
    bpf_map_update_elem(&percpu_hash, &key, &small, BPF_ANY);
    slot = bpf_map_lookup_elem(&percpu_array, &key);
    if (slot)
        *slot += 1;
    __u64 lkey = total;
    bpf_map_update_elem(&lru, &lkey, &small, BPF_ANY);
    if (bpf_map_lookup_elem(&lpm, &lk))
        total++;
    bpf_map_push_elem(&queue, &small, 0);
    bpf_map_push_elem(&stack, &small, 0);
    void *inner = bpf_map_lookup_elem(&outer, &key);
    if (inner)
        bpf_map_lookup_elem(inner, &key);
    inner = bpf_map_lookup_elem(&outer_hash, &key);
    if (inner)
        bpf_map_lookup_elem(inner, &key);
    __u64 *event = bpf_ringbuf_reserve(&ringbuf, sizeof(__u64), 0);
    if (event) {
        *event = total;
        bpf_ringbuf_submit(event, 0);
    }
    bpf_perf_event_output(skb, &perf_events, BPF_F_CURRENT_CPU, &total, sizeof(total));
    bpf_tail_call(skb, &jumps, 1);
    return 0;
}
