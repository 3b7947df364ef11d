// The C shim: Swift cannot call variadic syscall(2). No logic lives here.
#ifndef CBPFSYSCALL_H
#define CBPFSYSCALL_H

#include <errno.h>
#include <sys/epoll.h> /* re-exported: Glibc's module map leaves epoll out */
#include <sys/ioctl.h>
#include <sys/vfs.h> /* re-exported: statfs, to recognise bpffs */
#include <sys/syscall.h>
#include <unistd.h>

/// bpf(2): the result, or -errno.
static inline long sbpf_bpf(int cmd, void *attr, unsigned int size)
{
	long r = syscall(__NR_bpf, cmd, attr, size);
	return r < 0 ? -(long)errno : r;
}

/// perf_event_open(2): a file descriptor, or -errno.
static inline long sbpf_perf_event_open(void *attr, int pid, int cpu, int group_fd, unsigned long flags)
{
	long r = syscall(__NR_perf_event_open, attr, pid, cpu, group_fd, flags);
	return r < 0 ? -(long)errno : r;
}

/// ioctl(2) with an integer argument: the result, or -errno.
static inline int sbpf_ioctl(int fd, unsigned long request, unsigned long arg)
{
	int r = ioctl(fd, request, arg);
	return r < 0 ? -errno : r;
}

#endif
