// Shared by the "surviving the controller" test and its child processes: the counting XDP
// program (every test frame adds 1 to each listed slot of an 8-slot u64 array, then XDP_DROP)
// and reading the counters. (A child joins the test's namespace with kernel/netns.ts's joinNetns.)

import { assemble } from '../../src/asm/index.js';
import { type KernelMap, type KernelProgram, loadProgram } from '../../src/kernel/index.js';
import { TEST_ETHERTYPE } from '../afxdp/kernel-env.js';

/** TEST_ETHERTYPE as a u16 load from the frame sees it (network order on a little-endian host). */
export const TEST_ETHERTYPE_LOADED = ((TEST_ETHERTYPE & 0xff) << 8) | (TEST_ETHERTYPE >> 8);

/** Assembly that adds 1 (atomically) to u64 slot `slot` of array `map`; jumps to `out` on a miss. */
export function bumpSlot(map: KernelMap, slot: number): string {
  return `stw [r10-4], ${slot}
mov r2, r10
add r2, -4
lddw r1, map_by_fd(${map.fd})
call 1
jeq r0, 0, out
mov r1, 1
lock add [r0+0], r1`;
}

/** XDP program `name` that counts test frames into `slots` of `map` (atomically) and drops them. */
export function countingProgram(map: KernelMap, slots: readonly number[], name: string): KernelProgram {
  const bump = slots.map((s) => bumpSlot(map, s)).join('\n');
  return loadProgram({
    type: 'XDP',
    name,
    insns: assemble(`ldxw r2, [r1+0]
ldxw r3, [r1+4]
mov r4, r2
add r4, 14
jgt r4, r3, pass
ldxh r5, [r2+12]
jne r5, ${TEST_ETHERTYPE_LOADED}, pass
${bump}
out:
mov r0, 1
exit
pass:
mov r0, 2
exit`),
  });
}

/** The first `n` u64 counters of array `map` (0 for a slot it does not have). */
export function counters(map: KernelMap, n = 8): number[] {
  return Array.from({ length: n }, (_, k) => {
    const key = new Uint8Array(4);
    new DataView(key.buffer).setUint32(0, k, true);
    const v = map.lookup(key);
    return v === undefined ? 0 : Number(new DataView(v.buffer).getBigUint64(0, true));
  });
}
