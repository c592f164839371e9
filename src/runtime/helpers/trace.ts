// bpf_trace_printk (6): formats up to three arguments and hands the line to env.trace (the
// kernel writes it to trace_pipe). Returns the length of the formatted text, or -EINVAL for a
// format the kernel refuses or one not NUL-terminated within fmt_size.

import { Errno } from '../../uapi/errno.js';
import type { RuntimeEnv } from '../helper.js';
import { formatPrintk } from './printk-format.js';
import { type HelperImpl, neg, u32 } from './types.js';

/** MAX_BPRINTF_BUF: the kernel formats into a 1 KiB buffer. */
const MAX_BPRINTF_BUF = 1024;

function readString(env: RuntimeEnv, addr: bigint, max: number): string | undefined {
  let s = '';
  for (let k = 0; k < max; k++) {
    let c: number;
    try {
      c = env.memory.readU8(addr + BigInt(k));
    } catch {
      return k === 0 ? undefined : s;
    }
    if (c === 0) return s;
    s += String.fromCharCode(c);
  }
  return s;
}

function readBytes(env: RuntimeEnv, addr: bigint, n: number): Uint8Array | undefined {
  try {
    return env.memory.bytes(addr, n).slice();
  } catch {
    return undefined;
  }
}

export const traceHelpers: readonly HelperImpl[] = [
  {
    id: 6, // bpf_trace_printk(fmt, fmt_size, a1, a2, a3)
    fn: (env, r1, r2, r3, r4, r5) => {
      const size = u32(r2);
      if (size === 0) return neg(Errno.EINVAL);
      const fmt = env.memory.bytes(r1, size);
      if (fmt[size - 1] !== 0) return neg(Errno.EINVAL);
      const text = String.fromCharCode(...fmt.subarray(0, fmt.indexOf(0)));
      const line = formatPrintk(
        text,
        [r3, r4, r5],
        (a, max) => readString(env, a, max),
        (a, n) => readBytes(env, a, n),
      );
      if (line === undefined) return neg(Errno.EINVAL);
      env.trace(line.slice(0, MAX_BPRINTF_BUF - 1));
      return BigInt(Math.min(line.length, MAX_BPRINTF_BUF - 1));
    },
  },
];
