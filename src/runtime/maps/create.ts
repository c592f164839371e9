// The factory: checks a spec as BPF_MAP_CREATE would (same errno for the same spec), then picks
// the implementation by type and registers the map when a registry is given. Types the runtime
// does not implement (sockmap, storage maps, stack traces, ...) throw NotSupportedError.

import { BpfError, NotSupportedError, TsbpfError } from '../../errors.js';
import { Errno } from '../../uapi/errno.js';
import { mapDescriptor } from '../../uapi/map-descriptors.js';
import { BPF_F_RDONLY, BPF_F_WRONLY, NR_CPUS } from '../../uapi/map-flags.js';
import { MapType } from '../../uapi/map-types.js';
import type { AddressSpace } from '../memory.js';
import { ArrayMap, checkArraySpec } from './array.js';
import { ArrayOfMapsMap } from './array-of-maps.js';
import type { BpfMap } from './base.js';
import { BloomFilterMap, checkBloomSpec } from './bloom-filter.js';
import { mapCharge } from './budget.js';
import { CpuMap, checkCpumapSpec } from './cpumap.js';
import { checkDevmapSpec, DevMap } from './devmap.js';
import { checkDevmapHashSpec, DevMapHash } from './devmap-hash.js';
import { checkHashSpec, HashMap } from './hash.js';
import { HashOfMapsMap } from './hash-of-maps.js';
import { checkInnerTemplate } from './inner-map.js';
import { checkLpmSpec, LpmTrieMap } from './lpm-trie.js';
import { LruHashMap } from './lru-hash.js';
import { LruPercpuHashMap } from './lru-percpu-hash.js';
import { PercpuArrayMap } from './percpu-array.js';
import { PercpuHashMap } from './percpu-hash.js';
import { checkPerfEventArraySpec, PerfEventArrayMap } from './perf-event-array.js';
import { checkFdArraySpec, ProgArrayMap } from './prog-array.js';
import { checkQueueStackSpec, QueueMap } from './queue.js';
import { checkRingbufSpec, RingBufMap } from './ringbuf.js';
import { StackMap } from './stack.js';
import { type CreateMapOptions, DEFAULT_CPUS, type MapSpecLike } from './types.js';
import { checkXskmapSpec, XskMap } from './xskmap.js';

const isU32 = (n: unknown): n is number =>
  Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 0xffffffff;

/**
 * The errno BPF_MAP_CREATE gives for `spec` (0: accepted). Throws for what is not a map spec at
 * all (unknown type, sizes that are not u32) and NotSupportedError for types not implemented.
 */
export function checkMapSpec(spec: MapSpecLike, options: CreateMapOptions = {}): number {
  if (!(spec.type in MapType))
    throw new TsbpfError('INVALID_ARGUMENT', `unknown map type '${String(spec.type)}'`);
  for (const f of ['keySize', 'valueSize', 'maxEntries'] as const) {
    if (!isU32(spec[f])) throw new TsbpfError('INVALID_ARGUMENT', `${f} must be a u32, is ${spec[f]}`);
  }
  const flags = spec.flags ?? 0;
  if (!isU32(flags)) throw new TsbpfError('INVALID_ARGUMENT', `flags must be a u32, is ${flags}`);
  const cpus = options.cpus ?? DEFAULT_CPUS;
  if (!Number.isInteger(cpus) || cpus < 1 || cpus > NR_CPUS) {
    throw new TsbpfError('INVALID_ARGUMENT', `cpus must be 1..${NR_CPUS}, is ${cpus}`);
  }
  if (mapDescriptor(spec.type) === undefined) throw new NotSupportedError(`map type ${spec.type}`);
  // map_create(): map_extra is for the bloom filter (and arena) only; RDONLY with WRONLY is EINVAL.
  if ((spec.mapExtra ?? 0n) !== 0n && spec.type !== 'BLOOM_FILTER') return Errno.EINVAL;
  if (flags & BPF_F_RDONLY && flags & BPF_F_WRONLY) return Errno.EINVAL;
  switch (spec.type) {
    case 'ARRAY':
    case 'PERCPU_ARRAY':
      return checkArraySpec(spec);
    case 'PROG_ARRAY':
      return checkFdArraySpec(spec);
    case 'ARRAY_OF_MAPS':
      return checkFdArraySpec(spec) || checkInnerTemplate(spec);
    case 'PERF_EVENT_ARRAY':
      return checkPerfEventArraySpec(spec);
    case 'HASH':
    case 'PERCPU_HASH':
    case 'LRU_HASH':
    case 'LRU_PERCPU_HASH':
      return checkHashSpec(spec);
    case 'HASH_OF_MAPS':
      return (spec.valueSize !== 4 ? Errno.EINVAL : checkHashSpec(spec)) || checkInnerTemplate(spec);
    case 'LPM_TRIE':
      return checkLpmSpec(spec);
    case 'RINGBUF':
      return checkRingbufSpec(spec);
    case 'QUEUE':
    case 'STACK':
      return checkQueueStackSpec(spec);
    case 'BLOOM_FILTER':
      return checkBloomSpec(spec);
    case 'DEVMAP':
      return checkDevmapSpec(spec);
    case 'DEVMAP_HASH':
      return checkDevmapHashSpec(spec);
    case 'CPUMAP':
      return checkCpumapSpec(spec);
    case 'XSKMAP':
      return checkXskmapSpec(spec);
    default:
      throw new NotSupportedError(`map type ${spec.type}`);
  }
}

