// The test-run skb against kernel 6.18's BPF_PROG_TEST_RUN (bpf_prog_test_run_skb): for each skb
// program type, every __sk_buff field the verifier lets it read, cgroup skb's packet window
// (from the network header) and skb->sk (the test run's socket). Each case runs one assembled
// program on both backends and compares retval, data_out and ctx_out (or the errno).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { asm, runBoth } from '../../../test/gen/helper-parity.js';
import { ctxInputs } from '../../../test/parity/inputs.js';
import { bpfAvailability } from '../../kernel/available.js';
import { packet } from '../../kernel/test-fixtures.js';
import { ctxAccessProblem, SK_BUFF, SkBuff } from '../../uapi/context.js';
import type { ProgTypeName } from '../../uapi/prog-types.js';
import type { TestRunInput } from '../backend.js';

const avail = bpfAvailability();
const skip = avail.ok ? false : avail.reason;

const TYPES: readonly ProgTypeName[] = ['SOCKET_FILTER', 'SCHED_CLS', 'SCHED_ACT', 'CGROUP_SKB'];

// IPv4, IPv6 and a broadcast ARP request (no IP header, PACKET_MULTICAST on the test run's
// loopback), each bare and with the parity test's ctx_in variants (ctx_out is compared only then).
const INPUTS: readonly TestRunInput[] = ['ipv4_tcp_syn', 'ipv6_udp', 'arp_request'].flatMap((name) => {
  const data = packet(name);
  return [{ data }, ...ctxInputs('CGROUP_SKB', data).map((v) => ({ data, ctx: v.ctx }))];
});

test('every __sk_buff field each skb type may read holds the kernel test run value', { skip }, () => {
  let compared = 0;
  for (const type of TYPES) {
    for (const f of SK_BUFF) {
      // skb->sk is a pointer (its own test below); the others whole, or u32 by u32.
      if (f.name === 'sk') continue;
      const size = f.size === 8 ? 8 : 4;
      for (let off = f.offset; off < f.offset + f.size; off += size) {
        if (ctxAccessProblem(type, off, size, false) !== undefined) continue;
        if (f.name === 'data' || f.name === 'data_end' || f.name === 'data_meta') continue;
        // The value goes out through cb[0] and cb[1] (writable by every skb type).
        const program = asm([
          `r2 = *(${size === 8 ? 'u64' : 'u32'} *)(r1 + ${off})`,
          `*(u32 *)(r1 + ${SkBuff.cb!}) = r2`,
          'r2 >>= 32',
          `*(u32 *)(r1 + ${SkBuff.cb! + 4}) = r2`,
          'r0 = 1',
          'exit',
        ]);
        for (const [k, r] of runBoth(type, program, INPUTS).entries()) {
          assert.deepEqual(r.vm, r.kernel, `${type} ${f.name} (+${off}), input ${k}`);
          compared++;
        }
      }
    }
  }
  assert.ok(compared > 300, `${compared} runs compared`);
});

test('cgroup skb: the packet from the network header, read directly, and the frame back with its MAC header zeroed', {
  skip,
}, () => {
  // cb[0] = 0x100 | the first byte when one is in bounds; cb[1] = whether 14 bytes are.
  const program = asm([
    'r6 = r1',
    `r2 = *(u32 *)(r6 + ${SkBuff.data!})`,
    `r3 = *(u32 *)(r6 + ${SkBuff.data_end!})`,
    'r4 = 0',
    'r5 = r2',
    'r5 += 1',
    'if r5 > r3 goto +2',
    'r4 = *(u8 *)(r2 + 0)',
    'r4 |= 0x100',
    `*(u32 *)(r6 + ${SkBuff.cb!}) = r4`,
    'r4 = 0',
    'r5 = r2',
    'r5 += 14',
    'if r5 > r3 goto +1',
    'r4 = 1',
    `*(u32 *)(r6 + ${SkBuff.cb! + 4}) = r4`,
    'r0 = 1',
    'exit',
  ]);
  const inputs: TestRunInput[] = [
    ...INPUTS,
    { data: new Uint8Array(14), ctx: new Uint8Array(192) }, // an empty network layer
    { data: new Uint8Array(27), ctx: new Uint8Array(192) }, // 13 bytes of it
    { data: new Uint8Array(10) }, // shorter than the MAC header: EINVAL
  ];
  for (const [k, r] of runBoth('CGROUP_SKB', program, inputs).entries())
    assert.deepEqual(r.vm, r.kernel, `input ${k}`);
});

test('skb->sk: every skb test run has a socket (non-null; its fields in runtime/helpers/sock-kernel.test.ts)', {
  skip,
}, () => {
  const program = asm([
    `r2 = *(u64 *)(r1 + ${SkBuff.sk!})`,
    'r0 = 0',
    'if r2 == 0 goto +1',
    'r0 = 1',
    'exit',
  ]);
  for (const type of TYPES) {
    for (const [k, r] of runBoth(type, program, INPUTS).entries()) {
      assert.deepEqual(r.vm, r.kernel, `${type}, input ${k}`);
      assert.deepEqual('retval' in r.kernel && r.kernel.retval, 1, `${type}: the kernel's skb->sk`);
    }
  }
});
