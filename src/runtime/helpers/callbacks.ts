// Callback helpers: bpf_loop (181) and bpf_for_each_map_elem (164). Both call a function of the
// program (an address from `lddw rX, func`) through the engine's nested call
// (HelperEnv.callFunction) and stop when it returns non-zero. Semantics of kernel/bpf/bpf_iter.c
// (bpf_loop: flags 0, at most BPF_MAX_LOOPS, returns the iterations run) and kernel/bpf/
// arraymap.c / hashtab.c (bpf_for_each_*_elem: returns the elements visited).

import { NotSupportedError, RuntimeFault } from '../../errors.js';
import { Errno } from '../../uapi/errno.js';
import type { RuntimeEnv } from '../helper.js';
import { u32Bytes } from '../maps/base.js';
import { type HelperImpl, mapArg, neg, u32 } from './types.js';

/** BPF_MAX_LOOPS (include/linux/bpf.h): 8M iterations. */
export const BPF_MAX_LOOPS = 8 * 1024 * 1024;

/** The map types bpf_for_each_map_elem walks (the kernel's map_for_each_callback implementers here). */
const WALKABLE = new Set(['ARRAY', 'PERCPU_ARRAY', 'HASH', 'PERCPU_HASH', 'LRU_HASH', 'LRU_PERCPU_HASH']);

/** A caller for the function at `fn` that keeps the outer helper's pc for error messages. */
function caller(env: RuntimeEnv, name: string): (fn: bigint, args: bigint[]) => bigint {
  const call = env.callFunction;
  if (call === undefined) throw new NotSupportedError(`${name}: callbacks on this engine (no callFunction)`);
  const pc = env.pc;
  return (fn, args) => {
    const r = call(fn, args);
    // The callback's helpers moved the shared env's pc; put the caller's back.
    (env as { pc: number }).pc = pc;
    return r;
  };
}

export const callbackHelpers: readonly HelperImpl[] = [
  {
    id: 181, // bpf_loop(nr_loops, callback_fn, callback_ctx, flags)
    fn: (env, r1, r2, r3, r4) => {
      const n = u32(r1);
      if (r4 !== 0n) return neg(Errno.EINVAL);
      if (n > BPF_MAX_LOOPS) return neg(Errno.E2BIG);
      const call = caller(env, 'bpf_loop');
      for (let i = 0; i < n; i++) {
        if (call(r2, [BigInt(i), r3, 0n, 0n, 0n]) !== 0n) return BigInt(i + 1);
      }
      return BigInt(n);
    },
  },
  {
    id: 164, // bpf_for_each_map_elem(map, callback_fn, callback_ctx, flags)
    fn: (env, r1, r2, r3, r4) => {
      const m = mapArg(env, r1, 164);
      if (r4 !== 0n) return neg(Errno.EINVAL);
      if (!WALKABLE.has(m.type)) {
        throw new RuntimeFault(`bpf_for_each_map_elem: map '${m.name}' (${m.type}) cannot be walked`, env.pc);
      }
      const call = caller(env, 'bpf_for_each_map_elem');
      const array = m.type === 'ARRAY' || m.type === 'PERCPU_ARRAY';
      // The callback gets a pointer to the key: a scratch copy, as the kernel passes its own.
      const keyRegion = env.memory.allocate('for_each key', Math.max(m.keySize, 1), {
        kind: 'scratch',
        writable: false,
      });
      try {
        // Hash maps: the keys present when the walk starts (the callback may delete them).
        const keys: Iterable<Uint8Array> = array
          ? (function* () {
              for (let i = 0; i < m.maxEntries; i++) yield u32Bytes(i);
            })()
          : [...m.keys()];
        let visited = 0;
        for (const key of keys) {
          const value = m.lookupAddress(key, env.cpu);
          if (value === 0) continue;
          env.memory.u8.set(key, keyRegion.start);
          visited++;
          if (call(r2, [r1, BigInt(keyRegion.start), BigInt(value), r3, 0n]) !== 0n) break;
        }
        return BigInt(visited);
      } finally {
        env.memory.release(keyRegion);
      }
    },
  },
];
