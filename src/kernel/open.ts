// Opening bpf objects this process did not create, as bpftool names them: by kernel id
// (BPF_*_GET_FD_BY_ID), by pinned path (BPF_OBJ_GET), or by name (walking BPF_*_GET_NEXT_ID
// and reading each object's info). The handle owns the new fd; closing it leaves the object
// to its other holders (pins, links, other processes).

import { BpfError, TsbpfError } from '../errors.js';
import { BpfCmd, Errno } from '../uapi/index.js';
import { Attr, kernelObjName } from './attr.js';
import { KernelLink } from './link.js';
import { KernelMap } from './map.js';
import { mapInfo, programInfo } from './object-info.js';
import { type BpfObjectKind, getPinned } from './pin.js';
import { KernelProgram } from './program.js';
import { closeFd } from './syscall.js';

/** union bpf_attr, the *_GET_NEXT_ID / *_GET_FD_BY_ID struct. */
const ById = { id: 0, next_id: 4, open_flags: 8 } as const;

/** Which object: its kernel id, its pin in a bpffs, or its name (must be unique; links have none). */
export type ObjectRef = { readonly id: number } | { readonly pinned: string } | { readonly name: string };

const COMMANDS: Record<BpfObjectKind, { next: number; byId: number }> = {
  map: { next: BpfCmd.MAP_GET_NEXT_ID, byId: BpfCmd.MAP_GET_FD_BY_ID },
  program: { next: BpfCmd.PROG_GET_NEXT_ID, byId: BpfCmd.PROG_GET_FD_BY_ID },
  link: { next: BpfCmd.LINK_GET_NEXT_ID, byId: BpfCmd.LINK_GET_FD_BY_ID },
};

function fdById(kind: BpfObjectKind, id: number): number {
  if (!Number.isInteger(id) || id <= 0 || id > 0xffffffff)
    throw new TsbpfError('INVALID_ARGUMENT', `${kind} id ${id} is not a positive u32`);
  try {
    return new Attr().u32(ById.id, id).call(COMMANDS[kind].byId);
  } catch (e) {
    if (e instanceof BpfError && e.errno === Errno.ENOENT)
      throw new TsbpfError('INVALID_ARGUMENT', `no ${kind} with id ${id}`, { cause: e });
    throw e;
  }
}

/** Every id of `kind` the kernel has now, ascending. */
export function objectIds(kind: BpfObjectKind): number[] {
  const ids: number[] = [];
  for (let id = 0; ; ) {
    const attr = new Attr().u32(ById.id, id);
    try {
      attr.call(COMMANDS[kind].next);
    } catch (e) {
      if (e instanceof BpfError && e.errno === Errno.ENOENT) return ids;
      throw e;
    }
    id = attr.getU32(ById.next_id);
    ids.push(id);
  }
}

/** Opens every object of `kind` whose kernel name is `name` (cut as the kernel cuts it). */
function fdByName(kind: 'map' | 'program', name: string): number {
  const want = kernelObjName(name);
  const found: { id: number; fd: number }[] = [];
  for (const id of objectIds(kind)) {
    let fd: number;
    try {
      fd = fdById(kind, id);
    } catch {
      continue; // gone since the walk saw it
    }
    const info = kind === 'map' ? mapInfo(fd) : programInfo(fd);
    if (info.name === want) found.push({ id, fd });
    else closeFd(fd);
  }
  if (found.length === 1) return found[0]!.fd;
  for (const f of found) closeFd(f.fd);
  throw new TsbpfError(
    'INVALID_ARGUMENT',
    found.length === 0
      ? `no ${kind} named '${want}'`
      : `${found.length} ${kind}s are named '${want}' (ids ${found.map((f) => f.id).join(', ')}): open one by id`,
  );
}

function openFd(kind: BpfObjectKind, ref: ObjectRef): number {
  if ('id' in ref) return fdById(kind, ref.id);
  if ('pinned' in ref) return getPinned(ref.pinned, kind);
  if (kind === 'link')
    throw new TsbpfError('INVALID_ARGUMENT', 'links have no names: open a link by id or pin');
  return fdByName(kind, ref.name);
}

/** Runs `make` over a fresh fd, closing the fd if it throws. */
function adopt<T>(fd: number, make: (fd: number) => T): T {
  try {
    return make(fd);
  } catch (e) {
    closeFd(fd);
    throw e;
  }
}

export function openMap(ref: ObjectRef): KernelMap {
  return adopt(openFd('map', ref), (fd) => {
    const i = mapInfo(fd);
    return new KernelMap(fd, {
      type: i.type,
      keySize: i.keySize,
      valueSize: i.valueSize,
      maxEntries: i.maxEntries,
      flags: i.flags,
      name: i.name,
      mapExtra: i.mapExtra,
    });
  });
}

export function openProgram(ref: ObjectRef): KernelProgram {
  return adopt(openFd('program', ref), (fd) => {
    const i = programInfo(fd);
    return new KernelProgram(fd, i.type, i.name, i.xlatedInsns, '');
  });
}

export function openLink(ref: ObjectRef): KernelLink {
  return adopt(openFd('link', ref), (fd) => {
    const link = new KernelLink(fd, 'link');
    const i = link.info();
    return new KernelLink(fd, `${i.type} link ${i.id}`);
  });
}
