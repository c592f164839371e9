// Program listings for failure messages of the property tests: the disassembler's pseudo-C
// with slot numbers, in the verifier log's decimal style.

import { formatInstruction } from '../../src/asm/index.js';
import { type Instruction, slots } from '../../src/isa/index.js';

/** A listing with slot numbers, as the verifier log numbers instructions. */
export function listing(program: readonly Instruction[], firstSlot = 0): string {
  const lines: string[] = [];
  let slot = firstSlot;
  for (const i of program) {
    lines.push(
      `${String(slot).padStart(4)}: ${formatInstruction(i, slot, { numbers: 'kernel', opcodes: false })}`,
    );
    slot += slots(i);
  }
  return lines.join('\n');
}
