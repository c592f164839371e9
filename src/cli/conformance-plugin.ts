// The bpf_conformance plugin: the protocol of the public bpf_conformance runner. Program bytes
// as hex on stdin (or --program HEX), memory as hex in the first argument, r1 = the memory,
// r2 = its length; prints the final r0 in hex. Errors go to stderr and stdout (the runner
// compares stdout with a test's expected error) with exit code 1.

import { readFileSync } from 'node:fs';
import {
  createEngine,
  decode,
  loadCollectionSpec,
  NotSupportedError,
  runWithMemory,
  TsbpfError,
} from '../index.js';
import { conformanceHelpers } from './conformance-helpers.js';
import { parseHex } from './hex.js';

export const pluginUsage =
  'usage: tsbpf-conformance-plugin [<hex memory>] [--program <hex program>] [--elf] [--debug] [--engine interp|jit]';

/** Instruction budget per test: generous for loops, small enough that a runaway test ends. */
const BUDGET = 100_000_000;

function programFrom(bytes: Uint8Array, elf: boolean) {
  if (!elf) return decode(bytes);
  const spec = loadCollectionSpec(bytes);
  const prog = spec.programs.find((p) => p.type === 'XDP') ?? spec.programs[0];
  if (prog === undefined) throw new TsbpfError('LOAD_ERROR', 'the object has no program');
  if (spec.maps.length > 0) throw new NotSupportedError('maps in conformance ELF tests');
  return [...prog.instructions];
}

export async function pluginMain(
  argv: string[],
  io = { stdin: () => readFileSync(0, 'utf8') },
): Promise<number> {
  const args = [...argv];
  let memoryHex = '';
  let programHex: string | undefined;
  let elf = false;
  let debug = false;
  let engine: 'jit' | 'interp' = 'interp';
  if (args[0] === '--help') {
    process.stdout.write(`${pluginUsage}\n`);
    return 1;
  }
  if (args.length > 0 && !args[0]!.startsWith('--')) memoryHex = args.shift()!;
  while (args.length > 0) {
    const a = args.shift()!;
    if (a === '--program' && args.length > 0) programHex = args.shift()!;
    else if (a === '--elf') elf = true;
    else if (a === '--debug') debug = true;
    else if (a === '--engine' && (args[0] === 'jit' || args[0] === 'interp'))
      engine = args.shift() as 'jit' | 'interp';
    else if (a === '--interpret' || a === '') continue;
    else {
      process.stderr.write(`Unexpected argument: ${a}\n${pluginUsage}\n`);
      return 1;
    }
  }
  try {
    const program = programFrom(parseHex(programHex ?? io.stdin().split('\n')[0] ?? '', 'program'), elf);
    const memory = parseHex(memoryHex, 'memory');
    const options = { helpers: conformanceHelpers, budget: BUDGET };
    const chosen = createEngine(engine, program, options);
    // Never silently: stderr says why the JIT ran nothing (stdout is the runner's to compare).
    if (chosen.engineReason !== undefined)
      process.stderr.write(
        `the JIT cannot compile this program (${chosen.engineReason}); running it on the interpreter\n`,
      );
    const result = runWithMemory(chosen, memory);
    process.stdout.write(`${result.r0.toString(16)}\n`);
    return 0;
  } catch (e) {
    if (!(e instanceof TsbpfError)) throw e;
    process.stderr.write(`${e.message}\n`);
    process.stdout.write(`${e.message}\n`);
    if (debug && e.stack !== undefined) process.stderr.write(`${e.stack}\n`);
    return 1;
  }
}
