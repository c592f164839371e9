// applyCoreRelocations on the CO-RE fixture (test/fixtures/core/): every relocation of core.o
// against target.btf is patched exactly as libbpf 1.1 patched it (core.libbpf.txt, recorded by
// scripts/fixtures/core.sh), poisoned instructions keep their slots, the object's own BTF changes
// nothing, and what libbpf refuses is a LoadError naming program, relocation and instruction.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseBtf } from '../btf/parse.js';
import type { Btf, BtfType } from '../btf/types.js';
import { loadCollectionSpec } from '../elf/load.js';
import { LoadError, NotSupportedError } from '../errors.js';
import { type Instruction, slots, slotTable } from '../isa/instruction.js';
import * as O from '../isa/opcodes.js';
import { applyCoreRelocations, type CoreRelocationReport, hasCoreRelocations } from './co-re-apply.js';
import { CORE_POISON_HELPER } from './co-re-patch.js';
import { type CollectionSpec, type ProgramSpec, programByName } from './types.js';

const root = new URL('../../../', import.meta.url);
const file = (name: string): Uint8Array =>
  new Uint8Array(readFileSync(new URL(`test/fixtures/core/${name}`, root)));
const coreBytes = file('core.o');
const spec = (): CollectionSpec => loadCollectionSpec(coreBytes);
const target = parseBtf(file('target.btf'), 'target.btf');
const prog = (s: CollectionSpec, name: string): ProgramSpec => programByName(s, name)!;
const at = (p: ProgramSpec, slot: number): Instruction =>
  p.instructions[slotTable(p.instructions).insnAt[slot]!]!;

/** Function start slots of a linked program, from the symbols the linker puts on first instructions. */
function functionsOf(p: ProgramSpec): { name: string; start: number }[] {
  const out: { name: string; start: number }[] = [];
  let slot = 0;
  for (const i of p.instructions) {
    if (i.symbol !== undefined) out.push({ name: i.symbol, start: slot });
    slot += slots(i);
  }
  return out;
}

/** Our report in libbpf's terms: `function #insn what` (insn relative to the function, as libbpf counts). */
function ours(s: CollectionSpec, report: readonly CoreRelocationReport[]): string[] {
  return report.flatMap((r) => {
    const fns = functionsOf(prog(s, r.program));
    const fn = fns.filter((f) => f.start <= r.insnOff).at(-1)!;
    const where = `${fn.name} #${r.insnOff - fn.start}`;
    return r.outcome === 'poisoned'
      ? [`${where} poisoned`]
      : r.detail.split(', ').map((d) => `${where} ${d}`);
  });
}

/** libbpf's debug lines, e.g. `prog 'x': relo #1: patched insn #4 (LDX/ST/STX) mem_sz 2 -> 4`. */
function libbpf(name: string): string[] {
  return readFileSync(new URL(`test/fixtures/core/${name}`, root), 'utf8')
    .trim()
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .map((line) => {
      const m =
        /^prog '(\w+)': relo #\d+: (?:patched insn #(\d+) \([A-Z0-9/]+\) (.*)|substituting insn #(\d+) w\/ invalid insn)$/.exec(
          line,
        );
      assert.ok(m, line);
      return m[2] !== undefined ? `${m[1]} #${m[2]} ${m[3]}` : `${m[1]} #${m[4]} poisoned`;
    });
}

test('every relocation of core.o against target.btf is patched as libbpf patches it', () => {
  const s = spec();
  const r = applyCoreRelocations(s, target);
  const want = libbpf('core.libbpf.txt');
  assert.equal(want.length, 40);
  assert.equal(r.report.length, 39);
  assert.deepEqual(ours(s, r.report).sort(), want.sort());
  assert.deepEqual(
    r.poisoned.map((p) => `${p.program} ${p.insnOff}`),
    ['signed_resize 0', 'guarded 3'],
  );
  assert.ok(!hasCoreRelocations(r.spec));
  assert.ok(r.spec.programs.every((p) => !('coreRelocations' in p)));
});

