// CO-RE on the VM backend: by default a program is relocated against its own BTF (it runs with
// the layout it was compiled for); with targetBtf = the kernel's vmlinux BTF it computes what
// the kernel computes. A guarded poisoned instruction does not stop the load; a run reaching one fails.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadUnderTest as load } from '../../../test/engines.js';
import { NotSupportedError } from '../../errors.js';
import { loadCollectionSpec, parseBtf } from '../../index.js';
import { packet } from '../../kernel/test-fixtures.js';
import { CORE_POISON_HELPER } from '../../program/index.js';
import type { VmCollection } from './collection.js';

const root = new URL('../../../../', import.meta.url);
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`test/fixtures/core/${name}`, root)));
const VMLINUX = '/sys/kernel/btf/vmlinux';

/** A .bss variable's u32 (the VM has no readVariable: read the data map's value). */
function variable(c: VmCollection, name: string): number {
  const v = c.spec.variables.find((x) => x.name === name)!;
  const value = c.map(v.map).lookup(new Uint8Array(4))!;
  return new DataView(value.buffer, value.byteOffset + v.offset, 4).getUint32(0, true);
}

test('with the vmlinux BTF as target the VM computes what the kernel does', {
  skip: existsSync(VMLINUX) ? false : `${VMLINUX} is missing`,
}, () => {
  const c = load(loadCollectionSpec(fixture('xdp_core.o')), {
    targetBtf: parseBtf(new Uint8Array(readFileSync(VMLINUX))),
  });
  assert.equal(c.program('xdp_core').run({ data: packet('ipv4_tcp_syn') }).retval, 2);
  assert.deepEqual(
    ['daddr_off', 'iphdr_size', 'has_frag_off', 'has_bogus', 'daddr', 'ihl', 'version', 'bogus'].map((n) =>
      variable(c, n),
    ),
    [16, 20, 1, 0, 0x640200c0, 5, 4, 0],
  );
  c.close();
});

test('by default the object is relocated against its own BTF: the local layout', () => {
  const c = load(loadCollectionSpec(fixture('xdp_core.o')));
  assert.equal(c.program('xdp_core').run({ data: packet('ipv4_tcp_syn') }).retval, 12);
  assert.deepEqual(
    [variable(c, 'daddr_off'), variable(c, 'iphdr_size'), variable(c, 'has_bogus')],
    [20, 32, 1],
  );
  assert.ok(c.spec.programs.every((p) => p.coreRelocations === undefined));
  c.close();
});

test('a poisoned instruction loads; the run that reaches it fails', () => {
  const spec = loadCollectionSpec(fixture('core.o'));
  const only = { ...spec, programs: spec.programs.filter((p) => p.name === 'signed_resize') };
  // Unverified: a verifier refuses a poisoned call on a path it walks, as the kernel does.
  const c = load(only, { targetBtf: parseBtf(fixture('target.btf')), verify: false });
  assert.equal(c.program('signed_resize').spec.instructions[0]!.imm, CORE_POISON_HELPER);
  // The interpreter knows no helper 0xbad2310 and says so when a run reaches it.
  assert.throws(
    () => c.program('signed_resize').run({ data: new Uint8Array(64) }),
    (e: unknown) => e instanceof NotSupportedError && e.message.includes(`#${CORE_POISON_HELPER}`),
  );
  c.close();
});
