// Conditional jumps (the kernel's check_cond_jmp_op): which edges are possible and what each
// teaches — scalar bounds narrowed by the comparison (scalar/), a nullable pointer resolved on
// both edges for every copy with its id (mark_ptr_or_null_regs), and the bytes a packet pointer
// may reach from a comparison with data_end (find_good_pkt_pointers).

import type { Instruction, JmpCond, Kind } from '../isa/index.js';
import { readReg } from './alu.js';
import type { Env } from './env.js';
import { constOf, immediate, refine, taken, umax } from './num.js';
import { refuse } from './refuse.js';
import {
  AT_PKT_END,
  BEYOND_PKT_END,
  copyState,
  current,
  isPacket,
  isPointer,
  mapRegs,
  maybeNull,
  mutableReg,
  notNullType,
  type Reg,
  type RegType,
  type State,
  scalarReg,
  withoutRef,
} from './state.js';

type JmpKind = Extract<Kind, { kind: 'jmp' }>;

/**
 * The pointers a comparison with 0 decides (the kernel's reg_not_null, for is_branch_taken): map
 * values and keys, sockets, memory, trusted BTF objects and map pointers. Others — the context,
 * packet and stack pointers, functions — are never 0 either, but the kernel walks both edges.
 */
const NEVER_NULL: ReadonlySet<RegType> = new Set<RegType>([
  'map_value',
  'map_key',
  'map_ptr',
  'sock_common',
  'sock',
  'tcp_sock',
  'xdp_sock',
  'ptr_nf_conn',
  'mem',
  'rdonly_mem',
  'ringbuf_mem',
]);

/** The kernel's MAX_PACKET_OFF: a packet pointer past this learns nothing. */
const MAX_PACKET_OFF = 0xffffn;

/**
 * The states of the edges that can happen: `jump` (taken) and `fall` (not taken); undefined for
 * an edge that cannot. Both fields always present (one object shape for the walk to read).
 */
export interface Edges {
  readonly jump: State | undefined;
  readonly fall: State | undefined;
}

/** A packet, packet meta or packet end pointer (reg_is_pkt_pointer_any). */
const packetAny = (r: Reg): boolean => isPacket(r.type) || r.type === 'pkt_end';

export function branch(env: Env, st: State, i: Instruction, k: JmpKind): Edges {
  const f = current(st);
  const a = readReg(f, i.dst);
  const b = k.reg ? readReg(f, i.src) : scalarReg(immediate(i.imm));
  if (!isPointer(a) && !isPointer(b)) return scalarBranch(st, i, k, a, b);
  // Unprivileged, a pointer source is refused first (two packet pointers may be compared).
  if (!env.privileged && isPointer(b) && !(packetAny(a) && packetAny(b)))
    refuse('pointer-arithmetic', `R${i.src} pointer comparison prohibited`);
  if (k.jmp32) {
    if (!env.privileged) refuse('pointer-arithmetic', `R${i.dst} pointer comparison prohibited`);
    return { jump: copyState(st), fall: st };
  }
  const zero = (r: Reg) => r.type === 'scalar' && constOf(r.value) === 0n;
  if ((k.cond === 'jeq' || k.cond === 'jne') && (zero(a) || zero(b))) {
    const p = zero(b) ? a : b;
    if (maybeNull(p.type)) return nullCheck(st, p, k.cond);
    if (NEVER_NULL.has(p.type))
      return k.cond === 'jne' ? { jump: st, fall: undefined } : { jump: undefined, fall: st };
  }
  const learnt = packetRange(st, a, b, i, k);
  if (learnt !== undefined) return learnt;
  if (!env.privileged) refuse('pointer-arithmetic', `R${i.dst} pointer comparison prohibited`);
  return { jump: copyState(st), fall: st };
}

function scalarBranch(st: State, i: Instruction, k: JmpKind, a: Reg, b: Reg): Edges {
  const same = k.reg && i.src === i.dst;
  const t = taken(k.cond, k.jmp32, a.value, b.value, same);
  if (t === true) return { jump: scalarEdge(st, i, k, a, b, true, same) ?? st, fall: undefined };
  if (t === false) return { jump: undefined, fall: scalarEdge(st, i, k, a, b, false, same) ?? st };
  const jump = scalarEdge(copyState(st), i, k, a, b, true, same);
  return { jump, fall: scalarEdge(st, i, k, a, b, false, same) };
}

