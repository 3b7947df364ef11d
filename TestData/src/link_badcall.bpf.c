// SPDX-License-Identifier: GPL-2.0
// Declares link_lib.bpf.c's lib_add with a 64-bit second parameter: linking the two is an
// error naming the function (libbpf: "global 'lib_add': incompatible BTF kinds INT and ...").
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

extern int lib_add(int a, struct bpf_sock *b);

SEC("syscall")
int badcall_prog(void *ctx)
{
    return lib_add(1, 0);
}
