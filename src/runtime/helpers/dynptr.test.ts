// Memory safety of dynptrs in the VM without the verifier (verify: false): a dynptr the program
// forges on its stack cannot reach memory its fields claim. Local data goes through the address
// space's checked accessors; an skb/xdp dynptr must point at the run's own context struct.
// (The dynptr semantics themselves are compared with the kernel in dynptr-kernel.test.ts.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadUnderTest as load } from '../../../test/engines.js';
import { asmProgram } from '../../../test/gen/oob-cases.js';
import { assemble } from '../../asm/index.js';
import { MemoryFault, RuntimeFault } from '../../errors.js';
import type { CollectionSpec } from '../../program/index.js';

/**
 * A program that writes a dynptr {data, size word} at fp-16 and bpf_dynptr_read()s 8 bytes at
 * `offset` of it; data 'stack' is fp-8.
 */
function forged(data: bigint | 'stack', sizeWord: number, offset = 0): CollectionSpec {
  const set = data === 'stack' ? 'r1 = r10\n    r1 += -8' : `r1 = ${data} ll`;
  const text = `
    ${set}
    *(u64 *)(r10 - 16) = r1
    r1 = ${sizeWord}
    *(u32 *)(r10 - 8) = r1
    *(u32 *)(r10 - 4) = 0
    r1 = r10
    r1 += -32
    r2 = 8
    r3 = r10
    r3 += -16
    r4 = ${offset}
    r5 = 0
    call 201
    exit`;
  return {
    programs: [asmProgram('p', 'XDP', assemble(text))],
    maps: [],
    variables: [],
    license: 'GPL',
  };
}

const LOCAL = 1 << 28;
const XDP = 4 << 28;

test('the verifier refuses a forged dynptr', () => {
  assert.throws(() => load(forged(0x1000n, LOCAL | 8)), /Expected an initialized dynptr as arg #2/);
});

test('a forged local dynptr faults instead of reading where it points', () => {
  using c = load(forged(0x1000n, LOCAL | 8), { verify: false });
  assert.throws(() => c.program('p').run({ data: new Uint8Array(64) }), MemoryFault);
});

test('a forged xdp dynptr faults unless its data is the run context', () => {
  using c = load(forged(0x123456n, XDP | 64), { verify: false });
  assert.throws(
    () => c.program('p').run({ data: new Uint8Array(64) }),
    (e: unknown) => e instanceof RuntimeFault && /not the run's xdp_md/.test(e.message),
  );
});

test('a forged size is still bounded by the memory behind the data pointer', () => {
  // A local dynptr over the top of the stack claiming 16 MiB: reading inside the frame works,
  // reading past the frame (within the claimed size) faults.
  using inside = load(forged('stack', LOCAL | 0xffffff, 0), { verify: false });
  assert.equal(inside.program('p').run({ data: new Uint8Array(64) }).retval, 0);
  using past = load(forged('stack', LOCAL | 0xffffff, 4096), { verify: false });
  assert.throws(() => past.program('p').run({ data: new Uint8Array(64) }), MemoryFault);
});
