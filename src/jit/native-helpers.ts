// Hot helpers emitted in Wasm (issue 8: "the hot ones ... emitted in Wasm where that pays"): a
// call to one of them stays inside the module instead of crossing into JavaScript with five
// BigInts. Each native function has the `helper` import's signature (pc, r1..r5) -> r0, so a
// call site only changes the function it calls, and each handles only the common case: whatever
// it does not settle (an argument it cannot check in Wasm, a range that is not plainly readable)
// goes to the `helper` import unchanged, where the runtime's implementation decides and faults
// exactly as it always did. Only the runtime's own implementations are replaced
// (runtimeHelperId): a helper an embedder supplied is always called.

import type { HelperTable } from '../runtime/index.js';
import { FRAME_BYTES, FRAME_STRIDE, runtimeHelperId } from '../runtime/index.js';
import type { GlobalName } from './module-abi.js';
import { type FunctionBuilder, I32, I64, type Local, type ModuleBuilder } from './wasm/index.js';

/** bpf_csum_diff (enum bpf_func_id). */
const CSUM_DIFF = 28;

export interface NativeHelperEnv {
  readonly m: ModuleBuilder;
  readonly globals: Readonly<Record<GlobalName, number>>;
  /** find(lo, hi, off, size, write) -> 1 | 0 (region-search.ts). */
  readonly find: number;
  /** The `helper` import: (pc, r1..r5) -> r0. */
  readonly helper: number;
}

/**
 * The native functions a program's helper calls use, defined on first need: `nativeFor(fn)` is
 * the function index to call instead of the `helper` import, or undefined.
 */
export class NativeHelpers {
  readonly #env: NativeHelperEnv;
  readonly #defined = new Map<number, number>();
  #readable: number | undefined;

  constructor(env: NativeHelperEnv) {
    this.#env = env;
  }

  nativeFor(fn: ReturnType<HelperTable['get']>): number | undefined {
    if (fn === undefined) return undefined;
    const id = runtimeHelperId(fn);
    if (id !== CSUM_DIFF) return undefined;
    let index = this.#defined.get(id);
    if (index === undefined) {
      index = this.#csumDiff();
      this.#defined.set(id, index);
    }
    return index;
  }

  /**
   * readable(addr i64, size i32) -> i32: 1 if [addr, addr + size) lies in one live stack frame
   * of the run or in one readable range of the region table, else 0 (the caller falls back).
   */
  #readableFn(): number {
    if (this.#readable !== undefined) return this.#readable;
    const { m, globals: g, find } = this.#env;
    const { index, body: f } = m.defineFunction([I64, I32], [I32]);
    const [addr, size] = f.params as [Local, Local];
    const rel = f.local(I32);
    // Above 2^32: no region (the JavaScript check names the fault).
    f.get(addr).i64(32).op('i64.shr_u').op('i32.wrap_i64');
    const high = f.if();
    f.i32(0).op('return');
    f.end(high);
    // Frames 0..depth of the run are live (setLiveFrames): within one of them, whole.
    f.get(addr).op('i32.wrap_i64').globalGet(g.stack).op('i32.sub').tee(rel);
    f.globalGet(g.depth).i32(1).op('i32.add').i32(FRAME_STRIDE).op('i32.mul').op('i32.lt_u');
    const frames = f.if();
    f.get(rel).i32(FRAME_STRIDE).op('i32.rem_u').op('i64.extend_i32_u');
    f.get(size).op('i64.extend_i32_u').op('i64.add').i64(FRAME_BYTES).op('i64.le_u').op('return');
    f.end(frames);
    f.get(addr).op('i32.wrap_i64').i32(0).i32(0).get(size).i32(0).call(find);
    this.#readable = index;
    return index;
  }