// libbpf's decisions for xdp_core.o against the kernel BTF of the machine that recorded them.
const recorded = readFileSync(new URL('test/fixtures/core/xdp_core.vmlinux.libbpf.txt', root), 'utf8');
const recordedOn = /^# kernel (\S+)/.exec(recorded)?.[1];
const VMLINUX = '/sys/kernel/btf/vmlinux';
const sameKernel =
  recordedOn !== release()
    ? `recorded on kernel ${recordedOn}, this is ${release()}`
    : existsSync(VMLINUX)
      ? false
      : `no ${VMLINUX}`;

test('against this kernel BTF, xdp_core.o is patched as libbpf patched it', { skip: sameKernel }, () => {
  const s = loadCollectionSpec(file('xdp_core.o'));
  const r = applyCoreRelocations(s, parseBtf(new Uint8Array(readFileSync(VMLINUX))));
  assert.equal(r.report.length, 21);
  assert.deepEqual(ours(s, r.report).sort(), libbpf('xdp_core.vmlinux.libbpf.txt').sort());
});

test('patched instructions: offsets, widened loads, immediates, 64-bit values, poison', () => {
  const r = applyCoreRelocations(spec(), target).spec;
  // r3 = *(u16 *)(r1 + 4)  ->  r3 = *(u32 *)(r1 + 12): struct sample.b is unsigned int there.
  assert.deepEqual(at(prog(r, 'field_reads'), 4), {
    op: O.BPF_LDX | O.BPF_MEM | O.BPF_W,
    dst: 3,
    src: 1,
    off: 12,
    imm: 0,
    ...sourceOf(r, 'field_reads', 4),
  });
  const call = { op: O.OP_CALL, dst: 0, src: 0, off: 0, imm: CORE_POISON_HELPER };
  assert.deepEqual(pick(at(prog(r, 'signed_resize'), 0)), call);
  assert.deepEqual(pick(at(prog(r, 'guarded'), 3)), call);
  assert.equal(at(prog(r, 'values'), 0).imm, 24);
  const blue = at(prog(r, 'values'), 17);
  assert.deepEqual([blue.op, blue.imm, blue.hi], [O.OP_LDDW, 20, 0]);
  const big = at(prog(r, 'enum64'), 0);
  assert.deepEqual([big.imm, big.hi], [0, 2]);
  // Slots never move: the programs are as long as before.
  for (const p of spec().programs)
    assert.equal(
      slotTable(prog(r, p.name).instructions).insnAt.length,
      slotTable(p.instructions).insnAt.length,
    );
});

const pick = (i: Instruction) => ({ op: i.op, dst: i.dst, src: i.src, off: i.off, imm: i.imm });
function sourceOf(s: CollectionSpec, program: string, slot: number): Partial<Instruction> {
  const i = at(prog(s, program), slot);
  return {
    ...(i.source === undefined ? {} : { source: i.source }),
    ...(i.symbol === undefined ? {} : { symbol: i.symbol }),
  };
}

test('a subprogram relocation is applied at its place in every program that calls it', () => {
  const s = spec();
  assert.deepEqual(
    prog(s, 'calls_sub').coreRelocations!.map((c) => [c.insnOff, c.access]),
    [
      [2, '0:0'],
      [6, '0:5:1'],
      [7, '0:4:0'],
    ],
  );
  const r = applyCoreRelocations(s, target).spec;
  assert.deepEqual([at(prog(r, 'calls_sub'), 6).off, at(prog(r, 'calls_sub'), 7).off], [36, 28]);
});

test('a poisoned lddw becomes two calls, so nothing after it moves', () => {
  // A target whose enum color has no BLUE: bpf_core_enum_value(enum color, BLUE) cannot resolve.
  const types = target.types.map(
    (t): BtfType =>
      t.kind === 'enum' && t.name === 'color'
        ? { ...t, values: t.values.filter((v) => v.name !== 'BLUE') }
        : t,
  );
  const r = applyCoreRelocations(spec(), { ...target, types });
  const p = prog(r.spec, 'values');
  assert.deepEqual([pick(at(p, 17)).imm, pick(at(p, 18)).imm], [CORE_POISON_HELPER, CORE_POISON_HELPER]);
  assert.equal(at(p, 19).op, O.BPF_ALU | O.BPF_LSH | O.BPF_K);
  assert.ok(r.poisoned.some((x) => x.program === 'values' && x.insnOff === 17 && x.kind === 'ENUMVAL_VALUE'));
});

