// The two backends of the parity test behind one small interface: what the backend-neutral
// Collection gives, plus what it lacks and a fair map comparison needs — the ids a PROG_ARRAY or
// map-of-maps value holds (translated to names, since ids differ by backend), a bloom filter
// membership probe, and draining a queue or stack. Test support; no comparison here.

import { BpfError } from '../../src/errors.js';
import { Attr, MapElem, ObjInfo } from '../../src/kernel/attr.js';
import type { KernelCollection } from '../../src/kernel/collection.js';
import { pinned } from '../../src/kernel/syscall.js';
import type { Collection } from '../../src/runtime/backend.js';
import type { VmCollection } from '../../src/runtime/vm/index.js';
import { BpfCmd, Errno } from '../../src/uapi/index.js';

export interface Side {
  readonly name: 'vm' | 'kernel';
  readonly collection: Collection;
  /** The program or map (by spec name) an id stored in a map value stands for. */
  idName(kind: 'prog' | 'map', id: number): string | undefined;
  /** Bloom filter membership (peek with a value): true, false, or an errno. */
  probe(map: string, value: Uint8Array): boolean | number;
  /** Pops a queue or stack empty, returning the values in pop order (or an errno). */
  drain(map: string): Uint8Array[] | number;
}

/** The errno of a backend's refusal; anything else is rethrown. */
export function errnoOf(e: unknown): number {
  const errno = (e as { errno?: unknown }).errno;
  if (typeof errno === 'number') return errno;
  throw e;
}

export function vmSide(c: VmCollection): Side {
  const progs = new Map([...c.programs].map(([name, p]) => [p.id, name]));
  const maps = new Map([...c.maps].map(([name, m]) => [c.registry.idOf(m.map), name]));
  return {
    name: 'vm',
    collection: c,
    idName: (kind, id) => (kind === 'prog' ? progs : maps).get(id),
    probe(map, value) {
      try {
        return c.map(map).map.peek(value) !== undefined;
      } catch (e) {
        return errnoOf(e);
      }
    },
    drain(map) {
      const out: Uint8Array[] = [];
      try {
        for (let v = c.map(map).map.pop(); v !== undefined; v = c.map(map).map.pop()) out.push(v);
      } catch (e) {
        return errnoOf(e);
      }
      return out;
    },
  };
}

/** struct bpf_map_info: id at +4; 80 bytes covers every field up to map_extra. */
const MAP_INFO_ID = 4;
const MAP_INFO_SIZE = 80;

function kernelMapId(fd: number): number {
  const info = pinned(MAP_INFO_SIZE);
  new Attr()
    .u32(ObjInfo.bpf_fd, fd)
    .u32(ObjInfo.info_len, MAP_INFO_SIZE)
    .ptr(ObjInfo.info, info)
    .call(BpfCmd.OBJ_GET_INFO_BY_FD);
  return new DataView(info.buffer).getUint32(MAP_INFO_ID, true);
}

export function kernelSide(c: KernelCollection): Side {
  const progs = new Map([...c.programs].map(([name, p]) => [p.kernel.id, name]));
  const maps = new Map([...c.maps].map(([name, m]) => [kernelMapId(m.fd), name]));
  // BLOOM_FILTER, QUEUE and STACK take the value (not a key) through BPF_MAP_LOOKUP_ELEM's value field.
  const valueCall = (map: string, cmd: number, value: Uint8Array): number => {
    try {
      new Attr().u32(MapElem.map_fd, c.map(map).fd).ptr(MapElem.value, value).call(cmd);
      return 0;
    } catch (e) {
      if (e instanceof BpfError) return e.errno;
      throw e;
    }
  };
  return {
    name: 'kernel',
    collection: c,
    idName: (kind, id) => (kind === 'prog' ? progs : maps).get(id),
    probe(map, value) {
      const buf = pinned(value.length);
      buf.set(value);
      const r = valueCall(map, BpfCmd.MAP_LOOKUP_ELEM, buf);
      return r === 0 ? true : r === Errno.ENOENT ? false : r;
    },
    drain(map) {
      const out: Uint8Array[] = [];
      const size = c.map(map).spec.valueSize;
      for (;;) {
        const buf = pinned(size);
        const r = valueCall(map, BpfCmd.MAP_LOOKUP_AND_DELETE_ELEM, buf);
        if (r === Errno.ENOENT) return out;
        if (r !== 0) return r;
        out.push(buf.slice(0, size));
      }
    },
  };
}
