// What an access site does when its inline check misses (lower-memory.ts address()), as one
// function of the module instead of ~25 Wasm instructions at every site: an access in the
// current frame passes uncached (the region search leaves the stack to `slow`); anything else
// goes to the region search (region-search.ts), which returns only if the access is allowed
// and leaves the range it found in rStart/rEnd (wStart/wEnd for a write). The function returns
// the site's new cache, which the site stores in its own globals: a 6,000-instruction program
// has about a thousand sites, and the miss path is cold, so a call there costs nothing at run
// time and saves compile time (fewer emitter calls, fewer bytes for V8 to compile).

import { FRAME_BYTES } from '../runtime/index.js';
import type { GlobalName } from './module-abi.js';
import { I32, I64, type Local, type ModuleBuilder, type ValType } from './wasm/index.js';

/** The miss functions: for sites without a generation, and for sites with one (lower-memory.ts). */
export interface SiteMiss {
  /** (r, off, n, write, pc, frame64, start, room) -> (start, room). */
  readonly plain: number;
  /** (r, off, n, write, pc, frame64, start, room, gen) -> (start, room, gen). */
  readonly withGen: number;
}

/**
 * Defines both miss functions. `r` is the base register and `off` the access's offset (the
 * address is r + off), `n` its size, `start`/`room` (and `gen`) the site's cache as it is: an
 * access in the current frame returns them unchanged; one the search allows returns the range
 * it found as start and room = end - start - n + 1 (and the current generation).
 */
export function emitSiteMiss(
  m: ModuleBuilder,
  globals: Readonly<Record<GlobalName, number>>,
  search: number,
): SiteMiss {
  const define = (withGen: boolean): number => {
    const cache: ValType[] = withGen ? [I64, I64, I32] : [I64, I64];
    const { index, body: f } = m.defineFunction([I64, I32, I32, I32, I32, I64, ...cache], cache);
    const [r, off, n, write, pc, frame64, start, room, gen] = f.params as [
      Local,
      Local,
      Local,
      Local,
      Local,
      Local,
      Local,
      Local,
      Local | undefined,
    ];
    const found = f.local(I64);
    // In the current frame: a - frame64 <=u FRAME_BYTES - n.
    f.get(r).get(off).op('i64.extend_i32_s').op('i64.add').get(frame64).op('i64.sub');
    f.i64(FRAME_BYTES).get(n).op('i64.extend_i32_u').op('i64.sub').op('i64.le_u');
    const inFrame = f.if();
    f.get(start).get(room);
    if (gen !== undefined) f.get(gen);
    f.op('return');
    f.end(inFrame);
    f.get(r).op('i32.wrap_i64').get(r).i64(32).op('i64.shr_u').op('i32.wrap_i64');
    f.get(off).get(n).get(write).get(pc).call(search);
    // The search allowed the access: its range becomes the site's cache.
    f.globalGet(globals.wStart)
      .globalGet(globals.rStart)
      .get(write)
      .op('select')
      .op('i64.extend_i32_u')
      .tee(found);
    f.globalGet(globals.wEnd).globalGet(globals.rEnd).get(write).op('select').op('i64.extend_i32_u');
    f.get(found).op('i64.sub').get(n).op('i64.extend_i32_u').op('i64.sub').i64(1).op('i64.add');
    if (gen !== undefined) f.globalGet(globals.gen);
    return index;
  };
  return { plain: define(false), withGen: define(true) };
}
