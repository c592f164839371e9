// Feature probes against the running kernel (6.18 here; older kernels answer no for the newer
// types and helpers, with the reason): known types and helpers are there, a helper outside its
// program type is not, answers are cached, and probes that cannot be made say so.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NotSupportedError, TsbpfError } from '../errors.js';
import { HELPER_PROTOS } from '../uapi/helper-protos.js';
import { MapType, type MapTypeName, ProgType, type ProgTypeName } from '../uapi/index.js';
import { bpfAvailability } from './available.js';
import { haveHelper, haveMapType, haveProgramType } from './features.js';

const avail = bpfAvailability();
const skip = avail.ok ? false : avail.reason;

test('program types: every one the kernel has loads; those needing an attach BTF id are not probed', {
  skip,
}, () => {
  for (const t of [
    'SOCKET_FILTER',
    'XDP',
    'SCHED_CLS',
    'KPROBE',
    'CGROUP_SOCK_ADDR',
    'SK_LOOKUP',
    'SYSCALL',
    'NETFILTER',
  ] as const)
    assert.deepEqual(haveProgramType(t), { ok: true }, t);
  for (const t of ['TRACING', 'EXT', 'LSM', 'STRUCT_OPS'] as const)
    assert.throws(() => haveProgramType(t), NotSupportedError);
  assert.throws(() => haveProgramType('NOPE' as ProgTypeName), TsbpfError);
  // Every other known type is answered one way or the other, without throwing.
  for (const t of Object.keys(ProgType) as ProgTypeName[]) {
    if (t === 'UNSPEC' || ['TRACING', 'EXT', 'LSM', 'STRUCT_OPS'].includes(t)) continue;
    const a = haveProgramType(t);
    if (!a.ok) assert.match(a.reason, new RegExp(`program type ${t} is not supported`));
  }
});

test('map types: each of the 6.18 list but STRUCT_OPS is answered; the common ones are there', {
  skip,
}, () => {
  for (const t of Object.keys(MapType) as MapTypeName[]) {
    if (t === 'UNSPEC') continue;
    if (t === 'STRUCT_OPS') {
      assert.throws(() => haveMapType(t), NotSupportedError);
      continue;
    }
    const a = haveMapType(t);
    assert.ok(
      a.ok || /not supported by this kernel|not available to this process/.test(a.reason),
      `${t}: ${JSON.stringify(a)}`,
    );
  }
  // (ARENA is EPERM on this machine's kernel: answered, with the reason, not asserted.)
  for (const t of [
    'HASH',
    'RINGBUF',
    'LPM_TRIE',
    'HASH_OF_MAPS',
    'SK_STORAGE',
    'BLOOM_FILTER',
    'CGRP_STORAGE',
  ] as const)
    assert.deepEqual(haveMapType(t), { ok: true }, t);
});

test('helpers: allowed ones are there, one outside its program type is not', { skip }, () => {
  assert.deepEqual(haveHelper('XDP', 'map_lookup_elem'), { ok: true });
  assert.deepEqual(haveHelper('XDP', 'bpf_ringbuf_output'), { ok: true });
  assert.deepEqual(haveHelper('SCHED_CLS', 'skb_store_bytes'), { ok: true });
  assert.deepEqual(haveHelper('XDP', 'fib_lookup'), { ok: true });
  const no = haveHelper('SOCKET_FILTER', 'xdp_adjust_head');
  assert.equal(no.ok, false);
  assert.match(no.ok ? '' : no.reason, /helper bpf_xdp_adjust_head \(44\) is not available to SOCKET_FILTER/);
  assert.equal(haveHelper('XDP', 'skb_store_bytes').ok, false);
  assert.equal(haveHelper('XDP', 9999).ok, false, 'an id the kernel does not know');
  assert.throws(() => haveHelper('XDP', 'no_such_helper'), /unknown helper/);
  assert.equal(haveHelper('XDP', 'map_lookup_elem'), haveHelper('XDP', 1), 'cached: the same answer object');
});

/** bpf_xdp_adjust_meta (enum bpf_func_id). */
const XDP_ADJUST_META = 54;

test("the verifier's helper table offers each program type it verifies exactly the kernel's helpers", {
  skip,
}, (t) => {
  // uapi/helper-protos.ts progTypes against haveHelper (a probe load per helper and type).
  for (const type of ['SOCKET_FILTER', 'XDP', 'SCHED_CLS', 'SCHED_ACT', 'CGROUP_SKB'] as const) {
    const differ: string[] = [];
    for (const [id, proto] of HELPER_PROTOS) {
      const ours = proto.progTypes === undefined || proto.progTypes.includes(type);
      const theirs = haveHelper(type, id);
      // Some 6.18 builds lack bpf_xdp_adjust_meta (src/runtime/vm/testrun.test.ts); upstream has it.
      if (ours && !theirs.ok && type === 'XDP' && id === XDP_ADJUST_META) {
        t.diagnostic(theirs.reason);
        continue;
      }
      if (ours !== theirs.ok) differ.push(`${id} (tsbpf ${ours ? 'offers' : 'lacks'} it)`);
    }
    assert.deepEqual(differ, [], `${type}: ${differ.join(', ')}`);
  }
});
