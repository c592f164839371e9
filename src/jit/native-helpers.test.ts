// The helpers the JIT emits in Wasm (native-helpers.ts) against the runtime's JavaScript ones on
// the interpreter: the same r0 over generated sizes, seeds and bytes (from the stack and from the
// packet), and the same fault where an argument is not readable (the native code falls back).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { assemble } from '../asm/index.js';
import { type EngineName, load, type VmCollection, XdpContext } from '../index.js';
import type { CollectionSpec, MapSpec } from '../program/index.js';

function spec(lines: string[], maps: MapSpec[] = []): CollectionSpec {
  const program = {
    name: 'p',
    sectionName: 'xdp',
    type: 'XDP' as const,
    flags: 0,
    // `rN = name ll` loads a map: the relocation's BPF_PSEUDO_MAP_FD.
    instructions: assemble(lines.join('\n')).map((i) => (i.reference === undefined ? i : { ...i, src: 1 })),
    license: 'GPL',
    funcInfo: [],
    lineInfo: [],
  };
  return { programs: [program], maps, variables: [], license: 'GPL' };
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

const mapSpec = (name: string, type: 'HASH' | 'ARRAY', keySize: number, maxEntries: number): MapSpec => ({
  name,
  type,
  keySize,
  valueSize: 8,
  maxEntries,
  flags: 0,
  pinning: 'none',
  sectionName: '.maps',
});

/** Looks the packet's first bytes up in `m`: the value's first word, or 7777 for NULL. */
const lookupProgram = (m: string) => [
  'r2 = *(u32 *)(r1 + 0)',
  `r1 = ${m} ll`,
  'call 1',
  'if r0 != 0 goto +2',
  'r0 = 7777',
  'exit',
  'r0 = *(u32 *)(r0 + 0)',
  'exit',
];

const le = (n: number, size: number) => Uint8Array.from({ length: size }, (_, k) => (n >>> (8 * k)) & 0xff);

test('map lookups in Wasm (array, hash of any key size) find what the JavaScript maps hold', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(1, 2, 3, 4, 5, 7, 8, 12, 13, 16, 33, 64, 65),
      fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 40 })), { maxLength: 80 }),
      (keySize, ops) => {
        const s = spec(lookupProgram('h'), [mapSpec('h', 'HASH', keySize, 32)]);
        using jit = load(s, { engine: 'jit', verify: false });
        using interp = load(s, { engine: 'interp', verify: false });
        const key = (n: number) => le(n * 0x01010101 + n, Math.max(keySize, 4)).subarray(0, keySize);
        for (const [insert, n] of ops) {
          // The same changes in both collections, then every key looked up by both programs.
          for (const c of [jit, interp]) {
            const h = c.maps.get('h')!;
            try {
              if (insert) h.update(key(n), le(n + 1000, 8));
              else h.delete(key(n));
            } catch {} // a full map or a missing key: the same in both
          }
        }
        for (let n = 0; n <= 40; n++) {
          const data = new Uint8Array(Math.max(keySize, 14));
          data.set(key(n));
          const r = jit.program('p').run({ data }).retval;
          assert.equal(r, interp.program('p').run({ data }).retval);
          assert.equal(r, interp.maps.get('h')!.lookup(key(n)) === undefined ? 7777 : n + 1000);
        }
      },
    ),
    { numRuns: 60 },
  );
  const s = spec(lookupProgram('a'), [mapSpec('a', 'ARRAY', 4, 10)]);
  using jit = load(s, { engine: 'jit', verify: false });
  for (let k = 0; k < 10; k++) jit.maps.get('a')!.update(le(k, 4), le(k * 3 + 1, 8));
  for (const k of [0, 1, 9, 10, 11, 0xffffffff])
    assert.equal(jit.program('p').run({ data: le(k, 14) }).retval, k < 10 ? k * 3 + 1 : 7777);
});

test('map lookups in Wasm: a forged handle, a NULL key and a key past the packet fault as in JavaScript', () => {
  const maps = [mapSpec('h', 'HASH', 8, 4), mapSpec('a', 'ARRAY', 4, 4)];
  for (const lines of [
    // The id and type words of a handle, written on the stack: not a map.
    [
      'r1 = 1',
      '*(u32 *)(r10 - 8) = r1',
      'r1 = 1',
      '*(u32 *)(r10 - 4) = r1',
      'r1 = r10',
      'r1 += -8',
      'r2 = r10',
      'r2 += -8',
      'call 1',
      'exit',
    ],
    ['r1 = h ll', 'r2 = 0', 'call 1', 'exit'],
    ['r2 = *(u32 *)(r1 + 4)', 'r2 += -4', 'r1 = h ll', 'call 1', 'exit'],
    ['r2 = *(u32 *)(r1 + 4)', 'r2 += -2', 'r1 = a ll', 'call 1', 'exit'],
    ['r1 = -1 ll', 'r2 = r10', 'r2 += -8', 'call 1', 'exit'],
  ]) {
    const s = spec(lines, maps);
    const data = new Uint8Array(64);
    const jit = outcome('jit', s, data);
    assert.match(jit, /Fault/);
    assert.equal(jit, outcome('interp', s, data));
  }
});

test('per-CPU array lookups in Wasm pick the copy of the CPU each run is on (as in JavaScript)', () => {
  const percpu: MapSpec = { ...mapSpec('p', 'ARRAY', 4, 5), type: 'PERCPU_ARRAY' };
  const s = spec(lookupProgram('p'), [percpu]);
  const cpus = 3;
  // Value of entry k on CPU c: 100 * k + c + 1 (each CPU's copy padded to 8 bytes).
  const fill = (c: VmCollection) => {
    for (let k = 0; k < 5; k++) {
      const v = new Uint8Array(8 * cpus);
      for (let cpu = 0; cpu < cpus; cpu++) v.set(le(100 * k + cpu + 1, 8), 8 * cpu);
      c.maps.get('p')!.update(le(k, 4), v);
    }
  };
  using jit = load(s, { engine: 'jit', verify: false, cpus });
  using interp = load(s, { engine: 'interp', verify: false, cpus });
  // A second collection on the same space and map: its runs on other CPUs come in between.
  using other = load(s, {
    engine: 'jit',
    verify: false,
    cpus,
    memory: jit.space,
    mapReplacements: { p: jit.map('p') },
  });
  fill(jit);
  fill(interp);
  // One context, runs on alternating CPUs: each run must see its own CPU (a CPU past the map's: NULL).
  for (const cpu of [0, 2, 1, 3, 0, 7, 2]) {
    for (const k of [0, 4, 5, 0xffffffff]) {
      const data = le(k, 14);
      const on = (c: VmCollection, at = cpu) => {
        const ctx = XdpContext.create('XDP', c.space, {
          data,
          ctx: undefined,
          flags: 0,
          interfaces: c.interfaces,
        });
        if (!(ctx instanceof XdpContext)) throw new Error('context');
        try {
          return c.program('p').runOn(ctx, at);
        } finally {
          ctx.release();
        }
      };
      const want = k < 5 && cpu < cpus ? 100 * k + cpu + 1 : 7777;
      assert.equal(on(jit), want, `jit: key ${k} on CPU ${cpu}`);
      const next = (cpu + 1) % cpus;
      assert.equal(on(other, next), k < 5 ? 100 * k + next + 1 : 7777, `same space: key ${k} on CPU ${next}`);
      assert.equal(on(jit), want, `jit after the other collection: key ${k} on CPU ${cpu}`);
      assert.equal(on(interp), want, `interp: key ${k} on CPU ${cpu}`);
    }
  }
});
