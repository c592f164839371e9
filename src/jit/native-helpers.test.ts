// The helpers the JIT emits in Wasm (native-helpers.ts) against the runtime's JavaScript ones on
// the interpreter: the same r0 over generated sizes, seeds and bytes (from the stack and from the
// packet), and the same fault where an argument is not readable (the native code falls back).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { assemble } from '../asm/index.js';
import { type EngineName, load } from '../index.js';
import type { CollectionSpec } from '../program/index.js';

function spec(lines: string[]): CollectionSpec {
  const program = {
    name: 'p',
    sectionName: 'xdp',
    type: 'XDP' as const,
    flags: 0,
    instructions: assemble(lines.join('\n')),
    license: 'GPL',
    funcInfo: [],
    lineInfo: [],
  };
  return { programs: [program], maps: [], variables: [], license: 'GPL' };
}

function outcome(engine: EngineName, s: CollectionSpec, data: Uint8Array): string {
  using c = load(s, { engine, verify: false });
  try {
    const r = c.program('p').run({ data });
    return `r0 ${r.retval}`;
  } catch (e) {
    return `${(e as Error).constructor.name}: ${(e as Error).message}`;
  }
}

/** csum_diff over bytes stored on the stack (64 bytes at r10 - 64) or in the packet. */
function csumDiffProgram(from: string, fromSize: number, to: string, toSize: number, seed: number): string[] {
  const words = [0x0123456789abcdefn, 0xfedcba9876543210n, 0xffffffffffffffffn, 0x8000000180000001n];
  const stores = Array.from({ length: 8 }, (_, k) => [
    `r1 = ${words[k % 4]! ^ BigInt(k * 0x1111)} ll`,
    `*(u64 *)(r10 - ${8 * (k + 1)}) = r1`,
  ]).flat();
  const base = (where: string) => (where === 'stack' ? ['r10', -64] : ['r6', 0]);
  const [fb, fo] = base(from);
  const [tb, to_] = base(to);
  return [
    'r6 = *(u32 *)(r1 + 0)',
    ...stores,
    `r1 = ${fb}`,
    `r1 += ${fo}`,
    `r2 = ${fromSize}`,
    `r3 = ${tb}`,
    `r3 += ${to_}`,
    `r4 = ${toSize}`,
    `r5 = ${seed} ll`,
    'call 28',
    'exit',
  ];
}

test('bpf_csum_diff in Wasm gives the JavaScript helper r0 (stack and packet, any size and seed)', () => {
  const data = Uint8Array.from({ length: 128 }, (_, k) => (k * 37 + 11) & 0xff);
  fc.assert(
    fc.property(
      fc.constantFrom('stack', 'packet'),
      fc.integer({ min: 0, max: 64 }),
      fc.constantFrom('stack', 'packet'),
      fc.integer({ min: 0, max: 64 }),
      fc.constantFrom(0, 1, 0xffff, 0xffffffff, 0x12345678),
      (from, fs, to, ts, seed) => {
        const s = spec(csumDiffProgram(from, fs, to, ts, seed));
        assert.equal(outcome('jit', s, data), outcome('interp', s, data));
      },
    ),
    { numRuns: 150 },
  );
});

test('bpf_csum_diff in Wasm faults as the JavaScript helper does on an unreadable range', () => {
  const data = new Uint8Array(64);
  for (const lines of [
    csumDiffProgram('stack', 72, 'stack', 4, 0), // past the frame's top
    csumDiffProgram('packet', 65, 'stack', 4, 0), // past data_end
    csumDiffProgram('stack', 4, 'packet', 100, 0),
    ['r1 = 0', 'r2 = 4', 'r3 = 0', 'r4 = 0', 'r5 = 0', 'call 28', 'exit'], // NULL
    ['r1 = -1 ll', 'r2 = 4', 'r3 = 0', 'r4 = 0', 'r5 = 0', 'call 28', 'exit'], // above 2^32
  ]) {
    const s = spec(lines);
    const jit = outcome('jit', s, data);
    assert.match(jit, /MemoryFault/);
    assert.equal(jit, outcome('interp', s, data));
  }
});
