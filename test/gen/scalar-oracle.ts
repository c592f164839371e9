// The kernel as the oracle of the scalar domain. Generates short straight-line socket filters —
// four unknown 64-bit inputs (bpf_ktime_get_ns into r6-r9), then random ALU, byte-order and
// conditional-jump instructions on them — loads each with log level 2, reads the register states
// the log prints after each instruction and on each jump's taken edge, and compares them with
// what the domain computes along the same path.
//
// Shape rules that keep the comparison about scalars alone: the body never copies one register
// into another (the kernel would link the two by id and narrow both on a later jump, which is
// the abstract interpreter's business, not the domain's); mov and movsx act on one register
// (`w6 = (s8)w6`). Each jump goes to its own `exit`, so the taken edge is never pruned and its
// state is printed ("from X to Y: ..."). r0 is 0 throughout, so every exit is valid.

import fc from 'fast-check';
import { assertNever } from '../../src/errors.js';
import {
  alu32,
  alu64,
  call,
  endian,
  exit,
  jmp,
  ld64,
  mov,
  movsx,
  type Reg,
} from '../../src/interp/test-builders.js';
import {
  type AluOp,
  BINARY_ALU_OPS,
  type Instruction,
  JMP_CONDITIONS,
  type JmpCond,
} from '../../src/isa/index.js';
import {
  aluFork,
  aluScalar,
  branchTaken,
  endianScalar,
  formatScalar,
  refineBranch,
  SCALAR_UNKNOWN,
  type Scalar,
  scalarConst,
  scalarEquals,
} from '../../src/verifier/scalar/index.js';
import { parseScalar } from './scalar-log.js';

const REGS = ['r6', 'r7', 'r8', 'r9'] as const satisfies readonly Reg[];
type R = (typeof REGS)[number];
const reg = (r: R): Reg => r;
const regNo = (r: R): number => Number(r.slice(1));

export type Step =
  | { kind: 'alu'; op: AluOp; is64: boolean; dst: R; src: R | number; ext?: 8 | 16 | 32 }
  | { kind: 'lddw'; dst: R; value: bigint }
  | { kind: 'endian'; order: 'le' | 'be' | 'bswap'; bits: 16 | 32 | 64; dst: R }
  | { kind: 'jmp'; cond: JmpCond; is64: boolean; dst: R; src: R | number };

const regArb = fc.constantFrom(...REGS);
const imm32 = fc.oneof(
  fc.integer({ min: -20, max: 20 }),
  fc.constantFrom(
    0xff,
    0xffff,
    0xff00,
    0xf0f0,
    0x7fffffff,
    -0x80000000,
    0x7fff,
    -0x8000,
    0x10000,
    255,
    256,
    1000,
  ),
  fc.integer({ min: -0x80000000, max: 0x7fffffff }),
);
const maskImm = fc.oneof(
  fc.constantFrom(0xff, 0xffff, 0xf, 0xf0, 0xff0, 0x7fffffff, 0x3f, 0x100, 0xfff0),
  fc.integer({ min: 0, max: 0x7fffffff }),
);

/** The ALU ops with a source operand, mov aside (it is generated on its own). */
const BINARY: AluOp[] = BINARY_ALU_OPS.filter((op) => op !== 'mov');

