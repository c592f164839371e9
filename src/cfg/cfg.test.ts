// The CFG on hand-made programs (blocks, edges, subprograms, calls, callbacks, tail calls,
// dominators, loops) and on random ones (fast-check): the graph's invariants hold for every
// program it accepts, and everything else is a VerifierError, never another exception.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { arbFlowProgram } from '../../test/gen/flow.js';
import { VerifierError } from '../errors.js';
import { insn, lddw, op as O } from '../isa/index.js';
import { buildCfg, type Cfg, dominates } from './index.js';

const mov = insn(O.BPF_ALU64 | O.BPF_MOV | O.BPF_K, 0, 0, 0, 0);
const exit = insn(O.OP_EXIT, 0, 0, 0, 0);
const ja = (off: number) => insn(O.OP_JA, 0, 0, off, 0);
const jeq = (off: number) => insn(O.BPF_JMP | O.BPF_JEQ | O.BPF_K, 1, 0, off, 0);
const call = (imm: number) => insn(O.OP_CALL, 0, O.BPF_PSEUDO_CALL, 0, imm);
const helper = (imm: number) => insn(O.OP_CALL, 0, 0, 0, imm);
const func = (imm: number) => ({ ...lddw(2, 0n, O.BPF_PSEUDO_FUNC), imm });

test('a diamond: four blocks, the join dominated by the entry only', () => {
  // 0: jeq +2 | 1: mov, 2: ja +1 | 3: mov | 4: exit
  const g = buildCfg([jeq(2), mov, ja(1), mov, exit]);
  assert.deepEqual(
    g.blocks.map((b) => [b.start, b.end, b.transfer, b.successors, b.predecessors]),
    [
      [0, 1, 'branch', [1, 2], []],
      [1, 3, 'jump', [3], [0]],
      [3, 4, 'next', [3], [0]],
      [4, 5, 'exit', [], [1, 2]],
    ],
  );
  assert.deepEqual(g.idom, [0, 0, 0, 0]);
  assert.deepEqual(g.exits, [4]);
  assert.deepEqual(g.loops, []);
  assert.deepEqual(g.blockOf, [0, 1, 1, 2, 3]);
});

test('a loop: back edge, natural loop, header dominating its body', () => {
  // 0: mov | 1: jeq +2 (to 4) | 2: mov | 3: ja -3 (to 1) | 4: exit
  const g = buildCfg([mov, jeq(2), mov, ja(-3), exit]);
  assert.deepEqual(
    g.blocks.map((b) => [b.start, b.successors]),
    [
      [0, [1]],
      [1, [2, 3]],
      [2, [1]],
      [4, []],
    ],
  );
  assert.deepEqual(g.backEdges, [{ from: 2, to: 1 }]);
  assert.deepEqual(g.loops, [{ header: 1, latches: [2], blocks: [1, 2], subprogram: 0 }]);
  assert.deepEqual(g.idom, [0, 0, 1, 1]);
});

test('subprograms from calls and callback addresses; lddw takes two slots; tail calls', () => {
  // 0: lddw r2, func (slots 0-1, names slot 5) | 2: call +4 (slot 7) | 3: call tail_call | 4: exit
  // 5: mov | 6: exit          (callback)
  // 7: exit                   (callee)
  const g = buildCfg([func(4), call(4), helper(12), exit, mov, exit, exit]);
  assert.equal(g.slots, 8);
  assert.deepEqual(
    g.subprograms.map((s) => [s.start, s.end, s.callees, s.callbacks]),
    [
      [0, 5, [2], [1]],
      [5, 7, [], []],
      [7, 8, [], []],
    ],
  );
  assert.deepEqual(g.calls, [{ pc: 2, block: 0, callee: 2 }]);
  assert.deepEqual(g.callbacks, [{ pc: 0, block: 0, callee: 1 }]);
  assert.deepEqual(g.tailCalls, [3]);
  assert.equal(g.blocks[0]!.tailCall, true);
  assert.deepEqual(g.blockOf.slice(0, 2), [0, 0]);
  assert.deepEqual(g.exits, [4, 6, 7]);
  assert.deepEqual(g.unreachable, []);
});

