// The region search in Wasm: what an access site calls when its inline check misses. It reads
// the region table that the address space mirrors in linear memory (runtime/abi.ts, rewritten
// on every allocate, release, move or frame change), binary-searches it as AddressSpace.find
// does, and on a hit leaves the range in rStart/rEnd (and wStart/wEnd when writable) for the
// site to cache, without leaving Wasm. Everything it does not settle goes to the `slow` import,
// which decides exactly as before (the region search in JavaScript, or the MemoryFault):
// addresses at or above 2^32, misses, partial or cross-element overlaps, writes to read-only
// regions, and the stack (its live-frame count in the table is the engine's to keep current,
// and the call depth changes inside Wasm). So the search can only allow what the table allows.
//
// Why: in a NAPI batch each frame lies in another page, so every packet access site misses its
// one-entry cache once per frame; a JavaScript call per miss was the data path's largest cost.

import { REGION_ENTRY_BYTES, REGION_KIND, REGION_TABLE, REGION_WRITABLE } from '../runtime/abi.js';
import type { GlobalName } from './module-abi.js';
import { I32, I64, type Local, type ModuleBuilder } from './wasm/index.js';

/**
 * Defines `search(lo, hi, off, size, write, pc)` — the `slow` import's signature — and returns
 * its function index, with the index of `find(lo, hi, off, size, write) -> 1 | 0`, the same
 * search that answers instead of calling `slow` (for helpers emitted in Wasm, which fall back to
 * their JavaScript implementation on 0 so that faults are reported exactly as before).
 */
export function emitRegionSearch(
  m: ModuleBuilder,
  globals: Readonly<Record<GlobalName, number>>,
  slow: number,
): { search: number; find: number } {
  const find = emitFind(m, globals);
  const { index, body: s } = m.defineFunction([I32, I32, I32, I32, I32, I32], []);
  const p = s.params as [Local, Local, Local, Local, Local, Local];
  for (const x of p.slice(0, 5)) s.get(x);
  s.call(find);
  const found = s.if();
  s.op('return');
  s.end(found);
  for (const x of p) s.get(x);
  s.call(slow);
  return { search: index, find };
}

/** find(lo, hi, off, size, write) -> i32: 1 with rStart/rEnd (wStart/wEnd) set, or 0. */
function emitFind(m: ModuleBuilder, globals: Readonly<Record<GlobalName, number>>): number {
  const { index, body: f } = m.defineFunction([I32, I32, I32, I32, I32], [I32]);
  const [lo, hi, off, size, write] = f.params as [Local, Local, Local, Local, Local];
  const a64 = f.local(I64);
  const a = f.local(I32);
  const left = f.local(I32);
  const right = f.local(I32);
  const mid = f.local(I32);
  const e = f.local(I32);
  const start = f.local(I32);
  const end = f.local(I32);
  const stride = f.local(I32);
  const flags = f.local(I32);

  const fallback = f.block();
  // a = lo + off as a 64-bit sum: below 0 or at 2^32 and above, no region holds it.
  f.get(hi).brIf(fallback);
  f.get(lo).op('i64.extend_i32_u').get(off).op('i64.extend_i32_s').op('i64.add').tee(a64);
  f.i64(32).op('i64.shr_u').op('i64.eqz').op('i32.eqz').brIf(fallback);
  f.get(a64).op('i32.wrap_i64').set(a);
  // The entry the last search found first: a run's misses mostly fall in the region the one
  // before fell in (the sites of one packet, one context, one map value). Any table entry is a
  // live region, so a stale hint costs only the search; whatever it finds is checked in full.
  const found = f.block();
  const search0 = f.block();
  f.globalGet(globals.hint)
    .tee(mid)
    .i32(REGION_TABLE + 4)
    .mem('i32.load')
    .op('i32.ge_u')
    .brIf(search0);
  f.get(mid)
    .i32(REGION_ENTRY_BYTES)
    .op('i32.mul')
    .i32(REGION_TABLE + 8)
    .mem('i32.load')
    .op('i32.add')
    .tee(e);
  f.mem('i32.load').tee(start).get(a).op('i32.gt_u').brIf(search0);
  f.get(a).get(e).mem('i32.load', 4).tee(end).op('i32.ge_u').brIf(search0);
  f.br(found);
  f.end(search0);
  f.i32(0).set(left);
  f.i32(REGION_TABLE + 4)
    .mem('i32.load')
    .i32(1)
    .op('i32.sub')
    .set(right);
  const search = f.loop();
  // Entries are sorted by start (the table's rule, abi.ts); counts stay far below 2^31.
  f.get(left).get(right).op('i32.gt_s').brIf(fallback);
  f.get(left).get(right).op('i32.add').i32(1).op('i32.shr_u').tee(mid);
  f.i32(REGION_ENTRY_BYTES)
    .op('i32.mul')
    .i32(REGION_TABLE + 8)
    .mem('i32.load')
    .op('i32.add')
    .set(e);
  f.get(e).mem('i32.load').set(start);
  f.get(e).mem('i32.load', 4).set(end);
  f.get(a).get(start).op('i32.lt_u');
  const below = f.if();
  f.get(mid).i32(1).op('i32.sub').set(right);
  f.br(search);
  f.end(below);
  // As find(): a zero-size region counts as holding its own start (the size check then fails),
  // so both searches take the same path through the table.
  f.get(a).get(end).op('i32.ge_u');
  f.get(a).get(start).op('i32.eq').get(start).get(end).op('i32.eq').op('i32.and').op('i32.eqz');
  f.op('i32.and');
  const above = f.if();
  f.get(mid).i32(1).op('i32.add').set(left);
  f.br(search);
  f.end(above);
  f.end(search);
  f.get(mid).globalSet(globals.hint);
  f.end(found);

  // The entry at e holds a. The access must end inside it (64-bit: a + size cannot wrap).
  f.get(a).op('i64.extend_i32_u').get(size).op('i64.extend_i32_u').op('i64.add');
  f.get(end).op('i64.extend_i32_u').op('i64.gt_u').brIf(fallback);
  f.get(e).mem('i32.load', 16).tee(flags);
  f.i32(8).op('i32.shr_u').i32(0xff).op('i32.and').i32(REGION_KIND.stack).op('i32.eq').brIf(fallback);
  f.get(write).get(flags).i32(REGION_WRITABLE).op('i32.and').op('i32.eqz').op('i32.and').brIf(fallback);
  f.get(e).mem('i32.load', 8).tee(stride);
  const strided = f.if();
  // One element: [a - (a - start) % stride, + elemSize) must hold the whole access.
  f.get(a).get(start).op('i32.sub').get(stride).op('i32.rem_u').set(stride);
  f.get(stride).get(size).op('i32.add').get(e).mem('i32.load', 12).op('i32.gt_u').brIf(fallback);
  f.get(a).get(stride).op('i32.sub').tee(start);
  f.get(e).mem('i32.load', 12).op('i32.add').set(end);
  f.end(strided);
  f.get(start).globalSet(globals.rStart);
  f.get(end).globalSet(globals.rEnd);
  f.get(flags).i32(REGION_WRITABLE).op('i32.and');
  const writable = f.if();
  f.get(start).globalSet(globals.wStart);
  f.get(end).globalSet(globals.wEnd);
  f.end(writable);
  f.i32(1).op('return');
  f.end(fallback);
  f.i32(0);
  return index;
}
