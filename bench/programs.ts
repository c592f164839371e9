// The loop programs the benchmarks share, with the iteration count as a parameter (the
// kernel's verifier walks every iteration of a bounded loop, so its runs use smaller counts).
// Written as assembly through the public entry, as a user would.

import { assemble, type Instruction } from '../src/index.js';

export interface Case {
  readonly name: string;
  readonly program: Instruction[];
  /** The block r1 points at (r2 = its length); cases without one touch only the stack. */
  readonly memory?: Uint8Array;
}

export function loopCases(N: number): Case[] {
  return [
    {
      name: 'count (add, sub, jne)',
      program: assemble(`r0 = 0
        r1 = ${N}
      loop:
        r0 += 1
        r1 -= 1
        if r1 != 0 goto loop
        exit`),
    },
    {
      name: 'alu64 xorshift + mul',
      program: assemble(`r2 = 88172645463325252 ll
        r0 = 0
        r4 = 0
        r1 = ${N / 4}
      loop:
        r3 = r2
        r3 <<= 13
        r2 ^= r3
        r3 = r2
        r3 >>= 7
        r2 ^= r3
        r3 = r2
        r3 <<= 17
        r2 ^= r3
        r3 *= ${0x9e3779b9 | 0}
        r0 += r3
        w4 += w3
        r1 -= 1
        if r1 != 0 goto loop
        exit`),
    },
    {
      name: 'stack ldx/stx',
      program: assemble(`r2 = 0
        *(u64 *)(r10 - 8) = r2
        r1 = ${N / 2}
      loop:
        r2 = *(u64 *)(r10 - 8)
        r2 += r1
        *(u64 *)(r10 - 8) = r2
        *(u32 *)(r10 - 16) = r1
        r3 = *(u32 *)(r10 - 16)
        r1 -= 1
        if r1 != 0 goto loop
        r0 = *(u64 *)(r10 - 8)
        exit`),
    },
    {
      name: 'region bytes (r1 = mem, r2 = len)',
      memory: new Uint8Array(4096).map((_, k) => k * 7),
      program: assemble(`r0 = 0
        r4 = r1
        r4 += r2
      loop:
        r3 = *(u8 *)(r1 + 0)
        r0 += r3
        r1 += 1
        if r1 < r4 goto loop
        exit`),
    },
    {
      name: 'local call',
      program: assemble(`r6 = ${N / 8}
        r7 = 0
      loop:
        r1 = r6
        call fn
        r7 += r0
        r6 -= 1
        if r6 != 0 goto loop
        r0 = r7
        exit
      fn:
        r0 = r1
        r0 *= 2
        exit`),
    },
  ];
}
