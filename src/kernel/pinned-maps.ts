// Maps declared with `pinning = LIBBPF_PIN_BY_NAME` (MapSpec.pinning 'by-name'), as libbpf
// treats them: pinned as `<pinPath>/<map name>`; when a map is already pinned there it is reused
// instead of created (its contents kept, no initial data written), provided it is compatible
// (libbpf's map_is_reuse_compat: type, key and value size, max_entries, map_flags, map_extra);
// otherwise the load fails naming every difference. New maps are pinned only once the whole
// collection has loaded, so a failed load leaves no pin behind.

import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { BpfError, Errno, LoadError, TsbpfError } from '../errors.js';
import type { MapSpec } from '../program/index.js';
import type { KernelMap } from './map.js';
import { openMap } from './open.js';

/** The shape a map will be created with (after overrides), compared with a pinned one. */
export interface MapShape {
  readonly maxEntries: number;
  readonly flags: number;
}

export interface PinnedMaps {
  /** Maps opened from their pins, by spec name: the collection uses (and closes) these fds. */
  readonly reused: ReadonlyMap<string, KernelMap>;
  /** Where each by-name map lives, by spec name (reused or still to be pinned). */
  readonly paths: ReadonlyMap<string, string>;
}

const BPF_F_RDONLY_PROG = 1 << 7;

function differences(m: MapSpec, shape: MapShape, pinned: KernelMap): string[] {
  const out: string[] = [];
  const cmp = (what: string, there: unknown, here: unknown) => {
    if (there !== here) out.push(`${what} ${String(there)} pinned, ${String(here)} here`);
  };
  cmp('type', pinned.type, m.type);
  cmp('key_size', pinned.keySize, m.keySize);
  cmp('value_size', pinned.valueSize, m.valueSize);
  cmp('max_entries', pinned.maxEntries, shape.maxEntries);
  // kernel/bpf/devmap.c adds BPF_F_RDONLY_PROG to a devmap's flags (0x80 read back from 6.18):
  // a pinned devmap shows it though the spec never asked for it.
  const added = m.type === 'DEVMAP' || m.type === 'DEVMAP_HASH' ? BPF_F_RDONLY_PROG : 0;
  const flags = pinned.flags & ~(added & ~shape.flags);
  cmp('map_flags', `0x${flags.toString(16)}`, `0x${shape.flags.toString(16)}`);
  cmp('map_extra', pinned.mapExtra, m.mapExtra ?? 0n);
  return out;
}

/** Opens the pinned maps of `maps` that exist under `pinPath`; throws on an incompatible one. */
export function openPinnedMaps(
  maps: readonly MapSpec[],
  pinPath: string | undefined,
  shapeOf: (m: MapSpec) => MapShape,
  notes: string[],
): PinnedMaps {
  const reused = new Map<string, KernelMap>();
  const paths = new Map<string, string>();
  const byName = maps.filter((m) => m.pinning === 'by-name');
  if (pinPath === undefined) {
    for (const m of byName)
      notes.push(`map ${m.name}: pinning by name asked for, but no pinPath given: not pinned`);
    return { reused, paths };
  }
  try {
    for (const m of byName) {
      if (m.name.includes('/') || m.name.startsWith('.'))
        throw new TsbpfError('INVALID_ARGUMENT', `map ${m.name}: a name that cannot be a pin file name`);
      const path = join(pinPath, m.name);
      paths.set(m.name, path);
      let map: KernelMap;
      try {
        map = openMap({ pinned: path });
      } catch (e) {
        if (e instanceof BpfError && e.errno === Errno.ENOENT) continue; // not pinned yet: created later
        throw e;
      }
      reused.set(m.name, map);
      const diff = differences(m, shapeOf(m), map);
      if (diff.length > 0)
        throw new LoadError(
          'LOAD_ERROR',
          `map ${m.name}: the map pinned at ${path} is incompatible: ${diff.join('; ')}`,
        );
      notes.push(`map ${m.name}: reused the map pinned at ${path}`);
    }
  } catch (e) {
    for (const map of reused.values()) map.close();
    throw e;
  }
  return { reused, paths };
}

/** Pins the by-name maps this load created (not reused); on a failure unpins those it made. */
export function pinNewMaps(
  pins: PinnedMaps,
  created: ReadonlyMap<string, { readonly kernel: KernelMap }>,
): void {
  const made: string[] = [];
  try {
    for (const [name, path] of pins.paths) {
      const map = created.get(name);
      if (pins.reused.has(name) || map === undefined) continue;
      map.kernel.pin(path);
      made.push(path);
    }
  } catch (e) {
    for (const path of made) unlinkSync(path);
    throw e;
  }
}
