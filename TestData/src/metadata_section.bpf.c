// SPDX-License-Identifier: GPL-2.0
// The original metadata proposal's form: variables in a `.metadata` section.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

volatile const char bpf_metadata_revision[] SEC(".metadata") = "4f2c9e1";
volatile const unsigned int bpf_metadata_schema SEC(".metadata") = 3;

SEC("socket")
int tagged(struct __sk_buff *skb)
{
    return 0;
}
