// `tsbpf run FILE`: runs a raw program (assembly, hex, bytes, or an ELF code section) in the
// reference interpreter over an optional memory block (r1 = its address, r2 = its length).

import { formatInstruction, Interpreter, runWithMemory, type StepHook, slotTable } from '../../index.js';
import { intOption, parse, UsageError, usageLine } from '../args.js';
import { conformanceHelpers } from '../conformance-helpers.js';
import { parseHex, toHex } from '../hex.js';
import { type InputFormat, loadProgramInput, readBytes } from '../input.js';
import type { Output } from '../output.js';

export const runUsage = `Usage: tsbpf run FILE|- [--mem HEX | --mem-file FILE] [--section NAME] [--format auto|elf|raw|hex|asm]
                [--budget N] [--helpers none|ubpf] [--trace] [--json]
  Runs a program in the interpreter with r1 = address of the memory block, r2 = its length,
  and prints r0. --helpers ubpf provides the bpf_conformance test helpers (0-5).`;

export function runCommand(argv: string[], out: Output): number {
  const { values, positionals } = parse('run', argv, {
    mem: { type: 'string' },
    'mem-file': { type: 'string' },
    section: { type: 'string' },
    format: { type: 'string' },
    budget: { type: 'string' },
    helpers: { type: 'string' },
    trace: { type: 'boolean' },
  });
  const [file] = positionals;
  if (file === undefined || positionals.length > 1)
    throw usageLine('run', 'one FILE (or - for standard input)');
  if (values.mem !== undefined && values['mem-file'] !== undefined)
    throw new UsageError('give --mem or --mem-file, not both');
  const memory =
    typeof values['mem-file'] === 'string'
      ? readBytes(values['mem-file'], '--mem-file')
      : parseHex(typeof values.mem === 'string' ? values.mem : '', '--mem');
  const helpers = values.helpers ?? 'none';
  if (helpers !== 'none' && helpers !== 'ubpf')
    throw new UsageError(`--helpers: unknown helper set '${helpers}' (none or ubpf)`);
  const { instructions, origin } = loadProgramInput(file, {
    format: (values.format ?? 'auto') as InputFormat,
    section: values.section as string | undefined,
  });
  const trace: { pc: number; insn: string; regs: string[] }[] = [];
  let onStep: StepHook | undefined;
  if (values.trace) {
    const { insnAt } = slotTable(instructions);
    onStep = (pc, regs) => {
      const insn = instructions[insnAt[pc]!];
      const row = {
        pc,
        insn: insn === undefined ? '?' : formatInstruction(insn, pc),
        regs: regs.snapshot().map((r) => `0x${r.toString(16)}`),
      };
      trace.push(row);
      const nonzero = row.regs.map((r, k) => (r === '0x0' ? '' : `r${k}=${r}`)).filter((s) => s !== '');
      out.text(`${String(pc).padStart(5)}: ${row.insn.padEnd(36)} ; ${nonzero.join(' ')}`);
    };
  }
  const engine = new Interpreter(instructions, {
    budget: intOption('budget', values.budget as string | undefined, 1_000_000),
    ...(helpers === 'ubpf' ? { helpers: conformanceHelpers } : {}),
    ...(onStep === undefined ? {} : { onStep }),
  });
  const result = runWithMemory(engine, memory);
  const changed = toHex(result.memory) !== toHex(memory);
  out.data({
    program: origin,
    r0: `0x${result.r0.toString(16)}`,
    r0_signed: BigInt.asIntN(64, result.r0).toString(),
    steps: result.steps,
    ...(memory.length > 0 ? { memory: toHex(result.memory) } : {}),
    ...(values.trace ? { trace } : {}),
  });
  out.text(`r0 = 0x${result.r0.toString(16)} (${BigInt.asIntN(64, result.r0)})`);
  out.text(`steps: ${result.steps}`);
  if (memory.length > 0) out.text(`memory${changed ? ' (changed)' : ''}: ${toHex(result.memory)}`);
  return 0;
}
