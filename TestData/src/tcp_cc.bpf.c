// struct_ops: a minimal Reno-like TCP congestion control, declared twice —
// `swift_cc` in `.struct_ops.link` (registered through a BPF link) and
// `swift_cc_map` in `.struct_ops` (registered by the map update itself) —
// sharing its programs. `unused_op` is referenced by neither map, so it is
// not loaded (as libbpf does).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char _license[] SEC("license") = "GPL";

/* Counts calls to init, so a test can see that the kernel ran the program. */
__u64 init_calls = 0;

static __always_inline struct tcp_sock *tcp_sk(const struct sock *sk)
{
	return (struct tcp_sock *)sk;
}

SEC("struct_ops")
void BPF_PROG(swift_init, struct sock *sk)
{
	__sync_fetch_and_add(&init_calls, 1);
}

SEC("struct_ops")
__u32 BPF_PROG(swift_ssthresh, struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	__u32 half = tp->snd_cwnd >> 1;
	return half > 2 ? half : 2;
}

SEC("struct_ops")
void BPF_PROG(swift_cong_avoid, struct sock *sk, __u32 ack, __u32 acked)
{
	struct tcp_sock *tp = tcp_sk(sk);
	if (tp->snd_cwnd < tp->snd_cwnd_clamp)
		tp->snd_cwnd++;
}

SEC("struct_ops")
__u32 BPF_PROG(swift_undo_cwnd, struct sock *sk)
{
	return tcp_sk(sk)->snd_cwnd;
}

SEC("struct_ops")
void BPF_PROG(unused_op, struct sock *sk)
{
}

SEC(".struct_ops.link")
struct tcp_congestion_ops swift_cc = {
	.init = (void *)swift_init,
	.ssthresh = (void *)swift_ssthresh,
	.cong_avoid = (void *)swift_cong_avoid,
	.undo_cwnd = (void *)swift_undo_cwnd,
	.flags = 0,
	.name = "swiftbpf_cc",
};

SEC(".struct_ops")
struct tcp_congestion_ops swift_cc_map = {
	.ssthresh = (void *)swift_ssthresh,
	.cong_avoid = (void *)swift_cong_avoid,
	.undo_cwnd = (void *)swift_undo_cwnd,
	.name = "swiftbpf_cc_map",
};