const aluStep: fc.Arbitrary<Step> = fc
  .tuple(
    fc.constantFrom(...BINARY),
    fc.boolean(),
    regArb,
    fc.oneof(regArb, imm32),
    fc.integer({ min: 0, max: 63 }),
  )
  .map(([op, is64, dst, src, sh]): Step => {
    if (typeof src === 'number') {
      if (op === 'lsh' || op === 'rsh' || op === 'arsh') src = sh % (is64 ? 64 : 32);
      else if ((op === 'div' || op === 'mod' || op === 'sdiv' || op === 'smod') && src === 0) src = 7;
    }
    return { kind: 'alu', op, is64, dst, src };
  });

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: aluStep },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom<AluOp>('and', 'or', 'rsh', 'add'),
        fc.boolean(),
        regArb,
        maskImm,
        fc.integer({ min: 1, max: 40 }),
      )
      .map(
        ([op, is64, dst, m, sh]): Step => ({
          kind: 'alu',
          op,
          is64,
          dst,
          src: op === 'rsh' ? sh % (is64 ? 64 : 32) : m,
        }),
      ),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.boolean(), regArb, imm32)
      .map(([is64, dst, v]): Step => ({ kind: 'alu', op: 'mov', is64, dst, src: v })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.boolean(), regArb)
      .map(([is64, dst]): Step => ({ kind: 'alu', op: 'neg', is64, dst, src: dst })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.boolean(), regArb, fc.constantFrom<8 | 16 | 32>(8, 16, 32))
      .map(
        ([is64, dst, ext]): Step =>
          is64 || ext !== 32
            ? { kind: 'alu', op: 'movsx', is64, dst, src: dst, ext }
            : { kind: 'alu', op: 'mov', is64: false, dst, src: dst },
      ),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(regArb, fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }))
      .map(([dst, value]): Step => ({ kind: 'lddw', dst, value })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom('le', 'be', 'bswap') as fc.Arbitrary<'le' | 'be' | 'bswap'>,
        fc.constantFrom<16 | 32 | 64>(16, 32, 64),
        regArb,
      )
      .map(([order, bits, dst]): Step => ({ kind: 'endian', order, bits, dst })),
  },
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.constantFrom(...JMP_CONDITIONS), fc.boolean(), regArb, fc.oneof(regArb, imm32, imm32))
      .map(([cond, is64, dst, src]): Step => ({ kind: 'jmp', cond, is64, dst, src })),
  },
);

export const programArb: fc.Arbitrary<Step[]> = fc.array(stepArb, { minLength: 4, maxLength: 24 });

/** Slots before the body: four inputs from bpf_ktime_get_ns, then r0 = 0. */
const PROLOGUE: Instruction[] = REGS.flatMap((r) => [call(5), mov(reg(r), 'r0')]).concat([mov('r0', 0)]);
const BPF_FUNC_ktime_get_ns = 5;
void BPF_FUNC_ktime_get_ns;

const slotsOf = (s: Step): number => (s.kind === 'lddw' ? 2 : 1);

/** The program: prologue, body, the main exit, then one exit per jump. */
export function assembleSteps(steps: readonly Step[]): {
  insns: Instruction[];
  pcs: number[];
  exits: number[];
} {
  const pcs: number[] = [];
  let pc = PROLOGUE.length;
  for (const s of steps) {
    pcs.push(pc);
    pc += slotsOf(s);
  }
  const mainExit = pc;
  const exits: number[] = [];
  let next = mainExit + 1;
  for (const s of steps) {
    if (s.kind === 'jmp') exits.push(next++);
    else exits.push(-1);
  }
  const body = steps.map((s, k): Instruction => {
    switch (s.kind) {
      case 'alu': {
        const build = s.is64 ? alu64 : alu32;
        if (s.op === 'movsx') return movsx(s.is64, s.ext!, reg(s.dst), reg(s.dst));
        const src = typeof s.src === 'number' ? s.src : reg(s.src);
        return build(s.op, reg(s.dst), s.op === 'neg' ? 0 : src);
      }
      case 'lddw':
        return ld64(reg(s.dst), s.value);
      case 'endian':
        return endian(s.order, s.bits, reg(s.dst));
      case 'jmp':
        return jmp(
          s.cond,
          reg(s.dst),
          typeof s.src === 'number' ? s.src : reg(s.src),
          exits[k]! - pcs[k]! - 1,
          !s.is64,
        );
      default:
        return assertNever(s, 'step');
    }
  });
  const insns = [...PROLOGUE, ...body, exit(), ...steps.filter((s) => s.kind === 'jmp').map(() => exit())];
  return { insns, pcs, exits };
}

/** What the domain expects the log to show. */
export interface Expected {
  /** pc → register → state after the instruction (on the path the kernel follows on). */
  readonly after: Map<number, Map<number, Scalar>>;
  /** "p->e" → register → state on the taken edge of the jump at p. */
  readonly taken: Map<string, Map<number, Scalar>>;
  /** The state before each body step, for reports. */
  readonly before: Map<number, Map<number, Scalar>>;
  /** Edges the domain proved no value takes ("p->e" for a jump, "after p" for a fall-through
   * from which the rest of the body is unreached). */
  readonly dead: Set<string>;
}

