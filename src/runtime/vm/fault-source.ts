// Names the C source line of a faulting instruction from a program's bpf_line_info (the same
// table `tsbpf disasm --source` prints), so a MemoryFault escaping a VM run says where it came
// from. Not a debugger: the line is the last one whose insnOff is at or before the pc.

import { MemoryFault } from '../../errors.js';
import { type ProgramSpec, sourceLine } from '../../program/index.js';

/** Adds the source line to a MemoryFault of `spec` (once); other errors pass through. */
export function withSourceLine(e: unknown, spec: ProgramSpec): unknown {
  if (e instanceof MemoryFault && e.source === undefined && e.pc >= 0) {
    const where = sourceLine(spec.lineInfo, e.pc);
    if (where !== undefined) e.withSource(where);
  }
  return e;
}
