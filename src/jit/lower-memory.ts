// Loads, stores and atomics. An access the verifier proved in bounds on every path of an accepted
// load (verifier/proofs.ts, EngineOptions.proved) is a plain Wasm access. Otherwise the program
// is never trusted: an access at r10 + constant
// inside the current frame needs no check when nothing writes r10 (it cannot leave the frame);
// every other access is tested inline against the range this access site last hit (its own
// cache: a parser's ctx and packet loads do not evict each other), then the current frame; the
// caches are reset (`invalidate`, or a generation bump where the Wasm itself makes calls)
// whenever regions may have changed; anything else goes to the `slow` import, which searches the regions (strided
// ones and windows included) as the interpreter does and finds the range, or throws the
// interpreter's MemoryFault. Atomics (§5.3) are plain read-modify-writes: the memory
// is not shared and a run is single-threaded.

import { assertNever } from '../errors.js';
import type { Instruction, Kind } from '../isa/index.js';
import { FRAME_BYTES } from '../runtime/index.js';
import type { LowerContext } from './lower-alu.js';
import type { GlobalName, ImportName } from './module-abi.js';
import type { SiteMiss } from './site-miss.js';
import { I32, I64, type OpName } from './wasm/index.js';

/** One access site's cache: i64 globals start and room, and an i32 generation where the program needs it. */
export interface SiteCache {
  readonly start: number;
  readonly room: number;
  readonly gen: number | undefined;
}

export interface MemoryContext extends LowerContext {
  readonly pc: number;
  /** The verifier proved the access at `pc` in bounds on every path (EngineOptions.proved). */
  readonly proved: boolean;
  readonly r10Fixed: boolean;
  readonly frame32: import('./wasm/index.js').Local;
  readonly frame64: import('./wasm/index.js').Local;
  global(name: GlobalName): number;
  importIndex(name: ImportName): number;
  /** The functions an access site calls on a miss (site-miss.ts). */
  readonly siteMiss: SiteMiss;
  /** Globals caching the range one access site last hit (lower-memory.ts address()). */
  siteCache(): SiteCache;
}

/**
 * Pushes the checked i32 address of an n-byte access at reg + off and returns the memarg offset
 * to use with it (non-zero only for the unchecked frame case).
 *
 * The hit path is one subtraction and one unsigned compare: the site caches `start` and
 * `room` = end - start - n + 1 of the range it last hit (both i64), and a = reg + off hits iff
 * a - start <u room. That single compare also refuses every a below start and every a at or
 * above 2^32 (a - start then exceeds any room), and room 0 (the reset state) refuses all. Sites
 * of programs whose Wasm changes regions itself (local calls) also compare a generation.
 */
function address(c: MemoryContext, reg: number, off: number, n: number, write: boolean): number {
  const { f, R } = c;
  if (reg === 10 && c.r10Fixed && off >= -FRAME_BYTES && off + n <= 0) {
    f.get(c.frame32);
    return off + FRAME_BYTES;
  }
  if (c.proved) {
    // reg + off lies in a packet, context or live frame (< 2^32): a non-negative off can be the
    // memarg offset, which Wasm adds without wrapping.
    f.get(R[reg]!);
    if (off < 0) f.i64(off).op('i64.add');
    f.op('i32.wrap_i64');
    return Math.max(off, 0);
  }
  const a = f.temp(I64);
  const { start, room, gen } = c.siteCache();
  f.get(R[reg]!).i64(off).op('i64.add').tee(a).globalGet(start).op('i64.sub').globalGet(room).op('i64.ge_u');
  if (gen !== undefined) f.globalGet(gen).globalGet(c.global('gen')).op('i32.ne').op('i32.or');
  const miss = f.if();
  // The miss path is a call (site-miss.ts): it returns the site's new cache.
  f.get(R[reg]!)
    .i32(off)
    .i32(n)
    .i32(write ? 1 : 0)
    .i32(c.pc)
    .get(c.frame64)
    .globalGet(start)
    .globalGet(room);
  if (gen !== undefined) f.globalGet(gen).call(c.siteMiss.withGen).globalSet(gen);
  else f.call(c.siteMiss.plain);
  f.globalSet(room).globalSet(start);
  f.end(miss);
  f.get(a).op('i32.wrap_i64');
  f.release(a);
  return 0;
}

const LOADS: Record<number, [OpName, OpName]> = {
  1: ['i64.load8_u', 'i64.load8_s'],
  2: ['i64.load16_u', 'i64.load16_s'],
  4: ['i64.load32_u', 'i64.load32_s'],
  8: ['i64.load', 'i64.load'],
};
const STORES: Record<number, OpName> = {
  1: 'i64.store8',
  2: 'i64.store16',
  4: 'i64.store32',
  8: 'i64.store',
};

export function emitLoad(c: MemoryContext, i: Instruction, k: Extract<Kind, { kind: 'load' }>): void {
  const offset = address(c, i.src, i.off, k.bytes, false);
  c.f.mem(LOADS[k.bytes]![k.signed ? 1 : 0], offset).set(c.R[i.dst]!);
}

export function emitStore(c: MemoryContext, i: Instruction, k: Extract<Kind, { kind: 'store' }>): void {
  const offset = address(c, i.dst, i.off, k.bytes, true);
  if (k.reg) c.f.get(c.R[i.src]!);
  else c.f.i64(i.imm);
  c.f.mem(STORES[k.bytes]!, offset);
}

export function emitAtomic(c: MemoryContext, i: Instruction, k: Extract<Kind, { kind: 'atomic' }>): void {
  const { f, R } = c;
  const wide = k.bytes === 8;
  const load: OpName = wide ? 'i64.load' : 'i64.load32_u';
  const store: OpName = wide ? 'i64.store' : 'i64.store32';
  const at = f.temp(I32);
  const offset = address(c, i.dst, i.off, k.bytes, true);
  if (offset !== 0) f.i32(offset).op('i32.add');
  f.set(at);
  const old = f.temp(I64);
  f.get(at).mem(load).set(old);
  const src = R[i.src]!;
  f.get(at);
  switch (k.op) {
    case 'add':
    case 'or':
    case 'and':
    case 'xor':
      f.get(old)
        .get(src)
        .op(`i64.${k.op}` as OpName);
      break;
    case 'xchg':
      f.get(src);
      break;
    case 'cmpxchg': {
      // Compares with r0 (its low half on 32 bits); r0 receives the old value, zero-extended.
      f.get(src).get(old);
      f.get(old).get(R[0]!);
      if (!wide) f.i64(0xffffffff).op('i64.and');
      f.op('i64.eq').op('select');
      break;
    }
    default:
      assertNever(k.op, 'atomic operation');
  }
  f.mem(store);
  if (k.op === 'cmpxchg') f.get(old).set(R[0]!);
  else if (k.fetch) f.get(old).set(src);
  f.release(at, old);
}
