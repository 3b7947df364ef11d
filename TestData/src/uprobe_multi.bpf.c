// SPDX-License-Identifier: GPL-2.0
// One uprobe.multi program for several functions: each call counts under its link cookie.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

__u64 calls[8];

SEC("uprobe.multi")
int count_calls(void *ctx)
{
    __u64 cookie = bpf_get_attach_cookie(ctx);
    if (cookie < 8)
        __sync_fetch_and_add(&calls[cookie], 1);
    return 0;
}

__u64 auto_calls;

// Attached by its section (Attach.auto): in_registers and on_stack of the USDT test binary,
// which the tests link at /tmp/swiftbpf-usdt-target.
SEC("uprobe.multi//tmp/swiftbpf-usdt-target:[io]n_*")
int count_auto(void *ctx)
{
    __sync_fetch_and_add(&auto_calls, 1);
    return 0;
}
