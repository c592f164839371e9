// bpf_tail_call (12): asks the run loop to continue in another program of a PROG_ARRAY with the
// same context. On success the helper ends the run (env.exit) and records the target; on
// failure (index out of range, empty slot, too many tail calls) the program goes on, r0 = 0
// unused. Counting follows the kernel's interpreter: the count grows before the slot is read.

import { RuntimeFault } from '../../errors.js';
import { XdpContext } from '../context/xdp.js';
import { ProgArrayMap } from '../maps/prog-array.js';
import { type HelperImpl, mapArg, u32 } from './types.js';

/** MAX_TAIL_CALL_CNT (include/linux/bpf.h). */
export const MAX_TAIL_CALL_CNT = 33;

export const tailCallHelpers: readonly HelperImpl[] = [
  {
    id: 12, // bpf_tail_call(ctx, prog_array, index)
    fn: (env, r1, r2, r3) => {
      if (BigInt(env.ctx.struct.start) !== r1) {
        throw new RuntimeFault(
          `bpf_tail_call: r1 is not the ${env.ctx instanceof XdpContext ? 'xdp_md' : 'context'} pointer`,
          env.pc,
        );
      }
      const m = mapArg(env, r2, 12);
      if (!(m instanceof ProgArrayMap))
        throw new RuntimeFault(`bpf_tail_call: map '${m.name}' is not a PROG_ARRAY`, env.pc);
      const index = u32(r3);
      if (index >= m.maxEntries) return 0n;
      if (env.tailCall.count >= MAX_TAIL_CALL_CNT) return 0n;
      env.tailCall.count++;
      const target = m.programAt(index);
      if (target === undefined) return 0n;
      env.tailCall.target = target;
      env.exit = true;
      return 0n;
    },
  },
];
