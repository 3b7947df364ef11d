// SPDX-License-Identifier: GPL-2.0
// __kconfig externs: the kernel version, a bool, a tristate, a number, a
// string, and a weak option no kernel has.
#include <linux/bpf.h>
#include <linux/types.h>
#include <stdbool.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";


extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern bool LINUX_HAS_BPF_COOKIE __kconfig __weak;
extern bool CONFIG_BPF_SYSCALL __kconfig;
extern enum libbpf_tristate CONFIG_BPF_JIT __kconfig __weak;
extern int CONFIG_HZ __kconfig __weak;
extern char CONFIG_DEFAULT_HOSTNAME[16] __kconfig __weak;
extern int CONFIG_SWIFTBPF_NO_SUCH_OPTION __kconfig __weak;

__u64 seen = 0;

SEC("socket")
int read_config(struct __sk_buff *skb)
{
    seen = LINUX_KERNEL_VERSION + LINUX_HAS_BPF_COOKIE + CONFIG_BPF_SYSCALL + CONFIG_BPF_JIT + CONFIG_HZ
         + CONFIG_DEFAULT_HOSTNAME[0] + CONFIG_SWIFTBPF_NO_SUCH_OPTION;
    return 0;
}
