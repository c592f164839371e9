// The verifier's proofs and the JIT's checks (verifier/proofs.ts, lower-memory.ts): an access is
// proved only where every path the verifier walked proved it; the JIT of a program loaded with
// verify: true runs the proved accesses unchecked and still behaves as the interpreter does; a
// program loaded with verify: false keeps every check and faults out of bounds. The last test
// shows the proofs really remove the check: the same out-of-bounds program given (forged)
// proofs reads past data_end without a fault — which is why only the verifier may make them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { asmProgram, assembleCase, mapSpec } from '../../test/gen/oob-cases.js';
import { soundness } from '../../test/gen/verified-soundness.js';
import { MemoryFault } from '../errors.js';
import { type EngineOptions, load } from '../index.js';
import type { Instruction } from '../isa/index.js';
import type { CollectionSpec, MapSpec } from '../program/index.js';
import type { ProgTypeName } from '../uapi/prog-types.js';
import { verifyProgram } from '../verifier/index.js';
import { JitEngine } from './index.js';

/** Reads byte `at` of the packet after proving 20 bytes (at = 20 is one past the proof). */
const packetRead = (at: number): Instruction[] =>
  assembleCase(`
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 20
if r4 > r3 goto +1
r0 = *(u8 *)(r2 + ${at})
r0 = 2
exit`).instructions;

const spec = (
  insns: readonly Instruction[],
  type: ProgTypeName = 'XDP',
  maps: MapSpec[] = [],
): CollectionSpec => ({
  maps,
  variables: [],
  license: 'GPL',
  programs: [asmProgram('p', type, insns)],
});

function proved(insns: readonly Instruction[], type: ProgTypeName = 'XDP', maps: MapSpec[] = []): number[] {
  const r = verifyProgram({ instructions: insns, type, maps, logLevel: 0 });
  assert.equal(r.verdict, 'accepted', r.log);
  return [...r.proved!];
}

test('the verifier proves the context reads and the packet read below its bounds check', () => {
  // Slots: 0, 1 ctx reads; 5 the packet read. The ALU and jump slots carry nothing.
  assert.deepEqual(proved(packetRead(19)), [1, 1, 0, 0, 0, 1, 0, 0]);
  const refused = verifyProgram({ instructions: packetRead(20), type: 'XDP', logLevel: 0 });
  assert.equal(refused.verdict, 'rejected');
  assert.equal(refused.proved, undefined);
});

test('a store reached as a stack write on one path and a context write on another keeps its check', () => {
  const insns = assembleCase(`
r3 = r10
r3 += -16
r4 = *(u32 *)(r1 + 0)
if r4 > 100 goto +1
r3 = r1
*(u32 *)(r3 + 8) = 7
r0 = 0
exit`).instructions;
  // Slot 5 writes fp-8 on one path and skb->mark on the other: a context write is not proved.
  assert.deepEqual(proved(insns, 'SCHED_CLS'), [0, 0, 1, 0, 0, 0, 0, 0]);
  // Without the second path the stack write is proved.
  const stackOnly = [...insns.slice(0, 3), ...insns.slice(5)];
  assert.deepEqual(proved(stackOnly, 'SCHED_CLS'), [0, 0, 1, 1, 0, 0]);
});

test("a callback's accesses are proved over every invocation the walk followed", () => {
  // bpf_loop(3, cb, &sum): the callback adds its index to the caller's fp-8 through its ctx.
  const insns = assembleCase(`
r1 = 0
*(u64 *)(r10 - 8) = r1
r1 = 3
ld_pseudo r2, 4, 7
r3 = r10
r3 += -8
r4 = 0
call 181
r0 = *(u64 *)(r10 - 8)
exit
r3 = *(u64 *)(r2 + 0)
r3 += r1
*(u64 *)(r2 + 0) = r3
r0 = 0
exit`).instructions;
  // The stack accesses of both frames (slots 1, 9, 11, 13); bpf_loop takes no memory argument.
  const expected = new Array(16).fill(0);
  for (const pc of [1, 9, 11, 13]) expected[pc] = 1;
  assert.deepEqual(proved(insns), expected);
  for (const engine of ['interp', 'jit'] as const) {
    const c = load(spec(insns), { engine });
    try {
      assert.equal(c.program('p').run({ data: new Uint8Array(14) }).retval, 3, engine);
    } finally {
      c.close();
    }
  }
});

