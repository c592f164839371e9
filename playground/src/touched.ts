// The bytes an instruction reads or writes (load, store, atomic), from its operands and the
// registers before it ran: the packet view highlights them. Helper calls that touch memory
// (bpf_xdp_load_bytes...) are not followed.

import { classify, type Instruction } from 'tsbpf';

export interface Touched {
  readonly addr: number;
  readonly size: number;
  readonly write: boolean;
}

export function touchedBy(i: Instruction, regs: readonly bigint[]): Touched | undefined {
  const k = classify(i);
  const at = (base: number) => Number(BigInt.asUintN(32, regs[base]! + BigInt(i.off)));
  switch (k.kind) {
    case 'load':
      return { addr: at(i.src), size: k.bytes, write: false };
    case 'store':
    case 'atomic':
      return { addr: at(i.dst), size: k.bytes, write: true };
    default:
      return undefined;
  }
}
