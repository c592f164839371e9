// The static precision and stack-liveness passes on small programs: what is wanted exact at a
// slot, and which stack slots are live.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assemble } from '../asm/index.js';
import { buildCfg } from '../cfg/index.js';
import { classify, type Instruction, type Kind, slots } from '../isa/index.js';
import type { MapSpec } from '../program/types.js';
import { preciseRegisters, ZERO_SHIFT } from './precision.js';
import { liveStackSlots } from './stack-liveness.js';

function code(text: string) {
  // A map reference as the loader leaves it: lddw src_reg 1 (BPF_PSEUDO_MAP_FD).
  const insns = assemble(text).map((i) =>
    i.reference === undefined || i.op !== 0x18 ? i : { ...i, src: 1 },
  );
  const at: (Instruction | undefined)[] = [];
  const kinds: (Kind | undefined)[] = [];
  let pc = 0;
  for (const i of insns) {
    at[pc] = i;
    kinds[pc] = classify(i, { pc });
    pc += slots(i);
  }
  return { cfg: buildCfg(insns), at, kinds };
}

test('a counter that only reaches the return value is not wanted; an offset is', () => {
  const c = code(['r6 = 0', 'r7 = 5', 'r2 = r1', 'r2 += r7', 'r0 = r6', 'r0 &= 1', 'exit'].join('\n'));
  const p = preciseRegisters(c.cfg, c.at, c.kinds).precise;
  // Before slot 2: r7 (added to r2 later) is wanted, r6 (copied to r0 only) is not.
  assert.equal((p[2]! >> 7) & 1, 1);
  assert.equal((p[2]! >> 6) & 1, 0);
});

test('a register compared or stored later is wanted; a subprogram r0 is wanted at its exit', () => {
  const c = code(
    [
      'r6 = r1',
      'if r6 > 3 goto l',
      'l:',
      '*(u64 *)(r10 - 8) = r7',
      'call f',
      'exit',
      'f:',
      'r0 = r1',
      'exit',
    ].join('\n'),
  );
  const p = preciseRegisters(c.cfg, c.at, c.kinds).precise;
  assert.equal((p[1]! >> 6) & 1, 1);
  assert.equal((p[2]! >> 7) & 1, 1);
  // In f, r1 flows into the returned r0.
  assert.equal((p[5]! >> 1) & 1, 1);
});

test('stack slots: live until overwritten whole; a spilled stack pointer followed through its fill; no answer when one is stored elsewhere', () => {
  const c = code(
    ['*(u64 *)(r10 - 8) = 1', '*(u64 *)(r10 - 16) = 2', 'r0 = *(u32 *)(r10 - 8)', 'exit'].join('\n'),
  );
  const s = liveStackSlots(c.cfg, c.at, c.kinds)!;
  assert.equal(s.lo[1]! & 0b11, 0b01); // after the first store: slot 0 read later, slot 1 never
  assert.equal(s.lo[0]! & 1, 0); // slot 0 is overwritten before it is read
  // Spilled whole into a slot of the frame, the pointer comes back at the fill (3), and the read
  // through it (4) reads fp-8 (slot 0); the spill's own slot (1) is read at the fill.
  const spilled = code(
    [
      'r2 = r10',
      'r2 += -8',
      '*(u64 *)(r10 - 16) = r2',
      'r3 = *(u64 *)(r10 - 16)',
      'r0 = *(u64 *)(r3 + 0)',
      'exit',
    ].join('\n'),
  );
  const sp = liveStackSlots(spilled.cfg, spilled.at, spilled.kinds)!;
  assert.equal(sp.lo[4]! & 0b11, 0b01);
  assert.equal(sp.lo[3]! & 0b11, 0b11);
  // Stored narrow (or anywhere but a whole slot of the frame): no answer.
  const narrow = code(['r2 = r10', 'r2 += -8', '*(u32 *)(r10 - 16) = r2', 'r0 = 0', 'exit'].join('\n'));
  assert.equal(liveStackSlots(narrow.cfg, narrow.at, narrow.kinds), undefined);
  const compared = code(['r2 = r10', 'if r2 == r1 goto l', 'l:', 'r0 = 0', 'exit'].join('\n'));
  assert.equal(liveStackSlots(compared.cfg, compared.at, compared.kinds), undefined);
});

