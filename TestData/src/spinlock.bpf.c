// SPDX-License-Identifier: GPL-2.0
// A map value holding a bpf_spin_lock: user space reads and writes it with
// BPF_F_LOCK (the kernel takes the lock around the copy); the program takes
// it around its own update.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct counter {
    struct bpf_spin_lock lock;
    __u64 count;
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct counter);
} locked SEC(".maps");

SEC("syscall")
int add_one(void *ctx)
{
    __u32 key = 0;
    struct counter *c = bpf_map_lookup_elem(&locked, &key);
    if (!c)
        return 1;
    bpf_spin_lock(&c->lock);
    c->count++;
    bpf_spin_unlock(&c->lock);
    return 0;
}
