// Linux errno numbers that BPF helpers return (negated) and bpf(2) sets.
// Values from the kernel's include/uapi/asm-generic/errno-base.h and errno.h; ENOTSUPP (524)
// is kernel-internal but reaches user space from some BPF paths.

export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  E2BIG: 7,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENODEV: 19,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ENOSPC: 28,
  ERANGE: 34,
  ENOSYS: 38,
  ELOOP: 40,
  ENOTSUP: 95,
  EOPNOTSUPP: 95,
  EMSGSIZE: 90,
  ENOBUFS: 105,
  ETIMEDOUT: 110,
  ENOTSUPP: 524,
} as const;

export type ErrnoName = keyof typeof Errno;

/** The conventional name of an errno value (EOPNOTSUPP for 95), or `errno N`. */
export function errnoName(errno: number): string {
  if (errno === 95) return 'EOPNOTSUPP';
  for (const [k, v] of Object.entries(Errno)) if (v === errno) return k;
  return `errno ${errno}`;
}
