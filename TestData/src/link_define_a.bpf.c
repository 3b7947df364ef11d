// SPDX-License-Identifier: GPL-2.0
// Defines in .data.a the variable link_extern_b.bpf.c declares extern in .data.b.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

int v SEC(".data.a") = 1;

SEC("xdp")
int p3(void *ctx)
{
    return v;
}
