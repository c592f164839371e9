// The public, browser-safe API of tsbpf (layer 6, the package's root entry `tsbpf`). Every name
// is listed here on purpose and pinned by test/api/snapshot.txt; internals (map classes, helper
// implementations, the predecoder) stay out, the contexts VmProgram.runOn takes are in. Nothing
// here needs Node built-ins; the Linux backend is `tsbpf/kernel`, pcap files are `tsbpf/net`.

import { TsbpfError } from './errors.js';
import { Interpreter } from './interp/index.js';
import type { Instruction } from './isa/index.js';
import { JitEngine } from './jit/index.js';
import type { CollectionSpec } from './program/index.js';
import {
  type Engine,
  type EngineOptions,
  type LoadCollectionOptions,
  loadCollection,
  type VmCollection,
} from './runtime/index.js';
import { verify } from './verifier/index.js';

// Text: the assembler and the disassembler.
export {
  type AssembleOptions,
  assemble,
  type DisassembleOptions,
  disassemble,
  type FormatOptions,
  formatInstruction,
  type SymbolAt,
} from './asm/index.js';
// BTF, e.g. a vmlinux BTF file to hand load() as targetBtf for CO-RE.
export type { Btf, BtfType } from './btf/index.js';
export { formatBtf, parseBtf } from './btf/index.js';
// Control flow: basic blocks, subprograms, dominators and loops of a program.
export { type Block, buildCfg, type Cfg, type CfgOptions } from './cfg/index.js';
// The debugger: one test run recorded on the interpreter, stepped forwards and backwards.
export {
  type DebugBreakpoint,
  type DebugBreakpointInfo,
  type DebugDirection,
  type DebugFrame,
  type DebugLocation,
  type DebugOptions,
  DebugSession,
  type DebugStop,
  type DebugStopReason,
} from './debug/index.js';
// Objects: ELF files clang built for libbpf, as CollectionSpecs.
export type { ElfFile, ElfRelocation, ElfSection, ElfSymbol } from './elf/index.js';
export { loadCollectionSpec, readElf } from './elf/index.js';
// Errors: one family; BpfError is a bpf(2) command's errno on either backend.
export {
  AsmError,
  BpfError,
  BudgetExceededError,
  ClosedError,
  Errno,
  type ErrnoName,
  type ErrorCode,
  errnoName,
  InvalidInstructionError,
  LoadError,
  MemoryFault,
  NotSupportedError,
  RuntimeFault,
  TsbpfError,
  VerifierError,
} from './errors.js';
// The engines: the reference interpreter and the Wasm JIT.
export { Interpreter } from './interp/index.js';
// The instruction set: records, the byte codec, classification, opcode constants.
export {
  type AluOp,
  type AtomicOp,
  type ClassifyOptions,
  type CodecOptions,
  classify,
  decode,
  encode,
  type Instruction,
  insn,
  type JmpCond,
  type Kind,
  lddw,
  op,
  type SourceLine,
  slotTable,
} from './isa/index.js';
export { JitEngine } from './jit/index.js';
// Specs: what loadCollectionSpec returns and the backends load.
export {
  type CollectionSpec,
  type FuncInfo,
  type LineInfo,
  type MapSpec,
  mapByName,
  type ProgramSpec,
  programByName,
  type VariableSpec,
} from './program/index.js';
// The machine: the engine contract, raw runs, helpers, and the backend-neutral Collection API.
export {
  AddressSpace,
  type Clock,
  type ClockId,
  type Collection,
  type ConntrackEntry,
  ConntrackTable,
  DEFAULT_BUDGET,
  type Engine,
  type EngineFactory,
  type EngineOptions,
  type FibTable,
  type HelperEnv,
  type HelperFn,
  type HelperTable,
  type Interfaces,
  type LddwResolver,
  type LoadedMap,
  type LoadedProgram,
  type MapBatch,
  type MemoryRunResult,
  type PerfRecord,
  type Region,
  type RegisterView,
  type RunOptions,
  type RunResult,
  runWithMemory,
  SkbContext,
  type SkbInput,
  type StepHook,
  type StepInfo,
  type TestRunInput,
  type TestRunRefusal,
  type TestRunResult,
  type VirtualClock,
  VmCollection,
  type VmMap,
  type VmProgram,
  virtualClock,
  XdpContext,
  type XdpInput,
} from './runtime/index.js';
// Typed skeletons: an object → a TypeScript module with its types, codecs and handles (tsbpf gen skeleton).
export { generateSkeleton, type SkeletonOptions } from './skeleton/index.js';