test('stack slots: a helper reads through a copy of r10 what its argument types say', () => {
  const maps = new Map([['m', { keySize: 4, valueSize: 24 } as MapSpec]]);
  const lookup = code(
    [
      '*(u64 *)(r10 - 8) = 0', // 0
      '*(u64 *)(r10 - 16) = 0', // 1
      'r2 = r10', // 2
      'r2 += -16', // 3
      'r1 = m ll', // 4
      'call 1', // 6: bpf_map_lookup_elem(m, fp-16) reads the 4-byte key: slot 1
      'r0 = 0', // 7
      'exit',
    ].join('\n'),
  );
  const s = liveStackSlots(lookup.cfg, lookup.at, lookup.kinds, maps)!;
  assert.equal(s.lo[6]! & 0b11, 0b10);
  assert.equal(s.lo[2]! & 0b11, 0b10);
  assert.equal(s.lo[1]! & 0b11, 0b00); // slot 1 is overwritten whole at 1
  assert.equal(s.lo[7]!, 0);
  // Without a prototype (or a size), every byte from the pointer to the frame's top.
  const unknown = code(['r1 = r10', 'r1 += -16', 'call 999999', 'r0 = 0', 'exit'].join('\n'));
  assert.equal(liveStackSlots(unknown.cfg, unknown.at, unknown.kinds)!.lo[2]! & 0b111, 0b011);
});

test('a byte store through r10 wants only whether the register is zero; a spill wants it whole', () => {
  const c = code(
    [
      '*(u32 *)(r10 - 4) = r6', // 0: bytes of a slot, not its start: zero or misc
      'r7 = r8', // 1: a 64-bit copy passes the zero-only demand on
      '*(u32 *)(r10 - 12) = r7', // 2
      '*(u32 *)(r10 - 16) = r9', // 3: a slot's start: a spill, filled whole later
      'r0 = 0',
      'exit',
    ].join('\n'),
  );
  const p = preciseRegisters(c.cfg, c.at, c.kinds).precise;
  const full = (pc: number, r: number) => (p[pc]! >> r) & 1;
  const zero = (pc: number, r: number) => (p[pc]! >> (ZERO_SHIFT + r)) & 1;
  assert.deepEqual([full(0, 6), zero(0, 6)], [0, 1]);
  assert.deepEqual([full(1, 8), zero(1, 8)], [0, 1]);
  assert.deepEqual([full(3, 9), zero(3, 9)], [1, 0]);
  // A 32-bit copy passes it on too: the result is zero where the source's low half is, which is
  // what prune.ts tests of the old value (low32Zero; case pruning-zero-test-low-half).
  const narrow = code(['w7 = w8', '*(u32 *)(r10 - 4) = r7', 'r0 = 0', 'exit'].join('\n'));
  const q = preciseRegisters(narrow.cfg, narrow.at, narrow.kinds).precise;
  assert.deepEqual([(q[0]! >> 8) & 1, (q[0]! >> (ZERO_SHIFT + 8)) & 1], [0, 1]);
});

test('a helper call wants its size argument exact, not an ARG_ANYTHING scalar', () => {
  const c = code(
    // bpf_skb_load_bytes(ctx, offset, to, len): offset is ARG_ANYTHING, len ARG_CONST_SIZE.
    ['r3 = r10', 'r3 += -8', 'call 26', 'r0 = 0', 'exit'].join('\n'),
  );
  const p = preciseRegisters(c.cfg, c.at, c.kinds).precise;
  assert.equal((p[2]! >> 2) & 1, 0);
  assert.equal((p[2]! >> 4) & 1, 1);
  // bpf_ringbuf_reserve's size decides the record's size: wanted, though ARG_ANYTHING here.
  const reserve = code(['call 131', 'r0 = 0', 'exit'].join('\n'));
  assert.equal((preciseRegisters(reserve.cfg, reserve.at, reserve.kinds).precise[0]! >> 2) & 1, 1);
});

test('a 32-bit add wants its source only for a wanted result; a 64-bit one may be pointer arithmetic', () => {
  const c = code(['w8 += w4', 'r7 += r5', 'r0 = 0', 'exit'].join('\n'));
  const p = preciseRegisters(c.cfg, c.at, c.kinds).precise;
  assert.equal((p[0]! >> 4) & 1, 0);
  assert.equal((p[1]! >> 5) & 1, 1);
});
