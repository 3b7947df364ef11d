// SPDX-License-Identifier: GPL-2.0
// A syscall program, run with BPF_PROG_TEST_RUN, that writes `count` records
// of four sizes (4, 12, 28 and 60 bytes) to a ring buffer. Each record starts
// with its sequence number; every third one (seq % 3 == 2) is discarded, so a
// reader must see exactly the others, in order.
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 16384);
} events SEC(".maps");

struct args {
    __u32 count;
};

#define EMIT(size)                                                  \
    do {                                                            \
        __u32 *r = bpf_ringbuf_reserve(&events, size, 0);           \
        if (!r)                                                     \
            return -1;                                              \
        r[0] = i;                                                   \
        if (i % 3 == 2)                                             \
            bpf_ringbuf_discard(r, 0);                              \
        else                                                        \
            bpf_ringbuf_submit(r, 0);                               \
    } while (0)

SEC("syscall")
int emit(struct args *ctx)
{
    __u32 count = ctx->count;
    for (__u32 i = 0; i < 64 && i < count; i++) {
        switch (i % 4) {
        case 0: EMIT(4); break;
        case 1: EMIT(12); break;
        case 2: EMIT(28); break;
        default: EMIT(60); break;
        }
    }
    return 0;
}
