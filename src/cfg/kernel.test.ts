// The kernel's verifier is the oracle for the structural checks: each malformed program below is
// refused by buildCfg and by BPF_PROG_LOAD with the same log line (skipped without bpf()).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VerifierError } from '../errors.js';
import { type Instruction, insn, lddw, op as O } from '../isa/index.js';
import { bpfAvailability } from '../kernel/available.js';
import { loadProgram } from '../kernel/program.js';
import { buildCfg } from './index.js';

const mov0 = insn(O.BPF_ALU64 | O.BPF_MOV | O.BPF_K, 0, 0, 0, 0);
const exit = insn(O.OP_EXIT, 0, 0, 0, 0);
const ja = (off: number) => insn(O.OP_JA, 0, 0, off, 0);
const jeq = (off: number) => insn(O.BPF_JMP | O.BPF_JEQ | O.BPF_K, 1, 0, off, 0);
const call = (imm: number) => insn(O.OP_CALL, 0, O.BPF_PSEUDO_CALL, 0, imm);
const func = (imm: number) => ({ ...lddw(2, 0n, O.BPF_PSEUDO_FUNC), imm });

/** Malformed programs and the line both verifiers must log. */
const MALFORMED: readonly { name: string; insns: Instruction[]; line: string; pc?: number }[] = [
  {
    name: 'jump past the end',
    insns: [mov0, jeq(5), exit],
    line: 'jump out of range from insn 1 to 7',
    pc: 1,
  },
  {
    name: 'jump before the start',
    insns: [mov0, ja(-3), exit],
    line: 'jump out of range from insn 1 to -1',
    pc: 1,
  },
  { name: 'no exit', insns: [mov0, mov0], line: 'last insn is not an exit or jmp', pc: 1 },
  {
    name: 'fall into a subprogram',
    insns: [mov0, call(1), mov0, mov0, exit],
    line: 'last insn is not an exit or jmp',
    pc: 2,
  },
  {
    name: 'jump into a subprogram',
    insns: [mov0, call(2), ja(1), exit, mov0, exit],
    line: 'jump out of range from insn 2 to 4',
    pc: 2,
  },
  { name: 'call past the end', insns: [mov0, call(5), exit], line: 'call to invalid destination', pc: 1 },
  { name: 'callback past the end', insns: [func(9), mov0, exit], line: 'call to invalid destination', pc: 0 },
  { name: 'unreachable exit', insns: [mov0, exit, exit], line: 'unreachable insn 2', pc: 2 },
  { name: 'jumped-over code', insns: [mov0, ja(1), mov0, exit], line: 'unreachable insn 2', pc: 2 },
  {
    name: 'into the middle of ldimm64',
    insns: [mov0, jeq(1), lddw(0, 5n), exit],
    line: 'jump into the middle of ldimm64 insn 2',
    pc: 2,
  },
];

test('buildCfg refuses malformed programs in the kernel words, naming the pc', () => {
  for (const c of MALFORMED) {
    assert.throws(
      () => buildCfg(c.insns),
      (e: unknown) => e instanceof VerifierError && e.log === `${c.line}\n` && e.pc === c.pc,
      c.name,
    );
  }
});

const avail = bpfAvailability();
test('the kernel refuses the same programs with the same line', {
  skip: avail.ok ? false : avail.reason,
}, () => {
  for (const c of MALFORMED) {
    let log = '';
    try {
      loadProgram({ type: 'SOCKET_FILTER', insns: c.insns }).close();
    } catch (e) {
      if (!(e instanceof VerifierError)) throw e;
      log = e.log;
    }
    assert.ok(log.includes(`${c.line}\n`), `${c.name}: kernel log ${JSON.stringify(log)}`);
  }
});