export function simulate(steps: readonly Step[]): Expected {
  const { pcs, exits } = assembleSteps(steps);
  const regs = new Map<R, Scalar>(REGS.map((r) => [r, SCALAR_UNKNOWN]));
  const snapshot = () => new Map([...regs].map(([r, v]) => [regNo(r), v]));
  const after = new Map<number, Map<number, Scalar>>();
  const taken = new Map<string, Map<number, Scalar>>();
  const before = new Map<number, Map<number, Scalar>>();
  const dead = new Set<string>();
  for (let k = 0; k < steps.length; k++) {
    const s = steps[k]!;
    const pc = pcs[k]!;
    before.set(pc, snapshot());
    const operand = (src: R | number): Scalar =>
      typeof src === 'number' ? scalarConst(BigInt(src)) : regs.get(src)!;
    switch (s.kind) {
      case 'alu': {
        // Where the kernel splits the path, the log follows the first branch first.
        const fork = aluFork(s.op, regs.get(s.dst)!, operand(s.src));
        const dst = fork === null ? regs.get(s.dst)! : fork[0];
        regs.set(s.dst, aluScalar(s.op, s.is64, dst, operand(s.src), s.ext));
        break;
      }
      case 'lddw':
        regs.set(s.dst, scalarConst(s.value));
        break;
      case 'endian':
        regs.set(s.dst, endianScalar(s.order, s.bits, regs.get(s.dst)!));
        break;
      case 'jmp': {
        const same = typeof s.src !== 'number' && s.src === s.dst;
        const a = regs.get(s.dst)!;
        const b = operand(s.src);
        const settled = branchTaken(s.cond, s.is64, a, b);
        if (settled === true) {
          after.set(pc, snapshot());
          return { after, taken, before, dead };
        }
        if (settled === undefined) {
          const t = refineBranch(s.cond, s.is64, a, b, true, same);
          const f = refineBranch(s.cond, s.is64, a, b, false, same);
          if (t === null) dead.add(`${pc}->${exits[k]}`);
          else {
            const m = snapshot();
            m.set(regNo(s.dst), t[0]);
            if (typeof s.src !== 'number') m.set(regNo(s.src), same ? t[0] : t[1]);
            taken.set(`${pc}->${exits[k]}`, m);
          }
          if (f === null) {
            for (let j = k; j < steps.length; j++) {
              dead.add(`after ${pcs[j]}`);
              if (j > k && steps[j]!.kind === 'jmp') dead.add(`${pcs[j]}->${exits[j]}`);
            }
            return { after, taken, before, dead };
          }
          regs.set(s.dst, f[0]);
          if (typeof s.src !== 'number' && !same) regs.set(s.src, f[1]);
        }
        break;
      }
    }
    after.set(pc, snapshot());
  }
  return { after, taken, before, dead };
}

/** Register states printed by a level-2 log: after each instruction, and on jumps' taken edges. */
export function parseLog(log: string): {
  after: Map<number, Map<number, string>>;
  taken: Map<string, Map<number, string>>;
} {
  const after = new Map<number, Map<number, string>>();
  const taken = new Map<string, Map<number, string>>();
  const states = (text: string) =>
    new Map(
      text
        .trim()
        .split(/ (?=R\d+=)/)
        .map((t) => /^R(\d+)=(.*)$/.exec(t))
        .filter((m) => m !== null)
        .map((m) => [Number(m[1]), m[2]!] as const),
    );
  for (const line of log.split('\n')) {
    // A path split (aluFork) makes the log go over some instructions again later: the first
    // time is the path the comparison follows.
    const insn = /^(\d+): \([0-9a-f]{2}\) [^;]*; (R\d+=.*)$/.exec(line);
    if (insn) {
      if (!after.has(Number(insn[1]))) after.set(Number(insn[1]), states(insn[2]!));
      continue;
    }
    const from = /^from (\d+) to (\d+): (R\d+=.*)$/.exec(line);
    if (from && !taken.has(`${from[1]}->${from[2]}`)) taken.set(`${from[1]}->${from[2]}`, states(from[3]!));
  }
  return { after, taken };
}

export interface Mismatch {
  readonly where: string;
  readonly step: string;
  readonly reg: number;
  readonly kernel: string;
  readonly ours: string;
  readonly before: string;
  /** The whole body, for the first mismatch of a program. */
  readonly program?: string;
}

