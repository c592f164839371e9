// Hot helpers emitted in Wasm (issue 8: "the hot ones ... emitted in Wasm where that pays"): a
// call to one of them stays inside the module instead of crossing into JavaScript with five
// BigInts. Each native function has the `helper` import's signature (pc, r1..r5) -> r0, so a
// call site only changes the function it calls, and each handles only the common case: whatever
// it does not settle (an argument it cannot check in Wasm, a range that is not plainly readable)
// goes to the `helper` import unchanged, where the runtime's implementation decides and faults
// exactly as it always did. Only the runtime's own implementations are replaced
// (runtimeHelperId): a helper an embedder supplied is always called.

import { LOOKUP_KIND, MAP_ENTRY_BYTES, MAP_HANDLES, NULL_GUARD, RUN_CPU } from '../runtime/abi.js';
import type { HelperTable } from '../runtime/index.js';
import { FRAME_BYTES, FRAME_STRIDE, runtimeHelperId } from '../runtime/index.js';
import type { GlobalName } from './module-abi.js';
import { type FunctionBuilder, I32, I64, type Local, type ModuleBuilder } from './wasm/index.js';

/** enum bpf_func_id. */
const MAP_LOOKUP_ELEM = 1;
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
 * The native functions a program's helper calls use, defined on first need: `nativeFor(fn,
 * proved)` is the function index to call instead of the `helper` import, or undefined. A call
 * whose memory arguments the verifier proved (verifier/proofs.ts: in bounds of memory the runtime
 * lays out as it reasons, on every path) gets a variant that reads them without readable().
 */
export class NativeHelpers {
  readonly #env: NativeHelperEnv;
  readonly #defined = new Map<number, number>();
  #readable: number | undefined;

  constructor(env: NativeHelperEnv) {
    this.#env = env;
  }

  nativeFor(fn: ReturnType<HelperTable['get']>, proved = false): number | undefined {
    if (fn === undefined) return undefined;
    const id = runtimeHelperId(fn);
    if (id !== CSUM_DIFF && id !== MAP_LOOKUP_ELEM) return undefined;
    // Only the map lookup has a proved variant so far: csum_diff's two ranges keep their check.
    const variant = id === MAP_LOOKUP_ELEM && proved ? -id : id;
    let index = this.#defined.get(variant);
    if (index === undefined) {
      index = id === CSUM_DIFF ? this.#csumDiff() : this.#mapLookup(proved);
      this.#defined.set(variant, index);
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

  /**
   * bpf_map_lookup_elem(map, key) from the map registry's table (runtime/abi.ts MAP_HANDLES): an
   * array's value is a bounds check and a multiply (a per-CPU array's plus the run's CPU copy,
   * abi.ts RUN_CPU), a hash map's a probe of its index. A map
   * whose layout is not published (other types), a forged handle or an unreadable key go to the
   * helper import. A `provedKey` is read unchecked: the verifier proved it readable for key_size
   * bytes (the size the table entry holds for the map the verifier knew the call to pass).
   */
  #mapLookup(provedKey: boolean): number {
    const { m, helper } = this.#env;
    const keyHash = this.#keyHashFn();
    const keyEqual = this.#keyEqualFn();
    const { index, body: f } = m.defineFunction([I32, I64, I64, I64, I64, I64], [I64]);
    const [pc, r1, r2, r3, r4, r5] = f.params as [Local, Local, Local, Local, Local, Local];
    const local = () => f.local(I32);
    const [h, e, kind, size, key, i, mask, at, bytes, entry, cpu, word] = [
      local(),
      local(),
      local(),
      local(),
      local(),
      local(),
      local(),
      local(),
      local(),
      local(),
      local(),
      local(),
    ];
    const fallback = f.block();
    // A genuine handle: in memory, and the table entry of the id it holds names it.
    f.get(r1).i64(32).op('i64.shr_u').op('i64.eqz').op('i32.eqz').brIf(fallback);
    f.get(r1).op('i32.wrap_i64').tee(h).i32(NULL_GUARD).op('i32.lt_u').brIf(fallback);
    f.get(h).op('i64.extend_i32_u').i64(4).op('i64.add');
    f.memorySize().op('i64.extend_i32_u').i64(16).op('i64.shl').op('i64.gt_u').brIf(fallback);
    f.get(h)
      .mem('i32.load')
      .tee(e)
      .i32(MAP_HANDLES + 4)
      .mem('i32.load')
      .op('i32.ge_u')
      .brIf(fallback);
    f.i32(MAP_HANDLES).mem('i32.load').get(e).i32(MAP_ENTRY_BYTES).op('i32.mul').op('i32.add').tee(e);
    f.mem('i32.load').get(h).op('i32.ne').brIf(fallback);
    f.get(e).mem('i32.load', 4).tee(kind).op('i32.eqz').brIf(fallback);
    f.get(e).mem('i32.load', 8).set(size);
    if (!provedKey) f.get(r2).get(size).call(this.#readableFn()).op('i32.eqz').brIf(fallback);
    f.get(r2).op('i32.wrap_i64').set(key);
    f.get(kind).i32(LOOKUP_KIND.array).op('i32.eq');
    f.get(kind).i32(LOOKUP_KIND.percpuArray).op('i32.eq').op('i32.or');
    const array = f.if();
    // A per-CPU array's copy is the run's CPU's (one it has no copy for goes to the helper,
    // which answers NULL); a plain array's copy distance is 0 and `cpu` stays 0.
    f.get(kind).i32(LOOKUP_KIND.percpuArray).op('i32.eq');
    const percpu = f.if();
    f.i32(RUN_CPU).mem('i32.load').tee(cpu).get(e).mem('i32.load', 28).op('i32.ge_u').brIf(fallback);
    f.end(percpu);
    // Key k below max_entries: value k at start + k * stride + cpu * copy distance; else NULL.
    f.get(key).mem('i32.load').tee(i).get(e).mem('i32.load', 12).op('i32.ge_u');
    const outside = f.if();
    f.i64(0).op('return');
    f.end(outside);
    f.get(e).mem('i32.load', 16).op('i64.extend_i32_u');
    f.get(i).op('i64.extend_i32_u').get(e).mem('i32.load', 20).op('i64.extend_i32_u').op('i64.mul');
    f.op('i64.add');
    f.get(cpu).op('i64.extend_i32_u').get(e).mem('i32.load', 24).op('i64.extend_i32_u').op('i64.mul');
    f.op('i64.add').op('return');
    f.end(array);
    f.get(kind).i32(LOOKUP_KIND.hash).op('i32.ne').brIf(fallback);
    // Linear probing from the key's hash (`i`), each entry's key compared by `equal`; the index
    // is never more than half full.
    f.get(e).mem('i32.load', 12).set(mask);
    f.get(e).mem('i32.load', 16).set(at);
    f.get(e).mem('i32.load', 20).set(bytes);
    const probe = (equal: () => void) => {
      const next = f.loop();
      f.get(at).get(i).get(bytes).op('i32.mul').op('i32.add').tee(entry).mem('i32.load').op('i32.eqz');
      const empty = f.if();
      f.i64(0).op('return');
      f.end(empty);
      equal();
      const hit = f.if();
      f.get(entry).mem('i32.load').op('i64.extend_i32_u').op('return');
      f.end(hit);
      f.get(i).i32(1).op('i32.add').get(mask).op('i32.and').set(i);
      f.br(next);
      f.end(next);
    };
    // A key of one word (an IPv4 address, a port, an index) hashed and compared inline, without
    // keyHash's and keyEqual's calls and loops: lookupHash of one word.
    f.get(size).i32(4).op('i32.le_u');
    const oneWord = f.if();
    NativeHelpers.#keyWord(f, key, undefined, size);
    f.tee(word)
      .i32(0x9e3779b1 | 0)
      .op('i32.mul')
      .tee(i);
    f.get(i).i32(15).op('i32.shr_u').op('i32.xor').tee(i);
    f.get(i).i32(16).op('i32.shr_u').op('i32.xor').get(mask).op('i32.and').set(i);
    probe(() => f.get(entry).mem('i32.load', 4).get(word).op('i32.eq'));
    f.else(oneWord);
    f.get(key).get(size).call(keyHash).get(mask).op('i32.and').set(i);
    probe(() => f.get(entry).i32(4).op('i32.add').get(key).get(size).call(keyEqual));
    f.end(oneWord);
    f.end(fallback);
    f.get(pc).get(r1).get(r2).get(r3).get(r4).get(r5).call(helper);
    return index;
  }

  /**
   * Pushes the little-endian word of `key` at `off` (undefined: 0), its bytes from `size` on
   * zeroed (as the index stores keys).
   */
  static #keyWord(f: FunctionBuilder, key: Local, off: Local | undefined, size: Local): void {
    const rest = f.temp(I32);
    if (off === undefined) {
      f.get(key).mem('i32.load');
      f.get(size).set(rest);
    } else {
      f.get(key).get(off).op('i32.add').mem('i32.load');
      f.get(size).get(off).op('i32.sub').set(rest);
    }
    f.i32(1).get(rest).i32(3).op('i32.shl').op('i32.shl').i32(1).op('i32.sub');
    f.i32(-1);
    f.get(rest).i32(4).op('i32.lt_u').op('select');
    f.op('i32.and');
    f.release(rest);
  }

  /** keyHash(key, size) -> i32: runtime/abi.ts lookupHash. */
  #keyHashFn(): number {
    const { index, body: f } = this.#env.m.defineFunction([I32, I32], [I32]);
    const [key, size] = f.params as [Local, Local];
    const off = f.local(I32);
    const h = f.local(I32);
    const done = f.block();
    const words = f.loop();
    f.get(off).get(size).op('i32.ge_u').brIf(done);
    f.get(h);
    NativeHelpers.#keyWord(f, key, off, size);
    f.op('i32.xor')
      .i32(0x9e3779b1 | 0)
      .op('i32.mul')
      .tee(h);
    f.get(h).i32(15).op('i32.shr_u').op('i32.xor').set(h);
    f.get(off).i32(4).op('i32.add').set(off);
    f.br(words);
    f.end(words).end(done);
    f.get(h).get(h).i32(16).op('i32.shr_u').op('i32.xor');
    return index;
  }

  /** keyEqual(stored, key, size) -> i32: the index's zero-padded key equals the program's key. */
  #keyEqualFn(): number {
    const { index, body: f } = this.#env.m.defineFunction([I32, I32, I32], [I32]);
    const [stored, key, size] = f.params as [Local, Local, Local];
    const off = f.local(I32);
    const words = f.loop();
    f.get(off).get(size).op('i32.ge_u');
    const same = f.if();
    f.i32(1).op('return');
    f.end(same);
    f.get(stored).get(off).op('i32.add').mem('i32.load');
    NativeHelpers.#keyWord(f, key, off, size);
    f.op('i32.ne');
    const differ = f.if();
    f.i32(0).op('return');
    f.end(differ);
    f.get(off).i32(4).op('i32.add').set(off);
    f.br(words);
    f.end(words);
    f.op('unreachable');
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
