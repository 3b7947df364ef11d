// Programs attached through BPF trampolines and BTF tracepoints: fentry and
// fexit on do_nanosleep, tp_btf/sys_enter, and an LSM hook — each counting
// only the calls of the process whose tgid user space puts in target_tgid.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 target_tgid = 0;
__u64 fentry_calls = 0, fexit_calls = 0, sys_enter_calls = 0, file_open_calls = 0;

static __always_inline int mine(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == target_tgid;
}

SEC("fentry/do_nanosleep")
int BPF_PROG(enter_nanosleep, struct hrtimer_sleeper *t, enum hrtimer_mode mode)
{
	if (mine())
		__sync_fetch_and_add(&fentry_calls, 1);
	return 0;
}

SEC("fexit/do_nanosleep")
int BPF_PROG(exit_nanosleep, struct hrtimer_sleeper *t, enum hrtimer_mode mode, int ret)
{
	if (mine())
		__sync_fetch_and_add(&fexit_calls, 1);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(enter_syscall, struct pt_regs *regs, long id)
{
	if (mine())
		__sync_fetch_and_add(&sys_enter_calls, 1);
	return 0;
}

SEC("lsm/file_open")
int BPF_PROG(check_file_open, struct file *file)
{
	if (mine())
		__sync_fetch_and_add(&file_open_calls, 1);
	return 0;
}
