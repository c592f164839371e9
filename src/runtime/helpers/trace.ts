// bpf_trace_printk (6): formats up to three arguments and hands the line to env.trace (the
// kernel writes it to trace_pipe). bpf_trace_vprintk (177) does the same with up to 12 u64
// arguments in an array (data_len a multiple of 8, at most 96). Both return the length of the
// formatted text, or -EINVAL for a format the kernel refuses or one not NUL-terminated within
// fmt_size (kernel/trace/bpf_trace.c, bpf_bprintf_prepare in kernel/bpf/helpers.c).

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

/** MAX_BPRINTF_VARARGS: bpf_trace_vprintk's argument limit. */
const MAX_BPRINTF_VARARGS = 12;

/** Formats the NUL-terminated format at `fmtAddr` with `args` and traces the line. */
function printk(env: RuntimeEnv, fmtAddr: bigint, fmtSize: number, args: readonly bigint[]): bigint {
  if (fmtSize === 0) return neg(Errno.EINVAL);
  const fmt = env.memory.bytes(fmtAddr, fmtSize);
  if (fmt[fmtSize - 1] !== 0) return neg(Errno.EINVAL);
  const text = String.fromCharCode(...fmt.subarray(0, fmt.indexOf(0)));
  const line = formatPrintk(
    text,
    args,
    (a, max) => readString(env, a, max),
    (a, n) => readBytes(env, a, n),
  );
  if (line === undefined) return neg(Errno.EINVAL);
  env.trace(line.slice(0, MAX_BPRINTF_BUF - 1));
  return BigInt(Math.min(line.length, MAX_BPRINTF_BUF - 1));
}

export const traceHelpers: readonly HelperImpl[] = [
  {
    id: 6, // bpf_trace_printk(fmt, fmt_size, a1, a2, a3)
    fn: (env, r1, r2, r3, r4, r5) => printk(env, r1, u32(r2), [r3, r4, r5]),
  },
  {
    id: 177, // bpf_trace_vprintk(fmt, fmt_size, args, data_len)
    fn: (env, r1, r2, r3, r4) => {
      const dataLen = u32(r4);
      if (dataLen & 7 || dataLen > MAX_BPRINTF_VARARGS * 8 || (dataLen !== 0 && r3 === 0n))
        return neg(Errno.EINVAL);
      const raw = dataLen === 0 ? new Uint8Array(0) : env.memory.bytes(r3, dataLen);
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      const args = Array.from({ length: dataLen / 8 }, (_, k) => view.getBigUint64(8 * k, true));
      return printk(env, r1, u32(r2), args);
    },
  },
];