  /**
   * bpf_csum_diff(from, from_size, to, to_size, seed) as runtime/helpers/checksum.ts computes it
   * (csum_partial's 32-bit end-around sums of little-endian words, folded by csum_from32to16),
   * when both ranges are readable; else the helper import.
   */
  #csumDiff(): number {
    const { m, helper } = this.#env;
    const readable = this.#readableFn();
    const partial = this.#partialFn();
    const { index, body: f } = m.defineFunction([I32, I64, I64, I64, I64, I64], [I64]);
    const [pc, r1, r2, r3, r4, r5] = f.params as [Local, Local, Local, Local, Local, Local];
    const fromSize = f.local(I32);
    const toSize = f.local(I32);
    const seed = f.local(I32);
    const sum = f.local(I32);
    const fallback = f.block();
    f.get(r2).op('i32.wrap_i64').set(fromSize);
    f.get(r4).op('i32.wrap_i64').set(toSize);
    f.get(r5).op('i32.wrap_i64').set(seed);
    for (const [size, at] of [
      [fromSize, r1],
      [toSize, r3],
    ] as const) {
      f.get(size);
      const some = f.if();
      f.get(at).get(size).call(readable).op('i32.eqz').brIf(fallback);
      f.end(some);
    }
    // to: partial(to, seed), less partial(from, 0) when there is a from (csum_sub = add ~b).
    f.get(toSize);
    const hasTo = f.if();
    f.get(r3).op('i32.wrap_i64').get(toSize).get(seed).call(partial).set(sum);
    f.get(fromSize);
    const both = f.if();
    f.get(sum);
    f.get(r1).op('i32.wrap_i64').get(fromSize).i32(0).call(partial).i32(-1).op('i32.xor');
    csumAdd32(f);
    f.set(sum);
    f.end(both);
    f.else(hasTo);
    // from only: ~partial(from, ~seed); neither: the seed.
    f.get(seed).set(sum);
    f.get(fromSize);
    const fromOnly = f.if();
    f.get(r1).op('i32.wrap_i64').get(fromSize).get(seed).i32(-1).op('i32.xor').call(partial);
    f.i32(-1).op('i32.xor').set(sum);
    f.end(fromOnly);
    f.end(hasTo);
    f.get(sum);
    from32to16(f, sum);
    f.op('i64.extend_i32_u').op('return');
    f.end(fallback);
    f.get(pc).get(r1).get(r2).get(r3).get(r4).get(r5).call(helper);
    return index;
  }

  /** partial(addr, len, seed) -> i32: csum_partial, 32-bit words then a zero-padded tail (csum-math.ts). */
  #partialFn(): number {
    const { m } = this.#env;
    const { index, body: f } = m.defineFunction([I32, I32, I32], [I32]);
    const [addr, len, seed] = f.params as [Local, Local, Local];
    const sum = f.local(I64);
    const end = f.local(I32);
    const tail = f.local(I64);
    f.get(seed).op('i64.extend_i32_u').set(sum);
    f.get(addr).get(len).i32(-4).op('i32.and').op('i32.add').set(end);
    const words = f.block();
    const loop = f.loop();
    f.get(addr).get(end).op('i32.ge_u').brIf(words);
    f.get(sum).get(addr).mem('i64.load32_u').op('i64.add');
    fold64(f, sum);
    f.get(addr).i32(4).op('i32.add').set(addr);
    f.br(loop);
    f.end(loop).end(words);
    // 1-3 bytes left: a little-endian word padded with zeros.
    f.get(len).i32(3).op('i32.and');
    const rest = f.if();
    f.i64(0).set(tail);
    for (let k = 2; k >= 0; k--) {
      f.get(len).i32(3).op('i32.and').i32(k).op('i32.gt_u');
      const byte = f.if();
      f.get(tail).i64(8).op('i64.shl').get(addr).mem('i64.load8_u', k).op('i64.or').set(tail);
      f.end(byte);
    }
    f.get(sum).get(tail).op('i64.add');
    fold64(f, sum);
    f.end(rest);
    f.get(sum).op('i32.wrap_i64');
    return index;
  }
}

/** Folds the i64 on the stack (below 2^33) into `sum` with an end-around carry (csum_add). */
function fold64(f: FunctionBuilder, sum: Local): void {
  f.tee(sum).i64(0xffffffff).op('i64.and').get(sum).i64(32).op('i64.shr_u').op('i64.add').set(sum);
}

/** csum_add of the two i32 on the stack, leaving the i32 sum. */
function csumAdd32(f: FunctionBuilder): void {
  const b = f.temp(I64);
  f.op('i64.extend_i32_u').set(b).op('i64.extend_i32_u').get(b).op('i64.add');
  f.tee(b).i64(0xffffffff).op('i64.and').get(b).i64(32).op('i64.shr_u').op('i64.add').op('i32.wrap_i64');
  f.release(b);
}

/** csum_from32to16 of the i32 on the stack (also in `x`, which it overwrites). */
function from32to16(f: FunctionBuilder, x: Local): void {
  for (let k = 0; k < 2; k++) f.tee(x).i32(16).op('i32.shr_u').get(x).i32(0xffff).op('i32.and').op('i32.add');
  f.i32(0xffff).op('i32.and');
}
