// kfunc linking: `__ksym` extern functions in an object (test/fixtures/helpers/kfuncs.c) load as
// BPF_PSEUDO_KFUNC_CALL naming the function; the kernel backend binds each name to its vmlinux
// BTF id, the VM to its own implementation (bpf_rcu_read_lock/_unlock, the conntrack lookups) or
// refuses it by name.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadUnderTest as load } from '../../../test/engines.js';
import { loadCollectionSpec } from '../../elf/index.js';
import { NotSupportedError } from '../../errors.js';
import { op as O } from '../../isa/index.js';
import { bpfAvailability } from '../../kernel/available.js';
import { loadKernel } from '../../kernel/index.js';
import type { CollectionSpec } from '../../program/index.js';

const avail = bpfAvailability();
const skip = avail.ok ? false : avail.reason;
const spec = loadCollectionSpec(
  new Uint8Array(readFileSync(new URL('../../../../test/fixtures/helpers/kfuncs.o', import.meta.url))),
);
const only = (name: string): CollectionSpec => ({
  ...spec,
  programs: spec.programs.filter((p) => p.name === name),
});
const kfuncCalls = (name: string) =>
  only(name)
    .programs[0]!.instructions.filter((i) => i.op === O.OP_CALL && i.src === O.BPF_PSEUDO_KFUNC_CALL)
    .map((i) => i.reference);

test('the ELF loader keeps kfunc calls as BPF_PSEUDO_KFUNC_CALL naming the function', () => {
  assert.deepEqual(kfuncCalls('rcu'), ['bpf_rcu_read_lock', 'bpf_rcu_read_unlock']);
  assert.deepEqual(kfuncCalls('ct_lookup'), ['bpf_xdp_ct_lookup', 'bpf_ct_release']);
});

test('bpf_rcu_read_lock/_unlock run on both backends with the same results', { skip }, () => {
  using vm = load(only('rcu'));
  using kernel = loadKernel(only('rcu'));
  for (const data of [new Uint8Array(64), new Uint8Array(14)]) {
    const k = kernel.program('rcu').run({ data });
    assert.equal(vm.program('rcu').run({ data }).retval, k.retval);
  }
});

test('bpf_xdp_ct_lookup/bpf_ct_release from C: both backends find no entry (-ENOENT)', { skip }, () => {
  using vm = load(only('ct_lookup'));
  using kernel = loadKernel(only('ct_lookup'));
  // No conntrack entry for the packet's flow: opts.error = -ENOENT, returned negated.
  const data = new Uint8Array(64);
  assert.equal(kernel.program('ct_lookup').run({ data }).retval, 2);
  assert.equal(vm.program('ct_lookup').run({ data }).retval, 2);
});

test('the kernel backend refuses a kfunc its vmlinux BTF does not have, by name', { skip }, () => {
  const renamed = only('rcu');
  const bad: CollectionSpec = {
    ...renamed,
    programs: renamed.programs.map((p) => ({
      ...p,
      instructions: p.instructions.map((i) =>
        i.reference === 'bpf_rcu_read_lock' ? { ...i, reference: 'bpf_no_such_kfunc' } : i,
      ),
    })),
  };
  assert.throws(
    () => loadKernel(bad),
    (e) => e instanceof NotSupportedError && e.message.includes('kfunc bpf_no_such_kfunc'),
  );
  assert.throws(
    () => load(bad),
    (e) => e instanceof NotSupportedError && e.message.includes('bpf_no_such_kfunc'),
  );
});