/** `s` with the operands narrowed by the comparison's `outcome`; undefined when it cannot happen. */
function scalarEdge(
  s: State,
  i: Instruction,
  k: JmpKind,
  a: Reg,
  b: Reg,
  outcome: boolean,
  same: boolean,
): State | undefined {
  const r = refine(k.cond, k.jmp32, a.value, b.value, outcome, same);
  if (r === null) return undefined;
  const f = current(s);
  f.regs[i.dst] = scalarReg(r[0]);
  if (k.reg) f.regs[i.src] = scalarReg(r[1]);
  return s;
}

/** `p == 0` / `p != 0` for a nullable pointer: NULL on one edge, the pointer on the other. */
function nullCheck(st: State, p: Reg, cond: 'jeq' | 'jne'): Edges {
  const isNull = copyState(st);
  const notNull = st;
  const id = p.id;
  mapRegs(isNull, (r) => (maybeNull(r.type) && r.id === id ? scalarReg(immediate(0)) : r));
  // NULL means no reference was taken, unless the pointer holds another's (a cast socket).
  if (p.ref !== 0 && p.ref === p.id) isNull.refs = withoutRef(isNull.refs, p.ref);
  mapRegs(notNull, (r) => {
    if (!maybeNull(r.type) || r.id !== id) return r;
    const resolved = mutableReg(r);
    resolved.type = notNullType(r.type);
    resolved.id = 0;
    return resolved;
  });
  return cond === 'jeq' ? { jump: isNull, fall: notNull } : { jump: notNull, fall: isNull };
}

/**
 * `pkt + N` compared with data_end (or `meta + N` with data): on the edge where it is proven
 * not past the end, every pointer of its family may read N bytes (N + 1 for a strict comparison)
 * (find_good_pkt_pointers); on the other, the compared register (a pkt pointer) is at or past
 * the end (mark_pkt_end), and compared again the same way it takes one edge only
 * (is_pkt_ptr_branch_taken). 32-bit comparisons of pointers learn nothing.
 */
function packetRange(st: State, a: Reg, b: Reg, i: Instruction, k: JmpKind): Edges | undefined {
  if (!k.reg) return undefined;
  const family = (p: Reg, end: Reg) =>
    (p.type === 'pkt' && end.type === 'pkt_end') || (p.type === 'pkt_meta' && end.type === 'pkt');
  let p: Reg;
  let regno: number;
  // Which edge proves `p <= end` (strict: `p < end`), by the comparison and the operand order.
  let proof: Proof | undefined;
  if (family(a, b)) {
    p = a;
    regno = i.dst;
    proof = PKT_FIRST[k.cond];
  } else if (family(b, a)) {
    p = b;
    regno = i.src;
    proof = END_FIRST[k.cond];
  } else return undefined;
  if (proof === undefined) return { jump: copyState(st), fall: st };
  const other = proof.edge === 'jump' ? 'fall' : 'jump';
  // Already found at or past the end: `p <= end` cannot hold, nor `p < end` at the end.
  if (p.type === 'pkt' && (p.range === BEYOND_PKT_END || (p.range === AT_PKT_END && proof.strict)))
    return other === 'jump' ? { jump: st, fall: undefined } : { jump: undefined, fall: st };
  const edges = { jump: copyState(st), fall: st };
  if (p.type === 'pkt') {
    const f = current(edges[other]);
    const atEnd = mutableReg(f.regs[regno]!);
    atEnd.range = proof.strict ? AT_PKT_END : BEYOND_PKT_END;
    f.regs[regno] = atEnd;
  }
  if (p.off < 0 || umax(p.value) + BigInt(p.off) > MAX_PACKET_OFF) return edges;
  const range = p.off + (proof.strict ? 1 : 0);
  mapRegs(edges[proof.edge], (r) => {
    if (r.type !== p.type || r.id !== p.id || r.range >= range) return r;
    const proven = mutableReg(r);
    proven.range = range;
    return proven;
  });
  return edges;
}

/** The edge on which a packet comparison proves the bytes, and whether strictly (`<`). */
interface Proof {
  readonly edge: 'jump' | 'fall';
  readonly strict: boolean;
}
const proof = (edge: 'jump' | 'fall', strict: boolean): Proof => ({ edge, strict });
// Built once (not per comparison), by the comparison: `pkt op end`, and `end op pkt`.
const PKT_FIRST: Partial<Record<JmpCond, Proof>> = {
  jgt: proof('fall', false),
  jge: proof('fall', true),
  jlt: proof('jump', true),
  jle: proof('jump', false),
};
const END_FIRST: Partial<Record<JmpCond, Proof>> = {
  jgt: proof('jump', true),
  jge: proof('jump', false),
  jlt: proof('fall', false),
  jle: proof('fall', true),
};