test('verified: the JIT runs the proved accesses unchecked, as the interpreter runs them', () => {
  for (const size of [14, 20, 60]) {
    const data = Uint8Array.from({ length: size }, (_, k) => k + 1);
    const out = (['interp', 'jit'] as const).map((engine) => {
      const c = load(spec(packetRead(19)), { engine });
      try {
        const r = c.program('p').run({ data });
        return `${r.retval} ${Buffer.from(r.data).toString('hex')}`;
      } finally {
        c.close();
      }
    });
    assert.equal(out[0], out[1]);
    assert.match(out[0]!, /^2 /);
  }
  // The proved module has no inline checks at those three accesses: it is smaller.
  const bytes = (verify: boolean) => {
    const c = load(spec(packetRead(19)), { engine: 'jit', verify });
    try {
      return (c.program('p').engine as JitEngine).codeBytes;
    } finally {
      c.close();
    }
  };
  assert.ok(bytes(true) < bytes(false), `verified ${bytes(true)} bytes, unverified ${bytes(false)}`);
});

test('unverified: the JIT keeps every check and faults one byte past the proof', () => {
  const c = load(spec(packetRead(20)), { engine: 'jit', verify: false });
  try {
    const p = c.program('p');
    assert.equal(p.engineName, 'jit');
    assert.throws(
      () => p.run({ data: new Uint8Array(20) }),
      (e) => e instanceof MemoryFault && e.pc === 5 && e.access === 'read',
    );
    // A 21-byte packet makes byte 20 real.
    assert.equal(p.run({ data: new Uint8Array(21) }).retval, 2);
  } finally {
    c.close();
  }
});

test('proofs remove the check: forged ones let the out-of-bounds read through', () => {
  // The proofs of the in-bounds twin (same slots) handed to the engine of the out-of-bounds one.
  const forged = Uint8Array.from(proved(packetRead(19)));
  const engine = (insns: readonly Instruction[], o: EngineOptions) =>
    new JitEngine(insns, { ...o, proved: forged });
  const c = load(spec(packetRead(20)), { engine, verify: false });
  try {
    assert.equal(c.program('p').run({ data: new Uint8Array(20) }).retval, 2);
  } finally {
    c.close();
  }
});

test('composed verified programs (packets, maps, helpers): the JIT with proofs agrees with the interpreter', (t) => {
  // Seeds apart from verified-soundness.test.ts's; that test asks for no faults, this one for equal runs.
  const r = soundness(5001, 60, 4);
  t.diagnostic(`${r.accepted} of ${r.programs} accepted, ${r.runs} runs`);
  assert.ok(r.accepted > 15, `${r.accepted} accepted`);
  assert.deepEqual(
    r.failures.map((f) => `seed ${f.seed} ${f.engine}: ${f.error}`),
    [],
  );
  assert.deepEqual(r.engineDisagreements, []);
});

test('a loop-free program runs without budget compares only when the budget covers it', () => {
  // 8 slots, at most 8 steps: a budget of 4 ends the run on both engines at the same pc.
  const out = (['interp', 'jit'] as const).map((engine) => {
    const c = load(spec(packetRead(19)), { engine, budget: 4 });
    try {
      c.program('p').run({ data: new Uint8Array(60) });
      return 'returned';
    } catch (e) {
      return `${(e as Error).constructor.name}: ${(e as Error).message}`;
    } finally {
      c.close();
    }
  });
  assert.match(out[1]!, /^BudgetExceededError/);
  assert.equal(out[1], out[0]);
});

/** Looks the 4 bytes after the Ethernet header up in `map` (key size 4 proved; 8 is one word past the proof). */
const packetKeyLookup = (map: string) =>
  assembleCase(`
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r2 += 14
r4 = r2
r4 += 4
if r4 > r3 goto +6
r1 = map(${map}) ll
call 1
if r0 == 0 goto +4
r0 = *(u64 *)(r0 + 0)
exit
r0 = 2
exit
r0 = 7777
exit`).instructions;
const keyMaps = [mapSpec('h4', 'HASH', 4, 8, 8), mapSpec('h8', 'HASH', 8, 8, 8)];

