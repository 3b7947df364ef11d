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