test("the object's own BTF as target changes no instruction but the bitfield load sizes", () => {
  const s = spec();
  const r = applyCoreRelocations(s, s.btf!);
  assert.equal(r.poisoned.length, 0);
  for (const p of s.programs) {
    if (p.name !== 'bitfields') assert.deepEqual(prog(r.spec, p.name).instructions, p.instructions, p.name);
  }
  // clang chose 8-byte loads for the bitfields; libbpf (and tsbpf) the smallest load covering
  // them, 4 bytes, which is why bitfield relocations are never checked against the instruction.
  assert.deepEqual(
    r.report
      .filter((x) => x.program === 'bitfields' && !/^imm (\d+) -> \1$/.test(x.detail))
      .map((x) => `${x.insnOff} ${x.kind} ${x.detail}`),
    ['3 FIELD_BYTE_SIZE imm 8 -> 4', '26 FIELD_BYTE_SIZE imm 8 -> 4'],
  );
  // Applying again finds nothing to do.
  assert.equal(applyCoreRelocations(r.spec, target).spec, r.spec);
});

test('what libbpf refuses is a LoadError naming the program, relocation and instruction', () => {
  const s = spec();
  const edit = (name: string, slot: number, change: Partial<Instruction>): CollectionSpec => ({
    ...s,
    programs: s.programs.map((p) => {
      if (p.name !== name) return p;
      const k = slotTable(p.instructions).insnAt[slot]!;
      return { ...p, instructions: p.instructions.map((i, n) => (n === k ? { ...i, ...change } : i)) };
    }),
  });
  const refused = (x: CollectionSpec, t: Btf, re: RegExp) =>
    assert.throws(
      () => applyCoreRelocations(x, t),
      (e: unknown) => e instanceof LoadError && re.test(e.message),
    );
  // The compiler's value is no longer in the instruction.
  refused(
    edit('values', 0, { imm: 17 }),
    target,
    /program values: CO-RE relocation #0 \(byte_off\) at insn 0: unexpected insn value \(ALU\/ALU64\): got 17, exp 16 -> 24/,
  );
  refused(
    edit('field_reads', 4, { off: 5 }),
    target,
    /unexpected insn value \(LDX\/ST\/STX\): got 5, exp 4 -> 12/,
  );
  // A register operand cannot be relocated.
  refused(edit('values', 0, { op: O.BPF_ALU64 | O.BPF_MOV | O.BPF_X }), target, /register operand/);
  // An offset past what 16 bits hold.
  const far = {
    ...target,
    types: target.types.map(
      (t): BtfType =>
        t.kind === 'struct' && t.name === 'sample'
          ? { ...t, members: t.members.map((m) => (m.name === 'a' ? { ...m, bitOffset: 40000 * 8 } : m)) }
          : t,
    ),
  };
  refused(s, far, /program field_reads: CO-RE relocation #2 .* insn value too big \(LDX\/ST\/STX\): 40000/);
  // A relocation that points past the program.
  const p0 = prog(s, 'values');
  refused(
    { ...s, programs: [{ ...p0, coreRelocations: [{ ...p0.coreRelocations![0]!, insnOff: 999 }] }] },
    target,
    /at insn 999: not at an instruction/,
  );
  const { btf: _, ...noBtf } = s;
  refused(noBtf, target, /need the object BTF/);
});

test('mutated objects give a relocated spec or a LoadError, quickly', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(
          fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
          fc.integer({ min: 0, max: 255 }),
        ),
        {
          minLength: 1,
          maxLength: 8,
        },
      ),
      (edits) => {
        const b = coreBytes.slice();
        for (const [where, value] of edits) b[Math.floor(where * b.length)] = value;
        try {
          const s = loadCollectionSpec(b);
          applyCoreRelocations(s, target);
          if (s.btf !== undefined) applyCoreRelocations(s, s.btf);
        } catch (e) {
          if (!(e instanceof LoadError || e instanceof NotSupportedError)) throw e;
        }
      },
    ),
    { numRuns: 400, seed: 7 },
  );
});
