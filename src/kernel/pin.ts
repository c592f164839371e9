// BPF_OBJ_PIN and BPF_OBJ_GET: a bpf object fd given a path in a bpffs, and a path opened back
// into an fd. A pinned object lives while its path does (unlink removes it). The kind of the
// fd returned by OBJ_GET is told by its /proc/self/fd link (anon_inode:bpf-map, bpf-prog, and
// bpf_link for a new link but bpf-link for one opened from a pin, as 6.18 names them).

import { readlinkSync, unlinkSync } from 'node:fs';
import { BpfError, TsbpfError } from '../errors.js';
import { BpfCmd } from '../uapi/index.js';
import { Attr } from './attr.js';
import { objectInfo } from './object-info.js';
import { closeFd } from './syscall.js';

/** union bpf_attr, the BPF_OBJ_* struct. */
const ObjPin = { pathname: 0, bpf_fd: 8, file_flags: 12 } as const;

export type BpfObjectKind = 'map' | 'program' | 'link';

function pathBytes(path: string): Uint8Array {
  if (path === '' || path.includes('\0'))
    throw new TsbpfError('INVALID_ARGUMENT', `pin path ${JSON.stringify(path)} is empty or holds NUL`);
  return new TextEncoder().encode(`${path}\0`);
}

/** Pins `fd` at `path`; errors name the path (ENOENT: no such directory, EPERM: not a bpffs). */
export function pinFd(fd: number, path: string, what: string): void {
  try {
    new Attr().ptrCopy(ObjPin.pathname, pathBytes(path)).u32(ObjPin.bpf_fd, fd).call(BpfCmd.OBJ_PIN);
  } catch (e) {
    if (e instanceof BpfError) throw new BpfError('BPF_OBJ_PIN', e.errno, { subject: `${what} at ${path}` });
    throw e;
  }
}

/** The kind of bpf object behind `fd`, or undefined when it is no bpf object. */
export function fdKind(fd: number): BpfObjectKind | undefined {
  const target = readlinkSync(`/proc/self/fd/${fd}`);
  if (target === 'anon_inode:bpf-map') return 'map';
  if (target === 'anon_inode:bpf-prog') return 'program';
  if (target === 'anon_inode:bpf_link' || target === 'anon_inode:bpf-link') return 'link';
  return undefined;
}

/** BPF_OBJ_GET of `path`, checked to be a `kind`; the fd is closed again when it is not. */
export function getPinned(path: string, kind: BpfObjectKind): number {
  let fd: number;
  try {
    fd = new Attr().ptrCopy(ObjPin.pathname, pathBytes(path)).call(BpfCmd.OBJ_GET);
  } catch (e) {
    if (e instanceof BpfError) throw new BpfError('BPF_OBJ_GET', e.errno, { subject: path });
    throw e;
  }
  const found = fdKind(fd);
  if (found !== kind) {
    closeFd(fd);
    throw new TsbpfError('INVALID_ARGUMENT', `${path} is pinned ${found ?? 'unknown object'}, not a ${kind}`);
  }
  return fd;
}

/** The kernel id of a bpf object fd: u32 at offset 4 of bpf_map_info, bpf_prog_info and bpf_link_info. */
const idOf = (fd: number): number => objectInfo(fd, 16).getUint32(4, true);

/** Unlinks the pin at `path` if it names the object behind `fd`; INVALID_ARGUMENT when another. */
export function unpinFd(fd: number, path: string, what: string): void {
  const kind = fdKind(fd);
  if (kind === undefined) throw new TsbpfError('INVALID_ARGUMENT', `${what} is no bpf object`);
  const there = getPinned(path, kind);
  try {
    if (idOf(there) !== idOf(fd))
      throw new TsbpfError('INVALID_ARGUMENT', `${path} pins another ${kind}, not ${what}`);
  } finally {
    closeFd(there);
  }
  unlinkSync(path);
}
