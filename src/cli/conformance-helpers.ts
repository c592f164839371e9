// The helper functions that bpf_conformance test programs call, numbered as the uBPF plugin
// registers them (ubpf_plugin/test_helpers.h in the uBPF repository): 0 gather_bytes,
// 1 memfrob, 2 no_op, 3 sqrti, 4 strcmp_ext, 5 unwind (ends the program when it returns 0).

import type { HelperEnv, HelperFn, HelperTable } from '../index.js';

const gatherBytes: HelperFn = (_env, a, b, c, d, e) =>
  ((a & 0xffn) << 32n) | ((b & 0xffn) << 24n) | ((c & 0xffn) << 16n) | ((d & 0xffn) << 8n) | (e & 0xffn);

/** XORs each of `len` bytes at `ptr` with 42, like glibc's memfrob. */
const memfrob: HelperFn = (env: HelperEnv, ptr, len) => {
  const bytes = env.memory.bytes(ptr, Number(len), 'write');
  for (let k = 0; k < bytes.length; k++) bytes[k]! ^= 42;
  return 0n;
};

const noOp: HelperFn = () => 0n;

/** Integer square root through a double, as the uBPF helper computes it. */
const sqrti: HelperFn = (_env, a) => BigInt(Math.floor(Math.sqrt(Number(a))));

function cString(env: HelperEnv, addr: bigint): Uint8Array {
  const out: number[] = [];
  for (let p = addr; ; p++) {
    const b = env.memory.readU8(p);
    if (b === 0) return Uint8Array.from(out);
    out.push(b);
  }
}

/** strcmp: the sign of the first differing byte (as unsigned char), as a 64-bit value. */
const strcmpExt: HelperFn = (env, a, b) => {
  const x = cString(env, a);
  const y = cString(env, b);
  for (let k = 0; ; k++) {
    const cx = x[k] ?? 0;
    const cy = y[k] ?? 0;
    if (cx !== cy || cx === 0) return BigInt.asUintN(64, BigInt(cx - cy));
  }
};

export const UNWIND_HELPER = 5;

export const conformanceHelpers: HelperTable = new Map<number, HelperFn>([
  [0, gatherBytes],
  [1, memfrob],
  [2, noOp],
  [3, sqrti],
  [4, strcmpExt],
  [
    UNWIND_HELPER,
    (env, a) => {
      if (a === 0n) env.exit = true;
      return a;
    },
  ],
]);
