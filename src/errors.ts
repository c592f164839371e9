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
  | 'KERNEL_ERROR'
  | 'INVALID_ARGUMENT'
  | 'MAP_ERROR'
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

/** The verifier (ours or the kernel's) refused a program; `log` is the full verifier log. */
export class VerifierError extends TsbpfError {
  readonly log: string;
  readonly pc: number | undefined;
  constructor(message: string, log: string, pc?: number) {
    super('VERIFIER_REJECTED', message);
    this.log = log;
    this.pc = pc;
  }
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

/** A system call into the kernel failed; `errno` is the positive error number. */
export class KernelError extends TsbpfError {
  readonly errno: number;
  readonly syscall: string;
  constructor(syscall: string, errno: number, message?: string) {
    super('KERNEL_ERROR', `${syscall}: ${message ?? `errno ${errno}`}`);
    this.errno = errno;
    this.syscall = syscall;
  }
}

/** Use of a handle (fd, link, socket, JIT instance) after close(). */
export class ClosedError extends TsbpfError {
  constructor(what: string) {
    super('CLOSED', `${what} is closed`);
  }
}

export function assertNever(value: never, what = 'value'): never {
  throw new TypeError(`unexpected ${what}: ${JSON.stringify(value)}`);
}
