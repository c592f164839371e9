// A load-balancer-shaped XDP program of about 6,000 instructions over a 33-million-entry array
// (the shape issue 10 names: a backend table indexed by a flow hash): each of LB_BLOCKS unrolled
// blocks mixes the hash, looks an entry up, adds it to an accumulator and writes the
// accumulator back. Built as a CollectionSpec, the one object both backends load (there is no
// C compiler on the build machine; the spec is what an ELF object becomes).

import { assemble, type CollectionSpec, type Instruction } from '../src/index.js';

export const LB_ENTRIES = 33_000_000;
export const LB_BLOCKS = 460;

function block(k: number): string[] {
  return [
    // hash = hash * golden + k + 1 (u32), index = hash % entries
    'w7 *= 0x9e3779b1',
    `w7 += ${k + 1}`,
    'w1 = w7',
    `w1 %= ${LB_ENTRIES}`,
    '*(u32 *)(r10 - 4) = w1',
    'r1 = backends ll',
    'r2 = r10',
    'r2 += -4',
    'call 1',
    'if r0 == 0 goto +3',
    'r1 = *(u64 *)(r0 + 0)',
    'r9 += r1',
    '*(u64 *)(r0 + 0) = r9',
  ];
}

/** The program: XDP_PASS; with at least 34 bytes of packet the hash is seeded from bytes 26..29, the sum from 30..33. */
export function lbInstructions(): Instruction[] {
  const head = [
    'r2 = *(u32 *)(r1 + 0)',
    'r3 = *(u32 *)(r1 + 4)',
    'r4 = r2',
    'r4 += 34',
    '', // the bounds check, once the body's length is known
    'w7 = *(u32 *)(r2 + 26)',
    'w9 = *(u32 *)(r2 + 30)',
  ];
  const body: string[] = [];
  for (let k = 0; k < LB_BLOCKS; k++) body.push(...block(k));
  // Jump over what follows the check: two lines, then the body (each lddw line takes two slots).
  head[4] = `if r4 > r3 goto +${2 + body.length + LB_BLOCKS}`;
  const insns = assemble([...head, ...body, 'w0 = 2', 'exit'].join('\n'));
  // `backends ll` names the map: a map-fd reference, as an ELF relocation gives it.
  return insns.map((i) => (i.reference === undefined ? i : { ...i, src: 1 }));
}

export function lbSpec(entries = LB_ENTRIES): CollectionSpec {
  return {
    license: 'GPL',
    variables: [],
    maps: [
      {
        name: 'backends',
        type: 'ARRAY',
        keySize: 4,
        valueSize: 8,
        maxEntries: entries,
        flags: 0,
        pinning: 'none',
        sectionName: '.maps',
      },
    ],
    programs: [
      {
        name: 'lb',
        sectionName: 'xdp',
        type: 'XDP',
        flags: 0,
        instructions: lbInstructions(),
        license: 'GPL',
        funcInfo: [],
        lineInfo: [],
      },
    ],
  };
}

/** The array indexes one run touches for a packet whose bytes 26..29 hold `seed` (the program's hash, replayed). */
export function lbTouched(seed: number): number[] {
  const out: number[] = [];
  let h = seed >>> 0;
  for (let k = 0; k < LB_BLOCKS; k++) {
    h = (Math.imul(h, 0x9e3779b1) + k + 1) >>> 0;
    out.push(h % LB_ENTRIES);
  }
  return out;
}