// The platform as data: uapi enums, verdicts, flags, helper names, context layouts.
export {
  AttachType,
  type AttachTypeName,
  BPF_ANY,
  BPF_EXIST,
  BPF_F_LOCK,
  BPF_NOEXIST,
  type CtxKind,
  ctxKind,
  decodeCtx,
  encodeCtx,
  helperId,
  helperName,
  MapType,
  type MapTypeName,
  ProgType,
  type ProgTypeName,
  type TableChange,
  TcAction,
  verdictName,
  XdpAction,
} from './uapi/index.js';

// The verify stage run by load() (the passes, or the full verifier), and the low-level entry that
// verifies one raw program as BPF_PROG_LOAD does.
export {
  programInput,
  type Verified,
  type VerifyOptions,
  type VerifyProgramInput,
  type VerifyProgramResult,
  verify,
  verifyProgram,
} from './verifier/index.js';

/**
 * Options of `load`: those of the VM's loadCollection, with the engine optional (default: the
 * Interpreter) and `verify`: true (default) runs the full verifier on every program (verifyProgram);
 * false loads programs unverified, for raw experiments (the runtime's memory checks still hold).
 * `privileged`: true (default) verifies as the kernel does for a root load; false as for one
 * without CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN (the rules of unprivileged socket filters).
 */
export type LoadOptions = Omit<LoadCollectionOptions, 'engine' | 'verify'> & {
  /**
   * 'jit' (default): the Wasm JIT, or the interpreter where the JIT cannot compile a program
   * (the reason is on the program: engineName, engineReason); 'interp': the reference
   * interpreter; or a factory of the embedder's.
   */
  readonly engine?: EngineName | LoadCollectionOptions['engine'];
  readonly verify?: boolean;
  readonly privileged?: boolean;
};

/** The engines `load` knows by name. */
export type EngineName = 'interp' | 'jit';

/**
 * An engine of that name for `program`. 'jit' falls back to the interpreter where the JIT cannot
 * compile the program, never silently: the engine's engineName is then 'interp' and engineReason
 * the JIT's error. What neither engine can run throws the interpreter's error.
 */
export function createEngine(
  name: EngineName,
  program: readonly Instruction[],
  options: EngineOptions = {},
): Engine {
  if (name === 'interp') return new Interpreter(program, options);
  try {
    return new JitEngine(program, options);
  } catch (e) {
    const interp = new Interpreter(program, options);
    interp.engineReason = e instanceof Error ? e.message : String(e);
    return interp;
  }
}

const jitOrInterpreter: LoadCollectionOptions['engine'] = (program, options) =>
  createEngine('jit', program, options);

/** The engine factory of an engine option. */
function engineFactory(engine: LoadOptions['engine']): LoadCollectionOptions['engine'] {
  if (engine === undefined || engine === 'jit') return jitOrInterpreter;
  if (engine === 'interp') return (program, o) => new Interpreter(program, o);
  if (typeof engine === 'function') return engine;
  throw new TsbpfError('INVALID_ARGUMENT', `unknown engine ${JSON.stringify(engine)} (interp, jit)`);
}

/** Loads a CollectionSpec into the VM backend, running its programs on the reference interpreter by default. */
export function load(spec: CollectionSpec, options: LoadOptions = {}): VmCollection {
  const { verify: verifying = true, privileged = true, engine, ...rest } = options;
  return loadCollection(spec, {
    engine: engineFactory(engine),
    ...rest,
    ...(verifying === false
      ? {}
      : {
          verify: (p, helpers, maps, btf) =>
            verify(p, { helpers, maps, full: true, privileged, ...(btf === undefined ? {} : { btf }) }),
        }),
  });
}
