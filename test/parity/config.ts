// Per-object changes to `.rodata` configuration that take the clock out of a program's decisions
// before both backends load it, so its verdicts and state compare exactly instead of being masked.
// Applied to the CollectionSpec (the global-data map's initial bytes), hence alike on both sides.

import type { CollectionSpec, MapSpec } from '../../src/program/index.js';

export interface ConfigOverride {
  /** Variable name -> little-endian integer value of the variable's size. */
  readonly variables: Readonly<Record<string, bigint>>;
  readonly why: string;
}

export const OVERRIDES: Readonly<Record<string, ConfigOverride>> = {
  xdp_spin_lock: {
    variables: { tokens_per_sec: 0n },
    why:
      'the refill (now - last_ns) * tokens_per_sec / 1e9 adds a token per elapsed millisecond, so verdicts ' +
      'past the 64-token bucket would depend on timing; with no refill, tokens and verdicts are exact',
  },
};

/** `spec` with the object's overrides written into its global-data maps (unchanged when it has none). */
export function configure(spec: CollectionSpec, object: string): CollectionSpec {
  const o = OVERRIDES[object];
  if (o === undefined) return spec;
  const maps = spec.maps.map((m): MapSpec => {
    const vars = spec.variables.filter((v) => v.map === m.name && o.variables[v.name] !== undefined);
    if (vars.length === 0 || m.contents?.kind !== 'data') return m;
    const bytes = m.contents.bytes.slice();
    const view = new DataView(bytes.buffer);
    for (const v of vars) {
      let x = BigInt.asUintN(8 * v.size, o.variables[v.name]!);
      for (let k = 0; k < v.size; k++, x >>= 8n) view.setUint8(v.offset + k, Number(x & 0xffn));
    }
    return { ...m, contents: { kind: 'data', bytes } };
  });
  for (const name of Object.keys(o.variables)) {
    if (!spec.variables.some((v) => v.name === name)) throw new Error(`${object}: no variable ${name}`);
  }
  return { ...spec, maps };
}
