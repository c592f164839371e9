// The loop programs the benchmarks share, with the iteration count as a parameter (the
// kernel's verifier walks every iteration of a bounded loop, so its runs use smaller counts).

import { alu32, alu64, callLocal, exit, jmp, ld64, ldx, mov, stx } from '../src/interp/test-builders.js';
import type { Instruction } from '../src/isa/index.js';

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
      program: [
        mov('r0', 0),
        mov('r1', N),
        alu64('add', 'r0', 1),
        alu64('sub', 'r1', 1),
        jmp('jne', 'r1', 0, -3),
        exit(),
      ],
    },
    {
      name: 'alu64 xorshift + mul',
      program: [
        ld64('r2', 88172645463325252n),
        mov('r0', 0),
        mov('r4', 0),
        mov('r1', N / 4),
        mov('r3', 'r2'),
        alu64('lsh', 'r3', 13),
        alu64('xor', 'r2', 'r3'),
        mov('r3', 'r2'),
        alu64('rsh', 'r3', 7),
        alu64('xor', 'r2', 'r3'),
        mov('r3', 'r2'),
        alu64('lsh', 'r3', 17),
        alu64('xor', 'r2', 'r3'),
        alu64('mul', 'r3', 0x9e3779b9 | 0),
        alu64('add', 'r0', 'r3'),
        alu32('add', 'r4', 'r3'),
        alu64('sub', 'r1', 1),
        jmp('jne', 'r1', 0, -14),
        exit(),
      ],
    },
    {
      name: 'stack ldx/stx',
      program: [
        mov('r2', 0),
        stx(8, 'r10', -8, 'r2'),
        mov('r1', N / 2),
        ldx(8, 'r2', 'r10', -8),
        alu64('add', 'r2', 'r1'),
        stx(8, 'r10', -8, 'r2'),
        stx(4, 'r10', -16, 'r1'),
        ldx(4, 'r3', 'r10', -16),
        alu64('sub', 'r1', 1),
        jmp('jne', 'r1', 0, -7),
        ldx(8, 'r0', 'r10', -8),
        exit(),
      ],
    },
    {
      name: 'region bytes (r1 = mem, r2 = len)',
      memory: new Uint8Array(4096).map((_, k) => k * 7),
      program: [
        mov('r0', 0),
        mov('r4', 'r1'),
        alu64('add', 'r4', 'r2'), // r4 = end
        ldx(1, 'r3', 'r1', 0), // loop:
        alu64('add', 'r0', 'r3'),
        alu64('add', 'r1', 1),
        jmp('jlt', 'r1', 'r4', -4),
        exit(),
      ],
    },
    {
      name: 'local call',
      program: [
        mov('r6', N / 8),
        mov('r7', 0),
        mov('r1', 'r6'), // loop:
        callLocal(5),
        alu64('add', 'r7', 'r0'),
        alu64('sub', 'r6', 1),
        jmp('jne', 'r6', 0, -5),
        mov('r0', 'r7'),
        exit(),
        mov('r0', 'r1'), // fn:
        alu64('mul', 'r0', 2),
        exit(),
      ],
    },
  ];
}
