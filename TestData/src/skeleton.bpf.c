// SPDX-License-Identifier: GPL-2.0
// Global data of every BTF shape, for the generated Swift skeleton: nested
// structs, a union, arrays, enums (signed and 64-bit), bitfields, custom
// .rodata.* and .data.* sections, maps of two kinds; a syscall program
// (run with BPF_PROG_TEST_RUN) reads the settings and writes the results.
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

enum mode { MODE_OFF, MODE_COUNT = 2, MODE_SUM = 7 };
enum delta { DELTA_DOWN = -1, DELTA_UP = 1 };
enum big { BIG_ONE = 1, BIG_HUGE = 0x100000000ULL };

struct point { __s32 x, y; };
struct flags {
    unsigned int ready : 1, level : 3, code : 12;
    signed int delta : 4;
};
union value {
    __u64 raw;
    struct point p;
    __u8 bytes[8];
};
struct settings {
    enum mode mode;
    struct point origin;
    struct flags flags;
    union value seed;
    __u16 weights[3];
    enum delta direction;
    enum big big;
};
struct result {
    __u64 calls;
    __s64 sum;
    struct flags seen;
    union value last;
};

const volatile struct settings config = {
    .mode = MODE_COUNT, .origin = { 1, 2 }, .weights = { 1, 2, 3 }, .direction = DELTA_UP, .big = BIG_ONE,
};
const volatile __u32 limits[4] SEC(".rodata.limits") = { 10, 20, 30, 40 };
struct point path[4] SEC(".data.path") = { { 1, 1 } };
struct result result;

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 8);
    __type(key, __u32);
    __type(value, struct point);
} points SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4096);
} events SEC(".maps");

SEC("syscall")
int update(void *ctx)
{
    result.calls++;
    if (config.mode == MODE_SUM)
        result.sum += config.origin.x + config.origin.y + limits[1];
    else
        result.sum += config.weights[2] * config.direction;
    struct flags seen = config.flags;
    seen.level = (seen.level + 1) & 7;
    result.seen = seen;
    result.last.p = path[0];
    path[1].x = (int)result.calls;
    return 0;
}
