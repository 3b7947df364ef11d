// SPDX-License-Identifier: GPL-2.0
// A libbpf-style USDT object (usdt.bpf.h from libbpf, unchanged): one program per probe of
// TestData/usdt/usdt_target, each counting calls and recording its arguments in globals.
// The argument registers are x86-64's pt_regs (the test binary's architecture).
#define __TARGET_ARCH_x86 1
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/usdt.bpf.h>

char LICENSE[] SEC("license") = "GPL";

__u64 args_calls, stack_calls, constant_calls, plain_calls, twice_calls, guarded_calls;
int last_i, args_count;
long last_big;
short last_small;
unsigned char last_byte;
long args_cookie;
int stack_i;
long stack_local;
int constant_first, constant_second;
long twice_sum;
long guarded_value;

SEC("usdt")
int BPF_USDT(on_args, int i, long big, short small, unsigned char byte)
{
    args_calls++;
    last_i = i;
    last_big = big;
    last_small = small;
    last_byte = byte;
    args_count = bpf_usdt_arg_cnt(ctx);
    args_cookie = bpf_usdt_cookie(ctx);
    return 0;
}

SEC("usdt")
int BPF_USDT(on_stack, int i, long local)
{
    stack_calls++;
    stack_i = i;
    stack_local = local;
    return 0;
}

SEC("usdt")
int BPF_USDT(on_constant, int first, int second)
{
    constant_calls++;
    constant_first = first;
    constant_second = second;
    return 0;
}

SEC("usdt")
int BPF_USDT(on_plain)
{
    plain_calls++;
    return 0;
}

SEC("usdt")
int BPF_USDT(on_twice, int which)
{
    twice_calls++;
    twice_sum += which;
    return 0;
}

SEC("usdt")
int BPF_USDT(on_guarded, long value)
{
    guarded_calls++;
    guarded_value = value;
    return 0;
}

__u64 auto_plain_calls;

// Attached by its section (Attach.auto(_:of:)); the tests link /tmp/swiftbpf-usdt-target to the binary.
SEC("usdt//tmp/swiftbpf-usdt-target:swiftbpf:plain")
int BPF_USDT(auto_plain)
{
    auto_plain_calls++;
    return 0;
}