test('the slot of a map lookup is proved where its key was a proved kind of memory on every path', () => {
  // Slots 0, 1: ctx reads; 8: the call, its packet key proved for key_size 4; 10: the value read.
  assert.deepEqual(
    proved(packetKeyLookup('h4'), 'XDP', keyMaps),
    [1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0],
  );
  assert.equal(
    verifyProgram({ instructions: packetKeyLookup('h8'), type: 'XDP', maps: keyMaps }).verdict,
    'rejected',
  );
  // A ring-buffer record as the key: checked, but not a kind the runtime lays out as reasoned.
  const ringbufKey = assembleCase(`
r1 = map(rb) ll
r2 = 8
r3 = 0
call 131
if r0 == 0 goto +10
r6 = r0
r1 = 0
*(u64 *)(r6 + 0) = r1
r1 = map(h8) ll
r2 = r6
call 1
r1 = r6
r2 = 0
call 132
r0 = 0
exit`).instructions;
  const p = proved(ringbufKey, 'XDP', [...keyMaps, mapSpec('rb', 'RINGBUF', 0, 0, 4096)]);
  // Slots: 4 reserve (no memory argument), 8 the store, 12 the lookup, 15 submit (a record, not memory).
  assert.deepEqual([p[4], p[8], p[12], p[15]], [0, 0, 0, 0]);
});

test('an unproved key keeps its readable() check: past the packet, the JIT faults as the interpreter', () => {
  const s = spec(packetKeyLookup('h8'), 'XDP', keyMaps);
  const out = (['interp', 'jit'] as const).map((engine) => {
    const c = load(s, { engine, verify: false });
    try {
      return String(c.program('p').run({ data: new Uint8Array(18) }).retval);
    } catch (e) {
      return e instanceof MemoryFault ? `${e.access} fault: ${e.message}` : String(e);
    } finally {
      c.close();
    }
  });
  // The helper's own fault (no instruction pc: the helper read the key).
  assert.match(out[0]!, /^read fault/);
  assert.equal(out[1], out[0]);
});

test('a proved key skips the check: forged proofs let the key past the packet through', () => {
  // The proofs of the 4-byte-key twin (same slots) handed to the engine of the 8-byte one.
  const forged = Uint8Array.from(proved(packetKeyLookup('h4'), 'XDP', keyMaps));
  const engine = (insns: readonly Instruction[], o: EngineOptions) =>
    new JitEngine(insns, { ...o, proved: forged });
  const c = load(spec(packetKeyLookup('h8'), 'XDP', keyMaps), { engine, verify: false });
  try {
    // The lookup reads 4 bytes past the packet in Wasm memory and finds nothing.
    assert.equal(c.program('p').run({ data: new Uint8Array(18) }).retval, 7777);
  } finally {
    c.close();
  }
});

test('verified: a proved map lookup finds what the interpreter finds', () => {
  const s = spec(packetKeyLookup('h4'), 'XDP', keyMaps);
  const out = (['interp', 'jit'] as const).map((engine) => {
    const c = load(s, { engine });
    try {
      for (let k = 0; k < 6; k++)
        c.maps.get('h4')!.update(Uint8Array.of(k, 15, 16, 17), Uint8Array.of(k + 10, 0, 0, 0, 0, 0, 0, 0));
      return [17, 18, 30].flatMap((len) =>
        [0, 5, 6].map(
          (k) =>
            c.program('p').run({ data: Uint8Array.from({ length: len }, (_, j) => (j === 14 ? k : j)) })
              .retval,
        ),
      );
    } finally {
      c.close();
    }
  });
  assert.deepEqual(out[1], out[0]);
  // 17 bytes: no key (2); a key 0 or 5 found (10, 15), 6 not (7777).
  assert.deepEqual(out[0], [2, 2, 2, 10, 15, 7777, 10, 15, 7777]);
});
