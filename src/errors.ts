// The error family of tsbpf: one base class with a stable machine-readable `code`.
// Every failure a user can cause (bad bytes, bad text, a faulting program, a refused
// syscall) surfaces as a TsbpfError subclass; anything else escaping is a bug.

export type ErrorCode =
  | 'INVALID_INSTRUCTION'
  | 'ASM_SYNTAX'
  | 'ELF_INVALID'
  | 'PCAP_INVALID'
  | 'LOAD_ERROR'
  | 'VERIFIER_REJECTED'
  | 'RUNTIME_FAULT'
  | 'INSN_BUDGET_EXCEEDED'
  | 'NOT_SUPPORTED'
  | 'BPF_ERROR'
  | 'INVALID_ARGUMENT'
  | 'CLOSED';

export class TsbpfError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** An instruction that cannot be decoded or encoded (unknown opcode, reserved field set). */
export class InvalidInstructionError extends TsbpfError {
  readonly pc: number | undefined;
  readonly field: string | undefined;
  constructor(message: string, details: { pc?: number; field?: string } = {}) {
    super('INVALID_INSTRUCTION', details.pc === undefined ? message : `insn ${details.pc}: ${message}`);
    this.pc = details.pc;
    this.field = details.field;
  }
}

/** Assembly text that does not parse; line and column are 1-based. */
export class AsmError extends TsbpfError {
  readonly line: number;
  readonly column: number;
  constructor(message: string, line: number, column: number) {
    super('ASM_SYNTAX', `${line}:${column}: ${message}`);
    this.line = line;
    this.column = column;
  }
}