export interface Comparison {
  /** Register states compared, equal as values, equal as log text. */
  compared: number;
  /** States the kernel printed on an edge the domain proved dead (refineBranch null): Linux 6.18
   * explores such an edge with a state its invariant check repaired; not compared. */
  deadEdge: number;
  equal: number;
  textEqual: number;
  mismatches: Mismatch[];
  textMismatches: Mismatch[];
  /** The earliest mismatch of each program that has one (later ones often follow from it). */
  firsts: Mismatch[];
  /** Programs compared, and those with every state equal. */
  programs: number;
  programsEqual: number;
}

export const emptyComparison = (): Comparison => ({
  compared: 0,
  deadEdge: 0,
  equal: 0,
  textEqual: 0,
  mismatches: [],
  textMismatches: [],
  firsts: [],
  programs: 0,
  programsEqual: 0,
});

export function describeStep(s: Step): string {
  const src = (x: R | number) => String(x);
  switch (s.kind) {
    case 'alu':
      return `${s.is64 ? 'alu64' : 'alu32'} ${s.op}${s.ext ?? ''} ${s.dst}, ${src(s.src)}`;
    case 'lddw':
      return `lddw ${s.dst}, 0x${s.value.toString(16)}`;
    case 'endian':
      return `${s.order}${s.bits} ${s.dst}`;
    case 'jmp':
      return `${s.is64 ? 'jmp' : 'jmp32'} ${s.cond} ${s.dst}, ${src(s.src)}`;
  }
}

/** Compares the domain with one kernel log; adds to `into`. */
export function compare(steps: readonly Step[], log: string, into: Comparison): void {
  const { pcs } = assembleSteps(steps);
  const want = simulate(steps);
  const before0 = into.mismatches.length;
  const got = parseLog(log);
  const stepAt = new Map(pcs.map((pc, k) => [pc, steps[k]!]));
  const one = (
    where: string,
    pc: number,
    kernel: Map<number, string>,
    ours: Map<number, Scalar> | undefined,
  ) => {
    const edge = where.replace(/^taken /, '');
    if (ours === undefined && (want.dead.has(edge) || want.dead.has(where))) {
      into.deadEdge += [...kernel.keys()].filter((r) => r >= 6 && r <= 9).length;
      return;
    }
    for (const [r, text] of kernel) {
      if (r < 6 || r > 9) continue;
      const mine = ours?.get(r);
      const step = stepAt.get(pc);
      const before = want.before.get(pc);
      const ctx = () => ({
        where,
        step: step === undefined ? '?' : describeStep(step),
        reg: r,
        kernel: text,
        ours: mine === undefined ? '(not reached)' : formatScalar(mine),
        before:
          step === undefined || before === undefined
            ? ''
            : [...before].map(([q, s]) => `r${q}=${formatScalar(s)}`).join(' '),
      });
      into.compared++;
      const k = parseScalar(text);
      if (mine !== undefined && k !== undefined && scalarEquals(k, mine)) into.equal++;
      else into.mismatches.push(ctx());
      const bare = text
        .replace(/^P/, '')
        .replace(/id=\d+(?:[+-]\d+)?,?/, '')
        .replace(',)', ')');
      if (mine !== undefined && bare === formatScalar(mine)) into.textEqual++;
      else into.textMismatches.push(ctx());
    }
  };
  for (const [pc, regs] of got.after) if (stepAt.has(pc)) one(`after ${pc}`, pc, regs, want.after.get(pc));
  for (const [edge, regs] of got.taken) {
    const pc = Number(edge.split('->')[0]);
    // "from p to p" is the second half of a path split (aluFork), not a jump's edge.
    if (stepAt.get(pc)?.kind !== 'jmp') continue;
    one(`taken ${edge}`, pc, regs, want.taken.get(edge));
  }
  // An edge the domain expects and the kernel did not explore (or the reverse) is a mismatch too.
  for (const edge of want.taken.keys())
    if (!got.taken.has(edge)) {
      into.compared++;
      into.mismatches.push({
        where: `taken ${edge}`,
        step: 'edge not explored by the kernel',
        reg: -1,
        kernel: '',
        ours: '',
        before: '',
      });
    }
  into.programs++;
  const mine = into.mismatches.slice(before0);
  if (mine.length === 0) into.programsEqual++;
  else {
    const pcOf = (m: Mismatch) => Number(/\d+/.exec(m.where)?.[0] ?? 0);
    const first = mine.reduce((a, b) => (pcOf(b) < pcOf(a) ? b : a));
    into.firsts.push({ ...first, program: steps.map(describeStep).join('; ') });
  }
}