test('unreachable code is kept on request and listed', () => {
  const g = buildCfg([mov, ja(1), mov, exit], { allowUnreachable: true });
  assert.deepEqual(g.unreachable, [2]);
  assert.deepEqual(
    g.blocks.map((b) => [b.start, b.reachable]),
    [
      [0, true],
      [2, false],
      [3, true],
    ],
  );
  assert.equal(g.idom[1], -1);
});

/** Dominators by their definition: d dominates b iff b cannot be reached from the entry without d. */
function bruteDominates(g: Cfg, entry: number, d: number, b: number): boolean {
  const seen = new Set<number>([entry]);
  if (d === entry) return true;
  const work = [entry];
  while (work.length > 0) {
    const x = work.pop()!;
    for (const s of g.blocks[x]!.successors) {
      if (s === d || seen.has(s)) continue;
      seen.add(s);
      work.push(s);
    }
  }
  return !seen.has(b);
}

function checkInvariants(g: Cfg): void {
  // Each slot in exactly one block; blocks tile the program in order.
  let at = 0;
  for (const b of g.blocks) {
    assert.equal(b.start, at);
    assert.ok(b.end > b.start && b.last >= b.start && b.last < b.end);
    for (let s = b.start; s < b.end; s++) assert.equal(g.blockOf[s], b.id);
    at = b.end;
  }
  assert.equal(at, g.slots);
  for (const b of g.blocks) {
    // Successors are blocks of the same subprogram; the edge lists mirror each other.
    assert.deepEqual(
      [...b.successors].sort((x, y) => x - y),
      b.successors,
    );
    for (const s of b.successors) {
      assert.equal(g.blocks[s]!.subprogram, b.subprogram);
      assert.ok(g.blocks[s]!.predecessors.includes(b.id));
    }
    for (const p of b.predecessors) assert.ok(g.blocks[p]!.successors.includes(b.id));
  }
  for (const sub of g.subprograms) {
    assert.equal(g.blocks[sub.entry]!.start, sub.start);
    assert.equal(g.idom[sub.entry], sub.entry);
    for (const b of sub.blocks) {
      const reached = g.idom[b] !== -1;
      assert.equal(reached, !bruteDominates(g, sub.entry, -1, b) || b === sub.entry);
      if (!reached) continue;
      for (const d of sub.blocks) {
        if (g.idom[d] === -1) continue;
        assert.equal(dominates(g.idom, d, b), bruteDominates(g, sub.entry, d, b), `${d} dom ${b}`);
      }
    }
  }
  const dominated = g.blocks.flatMap((b) =>
    b.successors.filter((s) => dominates(g.idom, s, b.id)).map((s) => ({ from: b.id, to: s })),
  );
  assert.deepEqual(g.backEdges, dominated);
  for (const loop of g.loops) for (const b of loop.blocks) assert.ok(dominates(g.idom, loop.header, b));
  for (const c of [...g.calls, ...g.callbacks]) {
    assert.equal(g.blockOf[c.pc], c.block);
    assert.ok(
      g.subprograms[g.blocks[c.block]!.subprogram]!.callees.concat(
        g.subprograms[g.blocks[c.block]!.subprogram]!.callbacks,
      ).includes(c.callee),
    );
  }
}

test('random programs: a valid graph or a VerifierError, and deterministic', () => {
  let accepted = 0;
  let runs = 0;
  fc.assert(
    fc.property(arbFlowProgram(), fc.boolean(), (program, allowUnreachable) => {
      runs++;
      let g: Cfg;
      try {
        g = buildCfg(program, { allowUnreachable });
      } catch (e) {
        if (e instanceof VerifierError) return;
        throw e;
      }
      accepted++;
      checkInvariants(g);
      if (!allowUnreachable) assert.ok(g.unreachable.length === 0 && g.blocks.every((b) => b.reachable));
      assert.deepEqual(buildCfg(program, { allowUnreachable }), g);
    }),
    { numRuns: 2000 },
  );
  // The generator must exercise the accepting side too, not only refusals.
  assert.ok(accepted > runs / 10, `${accepted} of ${runs} accepted`);
});