/** An input file that cannot be loaded (malformed ELF or pcap, bad relocation, ...). */
export class LoadError extends TsbpfError {
  constructor(
    code: 'ELF_INVALID' | 'PCAP_INVALID' | 'LOAD_ERROR',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/**
 * The verifier (ours or the kernel's) refused a program; `log` is the full verifier log. `errno`
 * is what BPF_PROG_LOAD failed with: the kernel's own, or for tsbpf's verifier the one the kernel
 * returns for the same refusal (verifierErrno of the log's last line).
 */
export class VerifierError extends TsbpfError {
  readonly log: string;
  readonly pc: number | undefined;
  readonly errno: number;
  readonly errnoName: string;
  constructor(message: string, log: string, pc?: number, errno?: number) {
    super('VERIFIER_REJECTED', message);
    this.log = log;
    this.pc = pc;
    this.errno = errno ?? verifierErrno(log);
    this.errnoName = errnoName(this.errno);
  }
}

/**
 * Refusals the kernel's verifier reports as EINVAL (a malformed program: check_cfg, bad opcodes
 * and fields, calls it does not know) or E2BIG (too large, too complex), by the start of their
 * log line (kernel/bpf/verifier.c); everything else (a state the program may not reach: memory,
 * registers, types) is EACCES, as do_check returns it.
 */
const VERIFIER_EINVAL = [
  /^back-edge /,
  /^unreachable insn/,
  /^jump out of range/,
  /^jump into the middle of ldimm64/,
  /^last insn is not an exit or jmp/,
  /^invalid insn/,
  /^unknown opcode/,
  /^invalid BPF_LD_IMM insn/,
  /^invalid bpf_ld_imm64/,
  /^invalid func /,
  /^unknown func /,
  /^BPF_(EXIT|CALL|JA|ALU|ALU64|LDX|STX|ST|LD_\[ABS\|IND\]|END|NEG|JMP|JMP32|ATOMIC)? ?uses reserved fields/,
  /^(BPF_\w+ )?uses reserved fields/,
  /^invalid (src|dst) register/,
  /^div by zero/,
  /^invalid shift/,
  /^program must be/,
  /^cannot call GPL-restricted function/,
  /^infinite loop detected/,
  /^loop detected/,
  /^function calls are not allowed/,
  /^invalid argument/,
  /^fd \d+ is not pointing to valid bpf_map/,
  /^R\d+ is invalid/,
  // Found so by asking the kernel (src/kernel/verifier-errno.test.ts runs the corpus).
  /^cannot return stack pointer/,
  /^program of this type cannot use helper/,
  /^Unreleased reference/,
  // check_resource_leak, wherever the program may end (its exit, a tail call, a legacy load).
  / would lead to reference leak$/,
  / cannot be used inside bpf_(spin_lock|rcu_read_lock)-ed region$/,
  /^R\d+ must be referenced when passed to release function/,
  /^cannot pass map_type/,
  /^math between \S+ pointer and register with unbounded min value/,
  /^math between \S+ pointer and -?\d+ is not allowed/,
  /^\S+ pointer offset -?\d+ is not allowed/,
  /^value -?\d+ makes \S+ pointer be out of bounds/,
  /^BPF_LD_\[ABS\|IND\] instructions not allowed/,
  // kfunc calls (check_kfunc_call and its argument checks), asked of 6.18 through kfuncs.vcase.
  /^arg#\d+ expected pointer to ctx/,
  /^arg#\d+ pointer type STRUCT \S+ must point to scalar/,
  /^kernel function \S+ args#\d+ expected pointer/,
  /^R\d+ must be referenced or trusted/,
  /^R\d+ must have zero offset when passed to release func/,
  /^unmatched rcu read unlock/,
  /^nested rcu read lock/,
  // A callback's r0 out of its range (prepare_func_exit), asked through control.vcase.
  /^At callback return the register R0 has/,
  /^At program exit the register R0 (has|is not a known value)/,
  // Dynptr arguments (process_dynptr_func, destroy_if_dynptr_stack_slot, the kfunc constant
  // size), asked of 6.18 through dynptr.vcase.
  /^Expected an initialized dynptr as arg/,
  /^Expected a dynptr of type/,
  /^Dynptr has to be an uninitialized dynptr/,
  /^dynptr has to be at a constant offset/,
  /^cannot overwrite referenced dynptr/,
  /^arg \d+ is an unacquired reference/,
  /^R\d+ must be a known constant/,
  /^arg#\d+ expected pointer to stack or const struct bpf_dynptr/,
  // Global functions (check_func_call, check_return_code), asked of 6.18 through globals.vcase.
  /^Caller passes invalid args into func#/,
  /^At subprogram exit the register R\d+ is not a scalar value/,
];
/** Refusals for a missing capability (EPERM), asked of 6.18 as user nobody (unprivileged.vcase). */
const VERIFIER_EPERM = [
  /^loading\/calling other bpf or kernel functions are allowed for CAP_BPF/,
  // tsbpf's words: the kernel refuses the type before verifying, without a log.
  /^program type \S+ needs CAP_BPF/,
];
const VERIFIER_E2BIG = [
  /^BPF program is too large/,
  /^the call stack of \d+ frames is too deep/,
  /^The sequence of \d+ jumps is too complex/,
];

/** The errno BPF_PROG_LOAD fails with for a verifier log (its last line that is not a statistic). */
export function verifierErrno(log: string): number {
  const lines = log
    .split('\n')
    .filter((l) => l.trim() !== '' && !/^(processed \d+ insns|verification time|stack depth)/.test(l));
  // A kfunc's memory/length pair repeats the refusal of the check before it: that one decides.
  while (lines.length > 1 && /^arg#\d+ arg#\d+ memory, len pair/.test(lines[lines.length - 1]!)) lines.pop();
  const last = (lines[lines.length - 1] ?? '').replace(/^\d+: /, '');
  // A helper's memory argument the stack does not hold is EINVAL; the same read by a load is
  // EACCES. One reaching past r10 is EINVAL, one below the stack a path has written (unprivileged)
  // EACCES (check_stack_access_within_bounds).
  if (/^invalid read from stack/.test(last) && /\(85\) call /.test(lines[lines.length - 2] ?? '')) {
    const bounds = / off=(-?\d+) size=(\d+)$/.exec(last);
    return bounds === null || Number(bounds[1]) + Number(bounds[2]) > 0 ? Errno.EINVAL : Errno.EACCES;
  }
  // A packet pointer found at or past data_end (check_packet_access on a negative range) is
  // EINVAL; an access past a proven range, logged with its bounds first, EACCES.
  if (
    /^R\d+ offset is outside of the packet/.test(last) &&
    !/invalid access to packet/.test(lines[lines.length - 2] ?? '')
  )
    return Errno.EINVAL;
  if (VERIFIER_E2BIG.some((r) => r.test(last))) return Errno.E2BIG;
  if (VERIFIER_EPERM.some((r) => r.test(last))) return Errno.EPERM;
  if (VERIFIER_EINVAL.some((r) => r.test(last))) return Errno.EINVAL;
  return Errno.EACCES;
}

/** A program did something at run time that the machine forbids (bad memory access, ...). */
export class RuntimeFault extends TsbpfError {
  readonly pc: number;
  constructor(message: string, pc: number, options?: { cause?: unknown }) {
    super('RUNTIME_FAULT', `pc ${pc}: ${message}`, options);
    this.pc = pc;
  }
}

/** A memory access outside every region, or into a region that forbids it. */
export class MemoryFault extends RuntimeFault {
  readonly address: bigint;
  readonly size: number;
  readonly access: 'read' | 'write';
  /** Description of the nearest region, e.g. `stack [0x1000, 0x1200)`, or undefined if none. */
  readonly nearest: string | undefined;
  constructor(pc: number, access: 'read' | 'write', address: bigint, size: number, nearest?: string) {
    const near = nearest === undefined ? 'no region nearby' : `nearest region: ${nearest}`;
    super(`invalid ${access} of ${size} bytes at 0x${address.toString(16)} (${near})`, pc);
    this.address = address;
    this.size = size;
    this.access = access;
    this.nearest = nearest;
  }

  /** The C source line of `pc` (file:line: text), when the program carries line info. */
  source: string | undefined;

  /** Names the source line in the fault (the VM collection adds it when a fault escapes a run). */
  withSource(where: string): this {
    this.source = where;
    this.message = `${this.message} at ${where}`;
    return this;
  }
}

/** An unverified program ran longer than its instruction budget. */
export class BudgetExceededError extends TsbpfError {
  readonly budget: number;
  readonly pc: number;
  constructor(budget: number, pc: number) {
    super('INSN_BUDGET_EXCEEDED', `instruction budget of ${budget} exhausted at pc ${pc}`);
    this.budget = budget;
    this.pc = pc;
  }
}

/** A feature tsbpf recognises but does not implement (yet), or one the host refuses. */
export class NotSupportedError extends TsbpfError {
  readonly feature: string;
  constructor(feature: string, detail?: string) {
    super(
      'NOT_SUPPORTED',
      detail === undefined ? `not supported: ${feature}` : `not supported: ${feature} (${detail})`,
    );
    this.feature = feature;
  }
}

/**
 * A bpf(2) command failed with an errno, on either backend: the kernel's refusal, or the VM's
 * answer to the same request (a map operation, a test run). `op` is the command
 * ('BPF_MAP_UPDATE_ELEM', 'BPF_PROG_TEST_RUN', ...; 'close' for close(2)), `errno` the positive
 * number bpf(2) sets and `errnoName` its name ('ENOENT'), so one check serves both backends.
 */
export class BpfError extends TsbpfError {
  readonly op: string;
  readonly errno: number;
  readonly errnoName: string;
  /** For batch operations: how many elements were processed before the failure. */
  readonly count: number | undefined;
  constructor(
    op: string,
    errno: number,
    details: { subject?: string; reason?: string; count?: number; cause?: unknown } = {},
  ) {
    const name = errnoName(errno);
    const subject = details.subject === undefined ? '' : `${details.subject}: `;
    const reason = details.reason === undefined ? '' : `: ${details.reason}`;
    super('BPF_ERROR', `${subject}${op} failed: ${name}${reason}`, { cause: details.cause });
    this.op = op;
    this.errno = errno;
    this.errnoName = name;
    this.count = details.count;
  }
}

/** Use of a handle (fd, link, socket, JIT instance) after close(). */
export class ClosedError extends TsbpfError {
  constructor(what: string) {
    super('CLOSED', `${what} is closed`);
  }
}

/**
 * Linux errno numbers that BPF helpers return (negated) and bpf(2) sets, here beside the error
 * family that carries them. Values from the kernel's include/uapi/asm-generic/errno-base.h and
 * errno.h; ENOTSUPP (524) is kernel-internal but reaches user space from some BPF paths.
 */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  E2BIG: 7,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENODEV: 19,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ENOSPC: 28,
  ERANGE: 34,
  ENOSYS: 38,
  ELOOP: 40,
  ENONET: 64,
  EPROTO: 71,
  EOVERFLOW: 75,
  ENOTSOCK: 88,
  EMSGSIZE: 90,
  ENOTSUP: 95,
  EAFNOSUPPORT: 97,
  EOPNOTSUPP: 95,
  ENOBUFS: 105,
  ETIMEDOUT: 110,
  ESTALE: 116,
  ENOTSUPP: 524,
} as const;

export type ErrnoName = keyof typeof Errno;

/** The conventional name of an errno value (EOPNOTSUPP for 95), or `errno N`. */
export function errnoName(errno: number): string {
  if (errno === 95) return 'EOPNOTSUPP';
  for (const [k, v] of Object.entries(Errno)) if (v === errno) return k;
  return `errno ${errno}`;
}

export function assertNever(value: never, what = 'value'): never {
  throw new TypeError(`unexpected ${what}: ${JSON.stringify(value)}`);
}