/**
 * Creates a map in `space`. A spec the kernel would refuse throws BpfError (BPF_MAP_CREATE) with the kernel's
 * errno; with `options.registry` the map is registered (id and handle address).
 */
export function createMap(space: AddressSpace, spec: MapSpecLike, options: CreateMapOptions = {}): BpfMap {
  const errno = checkMapSpec(spec, options);
  const label = `map${spec.name ? ` '${spec.name}'` : ''} (${spec.type})`;
  if (errno !== 0) throw new BpfError('BPF_MAP_CREATE', errno, { subject: label });
  const budget = options.budget;
  const charge = budget === undefined ? 0 : mapCharge(spec, options.cpus ?? DEFAULT_CPUS);
  if (budget !== undefined && !budget.charge(charge)) {
    throw new BpfError('BPF_MAP_CREATE', Errno.ENOMEM, {
      subject: label,
      reason: `needs ${charge} bytes, memory limit ${budget.limit} has ${budget.limit - budget.used} left`,
    });
  }
  let map: BpfMap;
  try {
    map = construct(space, spec, options);
  } catch (e) {
    budget?.refund(charge);
    // The address space (4 GiB of linear memory) has no room: the kernel's allocation failure.
    if (e instanceof RangeError)
      throw new BpfError('BPF_MAP_CREATE', Errno.ENOMEM, { subject: label, reason: e.message, cause: e });
    throw e;
  }
  if (budget !== undefined) map.onClose(() => budget.refund(charge));
  options.registry?.register(map);
  return map;
}

function construct(space: AddressSpace, spec: MapSpecLike, o: CreateMapOptions): BpfMap {
  switch (spec.type) {
    case 'ARRAY':
      return new ArrayMap(space, spec, o);
    case 'PERCPU_ARRAY':
      return new PercpuArrayMap(space, spec, o);
    case 'PROG_ARRAY':
      return new ProgArrayMap(space, spec, o);
    case 'ARRAY_OF_MAPS':
      return new ArrayOfMapsMap(space, spec, o);
    case 'PERF_EVENT_ARRAY':
      return new PerfEventArrayMap(space, spec, o);
    case 'HASH':
      return new HashMap(space, spec, o);
    case 'PERCPU_HASH':
      return new PercpuHashMap(space, spec, o);
    case 'LRU_HASH':
      return new LruHashMap(space, spec, o);
    case 'LRU_PERCPU_HASH':
      return new LruPercpuHashMap(space, spec, o);
    case 'HASH_OF_MAPS':
      return new HashOfMapsMap(space, spec, o);
    case 'LPM_TRIE':
      return new LpmTrieMap(space, spec, o);
    case 'RINGBUF':
      return new RingBufMap(space, spec, o);
    case 'QUEUE':
      return new QueueMap(space, spec, o);
    case 'STACK':
      return new StackMap(space, spec, o);
    case 'BLOOM_FILTER':
      return new BloomFilterMap(space, spec, o);
    case 'DEVMAP':
      return new DevMap(space, spec, o);
    case 'DEVMAP_HASH':
      return new DevMapHash(space, spec, o);
    case 'CPUMAP':
      return new CpuMap(space, spec, o);
    case 'XSKMAP':
      return new XskMap(space, spec, o);
    default:
      throw new NotSupportedError(`map type ${spec.type}`);
  }
}
