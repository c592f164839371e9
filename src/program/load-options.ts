// The loader options both backends take, as libbpf and cilium/ebpf offer them, applied to a
// CollectionSpec before it is loaded: which programs to load (libbpf's autoload), a program's
// type and attach type, a map's max_entries / flags / initial data, and global variables'
// initial bytes (`.rodata` / `.data` / `.bss` set before load, as a skeleton's rodata is).
// Backend-specific options (existing maps, the VM's helpers) stay with each backend.

import { TsbpfError } from '../errors.js';
import type { AttachTypeName, ProgTypeName } from '../uapi/index.js';
import type { CollectionSpec, MapContents, MapSpec, ProgramSpec } from './types.js';

/** Changes applied to a MapSpec before it is created. */
export interface MapOverride {
  readonly maxEntries?: number;
  readonly flags?: number;
  /** Initial value bytes of a global-data map (replaces `contents` of kind 'data'). */
  readonly data?: Uint8Array;
}

/** Changes applied to a ProgramSpec before it is loaded (libbpf's bpf_program__set_type / _set_expected_attach_type). */
export interface ProgramOverride {
  readonly type?: ProgTypeName;
  readonly attachType?: AttachTypeName;
}

export interface SpecLoadOptions {
  /**
   * Load only these programs (default: all); the others are left out, as libbpf's autoload off
   * does, so one program's missing helper does not block its siblings. A prog-array slot that
   * names a program left out stays empty.
   */
  readonly programs?: readonly string[];
  /** Per-program type / attach type, by program name (e.g. for a section the type cannot be told from). */
  readonly programOverrides?: Readonly<Record<string, ProgramOverride>>;
  /** Per-map changes (max entries, flags, initial data) by map name. */
  readonly mapOverrides?: Readonly<Record<string, MapOverride>>;
  /** Initial bytes of global variables by name, written into their data map before loading (e.g. `.rodata` config). */
  readonly variables?: Readonly<Record<string, Uint8Array>>;
}

/** `spec` with `options` applied; unknown names and wrongly sized variables are INVALID_ARGUMENT. */
export function applySpecOptions(spec: CollectionSpec, options: SpecLoadOptions): CollectionSpec {
  const { programs, programOverrides = {}, mapOverrides = {}, variables = {} } = options;
  if (programs === undefined && !hasKeys(programOverrides) && !hasKeys(mapOverrides) && !hasKeys(variables))
    return spec;
  const programNames = spec.programs.map((p) => p.name);
  for (const name of [...(programs ?? []), ...Object.keys(programOverrides)])
    if (!programNames.includes(name)) throw missing('program', name, programNames);
  const mapNames = spec.maps.map((m) => m.name);
  for (const name of Object.keys(mapOverrides))
    if (!mapNames.includes(name)) throw missing('map', name, mapNames);

  const kept =
    programs === undefined ? spec.programs : spec.programs.filter((p) => programs.includes(p.name));
  const data = variableData(spec, variables, mapOverrides);
  return {
    ...spec,
    programs: kept.map((p) => overrideProgram(p, programOverrides[p.name])),
    maps: spec.maps.map((m) => overrideMap(m, mapOverrides[m.name], data.get(m.name), kept)),
  };
}

function hasKeys(o: object): boolean {
  return Object.keys(o).length > 0;
}

function overrideProgram(p: ProgramSpec, o: ProgramOverride | undefined): ProgramSpec {
  if (o === undefined) return p;
  return {
    ...p,
    ...(o.type === undefined ? {} : { type: o.type }),
    ...(o.attachType === undefined ? {} : { attachType: o.attachType }),
  };
}

function overrideMap(
  m: MapSpec,
  o: MapOverride | undefined,
  variableBytes: Uint8Array | undefined,
  programs: readonly ProgramSpec[],
): MapSpec {
  let contents: MapContents | undefined = m.contents;
  if (contents?.kind === 'programs') {
    const loaded = new Set(programs.map((p) => p.name));
    contents = { kind: 'programs', slots: contents.slots.filter((s) => loaded.has(s.program)) };
  }
  const bytes = variableBytes ?? o?.data;
  if (bytes !== undefined) {
    contents = { kind: 'data', bytes };
  }
  return {
    ...m,
    ...(o?.maxEntries === undefined ? {} : { maxEntries: o.maxEntries }),
    ...(o?.flags === undefined ? {} : { flags: o.flags }),
    ...(contents === undefined ? {} : { contents }),
  };
}

/** Global-variable bytes grouped into whole initial values per data map (over its data or a map override's). */
function variableData(
  spec: CollectionSpec,
  values: Readonly<Record<string, Uint8Array>>,
  overrides: Readonly<Record<string, MapOverride>>,
): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const [name, bytes] of Object.entries(values)) {
    const v = spec.variables.find((x) => x.name === name);
    if (v === undefined)
      throw missing(
        'variable',
        name,
        spec.variables.map((x) => x.name),
      );
    if (bytes.length !== v.size)
      throw new TsbpfError('INVALID_ARGUMENT', `variable ${name} is ${v.size} bytes, got ${bytes.length}`);
    let value = out.get(v.map);
    if (value === undefined) {
      const m = spec.maps.find((x) => x.name === v.map);
      if (m === undefined) throw new TsbpfError('INVALID_ARGUMENT', `variable ${name}: no map '${v.map}'`);
      value = new Uint8Array(m.valueSize);
      const base = overrides[m.name]?.data ?? (m.contents?.kind === 'data' ? m.contents.bytes : undefined);
      if (base !== undefined) value.set(base.subarray(0, m.valueSize));
      out.set(v.map, value);
    }
    value.set(bytes, v.offset);
  }
  return out;
}

/** INVALID_ARGUMENT naming what the collection has. */
export function missing(what: string, name: string, known: readonly string[]): TsbpfError {
  return new TsbpfError(
    'INVALID_ARGUMENT',
    `no ${what} '${name}' in the collection (there ${known.length === 1 ? 'is' : 'are'}: ${known.join(', ') || 'none'})`,
  );
}

/** What a replacement map must match (libbpf's map_is_reuse_compat: type, sizes, max entries, flags). */
export interface MapShape {
  readonly type: string;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
}

/** Why `have` cannot stand for the map `want` describes (undefined: it can). */
export function replacementMismatch(want: MapSpec, have: MapShape): string | undefined {
  // A perf event array left at 0 entries is sized to the CPUs at load (libbpf).
  for (const f of ['type', 'keySize', 'valueSize', 'maxEntries', 'flags'] as const)
    if (want[f] !== have[f] && !(f === 'maxEntries' && want.type === 'PERF_EVENT_ARRAY' && want[f] === 0))
      return `${f} is ${have[f]}, the object wants ${want[f]}`;
  return undefined;
}
