// Test support for helper parity: one assembled program loaded both into the kernel
// (BPF_PROG_TEST_RUN through loadProgram) and into the VM (load), run on the same inputs, with
// the outcome (retval, data_out, ctx_out, or the errno of a refused run) of each side.

import { assemble } from '../../src/asm/index.js';
import { BpfError } from '../../src/errors.js';
import type { LoadOptions } from '../../src/index.js';
import type { Instruction } from '../../src/isa/index.js';
import { loadProgram } from '../../src/kernel/index.js';
import type { CollectionSpec, ProgramSpec } from '../../src/program/index.js';
import type { TestRunInput } from '../../src/runtime/index.js';
import type { ProgTypeName } from '../../src/uapi/index.js';
import { loadUnderTest as load } from '../engines.js';

export type Outcome = { retval: number; data: string; ctx?: string } | { errno: number };

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function outcome(f: () => { retval: number; data: Uint8Array; ctx?: Uint8Array | undefined }): Outcome {
  try {
    const r = f();
    const o: Outcome = { retval: r.retval, data: hex(r.data) };
    return r.ctx === undefined ? o : { ...o, ctx: hex(r.ctx) };
  } catch (e) {
    if (e instanceof BpfError) return { errno: e.errno };
    throw e;
  }
}

/** Assembly lines to instructions. */
export const asm = (lines: readonly string[]): Instruction[] => assemble(lines.join('\n'));

/** A one-program collection spec around `insns`. */
export function oneProgram(type: ProgTypeName, insns: Instruction[]): CollectionSpec {
  const program: ProgramSpec = {
    name: 'p',
    sectionName: 'test',
    type,
    flags: 0,
    instructions: insns,
    license: 'GPL',
    funcInfo: [],
    lineInfo: [],
  };
  return { programs: [program], maps: [], variables: [], license: 'GPL' };
}

/** Runs `insns` as `type` on both backends with each input; the outcomes side by side, in input order. */
export function runBoth(
  type: ProgTypeName,
  insns: Instruction[],
  inputs: readonly TestRunInput[],
  vmOptions: LoadOptions = {},
): { kernel: Outcome; vm: Outcome }[] {
  const kernel = loadProgram({ type, insns, license: 'GPL' });
  try {
    // The VM side verifies as the kernel side does: a program the kernel loads must load here too.
    using vm = load(oneProgram(type, insns), vmOptions);
    return inputs.map((input) => ({
      kernel: outcome(() => kernel.testRun(input)),
      vm: outcome(() => vm.program('p').run(input)),
    }));
  } finally {
    kernel.close();
  }
}

/** Ethernet + IPv4 (TOS `tos`, valid header checksum) + UDP, `n` bytes in all. */
export function ipv4Frame(n: number, tos = 0, proto = 17): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 13 + 5) & 0xff;
  b.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00], 0);
  const ip = [
    0x45,
    tos,
    (n - 14) >> 8,
    (n - 14) & 0xff,
    0,
    1,
    0x40,
    0,
    64,
    proto,
    0,
    0,
    10,
    0,
    0,
    1,
    192,
    0,
    2,
    100,
  ];
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += (ip[i]! << 8) | ip[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  ip[10] = (~sum >> 8) & 0xff;
  ip[11] = ~sum & 0xff;
  b.set(ip, 14);
  return b;
}

/** Ethernet + IPv6 (traffic class `tclass`) + UDP, `n` bytes in all. */
export function ipv6Frame(n: number, tclass = 0): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + 3) & 0xff;
  b.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x86, 0xdd], 0);
  b.set(
    [0x60 | (tclass >> 4), ((tclass & 0xf) << 4) | 0x0a, 0xbc, 0xde, (n - 54) >> 8, (n - 54) & 0xff, 17, 64],
    14,
  );
  return b;
}
