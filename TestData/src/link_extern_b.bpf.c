// SPDX-License-Identifier: GPL-2.0
// An extern declared in section .data.b (review finding: the linker trapped when a later input
// defined it in another section); linking it with link_define_a.bpf.c is a typed section mismatch.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern int v SEC(".data.b");

SEC("xdp")
int p4(void *ctx)
{
    return v;
}
