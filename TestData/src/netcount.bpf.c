// SPDX-License-Identifier: GPL-2.0
// Programs attached to an interface and a cgroup in tests: count UDP packets
// to `port` arriving on an interface (XDP and tcx ingress, passing everything), and
// IPv4 connect() calls made by process `pid` (cgroup/connect4, allowing all).
// Both targets are `const volatile`, set by the test before loading; `port`
// is in network byte order, so both byte orders compile to the same code.
#include <linux/bpf.h>
#include <linux/types.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

const volatile __u16 port = 0;
const volatile __u32 pid = 0;
__u64 udp_packets = 0;
__u64 connects = 0;
__u64 tc_packets = 0;

/* Whether an Ethernet frame holds a UDP datagram to `port`. */
static __always_inline int udp_to_port(void *data, void *end)
{
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
        return 0;
    struct iphdr *ip = (void *)(eth + 1);
    if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_UDP || ip->ihl != 5)
        return 0;
    struct udphdr *udp = (void *)(ip + 1);
    return (void *)(udp + 1) <= end && udp->dest == port;
}

SEC("xdp")
int count_udp(struct xdp_md *ctx)
{
    if (udp_to_port((void *)(long)ctx->data, (void *)(long)ctx->data_end))
        __sync_fetch_and_add(&udp_packets, 1);
    return XDP_PASS;
}

SEC("tcx/ingress")
int count_udp_tc(struct __sk_buff *skb)
{
    if (udp_to_port((void *)(long)skb->data, (void *)(long)skb->data_end))
        __sync_fetch_and_add(&tc_packets, 1);
    return -1; /* TCX_NEXT: let the packet continue (older uapi headers lack the name) */
}

SEC("cgroup/connect4")
int count_connect(struct bpf_sock_addr *ctx)
{
    if ((bpf_get_current_pid_tgid() >> 32) == pid)
        __sync_fetch_and_add(&connects, 1);
    return 1;
}
