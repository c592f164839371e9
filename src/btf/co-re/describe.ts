// One access spec as text, in the notation of libbpf's debug log (bpf_core_format_spec), so a
// tsbpf report line can be compared with libbpf's:  `<byte_off> [2] struct sample.pt.y (0:4:1 @ offset 20)`,
// `<enumval_value> [24] enum color::BLUE = 7`, `<type_size> [2] struct sample`.

import { resolveId, typeById } from '../query.js';
import { CORE_KIND_SHORT, coreFamily } from './kinds.js';
import type { CoreSpec } from './types.js';

export function describeSpec(spec: CoreSpec): string {
  const root = typeById(spec.btf, spec.rootId);
  let s = `<${CORE_KIND_SHORT[spec.kind]}> [${spec.rootId}] ${root.kind} ${root.name === '' ? '<anon>' : root.name}`;
  const family = coreFamily(spec.kind);
  if (family === 'type') return s;
  if (family === 'enumval') {
    const t = typeById(spec.btf, resolveId(spec.btf, spec.rootId));
    if (t.kind === 'enum' || t.kind === 'enum64') {
      const v = t.values[spec.raw[0]!];
      if (v !== undefined) s += `::${v.name} = ${v.value}`;
    }
    return s;
  }
  spec.accessors.forEach((a, i) => {
    if (a.name !== undefined) s += `.${a.name}`;
    else if (i > 0 || a.idx > 0) s += `[${a.idx}]`;
  });
  const bits = spec.bitOffset % 8;
  const at = bits === 0 ? `${spec.bitOffset / 8}` : `${Math.floor(spec.bitOffset / 8)}.${bits}`;
  return `${s} (${spec.raw.join(':')} @ offset ${at})`;
}
