// SPDX-License-Identifier: GPL-2.0
// Metadata of every shape bpftool decodes: enum, struct, array, signed and 64-bit integers.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

enum level { LOW = 1, HIGH = 7 };
struct version { unsigned short major; unsigned short minor; };

volatile const enum level bpf_metadata_level = HIGH;
volatile const struct version bpf_metadata_version = { 2, 5 };
volatile const int bpf_metadata_list[3] = { 1, 2, 3 };
volatile const signed char bpf_metadata_small = -3;
volatile const unsigned long long bpf_metadata_big = 18446744073709551615ULL;

SEC("socket")
int shapes(struct __sk_buff *skb)
{
    return 0;
}
