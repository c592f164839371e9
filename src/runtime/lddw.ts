// The value an lddw loads, as every engine resolves it before running: a constant, a function
// address (abi.ts FUNC_HI:FUNC_BASE + 8 * slot), or a pseudo source (map fd / value / BTF id /
// map index, RFC 9669 §4.4) through the engine's LddwResolver.

import { InvalidInstructionError, NotSupportedError } from '../errors.js';
import { type Instruction, op as O } from '../isa/index.js';
import { FUNC_BASE, FUNC_HI } from './abi.js';
import type { LddwResolver } from './engine.js';

const PSEUDO_NAMES: Record<number, string> = {
  [O.BPF_PSEUDO_MAP_FD]: 'map fd',
  [O.BPF_PSEUDO_MAP_VALUE]: 'map value',
  [O.BPF_PSEUDO_BTF_ID]: 'BTF id',
  [O.BPF_PSEUDO_MAP_IDX]: 'map index',
  [O.BPF_PSEUDO_MAP_IDX_VALUE]: 'map index value',
};

/** The 64-bit value an lddw at `pc` loads, as [lo, hi] int32 halves. `func` is the slot a pseudo-func names. */
export function lddwValue(
  i: Instruction,
  pseudo: number,
  pc: number,
  func: number,
  resolve: LddwResolver | undefined,
): [number, number] {
  if (pseudo === 0) return [i.imm | 0, (i.hi ?? 0) | 0];
  if (pseudo === O.BPF_PSEUDO_FUNC) return [(FUNC_BASE + 8 * func) | 0, FUNC_HI];
  const name = PSEUDO_NAMES[pseudo];
  if (name === undefined) throw new InvalidInstructionError(`invalid lddw source ${pseudo}`, { pc });
  if (resolve === undefined) {
    throw new NotSupportedError(
      `lddw ${name} (src_reg ${pseudo})`,
      `pc ${pc}: the engine needs a resolveLddw option to resolve it`,
    );
  }
  const v = BigInt.asUintN(64, resolve(pseudo, i.imm | 0, (i.hi ?? 0) | 0, pc));
  return [Number(v & 0xffffffffn) | 0, Number(v >> 32n) | 0];
}
