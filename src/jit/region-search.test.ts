// The Wasm region search (region-search.ts) against AddressSpace.find, the interpreter's rule:
// loads and stores of every width at addresses around the edges of plain, read-only, strided
// and window regions must be allowed or fault exactly as find() says, and an allowed access
// must be settled in Wasm (no call to the JavaScript search) unless it is on the stack.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { assemble } from '../asm/index.js';
import { MemoryFault } from '../errors.js';
import { AddressSpace, type Region } from '../runtime/index.js';
import { JitEngine } from './index.js';

const WIDTHS = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' } as const;

function setUp(): { space: AddressSpace; regions: Region[] } {
  const space = new AddressSpace();
  const plain = space.allocate('plain', 100, { kind: 'mem' });
  const ro = space.allocate('read-only', 64, { kind: 'ctx', writable: false });
  const strided = space.allocateStrided('values', 5, 12, { kind: 'map', stride: 80 });
  const res = space.reserve('frames', 4096, { kind: 'packet' });
  const win = space.mapWindow(res, 'frame', res.start + 256, 60);
  // An empty packet window (data == data_end) right before another window of the reservation.
  const empty = space.mapWindow(res, 'empty frame', res.start + 1024, 0);
  const next = space.mapWindow(res, 'next frame', res.start + 1024 + 8, 16);
  return { space, regions: [plain, ro, strided, win, empty, next] };
}

/** Every access a program could try near a region: each edge and element edge, ±16 bytes. */
function addressesNear(r: Region): number[] {
  const edges = [r.start, r.end];
  if (r.stride) for (let a = r.start; a < r.end; a += r.stride) edges.push(a, a + r.elemSize!);
  return edges.flatMap((e) => Array.from({ length: 33 }, (_, k) => e - 16 + k));
}

test('the Wasm region search allows exactly what AddressSpace.find allows', () => {
  const { space, regions } = setUp();
  const engines = new Map<string, JitEngine>();
  for (const [n, w] of Object.entries(WIDTHS)) {
    engines.set(`r${n}`, new JitEngine(assemble(`r0 = *(${w} *)(r1 + 0)\nexit`), { memory: space }));
    engines.set(`w${n}`, new JitEngine(assemble(`*(${w} *)(r1 + 0) = r1\nr0 = 0\nexit`), { memory: space }));
  }
  let jsSearches = 0;
  const find = space.find.bind(space);
  space.find = (a, n) => {
    jsSearches++;
    return find(a, n);
  };
  const check = (a: number, n: number, write: boolean) => {
    jsSearches = 0;
    const r = find(a, n);
    const allowed = r !== undefined && (r.writable || !write);
    let ran: boolean;
    try {
      engines.get(`${write ? 'w' : 'r'}${n}`)!.runContext(a);
      ran = true;
    } catch (e) {
      assert.ok(e instanceof MemoryFault, String(e));
      ran = false;
    }
    assert.equal(ran, allowed, `${write ? 'write' : 'read'} of ${n} at 0x${a.toString(16)}`);
    if (ran) assert.equal(jsSearches, 0, `an allowed access at 0x${a.toString(16)} called into JavaScript`);
  };
  let runs = 0;
  for (const r of regions)
    for (const a of addressesNear(r))
      for (const n of [1, 2, 4, 8])
        for (const write of [false, true]) {
          check(a, n, write);
          runs++;
        }
  // Random addresses anywhere in the first pages, too.
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0x40000 }), fc.constantFrom(1, 2, 4, 8), fc.boolean(), (a, n, w) =>
      check(a, n, w),
    ),
    { numRuns: 2000, seed: 7 },
  );
  assert.ok(runs > 1000);
});

test('a window moved between runs is found at its new place, and not at its old one', () => {
  const { space, regions } = setUp();
  const win = regions[3]!;
  const jit = new JitEngine(assemble('r0 = *(u8 *)(r1 + 0)\nexit'), { memory: space });
  const old = win.start;
  space.u8[old + 1] = 7;
  assert.equal(jit.runContext(old + 1), 7);
  space.moveWindow(win, win.parent!.start + 1024, 60);
  space.u8[win.start + 1] = 9;
  assert.equal(jit.runContext(win.start + 1), 9);
  assert.throws(() => jit.runContext(old + 1), MemoryFault);
});
