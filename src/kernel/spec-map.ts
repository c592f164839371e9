// Creating one kernel map from a MapSpec: its kernel name, BTF key/value types (dropped for the
// map types libbpf never gives BTF, and retried without if the kernel refuses them), the inner
// template of a map-in-map, and global data (`.data`/`.rodata` bytes written; `.rodata` frozen).
// Prog-array and map-in-map slots are filled later by collection.ts, once programs exist.

import { BpfError, LoadError } from '../errors.js';
import type { MapOverride, MapSpec } from '../program/index.js';
import { BPF_F_RDONLY_PROG, type MapTypeName } from '../uapi/index.js';
import { kernelObjName } from './attr.js';
import { type CreateMapOptions, createMap, type KernelMap, possibleCpuCount } from './map.js';

/**
 * Map types created without BTF, as libbpf's bpf_object__create_map does: their values are fds,
 * ids or opaque, and the kernel refuses (or ignores) key/value types for them.
 */
const NO_BTF: ReadonlySet<MapTypeName> = new Set([
  'PERF_EVENT_ARRAY',
  'CGROUP_ARRAY',
  'STACK_TRACE',
  'ARRAY_OF_MAPS',
  'HASH_OF_MAPS',
  'DEVMAP',
  'DEVMAP_HASH',
  'CPUMAP',
  'XSKMAP',
  'SOCKMAP',
  'SOCKHASH',
  'QUEUE',
  'STACK',
  'ARENA',
]);

export interface SpecMapContext {
  /** fd of the loaded BTF, when there is one. */
  readonly btfFd?: number;
  /** Fallbacks taken, for KernelCollection.notes. */
  readonly notes: string[];
}

/** Changes applied to a MapSpec before it is created (the loader option, program/load-options.ts). */
export type { MapOverride };

/** True for the maps libbpf freezes after writing them: `.rodata*` (read-only for programs). */
export function isReadOnlyData(spec: MapSpec): boolean {
  return (
    spec.contents?.kind === 'data' &&
    (spec.name.startsWith('.rodata') || (spec.flags & BPF_F_RDONLY_PROG) !== 0)
  );
}

/** Creates `spec` (and its inner template, which is closed once the outer map holds it). */
/** libbpf sizes a perf event array left at max_entries 0 to the possible CPUs; the kernel refuses 0. */
export function defaultMaxEntries(spec: MapSpec): number {
  return spec.type === 'PERF_EVENT_ARRAY' && spec.maxEntries === 0 ? possibleCpuCount() : spec.maxEntries;
}

export function createSpecMap(spec: MapSpec, ctx: SpecMapContext, override: MapOverride = {}): KernelMap {
  let inner: KernelMap | undefined;
  if (spec.innerMap !== undefined) inner = createSpecMap(spec.innerMap, ctx);
  try {
    const base: CreateMapOptions = {
      type: spec.type,
      keySize: spec.keySize,
      valueSize: spec.valueSize,
      maxEntries: override.maxEntries ?? defaultMaxEntries(spec),
      flags: override.flags ?? spec.flags,
      name: kernelObjName(spec.name),
      ...(inner === undefined ? {} : { innerMapFd: inner.fd }),
      ...(spec.numaNode === undefined ? {} : { numaNode: spec.numaNode }),
      ...(spec.mapExtra === undefined ? {} : { mapExtra: spec.mapExtra }),
    };
    const withBtf =
      ctx.btfFd !== undefined && spec.btfValueType !== undefined && !NO_BTF.has(spec.type)
        ? {
            ...base,
            btfFd: ctx.btfFd,
            btfKeyTypeId: spec.btfKeyType ?? 0,
            btfValueTypeId: spec.btfValueType,
          }
        : undefined;
    let map: KernelMap;
    if (withBtf === undefined) {
      map = createMap(base);
    } else {
      try {
        map = createMap(withBtf);
      } catch (e) {
        // libbpf retries without BTF too; maps whose values need it (spin locks, timers, kptrs)
        // then fail again, with the kernel's own errno.
        if (!(e instanceof BpfError)) throw e;
        map = createMap(base);
        ctx.notes.push(
          `map ${spec.name}: created without BTF (kernel refused key/value types: ${e.message})`,
        );
      }
    }
    try {
      writeData(map, spec, override.data);
    } catch (e) {
      map.close();
      throw e;
    }
    return map;
  } finally {
    inner?.close();
  }
}

/** Writes the initial value of a global-data map and freezes `.rodata`. */
function writeData(map: KernelMap, spec: MapSpec, override: Uint8Array | undefined): void {
  const bytes = override ?? (spec.contents?.kind === 'data' ? spec.contents.bytes : undefined);
  if (bytes !== undefined) {
    if (bytes.length > spec.valueSize) {
      throw new LoadError(
        'LOAD_ERROR',
        `map ${spec.name}: initial data is ${bytes.length} bytes, the value only ${spec.valueSize}`,
      );
    }
    const value = new Uint8Array(map.valueBufferSize);
    value.set(bytes);
    map.update(new Uint8Array(spec.keySize), value);
  }
  if (isReadOnlyData(spec)) map.freeze();
}
