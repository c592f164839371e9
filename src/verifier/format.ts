// Registers and states as the kernel's verifier log prints them (print_verifier_state in
// kernel/bpf/log.c): `R1=ctx()`, `R2=pkt(off=14,r=14)`, `R10=fp0`, `fp-8=mmmmmmmm`, a scalar by
// scalar/'s formatter. Only what differs from the default is printed, as the kernel does.

import { constOf, formatScalar } from './num.js';
import { Byte, type Frame, type Reg, type RegType, type Slot, type State } from './state.js';

/** The kernel's name of a register type (reg_type_str). */
export function typeName(t: RegType): string {
  return t === 'not_init' ? '?' : t;
}

function mapFields(r: Reg): string[] {
  if (r.map === undefined) return [];
  const s = r.map.spec;
  return [`map=${r.map.name.slice(0, 15)}`, `ks=${s.keySize}`, `vs=${s.valueSize}`];
}

export function formatReg(r: Reg): string {
  switch (r.type) {
    case 'not_init':
      return '?';
    case 'scalar':
      return formatScalar(r.value);
    case 'fp': {
      const v = constOf(r.value);
      return v === 0n ? `fp${r.off}` : `fp(off=${r.off},var=${formatScalar(r.value)})`;
    }
    default: {
      const parts: string[] = [];
      if (r.id !== 0) parts.push(`id=${r.id}`);
      if (r.ref !== 0) parts.push(`ref_obj_id=${r.ref}`);
      if (r.off !== 0) parts.push(`off=${r.off}`);
      if (r.type === 'pkt' || r.type === 'pkt_meta')
        parts.push(`r=${r.range < 0 ? `0x${BigInt.asUintN(64, BigInt(r.range)).toString(16)}` : r.range}`);
      parts.push(...mapFields(r));
      if (r.type === 'ringbuf_mem' || r.type === 'ringbuf_mem_or_null' || r.dynptr !== 0)
        parts.push(`sz=${r.memSize}`);
      if (constOf(r.value) !== 0n) parts.push(`var_off=${formatScalar(r.value)}`);
      return `${r.type}(${parts.join(',')})`;
    }
  }
}

const BYTE_CHAR: Record<Byte, string> = {
  [Byte.Invalid]: '?',
  [Byte.Spill]: 'r',
  [Byte.Misc]: 'm',
  [Byte.Zero]: '0',
  [Byte.Dynptr]: 'd',
};

function formatSlot(s: Slot): string | undefined {
  if (s.spilled !== undefined) {
    // A narrow spill: the other bytes first, from the highest address down (`fp-8=????scalar(...)`).
    const rest = s.bytes.filter((b) => b !== Byte.Spill);
    return `${rest
      .reverse()
      .map((b) => BYTE_CHAR[b])
      .join('')}${formatReg(s.spilled)}`;
  }
  // A dynptr prints once, at its lower slot (print_verifier_state's STACK_DYNPTR case).
  if (s.dynptr !== undefined) {
    if (!s.dynptr.first) return undefined;
    const ref = s.dynptr.ref === 0 ? '' : `,ref_id=${s.dynptr.ref}`;
    return `dynptr_${s.dynptr.kind}(id=${s.dynptr.id}${ref})`;
  }
  if (s.bytes.every((b) => b === Byte.Invalid)) return undefined;
  // The kernel prints the slot's bytes from the highest address down.
  return s.bytes
    .slice()
    .reverse()
    .map((b) => BYTE_CHAR[b])
    .join('');
}

/** `R1=ctx() R10=fp0 fp-8=mmmmmmmm` for the registers in `regs` (all initialised ones if absent). */
export function formatFrame(f: Frame, regs?: readonly number[]): string {
  const out: string[] = [];
  for (let k = 0; k < f.regs.length; k++) {
    const r = f.regs[k]!;
    if (r.type === 'not_init' || (regs !== undefined && !regs.includes(k))) continue;
    out.push(`R${k}=${formatReg(r)}`);
  }
  if (regs === undefined) {
    for (let k = 0; k < f.stack.length; k++) {
      const s = formatSlot(f.stack[k]!);
      if (s !== undefined) out.push(`fp${-(k + 1) * 8}=${s}`);
    }
  }
  return out.join(' ');
}

export function formatState(s: State): string {
  const parts: string[] = [];
  s.frames.forEach((f, k) => {
    if (s.frames.length > 1) parts.push(`frame${k}:`);
    parts.push(formatFrame(f));
  });
  return parts.join(' ');
}
