// What map-in-map types share: checking that a map id may be stored (it names a live map in
// the registry that matches the inner-map template, as the kernel's bpf_map_meta_equal() and
// array_map_meta_equal() decide), and turning a stored id into the inner map's handle address.

import { TsbpfError } from '../../errors.js';
import { Errno } from '../../uapi/errno.js';
import { BPF_F_INNER_MAP } from '../../uapi/map-flags.js';
import type { MapRegistry } from './registry.js';
import type { MapSpecLike } from './types.js';

/** Creation checks of the template: missing EBADF (no inner_map_fd), nested map-in-map EINVAL. */
export function checkInnerTemplate(spec: MapSpecLike): number {
  const inner = spec.innerMap;
  if (inner === undefined) return Errno.EBADF;
  if (inner.type === 'ARRAY_OF_MAPS' || inner.type === 'HASH_OF_MAPS') return Errno.EINVAL;
  return 0;
}

/** 0 when `id` may be stored in a map-in-map created from `spec`, else -errno. */
export function checkInnerId(registry: MapRegistry, spec: MapSpecLike, id: number): number {
  const inner = registry.byId(id);
  const t = spec.innerMap;
  if (inner === undefined || t === undefined) return -Errno.EBADF;
  const tFlags = t.flags ?? 0;
  const same =
    inner.type === t.type &&
    inner.keySize === t.keySize &&
    inner.valueSize === t.valueSize &&
    inner.flags === tFlags &&
    (inner.type !== 'ARRAY' || tFlags & BPF_F_INNER_MAP || inner.maxEntries === t.maxEntries);
  return same ? 0 : -Errno.EINVAL;
}

export function requireRegistry(registry: MapRegistry | undefined, type: string): MapRegistry {
  if (registry === undefined)
    throw new TsbpfError('INVALID_ARGUMENT', `${type} needs a MapRegistry in its options`);
  return registry;
}
