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

/// fsopen(2): a filesystem context descriptor, or -errno.
static inline long sbpf_fsopen(const char *fs_name, unsigned int flags)
{
	long r = syscall(__NR_fsopen, fs_name, flags);
	return r < 0 ? -(long)errno : r;
}

/// fsconfig(2): 0, or -errno.
static inline long sbpf_fsconfig(int fd, unsigned int cmd, const char *key, const void *value, int aux)
{
	long r = syscall(__NR_fsconfig, fd, cmd, key, value, aux);
	return r < 0 ? -(long)errno : r;
}

/// fsmount(2): a detached mount descriptor, or -errno.
static inline long sbpf_fsmount(int fs_fd, unsigned int flags, unsigned int attr_flags)
{
	long r = syscall(__NR_fsmount, fs_fd, flags, attr_flags);
	return r < 0 ? -(long)errno : r;
}

/// move_mount(2): 0, or -errno.
static inline long sbpf_move_mount(int from_dfd, const char *from_path, int to_dfd, const char *to_path,
				   unsigned int flags)
{
	long r = syscall(__NR_move_mount, from_dfd, from_path, to_dfd, to_path, flags);
	return r < 0 ? -(long)errno : r;
}

/// pidfd_open(2): a descriptor naming process `pid`, or -errno.
static inline long sbpf_pidfd_open(int pid, unsigned int flags)
{
	long r = syscall(__NR_pidfd_open, pid, flags);
	return r < 0 ? -(long)errno : r;
}

/// setns(2): 0, or -errno.
static inline long sbpf_setns(int fd, int nstype)
{
	long r = syscall(__NR_setns, fd, nstype);
	return r < 0 ? -(long)errno : r;
}

#endif
