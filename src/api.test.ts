// The README's library examples, run as tests so the documentation stays true: a raw program
// in the interpreter, one example object on the VM and on the kernel backend, and the one
// error class a refused map update or test run throws on both.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  assemble,
  BPF_NOEXIST,
  BpfError,
  Interpreter,
  load,
  loadCollectionSpec,
  runWithMemory,
} from './index.js';
import { bpfAvailability, loadKernel } from './kernel/index.js';

const root = new URL('../../', import.meta.url);

// The README's example as written: it names the interpreter, so this test pins it.
test('README: a raw program in the interpreter', () => {
  const program = assemble('r0 = *(u32 *)(r1 + 0)\nr0 += 1\nexit');
  assert.equal(runWithMemory(new Interpreter(program), Uint8Array.of(41, 0, 0, 0)).r0, 42n);
});

test('README: one object, both backends, the same answers', (t) => {
  const spec = loadCollectionSpec(readFileSync(new URL('examples/xdp_count_array.v3.o', root)));
  const packet = readFileSync(new URL('test/packets/ipv4_udp.bin', root));
  const available = bpfAvailability();
  const backends = available.ok ? [load, loadKernel] : [load];
  if (!available.ok) t.diagnostic(`kernel backend skipped: ${available.reason}`);
  const answers = backends.map((backend) => {
    using coll = backend(spec);
    const { retval, data } = coll.programs.get('xdp_count_array')!.run({ data: packet });
    const udp = coll.maps.get('proto_stats')!.lookup(Uint8Array.of(17, 0, 0, 0))!;
    return { retval, length: data.length, udp: [...udp] };
  });
  assert.equal(answers[0]!.retval, 2);
  assert.equal(answers[0]!.length, packet.length);
  assert.equal(answers[0]!.udp[0], 1, 'one UDP packet counted');
  for (const a of answers) assert.deepEqual(a, answers[0]);
});

test('README: a refused map update or test run is a BpfError on both backends', (t) => {
  const spec = loadCollectionSpec(readFileSync(new URL('examples/xdp_count_array.v3.o', root)));
  const available = bpfAvailability();
  const backends = available.ok ? [load, loadKernel] : [load];
  if (!available.ok) t.diagnostic(`kernel backend skipped: ${available.reason}`);
  const answers = backends.map((backend) => {
    using coll = backend(spec);
    const refusals: string[] = [];
    try {
      // Array elements always exist, so BPF_NOEXIST is refused with EEXIST.
      coll.maps.get('proto_stats')!.update(new Uint8Array(4), new Uint8Array(16), BPF_NOEXIST);
    } catch (e) {
      if (!(e instanceof BpfError)) throw e;
      refusals.push(`${e.op} ${e.errnoName} ${e.errno}`);
    }
    try {
      coll.programs.get('xdp_count_array')!.run({ data: new Uint8Array(10) }); // shorter than ETH_HLEN
    } catch (e) {
      if (!(e instanceof BpfError)) throw e;
      refusals.push(`${e.op} ${e.errnoName} ${e.errno}`);
    }
    return refusals;
  });
  assert.deepEqual(answers[0], ['BPF_MAP_UPDATE_ELEM EEXIST 17', 'BPF_PROG_TEST_RUN EINVAL 22']);
  for (const a of answers) assert.deepEqual(a, answers[0]);
});
